"""Build-time tooling: nothing here is part of the Lambda functions."""

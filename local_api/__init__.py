"""Run the API on your machine: a local, SigV4-checking API Gateway in front of the real handler."""

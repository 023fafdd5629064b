"""Reusable test infrastructure (e.g. DynamoDB Local launcher)."""

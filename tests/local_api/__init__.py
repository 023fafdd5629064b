"""Unit tests of the local API Gateway (SigV4 checks, event translation) and the client."""

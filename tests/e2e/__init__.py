"""End-to-end tests: the local API as a real process, called over HTTP with SigV4."""

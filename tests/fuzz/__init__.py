"""Schemathesis against the local API, from the document it serves (``make fuzz``, and a short
deterministic run in ``make test``)."""

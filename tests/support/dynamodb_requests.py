"""What a DynamoDB client actually sends, recorded through botocore's public event hooks."""

from __future__ import annotations

import json
from typing import Any


class SentRequests:
    """The (operation, parameters) of every request a client sends, as botocore's
    ``provide-client-params`` event hands them over (before serialisation and retries)."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, dict[str, Any]]] = []

    def __call__(self, params: dict[str, Any], model: Any, **_: Any) -> None:
        self.sent.append((model.name, json.loads(json.dumps(params))))  # a deep copy

    @property
    def operations(self) -> list[str]:
        """The operations sent, in order (e.g. ``["PutItem", "GetItem"]``)."""
        return [operation for operation, _ in self.sent]

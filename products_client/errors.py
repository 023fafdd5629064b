"""What the products client raises: the API's error answers and failures to reach it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


class ClientError(Exception):
    """The client could not talk to the API (no credentials, unreachable endpoint, ...)."""


@dataclass(eq=False)
class ApiError(Exception):
    """The API answered with an error status; ``errors`` lists field-level validation errors."""

    status: int
    message: str
    errors: list[dict[str, Any]] = field(default_factory=list)
    request_id: str | None = None
    error_type: str | None = None
    attempts: int = 1
    note: str | None = None  # why the client did not send the request again, if that is why

    def __str__(self) -> str:
        lines = [f"HTTP {self.status}: {self.message}"]
        if self.attempts > 1:
            lines[0] += f" (gave up after {self.attempts} attempts)"
        lines += [f"  {e.get('field', '?')}: {e.get('message', '')}" for e in self.errors]
        if self.error_type:
            lines.append(f"  ({self.error_type})")
        if self.note:
            lines.append(f"  {self.note}")
        return "\n".join(lines)

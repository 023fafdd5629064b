"""When the products client retries, and how long it waits: 429/503 answers and connections
that failed, with exponential backoff and jitter, honouring ``Retry-After``."""

from __future__ import annotations

import email.utils
import random
import socket
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Final

# Answers that mean "not processed, try again later": API Gateway's throttling and a store that
# is briefly unavailable. Anything else is final and returned to the caller at once.
RETRYABLE_STATUSES: Final = frozenset({429, 503})


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how long to retry throttling (429), 503 and connection errors.

    Waits grow exponentially from ``base_delay`` with full jitter, each capped at ``max_delay``;
    a ``Retry-After`` header is honoured instead, capped the same way, so a call never hangs.
    """

    attempts: int = 4
    base_delay: float = 0.25
    max_delay: float = 8.0

    def delay(self, retry: int, retry_after: float | None) -> float:
        """Seconds to wait before retry number ``retry`` (1-based)."""
        if retry_after is not None:
            return min(max(retry_after, 0.0), self.max_delay)
        ceiling = min(self.base_delay * 2 ** (retry - 1), self.max_delay)
        # Jitter spreads retries of many clients apart; it needs no cryptographic randomness.
        return random.uniform(ceiling / 2, ceiling)  # nosec B311


class Unreachable(Exception):
    """No HTTP answer at all; ``reason`` is the underlying socket error."""

    def __init__(self, message: str, reason: object) -> None:
        super().__init__(message)
        self.reason = reason

    def retryable(self, method: str, keyed: bool) -> bool:
        """Whether resending cannot apply a change twice.

        A refused connection or a failed name lookup never reached the API, so any method may be
        resent; after a reset or a timeout the request may have been processed, so only reads are,
        and requests carrying an ``Idempotency-Key`` (the API answers a repeat with the first
        result instead of writing again).
        """
        never_sent = isinstance(self.reason, (ConnectionRefusedError, socket.gaierror))
        return never_sent or keyed or method in ("GET", "HEAD", "OPTIONS")


def gave_up(attempts: int) -> str:
    """The " (gave up after N attempts)" suffix of a final error, empty after one attempt."""
    return f" (gave up after {attempts} attempts)" if attempts > 1 else ""


def retry_after(headers: dict[str, str]) -> float | None:
    """The ``Retry-After`` header in seconds (delta-seconds or an HTTP date), None if absent/bad."""
    value = headers.get("retry-after", "").strip()
    if not value:
        return None
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return max((when - datetime.now(timezone.utc)).total_seconds(), 0.0)

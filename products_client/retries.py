"""When the products client sends a request again, where, and how long it waits.

One rule decides whether a request may be sent again after a failed attempt, whichever endpoint
the next attempt goes to (the same one, or the next region's): a repeat must never apply a write
twice. The failures that lead to another attempt are the ones where another try, or another
region, can do better: no answer at all, API Gateway's throttling (429), and 502, 503 and 504.
Everything else is final. Waits grow exponentially with jitter and honour ``Retry-After``.
"""

from __future__ import annotations

import email.utils
import random
import socket
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Final

# Answers after which another attempt (in this region or the next) may succeed: API Gateway's
# throttling, a crashed or timed-out integration, a store that is briefly unavailable.
RETRYABLE_STATUSES: Final = frozenset({429, 502, 503, 504})
# Answers that prove the request was not processed: API Gateway throttles before the function
# runs, so nothing was written.
NOT_PROCESSED_STATUSES: Final = frozenset({429})
SAFE_METHODS: Final = frozenset({"GET", "HEAD", "OPTIONS"})
_IF_MATCH = "if-match"


@dataclass(frozen=True)
class RetryPolicy:
    """How many attempts a call may make, how long to wait between them, when to fail back.

    ``attempts`` counts every attempt of one call, on every endpoint. With several endpoints a
    failed attempt moves on to the next one at once; only coming back to an endpoint already
    tried in this call waits: exponentially from ``base_delay`` with full jitter, each wait capped
    at ``max_delay``; a ``Retry-After`` header is honoured instead, capped the same way, so a call
    never hangs. An endpoint that failed is tried last by the calls of the next
    ``failback_after`` seconds, so a lost region does not cost every call a timeout.
    """

    attempts: int = 4
    base_delay: float = 0.25
    max_delay: float = 8.0
    failback_after: float = 30.0

    def delay(self, retry: int, retry_after: float | None) -> float:
        """Seconds to wait before round ``retry`` (1-based) of the endpoints."""
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

    @property
    def never_sent(self) -> bool:
        """Whether the request certainly never reached the API: the connection was refused or
        the host name did not resolve. After a timeout or a dropped connection it may have."""
        return isinstance(self.reason, (ConnectionRefusedError, socket.gaierror))


def _header(headers: Mapping[str, str], name: str) -> str | None:
    return next((value for key, value in headers.items() if key.lower() == name.lower()), None)


def repeatable(method: str, headers: Mapping[str, str], idempotency_header: str) -> bool:
    """Whether sending the request again cannot apply it twice, whatever the first attempt did:
    reads; a request with its ``Idempotency-Key`` (a repeat answers with the first result, in
    any region: the key is stored with the product); a write with ``If-Match`` naming a version
    (a repeat of an applied write fails with 412, or 404 for a delete), whatever its method."""
    if method in SAFE_METHODS or _header(headers, idempotency_header):
        return True
    if_match = (_header(headers, _IF_MATCH) or "").strip()
    return bool(if_match) and if_match != "*"


def may_send_again(
    method: str,
    headers: Mapping[str, str],
    idempotency_header: str,
    *,
    status: int | None = None,
    unreachable: Unreachable | None = None,
) -> bool:
    """After an attempt that failed with ``status`` (one of RETRYABLE_STATUSES) or without an
    answer (``unreachable``): may the request be sent again, here or to the next endpoint?

    Yes when it was certainly not processed (a refused connection, a name that did not
    resolve, API Gateway's 429), or when it is :func:`repeatable`. A write that is not (a
    ``PUT`` or ``DELETE`` without ``If-Match``) may have been applied after a 502, 503, 504, a
    timeout or a dropped connection, and is never sent again after those.
    """
    not_processed = (unreachable is not None and unreachable.never_sent) or (
        status in NOT_PROCESSED_STATUSES
    )
    return not_processed or repeatable(method, headers, idempotency_header)


def not_repeated(method: str) -> str:
    """Why a write was not sent again, and how to make it repeatable (for the final error)."""
    remedy = (
        "send an Idempotency-Key"
        if method == "POST"
        else "pass the version you read (if_match= / --if-match VERSION)"
    )
    return (
        f"not sent again: the {method} may have been applied, and a repeat could apply it twice;"
        f" {remedy} to make it safe to repeat"
    )


def gave_up(attempts: int, regions: Sequence[str] = ()) -> str:
    """The " (gave up after N attempts)" suffix of a final error, empty after one attempt; with
    the regions tried when there were several (" ..., in us-east-1 and us-west-2")."""
    if attempts <= 1:
        return ""
    distinct = list(dict.fromkeys(regions))
    where = f", in {' and '.join(distinct)}" if len(distinct) > 1 else ""
    return f" (gave up after {attempts} attempts{where})"


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

"""The invocation's deadline for DynamoDB: no attempt starts that could outlive it.

The composition root wraps each request in ``with deadline(seconds):``; the repository registers
:func:`refuse_attempt_past_deadline` as botocore's first ``before-send`` hook, so an attempt (first
try or retry) that could not end in time is refused and the function answers 503 in time instead
of being killed by Lambda's timeout.
"""

from __future__ import annotations

import contextvars
import time
from typing import Any

from botocore.exceptions import BotoCoreError

# The monotonic time by which the current invocation needs DynamoDB's last answer (None: no limit).
# A context variable, so concurrent requests on threads (the local server) each keep their own.
_deadline: contextvars.ContextVar[float | None] = contextvars.ContextVar(
    "dynamodb_deadline", default=None
)


class DeadlineExceeded(BotoCoreError):
    """Another attempt could not finish before the invocation's deadline (not retried)."""

    fmt = "No time left for another DynamoDB attempt before the deadline"


class deadline:  # noqa: N801 - used like a function: ``with deadline(seconds):``
    """Within this block, DynamoDB attempts start only if they can end ``seconds`` from now.

    A class rather than ``contextlib.contextmanager``: it wraps every request, and a generator
    costs several times more to enter and leave.
    """

    def __init__(self, seconds: float) -> None:
        self._limit = time.monotonic() + seconds

    def __enter__(self) -> None:
        self._token = _deadline.set(self._limit)

    def __exit__(self, *exc_info: object) -> None:
        _deadline.reset(self._token)


def refuse_attempt_past_deadline(attempt_seconds: float, **_: Any) -> None:
    """botocore ``before-send`` hook: refuse an attempt that could outlive the deadline, so the
    function answers 503 in time instead of being killed by Lambda's timeout."""
    limit = _deadline.get()
    if limit is not None and time.monotonic() + attempt_seconds > limit:
        raise DeadlineExceeded()

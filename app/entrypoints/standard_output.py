"""The process's standard output as it is at each write, for loggers that are built once."""

from __future__ import annotations

import io
import sys
from typing import IO, cast


class _CurrentStandardOutput(io.TextIOBase):
    """A text stream that writes to whatever ``sys.stdout`` is when a line is written.

    Powertools' ``Logger`` binds its handler to a stream when the first logger of a service name
    is built, and every later ``Logger`` of that name reuses that handler. Lambda's log capture
    reads the process's standard output, and the access line (``api/telemetry.py``) looks
    ``sys.stdout`` up on every write; warnings and errors written through this stream do the
    same, so a handler built earlier (by an earlier graph, or in a parent process before a fork)
    never writes to a stream that has since been replaced or closed.
    """

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        return sys.stdout.write(text)

    def flush(self) -> None:
        sys.stdout.flush()


# One for the process: the loggers' handlers hold it, it holds nothing.
CURRENT_STDOUT = cast(IO[str], _CurrentStandardOutput())

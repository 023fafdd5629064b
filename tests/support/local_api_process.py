"""The local API (``python -m local_api``) as a real process on a free loopback port.

Shared by the e2e tests and the fuzzer (``tests/fuzz``); the server is stopped with SIGTERM, as a
developer's Ctrl-C would, and killed only if it does not exit.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess  # nosec B404
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.dynamodb_local import PROJECT_ROOT, free_port

READY_MARKER = "Local API listening on "


def server_environment(**overrides: str) -> dict[str, str]:
    """This process's environment minus anything AWS- or test-specific, plus ``overrides``."""
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("AWS_", "POWERTOOLS_")) and name != "TABLE_NAME"
    }
    env["PYTHONPATH"] = str(PROJECT_ROOT)
    env.update(overrides)
    return env


@contextlib.contextmanager
def running_local_api(
    log_path: Path, *, env: dict[str, str], extra_args: list[str] | None = None
) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """Start ``python -m local_api`` on a free port; yield (URL, process) once it serves."""
    port = free_port()
    command = [sys.executable, "-m", "local_api", "--port", str(port), *(extra_args or [])]
    with log_path.open("wb") as log:
        process = subprocess.Popen(  # nosec B603
            command, cwd=PROJECT_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
        )
        try:
            yield wait_until_ready(process, log_path), process
        finally:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
                try:
                    process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()


def wait_until_ready(process: subprocess.Popen[bytes], log_path: Path, timeout: float = 30) -> str:
    """The URL from the server's ready line; fails with the server's output if it never comes."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for line in log_path.read_text(errors="replace").splitlines():
            if line.startswith(READY_MARKER):
                return line[len(READY_MARKER) :].strip()
        if process.poll() is not None:
            break
        time.sleep(0.05)
    pytest.fail(
        f"the local API did not become ready (exit code {process.poll()}):\n"
        + log_path.read_text(errors="replace")[-4000:]
    )

"""The local API as a real process (``python -m local_api``), once per storage backend.

Every e2e test runs twice: against the embedded moto store and against AWS's DynamoDB Local
(started here and stopped afterwards), so the adapter is proven against AWS's own emulator too.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess  # nosec B404
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from botocore.credentials import Credentials

from tests.support.dynamodb_local import PROJECT_ROOT, dynamodb_local
from tests.support.ports import free_port
from tests.support.signed_http import HttpResult, signed_request

STORAGES = ["moto", "dynamodb-local"]
READY_MARKER = "Local API listening on "
REGION = "us-east-1"
# The key pair the e2e server is started with (its environment), deliberately not the defaults.
E2E_CREDENTIALS = Credentials("AKIAE2ETESTS00000000", "e2e-secret-key/for+the+local+gateway")


@dataclass(frozen=True)
class LocalApi:
    """A running local API: where it is, what it accepts, where its log goes."""

    url: str
    storage: str
    credentials: Credentials
    log_path: Path

    def call(
        self,
        method: str,
        path: str,
        *,
        json_body: Any = None,
        headers: dict[str, str] | None = None,
    ) -> HttpResult:
        """A correctly signed request to ``path`` (which may include a query string)."""
        return signed_request(
            method, self.url + path, self.credentials, json_body=json_body, headers=headers
        )

    def create(self, name: str, description: str | None = None) -> dict[str, Any]:
        """Create a product (asserting 201) and return it."""
        body: dict[str, Any] = {"name": name}
        if description is not None:
            body["description"] = description
        result = self.call("POST", "/products", json_body=body)
        assert result.status == 201, result.body
        product: dict[str, Any] = result.json()
        return product


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
def local_api_process(
    log_path: Path,
    *,
    env: dict[str, str],
    extra_args: list[str] | None = None,
    port: int | None = None,
) -> Iterator[subprocess.Popen[bytes]]:
    """Start ``python -m local_api`` on ``port`` (default: a free one) without waiting for it;
    stopped on exit."""
    port = port or free_port()
    command = [sys.executable, "-m", "local_api", "--port", str(port), *(extra_args or [])]
    with log_path.open("wb") as log:
        process = subprocess.Popen(  # nosec B603
            command, cwd=PROJECT_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
        )
        try:
            yield process
        finally:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
                try:
                    process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()


@contextlib.contextmanager
def running_local_api(
    log_path: Path, *, env: dict[str, str], extra_args: list[str] | None = None
) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """Start ``python -m local_api`` on a free port; yield (URL, process) once it serves."""
    with local_api_process(log_path, env=env, extra_args=extra_args) as process:
        yield wait_until_ready(process, log_path), process


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


@pytest.fixture(scope="session", params=STORAGES)
def local_api(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LocalApi]:
    """The local API, started once per storage backend for the whole session."""
    storage: str = request.param
    log_path = tmp_path_factory.mktemp("local-api") / f"{storage}.log"
    env = server_environment(
        AWS_ACCESS_KEY_ID=E2E_CREDENTIALS.access_key,
        AWS_SECRET_ACCESS_KEY=E2E_CREDENTIALS.secret_key,
        AWS_DEFAULT_REGION=REGION,
        TABLE_NAME="products-e2e",
    )
    with contextlib.ExitStack() as stack:
        extra_args = []
        if storage == "dynamodb-local":
            extra_args = ["--dynamodb-endpoint", stack.enter_context(dynamodb_local())]
        url, _ = stack.enter_context(running_local_api(log_path, env=env, extra_args=extra_args))
        yield LocalApi(url, storage, E2E_CREDENTIALS, log_path)

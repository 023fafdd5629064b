"""The local API process itself: defaults, start-up banner, readiness time, clean shutdown."""

from __future__ import annotations

import contextlib
import signal
import subprocess  # nosec B404
import sys
import time
from pathlib import Path

import pytest
from botocore.credentials import Credentials

from local_api.credentials import DEFAULT_ACCESS_KEY_ID, DEFAULT_SECRET_ACCESS_KEY
from local_api.server import read_local_defaults
from tests.e2e.conftest import (
    E2E_CREDENTIALS,
    local_api_process,
    running_local_api,
    server_environment,
    wait_until_ready,
)
from tests.support.dynamodb_local import PROJECT_ROOT, dynamodb_local
from tests.support.signed_http import signed_request

pytestmark = pytest.mark.e2e


def test_with_no_credentials_set_it_accepts_the_documented_defaults_and_stops_on_sigterm(
    tmp_path: Path,
) -> None:
    log_path = tmp_path / "server.log"
    started = time.monotonic()
    with running_local_api(log_path, env=server_environment()) as (url, process):
        ready_after = time.monotonic() - started
        defaults = Credentials(DEFAULT_ACCESS_KEY_ID, DEFAULT_SECRET_ACCESS_KEY)
        created = signed_request("POST", url + "/products", defaults, json_body={"name": "Boot"})
        banner = log_path.read_text()

        process.send_signal(signal.SIGTERM)
        exit_code = process.wait(timeout=10)

    assert created.status == 201
    assert ready_after < 15, f"not ready after {ready_after:.1f} s"
    assert f"AWS_ACCESS_KEY_ID={DEFAULT_ACCESS_KEY_ID}" in banner
    assert DEFAULT_SECRET_ACCESS_KEY in banner
    local_defaults = read_local_defaults()  # the server's environment sets none: .env's apply
    assert f"--region {local_defaults['AWS_DEFAULT_REGION']}" in banner
    assert f"table {local_defaults['TABLE_NAME']!r}" in banner
    assert "make dynamodb-local" in banner  # how to keep data across restarts
    assert f"export PRODUCTS_API_URL={url}\n" in banner  # the port it actually got
    assert exit_code == 0
    assert "Shutting down." in log_path.read_text()


def test_a_port_already_in_use_fails_with_a_clear_message(tmp_path: Path) -> None:
    with running_local_api(tmp_path / "first.log", env=server_environment()) as (url, _):
        port = url.rsplit(":", 1)[1]
        second = subprocess.run(  # nosec B603
            [sys.executable, "-m", "local_api", "--port", port],
            cwd=PROJECT_ROOT,
            env=server_environment(),
            capture_output=True,
            text=True,
            timeout=60,
        )

    assert second.returncode == 1
    assert f"cannot listen on 127.0.0.1:{port}" in second.stderr
    assert "make run PORT=" in second.stderr  # what to do about it


def test_servers_started_together_on_a_fresh_dynamodb_local_all_serve(tmp_path: Path) -> None:
    """Each one finds the table missing and creates it; the losers of that race must carry on."""
    env = server_environment(
        AWS_ACCESS_KEY_ID=E2E_CREDENTIALS.access_key,
        AWS_SECRET_ACCESS_KEY=E2E_CREDENTIALS.secret_key,
        TABLE_NAME="products-race",
    )
    with dynamodb_local() as endpoint_url, contextlib.ExitStack() as servers:
        logs = [tmp_path / f"server-{number}.log" for number in range(3)]
        processes = [
            servers.enter_context(
                local_api_process(log, env=env, extra_args=["--dynamodb-endpoint", endpoint_url])
            )
            for log in logs
        ]
        urls = [wait_until_ready(process, log) for process, log in zip(processes, logs)]
        created = [
            signed_request("POST", url + "/products", E2E_CREDENTIALS, json_body={"name": url})
            for url in urls
        ]

    assert [result.status for result in created] == [201, 201, 201]

"""When DynamoDB goes away under a running API, clients get 503 + Retry-After, never a 500."""

from __future__ import annotations

import contextlib
from pathlib import Path

import pytest

from tests.e2e.conftest import E2E_CREDENTIALS, running_local_api, server_environment
from tests.support.dynamodb_local import dynamodb_local
from tests.support.signed_http import signed_request

pytestmark = pytest.mark.e2e


def test_requests_get_503_with_retry_after_once_dynamodb_local_has_stopped(
    tmp_path: Path,
) -> None:
    env = server_environment(
        AWS_ACCESS_KEY_ID=E2E_CREDENTIALS.access_key,
        AWS_SECRET_ACCESS_KEY=E2E_CREDENTIALS.secret_key,
    )
    with contextlib.ExitStack() as store:
        endpoint_url = store.enter_context(dynamodb_local())
        with running_local_api(
            tmp_path / "server.log", env=env, extra_args=["--dynamodb-endpoint", endpoint_url]
        ) as (url, _):
            before = signed_request("GET", url + "/products", E2E_CREDENTIALS)
            store.close()  # DynamoDB Local stops; the API keeps running
            read = signed_request("GET", url + "/products", E2E_CREDENTIALS)
            write = signed_request(
                "POST", url + "/products", E2E_CREDENTIALS, json_body={"name": "x"}
            )

    assert before.status == 200
    for result in (read, write):
        assert result.status == 503, result.body
        assert result.header("Retry-After")
        assert result.json()["message"]

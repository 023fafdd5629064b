"""The local API as a real process (``python -m local_api``), once per storage backend.

Every e2e test runs twice: against the embedded moto store and against AWS's DynamoDB Local
(started here and stopped afterwards), so the adapter is proven against AWS's own emulator too.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from botocore.credentials import Credentials

from tests.support.dynamodb_local import dynamodb_local
from tests.support.local_api_process import running_local_api, server_environment
from tests.support.signed_http import HttpResult, signed_request

STORAGES = ["moto", "dynamodb-local"]
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

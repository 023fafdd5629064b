"""Shared fixtures: repositories (fake and moto-backed), the API handler and an event client."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from moto import mock_aws

from app.adapters.dynamodb_product_repository import DynamoDBProductRepository, table_definition
from app.domain.ports import ProductRepository
from app.entrypoints.api.handler import build_handler, create_dynamodb_client
from tests.fakes import InMemoryProductRepository
from tests.support.dynamodb_requests import SentRequests
from tests.support.lambda_api import TABLE_NAME, TEST_ENVIRONMENT, ApiClient, TickingClock

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient

pytest.register_assert_rewrite("tests.repository_contract")

# aws-cdk-lib's jsii runs `node` from PATH. Where make installed the project's Node (the machine's
# is not a supported release), it comes first here too, as make puts it, when pytest runs directly.
_PROJECT_NODE = Path(__file__).resolve().parents[1] / "tools" / "node" / "node_modules" / ".bin"
if (_PROJECT_NODE / "node").is_file() and str(_PROJECT_NODE) not in os.environ["PATH"]:
    os.environ["PATH"] = f"{_PROJECT_NODE}{os.pathsep}{os.environ['PATH']}"


@pytest.fixture(autouse=True)
def _aws_test_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """No test may reach real AWS: fake credentials, a fixed region, Powertools configured."""
    for name, value in TEST_ENVIRONMENT.items():
        monkeypatch.setenv(name, value)
    for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL_DYNAMODB", "TABLE_NAME"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture(scope="session")
def moto_dynamodb_client() -> Iterator[DynamoDBClient]:
    """One moto-backed client for the session (creating clients costs ~100 ms each)."""
    with pytest.MonkeyPatch.context() as patch:
        for name, value in TEST_ENVIRONMENT.items():
            patch.setenv(name, value)
        patch.delenv("AWS_ENDPOINT_URL_DYNAMODB", raising=False)
        with mock_aws():
            yield create_dynamodb_client()


@pytest.fixture
def sent_requests(moto_dynamodb_client: DynamoDBClient) -> Iterator[SentRequests]:
    """Records what the (session-wide) moto client sends while the test runs."""
    recorder = SentRequests()
    events = moto_dynamodb_client.meta.events
    events.register("provide-client-params.dynamodb", recorder, unique_id="sent-requests")
    yield recorder
    events.unregister("provide-client-params.dynamodb", unique_id="sent-requests")


@pytest.fixture
def memory_repository() -> InMemoryProductRepository:
    return InMemoryProductRepository()


@pytest.fixture
def dynamodb_table(moto_dynamodb_client: DynamoDBClient) -> Iterator[str]:
    """The name of a fresh moto table made from the adapter's own definition."""
    table_name = f"{TABLE_NAME}-{uuid.uuid4().hex[:12]}"
    moto_dynamodb_client.create_table(**table_definition(table_name))
    yield table_name
    moto_dynamodb_client.delete_table(TableName=table_name)


@pytest.fixture
def dynamodb_repository(
    moto_dynamodb_client: DynamoDBClient, dynamodb_table: str
) -> DynamoDBProductRepository:
    """The real adapter on moto, on the fresh ``dynamodb_table``."""
    return DynamoDBProductRepository(moto_dynamodb_client, dynamodb_table)


@pytest.fixture(params=["memory", "dynamodb"])
def repository(request: pytest.FixtureRequest) -> ProductRepository:
    """Every test using this runs against the fake and against the DynamoDB adapter (moto)."""
    repo: ProductRepository = request.getfixturevalue(f"{request.param}_repository")
    return repo


@pytest.fixture
def api(memory_repository: InMemoryProductRepository) -> ApiClient:
    """The real Lambda handler graph on the in-memory fake, with a ticking clock.

    The HTTP-level tests run on the fake only: the repository contract suite
    (``test_repository_contract``) already holds the fake and the DynamoDB adapter to the same
    behaviour.
    """
    return ApiClient(build_handler(memory_repository, clock=TickingClock()))

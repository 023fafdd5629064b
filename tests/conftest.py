"""Shared fixtures: repositories (fake and moto-backed), the API handler and an event client."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

import pytest
from moto import mock_aws

from app.adapters.dynamodb_product_repository import DynamoDBProductRepository, table_definition
from app.domain.ports import ProductRepository
from app.entrypoints.api.handler import build_handler, create_dynamodb_client
from tests.events import FakeLambdaContext, rest_event
from tests.fakes import InMemoryProductRepository

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient

pytest.register_assert_rewrite("tests.contract")

TABLE_NAME = "products-test"


TEST_ENVIRONMENT = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
    "POWERTOOLS_SERVICE_NAME": "products-api",
    "POWERTOOLS_METRICS_NAMESPACE": "ProductsApiTest",
    "POWERTOOLS_TRACE_DISABLED": "true",
}


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
def memory_repository() -> InMemoryProductRepository:
    return InMemoryProductRepository()


@pytest.fixture
def dynamodb_repository(
    moto_dynamodb_client: DynamoDBClient,
) -> Iterator[DynamoDBProductRepository]:
    """The real adapter on moto, on a fresh table made from the adapter's own definition."""
    table_name = f"{TABLE_NAME}-{uuid.uuid4().hex[:12]}"
    moto_dynamodb_client.create_table(**table_definition(table_name))
    yield DynamoDBProductRepository(moto_dynamodb_client, table_name)
    moto_dynamodb_client.delete_table(TableName=table_name)


@pytest.fixture(params=["memory", "dynamodb"])
def repository(request: pytest.FixtureRequest) -> ProductRepository:
    """Every test using this runs against the fake and against the DynamoDB adapter (moto)."""
    repo: ProductRepository = request.getfixturevalue(f"{request.param}_repository")
    return repo


@dataclass
class ApiResponse:
    """A proxy response, decoded for assertions."""

    status: int
    headers: dict[str, str]
    multi_headers: dict[str, list[str]]
    raw_body: str

    @property
    def json(self) -> Any:
        return json.loads(self.raw_body)


class ApiClient:
    """Sends API Gateway REST proxy events through a Lambda handler, like API Gateway does."""

    def __init__(self, handler: Callable[[dict[str, Any], Any], dict[str, Any]]) -> None:
        self.handler = handler

    def send(self, event: dict[str, Any]) -> ApiResponse:
        result = self.handler(event, FakeLambdaContext())
        json.dumps(result)  # the Lambda runtime must be able to serialise what we return
        multi = {k: list(v) for k, v in (result.get("multiValueHeaders") or {}).items()}
        headers = {k: v[-1] for k, v in multi.items()}
        headers.update(result.get("headers") or {})
        return ApiResponse(result["statusCode"], headers, multi, result.get("body") or "")

    def request(self, method: str, path: str, **kwargs: Any) -> ApiResponse:
        return self.send(rest_event(method, path, **kwargs))

    def create(self, name: str = "Widget", description: str | None = "A widget") -> dict[str, Any]:
        response = self.request(
            "POST", "/products", body={"name": name, "description": description}
        )
        assert response.status == 201, response.raw_body
        created: dict[str, Any] = response.json
        return created


class TickingClock:
    """A clock that moves one second forward on every reading, so every write has its own time."""

    def __init__(self, start: datetime = datetime(2026, 11, 22, 10, 0, 0, 123000, timezone.utc)):
        self.now = start

    def __call__(self) -> datetime:
        self.now += timedelta(seconds=1)
        return self.now


@pytest.fixture
def api(repository: ProductRepository) -> ApiClient:
    """The real Lambda handler graph on the parametrised repository, with a ticking clock."""
    return ApiClient(build_handler(repository, clock=TickingClock()))

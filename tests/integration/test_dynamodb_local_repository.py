"""The repository contract against AWS's own emulator, DynamoDB Local (started by the test), and
the handler on it: concurrent keyed creates, and writes whose answer is lost (botocore retries)."""

from __future__ import annotations

import threading
import urllib.request
import uuid
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pytest
from botocore.exceptions import ReadTimeoutError

from app.adapters.dynamodb_product_repository import DynamoDBProductRepository, table_definition
from app.entrypoints.api.handler import build_handler, create_dynamodb_client
from tests.repository_contract import ProductRepositoryContract
from tests.support.dynamodb_local import dynamodb_local
from tests.support.lambda_api import TEST_ENVIRONMENT, ApiClient, ApiResponse
from tests.support.rest_events import rest_event

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def dynamodb_local_client() -> Iterator[DynamoDBClient]:
    """A client of the production kind, pointed at DynamoDB Local via the standard env variable."""
    with dynamodb_local() as endpoint_url, pytest.MonkeyPatch.context() as patch:
        for name, value in TEST_ENVIRONMENT.items():
            patch.setenv(name, value)
        patch.setenv("AWS_ENDPOINT_URL_DYNAMODB", endpoint_url)
        yield create_dynamodb_client()


class TestDynamoDBLocalRepository(ProductRepositoryContract):
    """Same contract as the fake and moto; here concurrency is checked against real item locking."""

    @pytest.fixture
    def repository(
        self, dynamodb_local_client: DynamoDBClient
    ) -> Iterator[DynamoDBProductRepository]:
        table_name = f"products-{uuid.uuid4().hex[:12]}"
        dynamodb_local_client.create_table(**table_definition(table_name))
        yield DynamoDBProductRepository(dynamodb_local_client, table_name)
        dynamodb_local_client.delete_table(TableName=table_name)


@pytest.fixture
def local_table(dynamodb_local_client: DynamoDBClient) -> Iterator[str]:
    table_name = f"products-{uuid.uuid4().hex[:12]}"
    dynamodb_local_client.create_table(**table_definition(table_name))
    yield table_name
    dynamodb_local_client.delete_table(TableName=table_name)


@pytest.fixture
def local_api(dynamodb_local_client: DynamoDBClient, local_table: str) -> ApiClient:
    """The real handler on the adapter on DynamoDB Local."""
    repository = DynamoDBProductRepository(dynamodb_local_client, local_table)
    return ApiClient(build_handler(repository))


def stored_items(client: DynamoDBClient, table_name: str) -> list[dict[str, Any]]:
    return client.scan(TableName=table_name, ConsistentRead=True)["Items"]


def test_concurrent_repeats_of_a_keyed_create_make_one_product(
    local_api: ApiClient, dynamodb_local_client: DynamoDBClient, local_table: str
) -> None:
    threads_count = 8
    barrier = threading.Barrier(threads_count)
    responses: list[ApiResponse] = []

    def create() -> None:
        event = rest_event(
            "POST",
            "/products",
            body={"name": "Lamp", "description": "Warm"},
            headers={"Idempotency-Key": "concurrent-key"},
        )
        barrier.wait()
        responses.append(local_api.send(event))

    threads = [threading.Thread(target=create) for _ in range(threads_count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [r.status for r in responses] == [201] * threads_count
    assert len({r.json["id"] for r in responses}) == 1
    replayed = [r.headers.get("Idempotent-Replayed") for r in responses]
    assert replayed.count(None) == 1 and replayed.count("true") == threads_count - 1
    assert len(stored_items(dynamodb_local_client, local_table)) == 1


class LoseFirstAnswer:
    """botocore ``before-send`` hook: the first attempt of ``operation`` reaches DynamoDB Local
    (which applies it), then its answer is lost as in a read timeout, so botocore retries."""

    def __init__(self, client: DynamoDBClient, operation: str) -> None:
        self.attempts = 0
        self._event = f"before-send.dynamodb.{operation}"
        self._events = client.meta.events

    def __enter__(self) -> LoseFirstAnswer:
        self._events.register(self._event, self, unique_id="lose-first-answer")
        return self

    def __exit__(self, *_: object) -> None:
        self._events.unregister(self._event, unique_id="lose-first-answer")

    def __call__(self, request: Any, **_: Any) -> None:
        self.attempts += 1
        if self.attempts > 1:
            return  # the retry goes through normally
        sent = urllib.request.Request(
            request.url, data=request.body, headers=dict(request.headers), method=request.method
        )
        with urllib.request.urlopen(sent, timeout=5) as answer:  # nosec B310 - loopback only
            assert answer.status == 200  # applied by DynamoDB Local...
        raise ReadTimeoutError(endpoint_url=request.url)  # ...but botocore never sees the answer


def test_writes_whose_answer_was_lost_happen_once_and_answer_as_the_first_attempt(
    local_api: ApiClient, dynamodb_local_client: DynamoDBClient, local_table: str
) -> None:
    with LoseFirstAnswer(dynamodb_local_client, "PutItem") as lost:
        created = local_api.request("POST", "/products", body={"name": "Lamp"})
    assert (created.status, lost.attempts) == (201, 2), created.raw_body
    assert len(stored_items(dynamodb_local_client, local_table)) == 1
    path = f"/products/{created.json['id']}"

    with LoseFirstAnswer(dynamodb_local_client, "UpdateItem") as lost:
        updated = local_api.request("PUT", path, body={"name": "v2"}, headers={"If-Match": '"1"'})
    assert (updated.status, updated.json["version"], lost.attempts) == (200, 2, 2)  # no false 412

    with LoseFirstAnswer(dynamodb_local_client, "UpdateItem") as lost:
        updated = local_api.request("PUT", path, body={"name": "v3"})
    assert (updated.status, updated.json["version"], lost.attempts) == (200, 3, 2)
    assert local_api.request("GET", path).json["version"] == 3  # one bump, not two

    with LoseFirstAnswer(dynamodb_local_client, "DeleteItem") as lost:
        deleted = local_api.request("DELETE", path, headers={"If-Match": '"3"'})
    assert (deleted.status, lost.attempts) == (204, 2)  # no false 404
    assert local_api.request("GET", path).status == 404

    key = {"Idempotency-Key": "lost-answer"}
    with LoseFirstAnswer(dynamodb_local_client, "PutItem") as lost:
        keyed = local_api.request("POST", "/products", body={"name": "Keyed"}, headers=key)
    assert (keyed.status, keyed.headers.get("Idempotent-Replayed"), lost.attempts) == (
        201,
        None,
        2,
    )

"""The events pipeline as `make run` wires it: table stream -> stream handler -> local bus.

Run on the embedded moto store and on AWS's DynamoDB Local: a CRUD sequence through the real
repository yields exactly its events, in order, and rejected writes yield none.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from typing import Any

import boto3
import pytest
from aws_lambda_powertools import Logger
from moto import mock_aws

from app import contract
from app.adapters.dynamodb_product_repository import DynamoDBProductRepository
from app.domain import model
from app.domain.exceptions import ProductNotFound, VersionConflict
from app.domain.model import Origin, Product, ProductChanges
from app.entrypoints.standard_output import CURRENT_STDOUT
from local_api.event_pipeline import STREAM_SERVICE_NAME, local_pipeline
from local_api.local_event_bus import LocalEventBus
from local_api.storage import ensure_table
from local_api.stream_poller import STREAM_FUNCTION_NAME, StreamPoller
from tests.support.dynamodb_local import dynamodb_local

REGION = "us-east-1"
T0 = datetime(2026, 11, 24, 10, 0, tzinfo=timezone.utc)


@pytest.fixture(scope="module", params=["moto", "dynamodb-local"])
def endpoint(request: pytest.FixtureRequest) -> Iterator[str | None]:
    """None: the embedded moto store; else DynamoDB Local's URL."""
    with pytest.MonkeyPatch.context() as patch:
        for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
            patch.setenv(name, "local")
        patch.delenv("AWS_ENDPOINT_URL_DYNAMODB", raising=False)
        if request.param == "moto":
            with mock_aws():
                yield None
        else:
            with dynamodb_local() as url:
                yield url


@pytest.fixture
def pipeline(
    endpoint: str | None,
) -> tuple[DynamoDBProductRepository, StreamPoller, LocalEventBus]:
    table_name = f"products-events-{uuid.uuid4().hex[:8]}"
    client = boto3.client("dynamodb", region_name=REGION, endpoint_url=endpoint)
    ensure_table(client, table_name)
    poller, bus = local_pipeline(endpoint, table_name, REGION)
    return DynamoDBProductRepository(client, table_name), poller, bus


def drain(poller: StreamPoller, bus: LocalEventBus, expected: int) -> list[dict[str, Any]]:
    """Poll until ``expected`` events arrived, then once more (nothing else may follow)."""
    for _ in range(40):
        poller.poll_once()
        if len(bus.events()) >= expected:
            break
    poller.poll_once()
    return bus.events()


def request_id() -> str:
    """A fresh API request id, as the entry point passes one with every write."""
    return str(uuid.uuid4())


def origin() -> Origin:
    """The origin of a create that sent no Idempotency-Key."""
    return Origin(request_id())


def product(name: str, description: str | None = None) -> Product:
    return Product(
        product_id=str(uuid.uuid4()),
        name=name,
        description=description,
        create_date=T0,
        last_update_date=T0,
        version=1,
    )


def test_a_crud_sequence_yields_exactly_its_events_in_order(
    pipeline: tuple[DynamoDBProductRepository, StreamPoller, LocalEventBus],
) -> None:
    repository, poller, bus = pipeline
    lamp = product("Lamp", "Warm light")
    later = T0 + timedelta(seconds=5)
    repository.add(lamp, origin())
    repository.update(
        lamp.product_id, ProductChanges({"name": "Desk lamp"}), later, 1, request_id()
    )
    repository.update(
        lamp.product_id, ProductChanges({"description": None}), later, 2, request_id()
    )
    repository.update(
        lamp.product_id, ProductChanges({"name": "Desk lamp"}), later, 3, request_id()
    )
    repository.delete(lamp.product_id, 4)

    delivered = drain(poller, bus, 5)

    assert [(e["detail-type"], e["detail"]["version"]) for e in delivered] == [
        ("ProductCreated", 1),
        ("ProductUpdated", 2),
        ("ProductUpdated", 3),
        ("ProductUpdated", 4),
        ("ProductDeleted", 4),
    ]
    assert [e["detail"].get("changedFields") for e in delivered] == [
        None,
        ["name"],
        ["description"],
        [],
        None,
    ]
    created, *_, deleted = delivered
    # The product exactly as the API answers it (its format is pinned by the golden tests).
    assert created["detail"]["product"] == model.json_values(lamp)
    assert deleted["detail"]["product"]["name"] == "Desk lamp"
    assert deleted["detail"]["product"]["description"] is None
    assert {e["source"] for e in delivered} == {"products-api"}
    assert len({e["detail"]["eventId"] for e in delivered}) == 5


def test_rejected_writes_publish_nothing(
    pipeline: tuple[DynamoDBProductRepository, StreamPoller, LocalEventBus],
) -> None:
    repository, poller, bus = pipeline
    lamp = product("Lamp")
    repository.add(lamp, origin())
    with pytest.raises(VersionConflict):
        repository.update(lamp.product_id, ProductChanges({"name": "X"}), T0, 7, request_id())
    with pytest.raises(VersionConflict):
        repository.delete(lamp.product_id, 7)
    with pytest.raises(ProductNotFound):
        repository.delete(str(uuid.uuid4()), None)

    assert [e["detail-type"] for e in drain(poller, bus, 1)] == ["ProductCreated"]


def test_changes_made_before_the_pipeline_started_are_not_replayed(
    endpoint: str | None,
) -> None:
    table_name = f"products-events-{uuid.uuid4().hex[:8]}"
    client = boto3.client("dynamodb", region_name=REGION, endpoint_url=endpoint)
    ensure_table(client, table_name)
    first_poller, _ = local_pipeline(endpoint, table_name, REGION)  # switches the stream on
    repository = DynamoDBProductRepository(client, table_name)
    repository.add(product("Before"), origin())
    first_poller.poll_once()

    poller, bus = local_pipeline(endpoint, table_name, REGION)
    repository.add(product("After"), origin())

    assert [e["detail"]["product"]["name"] for e in drain(poller, bus, 1)] == ["After"]


def test_the_stream_handler_logs_with_its_own_keys_not_the_api_functions(
    pipeline: tuple[DynamoDBProductRepository, StreamPoller, LocalEventBus],
) -> None:
    """Both functions share make run's process: neither may log with the other's keys."""
    repository, poller, bus = pipeline
    api_logger = Logger(
        service=contract.SERVICE_NAME, stream=CURRENT_STDOUT
    )  # as the API builds it
    api_logger.append_keys(correlation_id="api-request-1")
    try:
        before = dict(api_logger.get_current_keys())  # a copy: the logger's own dict is live
        repository.add(product("Lamp"), origin())
        drain(poller, bus, 1)
        after = dict(api_logger.get_current_keys())
        stream_keys = dict(Logger(service=STREAM_SERVICE_NAME).get_current_keys())
    finally:
        api_logger.remove_keys(["correlation_id"])

    assert after == before  # no function_name of the stream function, nothing else added
    assert stream_keys.get("function_name") == STREAM_FUNCTION_NAME
    assert stream_keys.get("correlation_id") != "api-request-1"

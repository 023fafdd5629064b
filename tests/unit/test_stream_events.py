"""Stream records -> domain events, and the stream handler's partial batch responses."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import boto3
import pytest
from moto import mock_aws

from app import contract
from app.adapters.dynamodb_items import product_from_item
from app.domain import events, model
from app.entrypoints.stream.handler import build_handler, event_of_record
from tests.fakes import InMemoryEventPublisher
from tests.support.imports import modules_loaded_by
from tests.support.lambda_context import FakeLambdaContext
from tests.support.stream_records import CREATE_REQUEST_ID, item, record

PID = "0b6a1c4e-5f1d-4c7e-9a3b-2d8e6f1a7c90"
OTHER = "7e2f9d10-3c4b-4a5e-8f6d-1b2c3d4e5f60"
CREATED = "2026-11-24T10:00:00.000Z"
UPDATED = "2026-11-24T10:05:00.250Z"


def detail(event: events.ProductEvent | None) -> dict[str, Any]:
    assert event is not None
    return dataclasses.asdict(event)


def test_insert_with_description_is_product_created_with_the_public_product() -> None:
    event = event_of_record(record("INSERT", new=item(PID, "Lamp", description="Warm light")))

    assert isinstance(event, events.ProductCreated)
    assert detail(event) == {
        "eventId": events.event_id("ProductCreated", PID, 1, CREATE_REQUEST_ID),
        "productId": PID,
        "version": 1,
        "occurredAt": CREATED,
        # The product exactly as the API answers it (its format is pinned by the golden tests).
        "product": model.json_values(
            product_from_item(item(PID, "Lamp", description="Warm light"))
        ),
    }
    assert event.product["description"] == "Warm light" and event.product["createDate"] == CREATED


def test_insert_without_description_publishes_a_null_description() -> None:
    event = event_of_record(record("INSERT", new=item(PID, "Lamp")))

    assert isinstance(event, events.ProductCreated)
    assert event.product["description"] is None


def test_store_only_attributes_never_reach_the_event() -> None:
    stored = item(PID, "Lamp", lastRequestId={"S": "r2"}, requestFingerprint={"S": "abc"})

    event = event_of_record(record("INSERT", new=stored))

    assert list(detail(event)["product"]) == [d.json_name for d in model.PRODUCT_FIELDS]


def test_rename_is_product_updated_naming_only_the_name() -> None:
    old = item(PID, "Lamp", description="Warm light")
    new = item(PID, "Desk lamp", description="Warm light", version=2, updated=UPDATED)

    event = event_of_record(record("MODIFY", old=old, new=new))

    assert isinstance(event, events.ProductUpdated)
    assert event.changedFields == ["name"]
    assert (event.version, event.occurredAt, event.product["name"]) == (2, UPDATED, "Desk lamp")
    assert event.eventId == events.event_id("ProductUpdated", PID, 2, CREATE_REQUEST_ID)


def test_cleared_description_is_a_changed_field_and_null_in_the_product() -> None:
    old = item(PID, "Lamp", description="Warm light")
    new = item(PID, "Lamp", version=2, updated=UPDATED)  # the adapter REMOVEs the attribute

    event = event_of_record(record("MODIFY", old=old, new=new))

    assert isinstance(event, events.ProductUpdated)
    assert event.changedFields == ["description"]
    assert event.product["description"] is None


def test_changed_fields_are_sorted() -> None:
    old = item(PID, "Lamp")
    new = item(PID, "Desk lamp", description="Now described", version=2, updated=UPDATED)

    event = event_of_record(record("MODIFY", old=old, new=new))

    assert isinstance(event, events.ProductUpdated)
    assert event.changedFields == ["description", "name"]


def test_update_that_changes_nothing_visible_is_published_with_no_changed_fields() -> None:
    old = item(PID, "Lamp", description="Warm light")
    new = item(PID, "Lamp", description="Warm light", version=2, updated=UPDATED)

    event = event_of_record(record("MODIFY", old=old, new=new))

    assert isinstance(event, events.ProductUpdated)
    assert event.changedFields == []
    assert event.version == 2


def test_rewrite_of_store_only_attributes_publishes_nothing() -> None:
    old = item(PID, "Lamp", version=3)
    new = item(PID, "Lamp", version=3, requestToken={"S": "tok"})

    assert event_of_record(record("MODIFY", old=old, new=new)) is None


def test_remove_is_product_deleted_with_the_last_state_and_version() -> None:
    last = item(PID, "Lamp", description="Warm light", version=4, updated=UPDATED)

    event = event_of_record(record("REMOVE", old=last, at=1795514700.5))

    assert isinstance(event, events.ProductDeleted)
    assert event.version == 4
    assert event.product["version"] == 4 and event.product["description"] == "Warm light"
    assert event.occurredAt == UPDATED  # the deleted state's lastUpdateDate, not the record's time
    assert event.eventId == events.event_id("ProductDeleted", PID, 4, CREATE_REQUEST_ID)


def test_the_same_change_redelivered_gets_the_same_event_id() -> None:
    first = event_of_record(record("INSERT", new=item(PID, "Lamp"), event_id="a1"))
    again = event_of_record(record("INSERT", new=item(PID, "Lamp"), event_id="a1"))
    other = event_of_record(record("INSERT", new=item(OTHER, "Lamp")))

    assert first is not None and again is not None and other is not None
    assert first.eventId == again.eventId != other.eventId


def test_event_ids_differ_per_version_and_kind() -> None:
    ids = {
        events.event_id(kind, PID, version, CREATE_REQUEST_ID)
        for kind in ("ProductCreated", "ProductUpdated", "ProductDeleted")
        for version in (1, 2)
    }
    assert len(ids) == 6


def test_a_product_deleted_and_created_again_gets_new_event_ids_for_every_change() -> None:
    # Same id and versions (an Idempotency-Key repeated after the delete), another create request.
    def lifetime(created_by: str) -> list[str]:
        created = item(PID, "Lamp", created_by=created_by)
        renamed = item(PID, "Desk lamp", version=2, updated=UPDATED, created_by=created_by)
        changes = [
            event_of_record(record("INSERT", new=created)),
            event_of_record(record("MODIFY", old=created, new=renamed)),
            event_of_record(record("REMOVE", old=renamed)),
        ]
        return [change.eventId for change in changes if change is not None]

    first, again, recreated = lifetime("request-1"), lifetime("request-1"), lifetime("request-2")

    assert len(first) == len(recreated) == 3
    assert first == again  # every delivery (and every region's stream) of one change
    assert not set(first) & set(recreated)


# --- the handler -----------------------------------------------------------------------------


@pytest.fixture
def publisher() -> InMemoryEventPublisher:
    return InMemoryEventPublisher()


def handle(publisher: InMemoryEventPublisher, *records: dict[str, Any]) -> dict[str, Any]:
    stream_handler: Callable[[dict[str, Any], Any], dict[str, Any]] = build_handler(publisher)
    return stream_handler({"Records": list(records)}, FakeLambdaContext())


def test_batch_publishes_every_change_in_stream_order(publisher: InMemoryEventPublisher) -> None:
    created = item(PID, "Lamp")
    renamed = item(PID, "Desk lamp", version=2, updated=UPDATED)

    response = handle(
        publisher,
        record("INSERT", new=created),
        record("MODIFY", old=created, new=renamed),
        record("REMOVE", old=renamed),
    )

    assert response == {"batchItemFailures": []}
    assert [(events.detail_type(e), e.version) for e in publisher.published] == [
        ("ProductCreated", 1),
        ("ProductUpdated", 2),
        ("ProductDeleted", 2),
    ]


def test_only_records_whose_events_were_not_delivered_are_reported(
    publisher: InMemoryEventPublisher,
) -> None:
    publisher.failing_products.add(OTHER)
    failing = record("INSERT", new=item(OTHER, "Chair"))

    response = handle(publisher, record("INSERT", new=item(PID, "Lamp")), failing)

    assert response == {
        "batchItemFailures": [{"itemIdentifier": failing["dynamodb"]["SequenceNumber"]}]
    }
    assert [e.productId for e in publisher.published] == [PID]


def test_an_unreadable_record_is_reported_and_the_others_published(
    publisher: InMemoryEventPublisher,
) -> None:
    broken = record("INSERT", new={"id": {"S": OTHER}, "name": {"S": "no version"}})

    response = handle(publisher, broken, record("INSERT", new=item(PID, "Lamp")))

    assert response == {
        "batchItemFailures": [{"itemIdentifier": broken["dynamodb"]["SequenceNumber"]}]
    }
    assert [e.productId for e in publisher.published] == [PID]


def test_a_batch_that_fails_entirely_is_reported_record_by_record(
    publisher: InMemoryEventPublisher,
) -> None:
    publisher.failing_products.update({PID, OTHER})
    records = [record("INSERT", new=item(PID, "Lamp")), record("INSERT", new=item(OTHER, "Chair"))]

    response = handle(publisher, *records)

    assert response == {
        "batchItemFailures": [{"itemIdentifier": r["dynamodb"]["SequenceNumber"]} for r in records]
    }


def test_records_without_a_product_change_publish_nothing_and_succeed(
    publisher: InMemoryEventPublisher,
) -> None:
    same = item(PID, "Lamp")

    response = handle(publisher, record("MODIFY", old=same, new=same))

    assert response == {"batchItemFailures": []}
    assert publisher.published == []


def test_api_function_imports_nothing_of_the_events_pipeline() -> None:
    """The API's cold start stays as it was: none of the events modules are on its import path."""
    loaded = modules_loaded_by(
        "app.entrypoints.api.handler",
        "app.domain.events",
        "app.adapters.eventbridge",
        "app.entrypoints.stream",
        "aws_lambda_powertools.utilities.batch",
    )
    assert loaded == []


def test_the_lambda_entry_point_needs_the_bus_name(monkeypatch: pytest.MonkeyPatch) -> None:
    from app.entrypoints.stream import handler as module

    module.build_handler_from_environment.cache_clear()
    monkeypatch.delenv(contract.ENV_EVENT_BUS_NAME, raising=False)
    with pytest.raises(RuntimeError, match=contract.ENV_EVENT_BUS_NAME):
        module.handler({"Records": []}, FakeLambdaContext())  # type: ignore[arg-type]


def test_the_lambda_entry_point_publishes_to_the_configured_bus(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from app.entrypoints.stream import handler as module

    module.build_handler_from_environment.cache_clear()
    monkeypatch.setenv(contract.ENV_EVENT_BUS_NAME, "products-bus")
    try:
        with mock_aws():
            boto3.client("events", region_name="us-east-1").create_event_bus(Name="products-bus")
            response = module.handler(
                {"Records": [record("INSERT", new=item(PID, "Lamp"))]},
                FakeLambdaContext(),  # type: ignore[arg-type]
            )
    finally:
        module.build_handler_from_environment.cache_clear()

    assert response == {"batchItemFailures": []}


def test_a_change_with_no_product_before_or_after_is_no_event() -> None:
    assert events.event_for_change(None, None) is None


def test_every_regions_stream_yields_the_same_event_for_one_change() -> None:
    # Each replica's stream stamps its own records (time, sequence number, event id, region);
    # the event is derived from the item images alone, so every region publishes the same one.
    last = item(PID, "Lamp", description="Warm light", version=4, updated=UPDATED)
    here = record("REMOVE", old=last, at=1795514700.0, event_id="r1")
    there = {**record("REMOVE", old=last, at=1795514703.9, event_id="r2"), "awsRegion": "us-west-2"}
    for kind, old, new in [("INSERT", None, last), ("MODIFY", item(PID, "Lamp"), last)]:
        assert event_of_record(record(kind, old=old, new=new, at=1.0)) == event_of_record(
            record(kind, old=old, new=new, at=9.0)
        )

    assert event_of_record(here) == event_of_record(there)

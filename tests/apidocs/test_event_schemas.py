"""The committed event schemas are the ones the domain's event classes generate, and the events
the pipeline publishes validate against them."""

from __future__ import annotations

import dataclasses
import json
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import jsonschema  # type: ignore[import-untyped]  # no stubs installed; used in tests only
import pytest

from app import contract
from app.adapters.eventbridge_event_publisher import EventBridgeEventPublisher
from app.domain import events
from app.domain.model import Origin, Product, StoredProduct
from local_api.local_event_bus import LocalEventBus
from tools.apidocs.event_schemas import main, render

PROJECT_ROOT = Path(__file__).resolve().parents[2]
SCHEMA_DIR = PROJECT_ROOT / "docs" / "events"
T0 = datetime(2026, 11, 24, 10, 0, tzinfo=timezone.utc)


def schema_of(detail_type: str) -> dict[str, Any]:
    schema: dict[str, Any] = json.loads((SCHEMA_DIR / f"{detail_type}.schema.json").read_text())
    return schema


@pytest.mark.parametrize("detail_type", contract.EVENT_DETAIL_TYPES)
def test_the_committed_schema_is_up_to_date(detail_type: str) -> None:
    committed = SCHEMA_DIR / f"{detail_type}.schema.json"
    assert committed.is_file(), f"{committed.name} is missing: run `make event-schemas`"
    assert committed.read_text() == render(detail_type), "stale: run `make event-schemas`"


def test_check_mode_reports_a_stale_file(tmp_path: Path) -> None:
    assert main([str(tmp_path)]) == 0
    assert main([str(tmp_path), "--check"]) == 0
    (tmp_path / "ProductUpdated.schema.json").write_text("{}\n")

    assert main([str(tmp_path), "--check"]) == 1


def test_one_schema_per_detail_type_and_each_is_valid_draft_4() -> None:
    assert sorted(p.name for p in SCHEMA_DIR.glob("*.schema.json")) == sorted(
        f"{name}.schema.json" for name in contract.EVENT_DETAIL_TYPES
    )
    assert {cls.__name__ for cls in events.EVENT_TYPES} == set(contract.EVENT_DETAIL_TYPES)
    for name in contract.EVENT_DETAIL_TYPES:
        jsonschema.Draft4Validator.check_schema(schema_of(name))


def published(
    *changes: tuple[StoredProduct | None, StoredProduct | None],
) -> list[dict[str, Any]]:
    bus = LocalEventBus("us-east-1")
    publisher = EventBridgeEventPublisher(bus, "bus", contract.EVENT_SOURCE)
    found = [events.event_for_change(before, after) for before, after in changes]
    assert publisher.publish([e for e in found if e is not None]) == set()
    return bus.events()


def test_published_events_validate_against_their_schema_and_no_other() -> None:
    origin = Origin("request-1")
    lamp = Product(product_id="p1", name="Lamp", create_date=T0, last_update_date=T0, version=1)
    first = StoredProduct(lamp, origin)
    second = StoredProduct(
        dataclasses.replace(
            lamp, description="Warm", last_update_date=T0 + timedelta(seconds=1), version=2
        ),
        origin,
    )

    delivered = published((None, first), (first, second), (second, None))

    assert [e["detail-type"] for e in delivered] == list(contract.EVENT_DETAIL_TYPES)
    for event in delivered:
        for name in contract.EVENT_DETAIL_TYPES:
            valid = jsonschema.Draft4Validator(schema_of(name)).is_valid(event)
            assert valid == (name == event["detail-type"]), (name, event["detail-type"])


@pytest.mark.parametrize("detail_type", contract.EVENT_DETAIL_TYPES)
def test_event_id_stays_a_string_and_says_how_it_is_built(detail_type: str) -> None:
    event_id = schema_of(detail_type)["definitions"][detail_type]["properties"]["eventId"]

    assert {k: v for k, v in event_id.items() if k != "description"} == {"type": "string"}
    assert event_id["description"] == events.EVENT_ID_DESCRIPTION
    assert "<creating request id>" in event_id["description"]


@pytest.mark.parametrize("detail_type", contract.EVENT_DETAIL_TYPES)
def test_occurred_at_stays_a_string_and_says_which_time_it_is(detail_type: str) -> None:
    schema = schema_of(detail_type)
    occurred_at = schema["definitions"][detail_type]["properties"]["occurredAt"]

    assert {k: v for k, v in occurred_at.items() if k != "description"} == {"type": "string"}
    assert occurred_at["description"] == events.OCCURRED_AT_DESCRIPTION
    assert "same in every region" in occurred_at["description"]
    assert "this region's pipeline" in schema["properties"]["time"]["description"]

"""The local stand-in for the EventBridge bus, and /_local/events on the gateway."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any

from local_api.gateway import GatewayConfig, LocalGateway
from local_api.local_account import ACCOUNT_ID
from local_api.local_event_bus import LocalEventBus, events_page_body
from local_api.principals import full_access
from local_api.proxy_events import HttpRequest
from local_api.proxy_response import HttpResponse
from local_api.stream_poller import lambda_record
from tests.local_api.conftest import REGION, RecordingFunction

ENTRY = {
    "EventBusName": "products-local",
    "Source": "products-api",
    "DetailType": "ProductCreated",
    "Detail": '{"productId":"p1","version":1}',
    "Time": datetime(2026, 11, 24, 10, 0, 1, 250000, tzinfo=timezone.utc),
    "Resources": [],
}


def test_bus_answers_put_events_and_delivers_eventbridge_shaped_events() -> None:
    printed: list[str] = []
    bus = LocalEventBus(REGION, echo=printed.append)

    response = bus.put_events(Entries=[ENTRY, {**ENTRY, "DetailType": "ProductDeleted"}])

    assert response["FailedEntryCount"] == 0
    first, second = bus.events()
    assert [e["EventId"] for e in response["Entries"]] == [first["id"], second["id"]]
    assert first == {
        "version": "0",
        "id": first["id"],
        "detail-type": "ProductCreated",
        "source": "products-api",
        "account": ACCOUNT_ID,
        "time": "2026-11-24T10:00:01Z",
        "region": REGION,
        "resources": [],
        "detail": {"productId": "p1", "version": 1},
    }
    assert second["detail-type"] == "ProductDeleted" and first["id"] != second["id"]
    assert [json.loads(line) for line in printed] == [first, second]  # one JSON line each


def test_events_page_lists_the_delivered_events_oldest_first() -> None:
    bus = LocalEventBus(REGION)
    bus.put_events(Entries=[ENTRY])
    bus.put_events(Entries=[{**ENTRY, "DetailType": "ProductUpdated"}])

    page = json.loads(events_page_body(bus))

    assert [e["detail-type"] for e in page["events"]] == ["ProductCreated", "ProductUpdated"]


def test_an_added_local_page_is_served_without_a_signature_and_without_the_function() -> None:
    function = RecordingFunction()
    gateway = LocalGateway(function, GatewayConfig(full_access(), REGION))
    gateway.add_local_page("/_local/events", lambda: HttpResponse(200, [], b'{"events":[]}'))

    response = gateway.handle(
        HttpRequest("GET", "/_local/events", "", [("Host", "localhost")], b"", "127.0.0.1")
    )

    assert (response.status, response.body) == (200, b'{"events":[]}')
    assert function.invocations == []


def test_stream_records_are_handed_on_as_lambda_delivers_them() -> None:
    record: dict[str, Any] = {
        "eventID": "e1",
        "eventName": "INSERT",
        "eventVersion": "1.1",
        "eventSource": "aws:dynamodb",
        "awsRegion": REGION,
        "dynamodb": {
            "ApproximateCreationDateTime": datetime(2026, 11, 24, 10, 0, tzinfo=timezone.utc),
            "Keys": {"id": {"S": "p1"}},
            "SequenceNumber": "1",
        },
    }

    delivered = lambda_record(record, "arn:stream")

    assert delivered["dynamodb"]["ApproximateCreationDateTime"] == 1795514400.0
    assert delivered["eventSourceARN"] == "arn:stream"
    assert record["dynamodb"]["ApproximateCreationDateTime"] != 1795514400.0  # input untouched

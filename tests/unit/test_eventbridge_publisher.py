"""The EventBridge adapter: on moto (a rule routing to an SQS queue, read back) and with
botocore's Stubber for the partial failures moto cannot produce."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from datetime import datetime, timezone
from typing import Any

import boto3
import botocore.session
import pytest
from botocore.stub import ANY, Stubber
from moto import mock_aws

from app import contract
from app.adapters.eventbridge_event_publisher import (
    MAX_REQUEST_BYTES,
    EventBridgeEventPublisher,
    batches,
    entry_size,
    to_entry,
)
from app.domain import events
from app.domain.model import Origin, Product, StoredProduct

BUS = "products-test-bus"
CREATED_BY = Origin("6a0f3c1e-2b4d-4e8f-9a7c-5d3e1f0b2a94")
T0 = datetime(2026, 11, 24, 10, 0, 0, 123000, tzinfo=timezone.utc)


def product(number: int, *, version: int = 1, description: str | None = None) -> StoredProduct:
    stored = Product(
        product_id=f"00000000-0000-4000-8000-{number:012d}",
        name=f"Product {number}",
        description=description,
        create_date=T0,
        last_update_date=T0,
        version=version,
    )
    return StoredProduct(stored, CREATED_BY)


def created(number: int, **kwargs: Any) -> events.ProductEvent:
    event = events.event_for_change(None, product(number, **kwargs))
    assert event is not None
    return event


@pytest.fixture
def routed_queue() -> Iterator[tuple[Any, str, str]]:
    """A fresh moto bus with a rule sending every event of our source to a fresh SQS queue."""
    bus = f"products-{uuid.uuid4().hex[:12]}"  # names unique: another fixture may share moto
    with mock_aws():
        events_client = boto3.client("events", region_name="us-east-1")
        sqs = boto3.client("sqs", region_name="us-east-1")
        queue_url = sqs.create_queue(QueueName=f"consumer-{bus}")["QueueUrl"]
        queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])[
            "Attributes"
        ]["QueueArn"]
        events_client.create_event_bus(Name=bus)
        events_client.put_rule(
            Name="all-product-events",
            EventBusName=bus,
            EventPattern=json.dumps({"source": [contract.EVENT_SOURCE]}),
        )
        events_client.put_targets(
            Rule="all-product-events", EventBusName=bus, Targets=[{"Id": "q", "Arn": queue_arn}]
        )
        yield events_client, queue_url, bus


def received(queue_url: str) -> list[dict[str, Any]]:
    sqs = boto3.client("sqs", region_name="us-east-1")
    messages: list[dict[str, Any]] = []
    while True:
        batch = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10).get("Messages", [])
        if not batch:
            return messages
        messages.extend(json.loads(m["Body"]) for m in batch)


def test_published_events_reach_a_rule_target_as_eventbridge_delivers_them(
    routed_queue: tuple[Any, str, str],
) -> None:
    client, queue_url, bus = routed_queue
    publisher = EventBridgeEventPublisher(client, bus, contract.EVENT_SOURCE)
    before = product(1, description="old")
    after = product(1, version=2)
    update = events.event_for_change(before, after)
    assert update is not None

    undelivered = publisher.publish([created(1, description="old"), update])

    assert undelivered == set()
    delivered = received(queue_url)
    assert [m["detail-type"] for m in delivered] == ["ProductCreated", "ProductUpdated"]
    assert {m["source"] for m in delivered} == {contract.EVENT_SOURCE}
    assert delivered[1]["detail"]["changedFields"] == ["description"]
    assert delivered[1]["detail"]["product"]["description"] is None
    assert delivered[0]["detail"]["eventId"] == events.event_id(
        "ProductCreated", after.product.product_id, 1, CREATED_BY.request_id
    )
    assert delivered[0]["detail"]["occurredAt"] == "2026-11-24T10:00:00.123Z"


def test_twenty_five_events_reach_the_target_in_order(routed_queue: tuple[Any, str, str]) -> None:
    client, queue_url, bus = routed_queue
    publisher = EventBridgeEventPublisher(client, bus, contract.EVENT_SOURCE)

    assert publisher.publish([created(n) for n in range(25)]) == set()

    assert [m["detail"]["product"]["name"] for m in received(queue_url)] == [
        f"Product {n}" for n in range(25)
    ]


# --- Stubber: what only the real service does ---------------------------------------------------


@pytest.fixture
def stubbed() -> Iterator[tuple[Any, Stubber]]:
    client = botocore.session.get_session().create_client("events", region_name="us-east-1")
    with Stubber(client) as stubber:
        yield client, stubber
        stubber.assert_no_pending_responses()


def ok(count: int) -> dict[str, Any]:
    return {"FailedEntryCount": 0, "Entries": [{"EventId": f"eb-{n}"} for n in range(count)]}


def expect(stubber: Stubber, response: dict[str, Any], names: list[str]) -> None:
    """The next PutEvents must carry exactly the events of these products, in this order."""

    def entry(name: str) -> dict[str, Any]:
        return {
            "EventBusName": BUS,
            "Source": contract.EVENT_SOURCE,
            "DetailType": "ProductCreated",
            "Detail": ANY,
            "Resources": [],
        }

    stubber.add_response("put_events", response, {"Entries": [entry(n) for n in names]})


def publisher_on(client: Any) -> EventBridgeEventPublisher:
    return EventBridgeEventPublisher(client, BUS, contract.EVENT_SOURCE, sleep=lambda _: None)


def test_requests_carry_at_most_ten_entries(stubbed: tuple[Any, Stubber]) -> None:
    client, stubber = stubbed
    for size in (10, 10, 3):
        expect(stubber, ok(size), ["p"] * size)

    assert publisher_on(client).publish([created(n) for n in range(23)]) == set()


def test_only_failed_entries_are_sent_again_and_then_delivered(
    stubbed: tuple[Any, Stubber],
) -> None:
    client, stubber = stubbed
    partial = {
        "FailedEntryCount": 1,
        "Entries": [
            {"EventId": "eb-0"},
            {"ErrorCode": "ThrottlingException", "ErrorMessage": "slow down"},
            {"EventId": "eb-2"},
        ],
    }
    expect(stubber, partial, ["a", "b", "c"])
    expect(stubber, ok(1), ["b"])

    assert publisher_on(client).publish([created(n) for n in range(3)]) == set()


def test_entries_failing_every_attempt_are_reported_by_event_id(
    stubbed: tuple[Any, Stubber],
) -> None:
    client, stubber = stubbed
    failing = {
        "FailedEntryCount": 1,
        "Entries": [{"EventId": "eb-0"}, {"ErrorCode": "InternalFailure", "ErrorMessage": "x"}],
    }
    expect(stubber, failing, ["a", "b"])
    still = {"FailedEntryCount": 1, "Entries": [{"ErrorCode": "InternalFailure"}]}
    expect(stubber, still, ["b"])
    expect(stubber, still, ["b"])
    sent = [created(0), created(1)]

    assert publisher_on(client).publish(sent) == {sent[1].eventId}


def test_a_request_the_service_rejects_reports_all_its_events(
    stubbed: tuple[Any, Stubber],
) -> None:
    client, stubber = stubbed
    for _ in range(3):
        stubber.add_client_error("put_events", "AccessDeniedException", http_status_code=400)
    sent = [created(0), created(1)]

    assert publisher_on(client).publish(sent) == {e.eventId for e in sent}


def test_batches_stay_under_256_kb() -> None:
    big = {"Source": "s", "DetailType": "d", "Detail": "x" * 100_000, "Resources": []}
    entries = [(str(n), dict(big)) for n in range(5)]

    sizes = [sum(entry_size(e) for _, e in batch) for batch in batches(entries)]

    assert sizes and all(size <= MAX_REQUEST_BYTES for size in sizes)
    assert [len(b) for b in batches(entries)] == [2, 2, 1]


def test_an_event_too_large_for_eventbridge_is_reported_without_a_request(
    stubbed: tuple[Any, Stubber],
) -> None:
    client, _ = stubbed
    huge = created(0, description="é" * 140_000)  # 280 KB of UTF-8

    assert publisher_on(client).publish([huge]) == {huge.eventId}


def test_nothing_to_publish_sends_no_request(stubbed: tuple[Any, Stubber]) -> None:
    client, _ = stubbed  # the Stubber fails the test on any request it was not told to expect

    assert list(batches([])) == []
    assert publisher_on(client).publish([]) == set()


def test_an_answer_that_does_not_match_the_request_counts_as_undelivered(
    stubbed: tuple[Any, Stubber],
) -> None:
    client, stubber = stubbed
    for _ in range(3):  # one entry result for two entries: which one went through is unknown
        expect(stubber, {"FailedEntryCount": 0, "Entries": [{"EventId": "eb-0"}]}, ["a", "b"])
    sent = [created(0), created(1)]

    assert publisher_on(client).publish(sent) == {e.eventId for e in sent}


def test_entry_size_counts_what_eventbridge_counts() -> None:
    entry = {
        "Source": "products-api",  # 12 bytes
        "DetailType": "ProductCreated",  # 14
        "Detail": '{"a":"é"}',  # 10 bytes of UTF-8
        "Resources": ["arn:r", "é"],  # 5 + 2
        "EventBusName": "not counted",
    }
    assert entry_size(entry) == 14 + 12 + 14 + 10 + 7  # 14: the Time, set or not
    assert entry_size({"Source": "s"}) == 15


def _entry_of(size: int) -> dict[str, Any]:
    """An entry that EventBridge counts as ``size`` bytes: 14 for Time, 2 for "s" and "d"."""
    return {"Source": "s", "DetailType": "d", "Detail": "x" * (size - 16), "Resources": []}


@pytest.mark.parametrize(
    "sizes, expected_batches",
    [
        pytest.param([MAX_REQUEST_BYTES // 2] * 2, [2], id="exactly 256 KB in one request"),
        pytest.param([MAX_REQUEST_BYTES // 2 + 1] * 2, [1, 1], id="one byte over"),
        pytest.param([MAX_REQUEST_BYTES // 2] * 3, [2, 1], id="the third one in a second"),
        pytest.param([100] * 10 + [MAX_REQUEST_BYTES // 2] * 2, [10, 2], id="after ten entries"),
        pytest.param([MAX_REQUEST_BYTES], [1], id="one entry of 256 KB"),
    ],
)
def test_a_request_is_filled_up_to_exactly_256_kb(
    sizes: list[int], expected_batches: list[int]
) -> None:
    entries = [(str(n), _entry_of(size)) for n, size in enumerate(sizes)]
    assert [entry_size(e) for _, e in entries] == sizes
    assert [len(batch) for batch in batches(entries)] == expected_batches


class RecordingClient:
    """A PutEvents client that answers with the given results and keeps the requests."""

    def __init__(self, *answers: dict[str, Any]) -> None:
        self.answers = list(answers)
        self.requests: list[list[dict[str, Any]]] = []

    def put_events(self, *, Entries: Any) -> dict[str, Any]:
        self.requests.append(list(Entries))
        return self.answers.pop(0)


def test_an_event_of_exactly_256_kb_is_sent() -> None:
    sample = created(0, description="x")
    size = entry_size(to_entry(sample, BUS, contract.EVENT_SOURCE))
    largest = created(0, description="x" * (1 + MAX_REQUEST_BYTES - size))
    assert entry_size(to_entry(largest, BUS, contract.EVENT_SOURCE)) == MAX_REQUEST_BYTES
    client = RecordingClient(ok(1))

    assert publisher_on(client).publish([largest]) == set()
    assert len(client.requests) == 1


def test_failed_attempts_back_off_exponentially() -> None:
    failing = {"FailedEntryCount": 1, "Entries": [{"ErrorCode": "ThrottlingException"}]}
    client = RecordingClient(*[failing] * 4)
    slept: list[float] = []
    publisher = EventBridgeEventPublisher(
        client, BUS, contract.EVENT_SOURCE, attempts=4, sleep=slept.append
    )
    event = created(0)

    assert publisher.publish([event]) == {event.eventId}
    assert len(client.requests) == 4
    assert slept == [0.2, 0.4, 0.8]


@pytest.mark.parametrize(
    "answer",
    [
        pytest.param({"FailedEntryCount": 0}, id="no results"),
        pytest.param({"Entries": [{}]}, id="neither an event id nor an error"),
        pytest.param({"Entries": [{"EventId": "eb-0", "ErrorCode": "X"}]}, id="an id and an error"),
    ],
)
def test_an_answer_without_a_clear_success_counts_as_undelivered(answer: dict[str, Any]) -> None:
    client = RecordingClient(answer)
    publisher = EventBridgeEventPublisher(client, BUS, contract.EVENT_SOURCE, attempts=1)
    event = created(0)

    assert publisher.publish([event]) == {event.eventId}

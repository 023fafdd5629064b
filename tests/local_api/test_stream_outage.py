"""A stream outage is logged twice (when it starts, when it ends), not once per poll."""

from __future__ import annotations

import logging
import time
from typing import Any

import pytest

from local_api.stream_poller import StreamPoller


class FlakyStreams:
    """A DynamoDB Streams client with no shards, which can be switched off like a stopped server."""

    def __init__(self) -> None:
        self.down = False

    def describe_stream(self, *, StreamArn: str) -> dict[str, Any]:
        if self.down:
            raise ConnectionError("Could not connect to the endpoint URL")
        return {"StreamDescription": {"Shards": []}}


def test_an_outage_is_logged_when_it_starts_and_when_it_ends_with_the_count(
    caplog: pytest.LogCaptureFixture,
) -> None:
    streams = FlakyStreams()
    poller = StreamPoller(streams, "arn:stream", lambda event, context: {}, region="us-east-1")
    caplog.set_level(logging.INFO, logger="local_api")

    streams.down = True
    for _ in range(61):
        poller.poll_once_reporting_outages()
    streams.down = False
    poller.poll_once_reporting_outages()
    poller.poll_once_reporting_outages()

    lines = [record.getMessage() for record in caplog.records]
    assert len(lines) == 2, lines
    assert "reading the table's stream failed (ConnectionError: Could not connect" in lines[0]
    assert lines[1] == "reading the table's stream works again, after 61 failed reads"
    assert not any(record.exc_info for record in caplog.records)  # no traceback chains


def test_a_second_outage_is_reported_again() -> None:
    streams = FlakyStreams()
    poller = StreamPoller(streams, "arn:stream", lambda event, context: {}, region="us-east-1")
    logger = logging.getLogger("local_api")
    seen: list[str] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            seen.append(record.getMessage())

    handler = Collect()
    logger.addHandler(handler)
    try:
        for down in (True, False, True, False):
            streams.down = down
            poller.poll_once_reporting_outages()
    finally:
        logger.removeHandler(handler)

    assert [line.split(" (")[0].split(",")[0] for line in seen] == [
        "reading the table's stream failed",
        "reading the table's stream works again",
        "reading the table's stream failed",
        "reading the table's stream works again",
    ]


class ExpiringStreams:
    """One shard whose records are numbered 1, 2, ...; an iterator names the next one to read
    and expires once ``expire`` is set, as DynamoDB's do after 15 minutes."""

    def __init__(self) -> None:
        self.records: list[dict[str, Any]] = []
        self.expire = False
        self.requested: list[dict[str, str]] = []

    def describe_stream(self, *, StreamArn: str) -> dict[str, Any]:
        return {"StreamDescription": {"Shards": [{"ShardId": "s1", "SequenceNumberRange": {}}]}}

    def get_shard_iterator(self, **request: str) -> dict[str, str]:
        self.requested.append({k: v for k, v in request.items() if k != "StreamArn"})
        after = request.get("SequenceNumber")
        start = len(self.records) if request["ShardIteratorType"] == "LATEST" else 0
        return {"ShardIterator": str(int(after) if after else start)}

    def get_records(self, *, ShardIterator: str, Limit: int) -> dict[str, Any]:
        if self.expire:
            self.expire = False
            raise ExpiredIterator()
        position = int(ShardIterator)
        batch = self.records[position : position + Limit]
        return {"Records": batch, "NextShardIterator": str(position + len(batch))}

    def add(self) -> None:
        number = str(len(self.records) + 1)
        self.records.append(
            {"eventID": number, "eventName": "INSERT", "dynamodb": {"SequenceNumber": number}}
        )


class ExpiredIterator(Exception):
    """What botocore raises for DynamoDB Streams' ExpiredIteratorException."""

    response = {"Error": {"Code": "ExpiredIteratorException", "Message": "Iterator expired"}}


def recording(handed: list[str]) -> Any:
    """A stream handler that keeps the ids of the records it is handed."""

    def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        handed.extend(record["eventID"] for record in event["Records"])
        return {"batchItemFailures": []}

    return handler


def test_after_an_expired_iterator_reading_goes_on_after_the_last_record_handed_on() -> None:
    streams = ExpiringStreams()
    handed: list[str] = []
    poller = StreamPoller(streams, "arn:stream", recording(handed), region="us-west-2")
    streams.add()
    poller.poll_once()
    streams.add()
    streams.add()
    streams.expire = True  # e.g. a local region stopped for more than 15 minutes

    poller.poll_once()  # the expired iterator is replaced
    poller.poll_once()

    assert handed == ["1", "2", "3"]
    assert streams.requested[-1] == {
        "ShardId": "s1",
        "ShardIteratorType": "AFTER_SEQUENCE_NUMBER",
        "SequenceNumber": "1",
    }


def test_a_paused_poller_reads_nothing_and_catches_up_when_resumed() -> None:
    streams = ExpiringStreams()
    handed: list[str] = []
    poller = StreamPoller(streams, "arn:stream", recording(handed), region="us-west-2")

    with poller.running(interval=0.01):
        poller.pause()
        streams.add()
        time.sleep(0.1)
        assert handed == []
        poller.resume()
        deadline = time.monotonic() + 5
        while not handed and time.monotonic() < deadline:
            time.sleep(0.01)

    assert handed == ["1"]

"""A stream outage is logged twice (when it starts, when it ends), not once per poll."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from local_api.event_pipeline import StreamPoller


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

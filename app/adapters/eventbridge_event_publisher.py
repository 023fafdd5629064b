"""The EventPublisher port on Amazon EventBridge: ``PutEvents`` on one custom bus.

Events go out in requests of at most 10 entries and 256 KB (EventBridge's limits, with entry sizes
computed the way EventBridge documents). ``PutEvents`` is not all-or-nothing: each entry succeeds
or fails on its own, so the entries that failed (and only those) are sent again, a bounded number
of times with a short backoff; whatever still fails is reported back by ``eventId`` so the caller
retries exactly the changes that were not delivered.
"""

from __future__ import annotations

import dataclasses
import json
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any, Protocol

from botocore.exceptions import BotoCoreError, ClientError

from app.domain import events

MAX_ENTRIES_PER_REQUEST = 10
MAX_REQUEST_BYTES = 256 * 1024
# An entry's Time counts as 14 bytes in EventBridge's size formula whether or not it is set.
_TIME_BYTES = 14
DEFAULT_ATTEMPTS = 3


class PutEventsClient(Protocol):
    """The one call this adapter makes (a botocore ``events`` client, or a local stand-in)."""

    def put_events(self, *, Entries: Sequence[Mapping[str, Any]]) -> Mapping[str, Any]:
        """EventBridge ``PutEvents``."""


def to_entry(event: events.ProductEvent, bus_name: str, source: str) -> dict[str, Any]:
    """The ``PutEvents`` entry for ``event``: class name as detail-type, fields as detail.

    No ``Time``: EventBridge then stamps the event with the time it received it, so the
    envelope's ``time`` says when this region's pipeline published it (it differs between
    regions and on a redelivery); when the change was made is ``detail.occurredAt``.
    """
    return {
        "EventBusName": bus_name,
        "Source": source,
        "DetailType": events.detail_type(event),
        "Detail": json.dumps(dataclasses.asdict(event), separators=(",", ":")),
        "Resources": [],
    }


def entry_size(entry: Mapping[str, Any]) -> int:
    """The size EventBridge counts against its 256 KB limit (UTF-8 bytes of the text fields)."""
    size = _TIME_BYTES
    for field in ("Source", "DetailType", "Detail"):
        size += len(str(entry.get(field, "")).encode("utf-8"))
    size += sum(len(resource.encode("utf-8")) for resource in entry.get("Resources", []))
    return size


def batches(
    entries: Sequence[tuple[str, dict[str, Any]]],
) -> Iterator[list[tuple[str, dict[str, Any]]]]:
    """Consecutive groups of (eventId, entry) within both request limits, in the given order."""
    batch: list[tuple[str, dict[str, Any]]] = []
    batch_bytes = 0
    for item in entries:
        size = entry_size(item[1])
        if batch and (
            len(batch) == MAX_ENTRIES_PER_REQUEST or batch_bytes + size > MAX_REQUEST_BYTES
        ):
            yield batch
            batch, batch_bytes = [], 0
        batch.append(item)
        batch_bytes += size
    if batch:
        yield batch


class EventBridgeEventPublisher:
    """Publishes domain events to one EventBridge bus with a fixed ``source``."""

    def __init__(
        self,
        client: PutEventsClient,
        bus_name: str,
        source: str,
        *,
        attempts: int = DEFAULT_ATTEMPTS,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._client = client
        self._bus_name = bus_name
        self._source = source
        self._attempts = attempts
        self._sleep = sleep

    def publish(self, events_to_publish: Sequence[events.ProductEvent]) -> set[str]:
        """Send every event; return the eventIds that could not be delivered after retries."""
        pending = [
            (event.eventId, to_entry(event, self._bus_name, self._source))
            for event in events_to_publish
        ]
        undelivered: set[str] = set()
        for item in pending:
            if entry_size(item[1]) > MAX_REQUEST_BYTES:
                undelivered.add(item[0])  # can never fit; retrying would not help
        pending = [item for item in pending if item[0] not in undelivered]
        for attempt in range(self._attempts):
            if not pending:
                break
            if attempt:
                self._sleep(0.1 * 2**attempt)  # let a throttled bus recover
            failed: list[tuple[str, dict[str, Any]]] = []
            for batch in batches(pending):
                failed.extend(self._put(batch))
            pending = failed
        return undelivered | {event_id for event_id, _ in pending}

    def _put(self, batch: list[tuple[str, dict[str, Any]]]) -> list[tuple[str, dict[str, Any]]]:
        """One PutEvents request; the (eventId, entry) pairs that failed."""
        try:
            response = self._client.put_events(Entries=[entry for _, entry in batch])
        except (ClientError, BotoCoreError):
            # The SDK already retried throttling and network errors; treat the request as failed.
            return batch
        results = response.get("Entries", [])
        if len(results) != len(batch):  # never expected; do not guess which ones went through
            return batch
        return [
            item
            for item, result in zip(batch, results)
            if "EventId" not in result or result.get("ErrorCode")
        ]

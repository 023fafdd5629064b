"""A stand-in for the EventBridge bus on a laptop: answers ``PutEvents`` like EventBridge, prints
each event as one JSON line and keeps it for ``GET /_local/events`` in the shape EventBridge
delivers to a rule's target."""

from __future__ import annotations

import collections
import json
import threading
import uuid
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timezone
from typing import Any

from local_api.local_account import ACCOUNT_ID

MAX_KEPT_EVENTS = 10_000  # a long local session must not grow without bound; the oldest go first


class LocalEventBus:
    """Answers ``PutEvents`` like an EventBridge bus with one catch-all rule: every accepted
    entry becomes the event EventBridge would deliver (version, id, detail-type, source,
    account, time, region, resources, detail)."""

    def __init__(self, region: str, *, echo: Callable[[str], None] | None = None) -> None:
        self._region = region
        self._echo = echo
        self._events: collections.deque[dict[str, Any]] = collections.deque(maxlen=MAX_KEPT_EVENTS)
        self._lock = threading.Lock()

    def put_events(self, *, Entries: Sequence[Mapping[str, Any]]) -> Mapping[str, Any]:
        """EventBridge ``PutEvents``: accept every entry, give it a fresh id, deliver it."""
        results = []
        for entry in Entries:
            event = self._delivered(entry)
            with self._lock:
                self._events.append(event)
            if self._echo is not None:
                self._echo(json.dumps(event, separators=(",", ":")))
            results.append({"EventId": event["id"]})
        return {"FailedEntryCount": 0, "Entries": results}

    def events(self) -> list[dict[str, Any]]:
        """What the bus delivered, oldest first."""
        with self._lock:
            return list(self._events)

    def _delivered(self, entry: Mapping[str, Any]) -> dict[str, Any]:
        moment = entry.get("Time") or datetime.now(timezone.utc)
        return {
            "version": "0",
            "id": str(uuid.uuid4()),  # EventBridge assigns a new id on every PutEvents
            "detail-type": entry["DetailType"],
            "source": entry["Source"],
            "account": ACCOUNT_ID,
            "time": moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "region": self._region,
            "resources": list(entry.get("Resources", [])),
            "detail": json.loads(entry["Detail"]),
        }


def events_page_body(bus: LocalEventBus) -> bytes:
    """The body of ``GET /_local/events``: ``{"events": [...]}``, oldest first."""
    return json.dumps({"events": bus.events()}).encode()

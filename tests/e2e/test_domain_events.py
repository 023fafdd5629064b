"""Domain events end to end: signed CRUD calls to `python -m local_api`, then GET /_local/events."""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

from tests.e2e.conftest import LocalApi
from tests.support.signed_http import send

ENVELOPE_KEYS = {
    "version",
    "id",
    "detail-type",
    "source",
    "account",
    "time",
    "region",
    "resources",
    "detail",
}


def events_of(local_api: LocalApi, product_id: str, count: int, timeout: float = 5) -> list[Any]:
    """The published events of one product once ``count`` arrived (or what arrived by then)."""
    deadline = time.monotonic() + timeout
    while True:
        result = send("GET", local_api.url + "/_local/events")  # unsigned: a local-only page
        assert result.status == 200, result.body
        assert result.header("Content-Type") == "application/json"
        found = [e for e in result.json()["events"] if e["detail"]["productId"] == product_id]
        if len(found) >= count or time.monotonic() > deadline:
            return found
        time.sleep(0.1)


def test_crud_calls_publish_their_events_in_order_within_seconds(local_api: LocalApi) -> None:
    product = local_api.create("Lamp", "Warm light")
    pid = product["id"]
    assert local_api.call("PUT", f"/products/{pid}", json_body={"name": "Desk lamp"}).status == 200
    cleared = local_api.call(
        "PUT", f"/products/{pid}", json_body={"description": None}, headers={"If-Match": '"2"'}
    )
    assert cleared.status == 200
    assert local_api.call("DELETE", f"/products/{pid}").status == 204
    deleted_at = time.monotonic()

    published = events_of(local_api, pid, 4)

    assert time.monotonic() - deleted_at < 5  # "within a few seconds" of the last call
    assert [(e["detail-type"], e["detail"]["version"]) for e in published] == [
        ("ProductCreated", 1),
        ("ProductUpdated", 2),
        ("ProductUpdated", 3),
        ("ProductDeleted", 3),
    ]
    assert all(set(e) == ENVELOPE_KEYS for e in published)
    assert {e["source"] for e in published} == {"products-api"}
    assert published[0]["detail"]["product"] == product
    assert [e["detail"].get("changedFields") for e in published] == [
        None,
        ["name"],
        ["description"],
        None,
    ]
    assert published[3]["detail"]["product"]["description"] is None
    log_lines = [
        json.loads(line)
        for line in local_api.log_path.read_text().splitlines()
        if line.startswith('{"version":"0"')
    ]
    assert [e["id"] for e in log_lines if e["detail"]["productId"] == pid] == [
        e["id"] for e in published
    ]


def test_rejected_writes_publish_nothing(local_api: LocalApi) -> None:
    product = local_api.create("Chair")
    pid = product["id"]
    bad = local_api.call("PUT", f"/products/{pid}", json_body={"name": ""})
    stale = local_api.call(
        "PUT", f"/products/{pid}", json_body={"name": "X"}, headers={"If-Match": '"9"'}
    )
    stale_delete = local_api.call("DELETE", f"/products/{pid}", headers={"If-Match": '"9"'})
    unknown = str(uuid.uuid4())
    missing = local_api.call("PUT", f"/products/{unknown}", json_body={"name": "X"})
    invalid_create = local_api.call("POST", "/products", json_body={"name": 5})
    assert [
        bad.status,
        stale.status,
        stale_delete.status,
        missing.status,
        invalid_create.status,
    ] == [
        400,
        412,
        412,
        404,
        400,
    ]
    # A later accepted change proves the stream was read past the rejected ones.
    assert local_api.call("DELETE", f"/products/{pid}").status == 204

    published = events_of(local_api, pid, 2)

    assert [e["detail-type"] for e in published] == ["ProductCreated", "ProductDeleted"]
    assert events_of(local_api, unknown, 1, timeout=0) == []


def test_a_product_deleted_and_created_again_with_its_key_gets_new_event_ids(
    local_api: LocalApi,
) -> None:
    key = {"Idempotency-Key": f"e2e-{uuid.uuid4()}"}
    first = local_api.call("POST", "/products", json_body={"name": "Lamp"}, headers=key)
    pid = first.json()["id"]
    assert local_api.call("DELETE", f"/products/{pid}").status == 204
    again = local_api.call("POST", "/products", json_body={"name": "Lamp"}, headers=key)
    assert (first.status, again.status) == (201, 201)
    assert again.json()["id"] == pid and again.json()["version"] == 1

    published = events_of(local_api, pid, 3)

    assert [(e["detail-type"], e["detail"]["version"]) for e in published] == [
        ("ProductCreated", 1),
        ("ProductDeleted", 1),
        ("ProductCreated", 1),
    ]
    ids = [e["detail"]["eventId"] for e in published]
    assert len(set(ids)) == 3  # a deduplicating consumer keeps the second creation

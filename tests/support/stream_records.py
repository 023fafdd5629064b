"""DynamoDB Streams records shaped exactly as Lambda delivers them (NEW_AND_OLD_IMAGES)."""

from __future__ import annotations

import itertools
from typing import Any

TABLE_STREAM_ARN = (
    "arn:aws:dynamodb:us-east-1:123456789012:table/products/stream/2026-11-24T10:00:00.000"
)
_SEQUENCE = itertools.count(100000000000000000001)
# The API request that created the items below (what the adapter stores as createRequestId).
CREATE_REQUEST_ID = "c6f1e3a2-8d4b-4f7e-9a1c-3b5d7e9f0a12"


def item(
    product_id: str,
    name: str,
    *,
    description: str | None = None,
    version: int = 1,
    created: str = "2026-11-24T10:00:00.000Z",
    updated: str | None = None,
    created_by: str | None = CREATE_REQUEST_ID,
    **extra: dict[str, Any],
) -> dict[str, Any]:
    """A product item in DynamoDB JSON, as the adapter stores it (plus any ``extra`` attributes).

    ``created_by`` is its ``createRequestId`` (None: an item written before it was stored)."""
    image: dict[str, Any] = {
        "id": {"S": product_id},
        "name": {"S": name},
        "createDate": {"S": created},
        "lastUpdateDate": {"S": updated or created},
        "version": {"N": str(version)},
        **extra,
    }
    if created_by is not None:
        image["createRequestId"] = {"S": created_by}
    if description is not None:
        image["description"] = {"S": description}
    return image


def record(
    event_name: str,
    *,
    old: dict[str, Any] | None = None,
    new: dict[str, Any] | None = None,
    at: float = 1795514400,
    event_id: str | None = None,
) -> dict[str, Any]:
    """One stream record of an INSERT, MODIFY or REMOVE, with the images it carries."""
    image = new or old
    assert image is not None
    sequence = str(next(_SEQUENCE))
    change: dict[str, Any] = {
        "ApproximateCreationDateTime": at,
        "Keys": {"id": image["id"]},
        "SequenceNumber": sequence,
        "SizeBytes": 180,
        "StreamViewType": "NEW_AND_OLD_IMAGES",
    }
    if old is not None:
        change["OldImage"] = old
    if new is not None:
        change["NewImage"] = new
    return {
        "eventID": event_id or f"e{sequence[-12:]}",
        "eventName": event_name,
        "eventVersion": "1.1",
        "eventSource": "aws:dynamodb",
        "awsRegion": "us-east-1",
        "dynamodb": change,
        "eventSourceARN": TABLE_STREAM_ARN,
    }

"""Composition root and Lambda entry point of the events pipeline:
``app.entrypoints.stream.handler.handler``, fed by the table's DynamoDB stream.

Each stream record becomes at most one domain event (:func:`app.domain.events.event_for_change`);
the batch's events are published together (so ``PutEvents`` carries up to 10 at a time), and the
response names, in Lambda's documented partial-batch format (``ReportBatchItemFailures``), only
the records whose event could not be delivered or that could not be read at all. Powertools'
batch processor is not used: it handles one record at a time, while publishing needs the whole
batch first. Lambda then retries from the
first of those, so a change is published at least once and never skipped.

Like the API's handler module, the object graph is built once per container on the first call.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable
from typing import Any, cast

import botocore.config
import botocore.session
from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

from app import contract
from app.adapters.dynamodb_items import stored_from_item
from app.adapters.eventbridge_event_publisher import EventBridgeEventPublisher
from app.domain import events
from app.domain.model import StoredProduct
from app.domain.ports import EventPublisher
from app.entrypoints.standard_output import CURRENT_STDOUT

StreamHandler = Callable[[dict[str, Any], LambdaContext], dict[str, Any]]


def event_of_record(record: dict[str, Any]) -> events.ProductEvent | None:
    """The domain event for one DynamoDB Streams record (as Lambda delivers it), if any.

    The images are read as stored products: the public fields, and the request that created the
    product (its ``createRequestId``, which the event id is derived from; a delete's old image
    has it too). Nothing else the store keeps reaches consumers, and a rewrite that changes only
    such attributes yields no event. Nothing else of the record is read (not its time, which
    every region's stream stamps on its own), so every region publishes the same event.
    """
    change = record["dynamodb"]
    before = _product(change.get("OldImage"))
    after = _product(change.get("NewImage"))
    return events.event_for_change(before, after)


def _product(image: dict[str, Any] | None) -> StoredProduct | None:
    return stored_from_item(image) if image else None


def build_handler(
    publisher: EventPublisher, *, service_name: str = contract.SERVICE_NAME
) -> StreamHandler:
    """A Lambda handler that publishes the events of a stream batch through ``publisher``."""
    logger = Logger(service=service_name, stream=CURRENT_STDOUT)

    @logger.inject_lambda_context(log_event=False)
    def handle(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
        records: list[dict[str, Any]] = event.get("Records", [])
        failed: list[dict[str, Any]] = []  # records that could not be read, in stream order
        record_events: list[tuple[dict[str, Any], events.ProductEvent]] = []
        for record in records:
            try:
                product_event = event_of_record(record)
            except (KeyError, TypeError, ValueError):
                # Logged without the images: they hold product data.
                logger.exception(
                    "unreadable stream record", extra={"stream_event_id": record.get("eventID")}
                )
                failed.append(record)
                continue
            if product_event is not None:
                record_events.append((record, product_event))
        # One publish for the whole batch: PutEvents takes up to 10 entries per request.
        undelivered = (
            publisher.publish([product_event for _, product_event in record_events])
            if record_events
            else set()
        )
        failed += [record for record, event_ in record_events if event_.eventId in undelivered]
        logger.info(
            "stream batch handled",
            extra={
                "records": len(records),
                "events": len(record_events),
                "failed_records": len(failed),
            },
        )
        return batch_response(failed)

    return cast(StreamHandler, handle)


def batch_response(failed: list[dict[str, Any]]) -> dict[str, Any]:
    """The documented partial-batch answer (``ReportBatchItemFailures``) naming ``failed``.

    For a stream, each failure is identified by its record's sequence number; Lambda retries the
    batch from the lowest one, so nothing after a failure is skipped. Even a batch where every
    record failed is answered this way (not raised): Lambda bisects and retries it the same way,
    and the function's error metric stays about bugs. A record without a sequence number is
    named by an empty identifier, which Lambda treats as the whole batch failing (retried).
    """
    return {
        "batchItemFailures": [
            {"itemIdentifier": str((record.get("dynamodb") or {}).get("SequenceNumber") or "")}
            for record in failed
        ]
    }


def create_events_client() -> Any:
    """The container's one EventBridge client (botocore directly: boto3 only adds import time)."""
    config = botocore.config.Config(
        connect_timeout=2, read_timeout=5, retries={"mode": "standard", "total_max_attempts": 4}
    )
    return botocore.session.get_session().create_client("events", config=config)


@functools.cache
def build_handler_from_environment() -> StreamHandler:
    """The production object graph (built once per container), configured by the environment."""
    bus_name = os.environ.get(contract.ENV_EVENT_BUS_NAME, "")
    if not bus_name:
        raise RuntimeError(
            f"Invalid function configuration: {contract.ENV_EVENT_BUS_NAME} is not set"
        )
    publisher = EventBridgeEventPublisher(create_events_client(), bus_name, contract.EVENT_SOURCE)
    return build_handler(
        publisher, service_name=os.environ.get("POWERTOOLS_SERVICE_NAME", contract.SERVICE_NAME)
    )


def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """The Lambda entry point: builds the object graph on the first call, then reuses it."""
    return build_handler_from_environment()(event, context)

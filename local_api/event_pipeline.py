"""The events pipeline on a laptop: the table's DynamoDB stream -> the real stream handler -> a
stand-in for the EventBridge bus.

A :class:`~local_api.stream_poller.StreamPoller` plays Lambda's event source mapping: it reads
the table's stream and hands the records, shaped as Lambda delivers them, to the same handler the
stack deploys (``app.entrypoints.stream.handler.build_handler``).
That handler publishes through the real EventBridge adapter to the stand-in bus of
``local_api/local_event_bus.py``.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from app import contract
from local_api.local_event_bus import LocalEventBus
from local_api.storage import error_code
from local_api.stream_poller import StreamPoller

LOCAL_BUS_NAME = f"{contract.SERVICE_NAME}-local-events"  # entries name it; nothing checks it
# Both functions run in this one process, and Powertools' Loggers of one service share their keys:
# under the API's service name the stream handler would log with the API request's correlation
# id, and the API's warnings with the stream function's name. Deployed, each has its own process.
STREAM_SERVICE_NAME = f"{contract.SERVICE_NAME}-stream"
NEW_AND_OLD_IMAGES = "NEW_AND_OLD_IMAGES"


class StreamUnavailable(RuntimeError):
    """The table has no usable stream (and may not be given one); the message says why."""


def enable_stream(client: Any, table_name: str, *, may_change_table: bool) -> str:
    """The ARN of the table's NEW_AND_OLD_IMAGES stream, switching it on if allowed."""
    table = client.describe_table(TableName=table_name)["Table"]
    spec = table.get("StreamSpecification") or {}
    if spec.get("StreamEnabled"):
        if spec.get("StreamViewType") != NEW_AND_OLD_IMAGES:
            raise StreamUnavailable(
                f"table {table_name!r} streams {spec.get('StreamViewType')}, events need"
                f" {NEW_AND_OLD_IMAGES}"
            )
        return str(table["LatestStreamArn"])
    if not may_change_table:
        raise StreamUnavailable(f"table {table_name!r} has no stream (deploy the stack's table)")
    from botocore.exceptions import ClientError

    try:
        client.update_table(
            TableName=table_name,
            StreamSpecification={"StreamEnabled": True, "StreamViewType": NEW_AND_OLD_IMAGES},
        )
    except ClientError as error:
        # Another local server switched it on meanwhile (or is still doing so): use that one.
        if error_code(error) not in ("ValidationException", "ResourceInUseException"):
            raise
    client.get_waiter("table_exists").wait(
        TableName=table_name, WaiterConfig={"Delay": 1, "MaxAttempts": 30}
    )
    table = client.describe_table(TableName=table_name)["Table"]
    if not (table.get("StreamSpecification") or {}).get("StreamEnabled"):
        raise StreamUnavailable(f"table {table_name!r}: the stream could not be switched on")
    return str(table["LatestStreamArn"])


def build_pipeline(
    dynamodb_client: Any,
    streams_client: Any,
    table_name: str,
    region: str,
    *,
    may_change_table: bool,
    lock: threading.Lock | None = None,
    echo: Callable[[str], None] | None = None,
) -> tuple[StreamPoller, LocalEventBus]:
    """The table's stream wired to the deployed stream handler and a local bus of ``region``."""
    from app.adapters.eventbridge_event_publisher import EventBridgeEventPublisher
    from app.entrypoints.stream.handler import build_handler

    stream_arn = enable_stream(dynamodb_client, table_name, may_change_table=may_change_table)
    bus = LocalEventBus(region, echo=echo)
    publisher = EventBridgeEventPublisher(bus, LOCAL_BUS_NAME, contract.EVENT_SOURCE)
    handler = build_handler(publisher, service_name=STREAM_SERVICE_NAME)
    poller = StreamPoller(streams_client, stream_arn, handler, region=region, lock=lock)
    return poller, bus


def local_pipeline(
    endpoint_url: str | None,
    table_name: str,
    region: str,
    *,
    store_region: str | None = None,
    lock: threading.Lock | None = None,
    echo: Callable[[str], None] | None = None,
) -> tuple[StreamPoller, LocalEventBus]:
    """:func:`build_pipeline` on the local API's DynamoDB (embedded moto when no endpoint), for
    the bus of ``region``; the table is read in ``store_region`` (default: ``region``), the one
    region of the store that local regions share.

    A real AWS table is only read, never given a stream: that is the stack's job."""
    import boto3

    from local_api.storage import is_aws_endpoint

    table_region = store_region or region
    may_change = endpoint_url is None or not is_aws_endpoint(endpoint_url)
    dynamodb = boto3.client("dynamodb", region_name=table_region, endpoint_url=endpoint_url)
    streams_endpoint = endpoint_url
    if endpoint_url is None:
        # botocore sends stream calls to an account-based host (<account>.streams-ddb...), which
        # moto does not serve; its classic regional host is the one moto answers.
        streams_endpoint = f"https://streams.dynamodb.{table_region}.amazonaws.com"
    elif may_change is False:
        streams_endpoint = None  # real AWS: botocore's own choice of streams endpoint
    streams = boto3.client(
        "dynamodbstreams", region_name=table_region, endpoint_url=streams_endpoint
    )
    return build_pipeline(
        dynamodb, streams, table_name, region, may_change_table=may_change, lock=lock, echo=echo
    )

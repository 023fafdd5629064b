"""The events pipeline on a laptop: the table's DynamoDB stream -> the real stream handler -> a
stand-in for the EventBridge bus.

:class:`StreamPoller` plays Lambda's event source mapping: it reads the table's stream (moto and
DynamoDB Local both implement DynamoDB Streams) and hands the records, shaped as Lambda delivers
them, to the same handler the stack deploys (``app.entrypoints.stream.handler.build_handler``).
That handler publishes through the real EventBridge adapter to the stand-in bus of
``local_api/local_event_bus.py``.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

from app import contract
from local_api.lambda_context import LambdaContext
from local_api.local_event_bus import LocalEventBus

logger = logging.getLogger("local_api")

LOCAL_BUS_NAME = f"{contract.SERVICE_NAME}-local-events"  # entries name it; nothing checks it
STREAM_FUNCTION_NAME = "products-api-stream-local"
# Both functions run in this one process, and Powertools' Loggers of one service share their keys:
# under the API's service name the stream handler would log with the API request's correlation
# id, and the API's warnings with the stream function's name. Deployed, each has its own process.
STREAM_SERVICE_NAME = f"{contract.SERVICE_NAME}-stream"
POLL_SECONDS = 0.25
NEW_AND_OLD_IMAGES = "NEW_AND_OLD_IMAGES"
StreamHandler = Callable[[dict[str, Any], Any], dict[str, Any]]


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
        code = error.response.get("Error", {}).get("Code")
        if code not in ("ValidationException", "ResourceInUseException"):
            raise
    client.get_waiter("table_exists").wait(
        TableName=table_name, WaiterConfig={"Delay": 1, "MaxAttempts": 30}
    )
    table = client.describe_table(TableName=table_name)["Table"]
    if not (table.get("StreamSpecification") or {}).get("StreamEnabled"):
        raise StreamUnavailable(f"table {table_name!r}: the stream could not be switched on")
    return str(table["LatestStreamArn"])


def lambda_record(record: dict[str, Any], stream_arn: str) -> dict[str, Any]:
    """A ``GetRecords`` record as Lambda's event source mapping delivers it."""
    change = dict(record["dynamodb"])
    created = change.get("ApproximateCreationDateTime")
    if isinstance(created, datetime):  # the SDK parses it; Lambda sends epoch seconds
        change["ApproximateCreationDateTime"] = created.timestamp()
    return {
        "eventID": record["eventID"],
        "eventName": record["eventName"],
        "eventVersion": record.get("eventVersion", "1.1"),
        "eventSource": record.get("eventSource", "aws:dynamodb"),
        "awsRegion": record.get("awsRegion"),
        "dynamodb": change,
        "eventSourceARN": stream_arn,
    }


class StreamPoller:
    """Reads a DynamoDB stream and invokes ``handler`` with each non-empty batch, in order.

    Shards open at start-up are read from their end (LATEST: changes from before this run are
    not replayed); shards that appear later are read from their start. ``lock`` serialises the
    stream reads and the handler with the API's invocations (moto's backend is not thread-safe).
    """

    def __init__(
        self,
        streams_client: Any,
        stream_arn: str,
        handler: StreamHandler,
        *,
        region: str,
        lock: threading.Lock | None = None,
        batch_size: int = 100,
    ) -> None:
        self._client = streams_client
        self._region = region
        self._arn = stream_arn
        self._handler = handler
        self._lock = lock or threading.Lock()
        self._batch_size = batch_size
        self._iterators: dict[str, str] = {}
        self._finished: set[str] = set()
        self._stop = threading.Event()
        self._reading = threading.Event()  # cleared while paused (a stopped local region)
        self._reading.set()
        self._thread: threading.Thread | None = None
        self._failed_reads = 0  # consecutive, while the stream (or its DynamoDB) is unreachable
        self._discover(initial=True)

    def poll_once(self) -> int:
        """Read every shard once and hand what was found to the handler; the record count."""
        self._discover(initial=False)
        delivered = 0
        for shard_id in list(self._iterators):
            with self._lock:
                response = self._client.get_records(
                    ShardIterator=self._iterators[shard_id], Limit=self._batch_size
                )
                records = [lambda_record(r, self._arn) for r in response.get("Records", [])]
                if records:
                    self._invoke(records)
            delivered += len(records)
            next_iterator = response.get("NextShardIterator")
            if next_iterator:
                self._iterators[shard_id] = next_iterator
            else:  # a closed shard, read to its end
                del self._iterators[shard_id]
                self._finished.add(shard_id)
        return delivered

    def _invoke(self, records: list[dict[str, Any]]) -> None:
        try:
            context = LambdaContext(STREAM_FUNCTION_NAME, 60, 1769, self._region)
            response = self._handler({"Records": records}, context)
        except Exception:  # Lambda would retry and then use the on-failure destination
            logger.exception("the stream handler raised; %d records dropped locally", len(records))
            return
        failures = response.get("batchItemFailures") or []
        if failures:
            # Lambda would retry these and then send them to the on-failure queue; locally we
            # only say so, rather than block the stream.
            logger.error(
                "stream records not delivered: %s", [f["itemIdentifier"] for f in failures]
            )

    def _discover(self, *, initial: bool) -> None:
        with self._lock:
            shards = self._client.describe_stream(StreamArn=self._arn)["StreamDescription"][
                "Shards"
            ]
            for shard in shards:
                shard_id = shard["ShardId"]
                if shard_id in self._iterators or shard_id in self._finished:
                    continue
                closed = "EndingSequenceNumber" in shard.get("SequenceNumberRange", {})
                if initial and closed:
                    self._finished.add(shard_id)  # history from before this run
                    continue
                self._iterators[shard_id] = self._client.get_shard_iterator(
                    StreamArn=self._arn,
                    ShardId=shard_id,
                    ShardIteratorType="LATEST" if initial else "TRIM_HORIZON",
                )["ShardIterator"]

    @contextlib.contextmanager
    def running(self, interval: float = POLL_SECONDS) -> Iterator[StreamPoller]:
        """Poll in a background thread for the duration of the ``with`` block."""
        self._thread = threading.Thread(
            target=self._loop, args=(interval,), name="stream-poller", daemon=True
        )
        self._thread.start()
        try:
            yield self
        finally:
            self._stop.set()
            self._thread.join(timeout=5)

    def pause(self) -> None:
        """Stop reading (the shard positions are kept), like a region whose pipeline is down."""
        self._reading.clear()

    def resume(self) -> None:
        """Read again from where the poller stopped: what it missed is delivered now."""
        self._reading.set()

    def _loop(self, interval: float) -> None:
        while not self._stop.is_set():
            if self._reading.is_set():
                self.poll_once_reporting_outages()
            self._stop.wait(interval)

    def poll_once_reporting_outages(self) -> None:
        """:meth:`poll_once`, keeping the pipeline alive across an outage of the stream's
        DynamoDB: one warning when reads start failing, one line when they work again (with how
        many failed), instead of a traceback four times a second."""
        try:
            self.poll_once()
        except Exception as error:  # any failure: the poller must outlive it
            self._failed_reads += 1
            if self._failed_reads == 1:
                logger.warning(
                    "reading the table's stream failed (%s: %s); retrying every %.2f s quietly",
                    type(error).__name__,
                    error,
                    POLL_SECONDS,
                )
            return
        if self._failed_reads:
            logger.warning(
                "reading the table's stream works again, after %d failed reads", self._failed_reads
            )
            self._failed_reads = 0


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

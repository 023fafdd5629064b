"""Lambda's event source mapping on a laptop: :class:`StreamPoller` reads a DynamoDB stream
(moto and DynamoDB Local both implement DynamoDB Streams) and hands each batch of records, shaped
as Lambda delivers them, to a stream handler, in order; it can pause and resume (a stopped local
region) and goes on after an expired shard iterator from where it was."""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

from local_api.lambda_context import LambdaContext
from local_api.storage import error_code

logger = logging.getLogger("local_api")

STREAM_FUNCTION_NAME = "products-api-stream-local"
POLL_SECONDS = 0.25
StreamHandler = Callable[[dict[str, Any], Any], dict[str, Any]]
# DynamoDB Streams' error for an iterator older than 15 minutes.
EXPIRED_ITERATOR = "ExpiredIteratorException"


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
        # Where each shard was first read from, and the last record handed on: enough to go on
        # from there when an iterator expired (DynamoDB's last 15 minutes), e.g. after a pause.
        self._start_types: dict[str, str] = {}
        self._last_sequence: dict[str, str] = {}
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
                try:
                    response = self._client.get_records(
                        ShardIterator=self._iterators[shard_id], Limit=self._batch_size
                    )
                except Exception as error:
                    if error_code(error) != EXPIRED_ITERATOR:
                        raise
                    self._iterators[shard_id] = self._iterator_after_last_record(shard_id)
                    continue
                records = [lambda_record(r, self._arn) for r in response.get("Records", [])]
                if records:
                    self._invoke(records)
                    self._last_sequence[shard_id] = records[-1]["dynamodb"]["SequenceNumber"]
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
                self._start_types[shard_id] = "LATEST" if initial else "TRIM_HORIZON"
                self._iterators[shard_id] = self._client.get_shard_iterator(
                    StreamArn=self._arn,
                    ShardId=shard_id,
                    ShardIteratorType=self._start_types[shard_id],
                )["ShardIterator"]

    def _iterator_after_last_record(self, shard_id: str) -> str:
        """A new iterator for a shard whose iterator expired: just after the last record handed
        on, else (nothing read yet) from where the shard was first read."""
        last = self._last_sequence.get(shard_id)
        position: dict[str, str] = (
            {"ShardIteratorType": "AFTER_SEQUENCE_NUMBER", "SequenceNumber": last}
            if last
            else {"ShardIteratorType": self._start_types[shard_id]}
        )
        logger.info("stream shard %s: iterator expired, reading on from where it was", shard_id)
        iterator: str = self._client.get_shard_iterator(
            StreamArn=self._arn, ShardId=shard_id, **position
        )["ShardIterator"]
        return iterator

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

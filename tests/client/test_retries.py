"""The client retries throttling, 502, 503, 504 and connection errors with capped backoff, never
repeats a write that a repeat could apply twice, and says so."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime

import pytest

from products_client.client import ApiError, ClientError, ProductsClient, RetryPolicy
from tests.client.conftest import Reply, ScriptedServer
from tests.local_api.conftest import CREDENTIALS
from tests.support.ports import free_port

PRODUCT = {"id": "p1", "name": "Lamp", "version": 1}


def client_for(url: str, waits: list[float], attempts: int = 4) -> ProductsClient:
    """A client whose waits are recorded instead of slept."""
    return ProductsClient(
        url,
        credentials=CREDENTIALS,
        timeout=5,
        retry=RetryPolicy(attempts=attempts, base_delay=0.25, max_delay=8.0),
        sleep=waits.append,
    )


def test_throttling_is_retried_with_growing_capped_jittered_waits(scripted: ScriptedServer) -> None:
    scripted.replies = [Reply(429, {"message": "Too Many Requests"})] * 3 + [Reply(200, PRODUCT)]
    waits: list[float] = []

    product = client_for(scripted.url, waits).get("p1")

    assert product == PRODUCT
    assert len(scripted.requests) == 4
    assert len(waits) == 3
    for retry, wait in enumerate(waits, start=1):
        ceiling = min(0.25 * 2 ** (retry - 1), 8.0)
        assert ceiling / 2 <= wait <= ceiling


def test_each_retry_is_signed_afresh(scripted: ScriptedServer) -> None:
    scripted.replies = [Reply(503, {"message": "Service Unavailable"}), Reply(201, PRODUCT)]

    client_for(scripted.url, []).create("Lamp")

    assert [method for method, _, _ in scripted.requests] == ["POST", "POST"]
    assert all("Authorization" in headers for _, _, headers in scripted.requests)


@pytest.mark.parametrize(
    ("retry_after", "expected"),
    [("3", 3.0), ("120", 8.0)],  # honoured, but never longer than the cap
)
def test_503_honours_retry_after_up_to_the_cap(
    scripted: ScriptedServer, retry_after: str, expected: float
) -> None:
    scripted.replies = [
        Reply(503, {"message": "Service Unavailable"}, {"Retry-After": retry_after}),
        Reply(200, PRODUCT),
    ]
    waits: list[float] = []

    client_for(scripted.url, waits).get("p1")

    assert waits == [expected]


def test_retry_after_as_an_http_date_is_honoured(scripted: ScriptedServer) -> None:
    when = datetime.now(timezone.utc) + timedelta(seconds=5)
    scripted.replies = [
        Reply(503, {"message": "busy"}, {"Retry-After": format_datetime(when, usegmt=True)}),
        Reply(200, PRODUCT),
    ]
    waits: list[float] = []

    client_for(scripted.url, waits).get("p1")

    assert len(waits) == 1 and 3.0 <= waits[0] <= 5.0


def test_when_retries_run_out_the_error_says_how_many_attempts_were_made(
    scripted: ScriptedServer,
) -> None:
    scripted.replies = [Reply(503, {"message": "Service Unavailable"}, {"Retry-After": "1"})]
    waits: list[float] = []

    with pytest.raises(ApiError) as error:
        client_for(scripted.url, waits, attempts=3).get("p1")

    assert error.value.status == 503
    assert error.value.attempts == 3
    assert str(error.value) == "HTTP 503: Service Unavailable (gave up after 3 attempts)"
    assert len(scripted.requests) == 3 and waits == [1.0, 1.0]


@pytest.mark.parametrize("status", [400, 403, 404, 409, 412, 422, 500])
def test_other_errors_are_not_retried(scripted: ScriptedServer, status: int) -> None:
    scripted.replies = [Reply(status, {"message": "no"}), Reply(200, PRODUCT)]

    with pytest.raises(ApiError) as error:
        client_for(scripted.url, []).get("p1")

    assert error.value.status == status and error.value.attempts == 1
    assert len(scripted.requests) == 1


@pytest.mark.parametrize("status", [502, 504])
def test_a_read_answered_by_a_failed_integration_is_retried(
    scripted: ScriptedServer, status: int
) -> None:
    scripted.replies = [Reply(status, {"message": "Internal server error"}), Reply(200, PRODUCT)]

    assert client_for(scripted.url, []).get("p1") == PRODUCT
    assert len(scripted.requests) == 2


PID = "3f1c7c7e-4b7a-4e8b-9b1a-0c2d3e4f5a6b"


def test_an_update_answered_503_is_resent_with_its_if_match(scripted: ScriptedServer) -> None:
    # The first attempt may have been applied: the conditional repeat then answers 412.
    scripted.replies = [Reply(503, {"message": "busy"}), Reply(412, {"message": "moved on"})]

    with pytest.raises(ApiError) as error:
        client_for(scripted.url, []).update(PID, name="Lamp", if_match=1)

    assert (error.value.status, error.value.attempts) == (412, 2)
    assert [headers.get("If-Match") for _, _, headers in scripted.requests] == ['"1"', '"1"']


@pytest.mark.parametrize("status", [502, 503, 504])
def test_writes_without_if_match_that_may_have_been_applied_are_not_resent(
    scripted: ScriptedServer, status: int
) -> None:
    scripted.replies = [Reply(status, {"message": "busy"})] * 2 + [Reply(200, PRODUCT)]
    client = client_for(scripted.url, [])

    with pytest.raises(ApiError) as update:
        client.update(PID, name="Lamp")
    with pytest.raises(ApiError) as delete:
        client.delete(PID)

    assert [method for method, _, _ in scripted.requests] == ["PUT", "DELETE"]
    assert (update.value.status, update.value.attempts) == (status, 1)
    assert update.value.note == (
        "not sent again: the PUT may have been applied, and a repeat could apply it twice;"
        " pass the version you read (if_match= / --if-match VERSION) to make it safe to repeat"
    )
    assert str(update.value).endswith("\n  " + update.value.note)
    assert delete.value.note is not None and "the DELETE may have been applied" in delete.value.note


def test_writes_without_if_match_are_resent_after_throttling(scripted: ScriptedServer) -> None:
    # API Gateway throttles before the function runs: nothing was written.
    scripted.replies = [Reply(429, {"message": "Too Many Requests"}), Reply(200, PRODUCT)]

    assert client_for(scripted.url, []).update(PID, name="Lamp") == PRODUCT
    assert [method for method, _, _ in scripted.requests] == ["PUT", "PUT"]


def test_refused_connections_are_retried_then_reported_with_the_attempt_count() -> None:
    waits: list[float] = []
    client = client_for(f"http://127.0.0.1:{free_port()}", waits, attempts=3)

    with pytest.raises(ClientError) as error:
        client.create("Lamp")  # refused: never reached the API, so even a POST is resent

    assert "cannot reach" in str(error.value)
    assert "(gave up after 3 attempts)" in str(error.value)
    assert "make run" in str(error.value)
    assert len(waits) == 2


def test_a_read_that_times_out_is_retried(silent_url: str) -> None:
    waits: list[float] = []
    client = ProductsClient(
        silent_url,
        credentials=CREDENTIALS,
        timeout=0.2,
        retry=RetryPolicy(attempts=2),
        sleep=waits.append,
    )

    with pytest.raises(ClientError, match=r"gave up after 2 attempts"):
        client.list_page()

    assert len(waits) == 1


def test_a_write_that_may_have_been_processed_is_not_resent(silent_url: str) -> None:
    waits: list[float] = []
    client = ProductsClient(
        silent_url,
        credentials=CREDENTIALS,
        timeout=0.2,
        retry=RetryPolicy(attempts=3),
        sleep=waits.append,
    )
    product_id = "3f1c7c7e-4b7a-4e8b-9b1a-0c2d3e4f5a6b"

    with pytest.raises(ClientError, match="cannot reach") as error:
        client.update(product_id, name="Lamp")  # sent, no answer: resending could apply it twice

    assert "gave up" not in str(error.value)
    assert "not sent again: the PUT may have been applied" in str(error.value)
    assert waits == []


@pytest.fixture
def hanging_up_url() -> Iterator[tuple[str, list[str]]]:
    """A server that reads each request, records its Idempotency-Key, then drops the connection."""
    keys: list[str] = []
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        listener.settimeout(0.2)
        stop = threading.Event()

        def serve() -> None:
            while not stop.is_set():
                try:
                    connection, _ = listener.accept()
                except TimeoutError:
                    continue
                with connection:
                    request = connection.recv(65536).decode("latin-1")
                    for line in request.split("\r\n"):
                        name, _, value = line.partition(":")
                        if name.lower() == "idempotency-key":
                            keys.append(value.strip())

        thread = threading.Thread(target=serve, daemon=True)
        thread.start()
        yield f"http://127.0.0.1:{listener.getsockname()[1]}", keys
        stop.set()
        thread.join(timeout=5)


def test_a_create_is_resent_with_the_same_idempotency_key(
    hanging_up_url: tuple[str, list[str]],
) -> None:
    url, keys = hanging_up_url
    waits: list[float] = []
    client = ProductsClient(
        url, credentials=CREDENTIALS, timeout=2, retry=RetryPolicy(attempts=3), sleep=waits.append
    )

    with pytest.raises(ClientError, match=r"gave up after 3 attempts"):
        client.create("Lamp")  # the API would answer each repeat with the first result

    assert len(keys) == 3 and len(set(keys)) == 1  # one key, sent three times
    assert len(waits) == 2

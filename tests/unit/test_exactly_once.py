"""Writes under botocore's own retries, and the per-invocation DynamoDB deadline.

A write DynamoDB applied but whose answer was lost is re-sent by botocore, and the retry's
condition fails. botocore's Stubber plays that retry's answer (the condition failure with the
item as the first attempt left it) through the real handler; the DynamoDB Local fault test in
``tests/integration`` loses a real answer.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, cast

import botocore.config
import botocore.session
import pytest
from aws_lambda_powertools.utilities.typing import LambdaContext
from botocore.stub import Stubber

from app.adapters.dynamodb_product_repository import DynamoDBProductRepository
from app.domain import model
from app.entrypoints.api import handler as handler_module
from tests.support.lambda_api import TABLE_NAME, ApiClient, ApiResponse, assert_error
from tests.support.lambda_context import FakeLambdaContext
from tests.support.rest_events import rest_event

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient

PRODUCT_ID = "3f1c7c7e-4b7a-4e8b-9b1a-0c2d3e4f5a6b"
CONDITION_FAILED = "ConditionalCheckFailedException"


def item(version: int = 1, **extra: str) -> dict[str, Any]:
    """A stored item as DynamoDB returns it with a failed condition (``ALL_OLD``)."""
    stored: dict[str, Any] = {
        "id": {"S": PRODUCT_ID},
        "name": {"S": "Lamp"},
        "createDate": {"S": "2026-11-22T10:00:00.000Z"},
        "lastUpdateDate": {"S": "2026-11-22T10:00:01.000Z"},
        "version": {"N": str(version)},
    }
    stored.update({name: {"S": value} for name, value in extra.items()})
    return stored


@pytest.fixture
def stubbed() -> tuple[ApiClient, Stubber]:
    """The real handler on the adapter over a stubbed client (answers are the retry's)."""
    client = botocore.session.get_session().create_client(
        "dynamodb", config=botocore.config.Config(retries={"max_attempts": 1})
    )
    repository = DynamoDBProductRepository(cast("DynamoDBClient", client), TABLE_NAME)
    api = ApiClient(handler_module.build_handler(repository, new_id=lambda: PRODUCT_ID))
    return api, Stubber(client)


def send_with_condition_failure(
    api: ApiClient,
    stubber: Stubber,
    operation: str,
    event: dict[str, Any],
    old_item: dict[str, Any] | None,
    retry_attempts: int | None = 1,
) -> ApiResponse:
    """Send ``event``; DynamoDB answers its one request with a failed condition (after
    ``retry_attempts`` retries; None: the answer does not say)."""
    stubber.add_client_error(
        operation,
        service_error_code=CONDITION_FAILED,
        response_meta=None if retry_attempts is None else {"RetryAttempts": retry_attempts},
        modeled_fields={"Item": old_item} if old_item is not None else None,
    )
    with stubber:
        response = api.send(event)
    stubber.assert_no_pending_responses()
    return response


def request_id(event: dict[str, Any]) -> str:
    return str(event["requestContext"]["requestId"])


def test_retried_create_that_was_applied_answers_201(stubbed: tuple[ApiClient, Stubber]) -> None:
    api, stubber = stubbed
    event = rest_event("POST", "/products", body={"name": "Lamp"})
    mine = item(createRequestId=request_id(event))
    response = send_with_condition_failure(api, stubber, "put_item", event, mine)
    assert response.status == 201, response.raw_body
    assert response.json["id"] == PRODUCT_ID and "Idempotent-Replayed" not in response.headers
    assert response.headers["Location"] == f"/products/{PRODUCT_ID}"


def test_retried_keyed_create_that_was_applied_is_not_a_replay(
    stubbed: tuple[ApiClient, Stubber],
) -> None:
    api, stubber = stubbed
    event = rest_event("POST", "/products", body={"name": "Lamp"}, headers={"Idempotency-Key": "k"})
    mine = item(
        createRequestId=request_id(event),
        requestFingerprint=model.request_fingerprint({"name": "Lamp"}),
    )
    response = send_with_condition_failure(api, stubber, "put_item", event, mine)
    assert response.status == 201 and "Idempotent-Replayed" not in response.headers


def test_create_meeting_an_item_of_another_request_without_key_is_a_500(
    stubbed: tuple[ApiClient, Stubber],
) -> None:
    # Only a clash of random UUIDs gets here: nothing is overwritten and nothing is pretended.
    api, stubber = stubbed
    event = rest_event("POST", "/products", body={"name": "Lamp"})
    theirs = item(createRequestId="another-request")
    assert_error(send_with_condition_failure(api, stubber, "put_item", event, theirs), "internal")


def test_create_condition_failure_without_old_item_is_not_disguised(
    stubbed: tuple[ApiClient, Stubber], capsys: pytest.CaptureFixture[str]
) -> None:
    api, stubber = stubbed
    event = rest_event("POST", "/products", body={"name": "Lamp"})
    assert_error(send_with_condition_failure(api, stubber, "put_item", event, None), "internal")
    # The operator sees DynamoDB's own error, not a consequence of it.
    logs = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    (error,) = [line for line in logs if line.get("level") == "ERROR"]
    assert error["exception_name"] == CONDITION_FAILED


@pytest.mark.parametrize("if_match", ['"1"', None])
def test_retried_update_that_was_applied_answers_200_once(
    stubbed: tuple[ApiClient, Stubber], if_match: str | None
) -> None:
    # With If-Match the retry would be a false 412; without, a second version bump.
    api, stubber = stubbed
    headers = {"If-Match": if_match} if if_match else {}
    event = rest_event("PUT", f"/products/{PRODUCT_ID}", body={"name": "Lamp"}, headers=headers)
    applied = item(version=2, lastRequestId=request_id(event))
    response = send_with_condition_failure(api, stubber, "update_item", event, applied)
    assert response.status == 200, response.raw_body
    assert response.json["version"] == 2 and response.headers["ETag"] == '"2"'


def test_update_meeting_another_requests_write_is_still_412(
    stubbed: tuple[ApiClient, Stubber],
) -> None:
    api, stubber = stubbed
    event = rest_event(
        "PUT", f"/products/{PRODUCT_ID}", body={"name": "x"}, headers={"If-Match": '"1"'}
    )
    theirs = item(version=2, lastRequestId="another-request")
    response = send_with_condition_failure(api, stubber, "update_item", event, theirs)
    assert_error(response, "stale version", actual=2, expected=1)
    assert response.headers["ETag"] == '"2"'


def test_retried_delete_that_was_applied_answers_204(stubbed: tuple[ApiClient, Stubber]) -> None:
    api, stubber = stubbed
    event = rest_event("DELETE", f"/products/{PRODUCT_ID}", headers={"If-Match": '"1"'})
    response = send_with_condition_failure(api, stubber, "delete_item", event, None)
    assert response.status == 204, response.raw_body


@pytest.mark.parametrize("retry_attempts", [0, None])
def test_delete_of_absent_product_without_retry_is_404(
    stubbed: tuple[ApiClient, Stubber], retry_attempts: int | None
) -> None:
    api, stubber = stubbed
    event = rest_event("DELETE", f"/products/{PRODUCT_ID}")
    response = send_with_condition_failure(api, stubber, "delete_item", event, None, retry_attempts)
    assert_error(response, "not found")


def test_retried_delete_meeting_a_newer_version_is_still_412(
    stubbed: tuple[ApiClient, Stubber],
) -> None:
    api, stubber = stubbed
    event = rest_event("DELETE", f"/products/{PRODUCT_ID}", headers={"If-Match": '"1"'})
    response = send_with_condition_failure(api, stubber, "delete_item", event, item(version=3))
    assert_error(response, "stale version", actual=3, expected=1)
    assert response.headers["ETag"] == '"3"'


# --- Deadlines: answer 503 before Lambda's timeout ----------------------------------------------


class ContextWithTimeLeft(FakeLambdaContext):
    """A Lambda context with a chosen amount of time left."""

    def __init__(self, milliseconds: int) -> None:
        super().__init__()
        self.milliseconds = milliseconds

    def get_remaining_time_in_millis(self) -> int:
        return self.milliseconds


def api_with_time_left(repository: DynamoDBProductRepository, milliseconds: int) -> ApiClient:
    handle = handler_module.build_handler(repository)
    context = cast(LambdaContext, ContextWithTimeLeft(milliseconds))
    return ApiClient(lambda event, _: handle(event, context))


def test_no_attempt_starts_that_could_outlive_the_invocation(
    dynamodb_repository: DynamoDBProductRepository,
) -> None:
    # 1.2 s left: 0.2 s after the answer reserve, less than one attempt's 3 s.
    api = api_with_time_left(dynamodb_repository, 1200)
    response = api.request("POST", "/products", body={"name": "Lamp"})
    assert_error(response, "unavailable")
    assert response.headers["Retry-After"] == "1"
    assert dynamodb_repository.list_page(10, None).products == []  # never sent


@pytest.mark.parametrize(
    "time_left_ms, status",
    [
        # 2.5 s after the answer reserve: less than an attempt's 1 s to connect + 2 s to read.
        pytest.param(3500, 503, id="less than one attempt"),
        # 3.5 s: one whole attempt fits.
        pytest.param(4500, 201, id="one attempt"),
    ],
)
def test_an_attempt_starts_only_if_its_connect_and_read_timeouts_fit(
    dynamodb_repository: DynamoDBProductRepository, time_left_ms: int, status: int
) -> None:
    api = api_with_time_left(dynamodb_repository, time_left_ms)
    response = api.request("POST", "/products", body={"name": "Lamp"})
    assert response.status == status, response.raw_body
    assert len(dynamodb_repository.list_page(10, None).products) == (status == 201)


@pytest.fixture
def silent_endpoint() -> Iterator[str]:
    """A loopback server that accepts connections and never answers (a stalled DynamoDB)."""
    server = socket.create_server(("127.0.0.1", 0))
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.1)
        while not stop.is_set():
            try:
                accepted.append(server.accept()[0])
            except TimeoutError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.getsockname()[1]}"
    stop.set()
    thread.join()
    for connection in accepted:
        connection.close()
    server.close()


@pytest.mark.slow  # seconds, not milliseconds: `make test` runs it, `make test-unit` skips it
def test_stalled_dynamodb_gets_503_before_the_function_times_out(
    monkeypatch: pytest.MonkeyPatch, silent_endpoint: str
) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL_DYNAMODB", silent_endpoint)
    repository = DynamoDBProductRepository(handler_module.create_dynamodb_client(), TABLE_NAME)
    api = api_with_time_left(repository, 4500)
    started = time.monotonic()
    response = api.request("GET", "/products")
    elapsed = time.monotonic() - started
    # Budget 3.5 s: the first attempt (2 s read timeout) runs, a second could not end in time.
    assert_error(response, "unavailable")
    assert response.headers["Retry-After"] == "1"
    assert 2.0 <= elapsed < 4.5


@pytest.mark.parametrize("given", [None, "", 42], ids=["missing", "empty", "not a string"])
def test_a_write_without_an_api_gateway_request_id_gets_one_of_its_own(
    dynamodb_repository: DynamoDBProductRepository,
    moto_dynamodb_client: DynamoDBClient,
    dynamodb_table: str,
    given: object,
) -> None:
    api = ApiClient(handler_module.build_handler(dynamodb_repository, new_id=lambda: PRODUCT_ID))
    event = rest_event("POST", "/products", body={"name": "Lamp"})
    if given is None:
        del event["requestContext"]["requestId"]
    else:
        event["requestContext"]["requestId"] = given
    assert api.send(event).status == 201

    stored = moto_dynamodb_client.get_item(
        TableName=dynamodb_table, Key={"id": {"S": PRODUCT_ID}}, ConsistentRead=True
    )["Item"]
    # A fresh UUID, so that no other request (nor an item without one) can pass for this one.
    assert model.is_product_id(stored["createRequestId"]["S"])

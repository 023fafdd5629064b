"""Writes that meet a write of the same item in another region.

A global table with multi-Region strong consistency refuses a write while another region is
writing the same item, with ``ReplicatedWriteConflictException``. These tests play that answer
through botocore's public ``before-send`` event (a handler's response replaces the HTTP call), so
botocore's own retry logic, as the composition root configures it, decides what follows; the
attempts the handler lets through reach moto's server over loopback HTTP. (moto's in-process mock
is itself a ``before-send`` handler, so it would apply the refused attempts all the same.)
"Another region" is a second API on the same table: with strong consistency every region reads
and conditions on the same latest item.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any, cast

import botocore.config
import botocore.session
import pytest
from botocore.awsrequest import AWSResponse, HTTPHeaders
from botocore.stub import Stubber
from moto.server import ThreadedMotoServer

from app.adapters.dynamodb_product_repository import DynamoDBProductRepository, table_definition
from app.entrypoints.api import handler as handler_module
from tests.support.lambda_api import TABLE_NAME, TEST_ENVIRONMENT, ApiClient, assert_error

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient

CONFLICT = "ReplicatedWriteConflictException"
# botocore's own retry data expects this error with HTTP 409 (its legacy DynamoDB policy).
CONFLICT_STATUS = 409


class _Body:
    """A raw HTTP body botocore can stream."""

    def __init__(self, content: bytes) -> None:
        self._content = content

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self._content


def conflict_answer(url: str) -> AWSResponse:
    """DynamoDB's answer to a write that met another region's write of the same item."""
    body = {
        "__type": f"com.amazonaws.dynamodb.v20120810#{CONFLICT}",
        "message": "One or more items in this request are being modified by a request in "
        "another Region.",
    }
    headers = HTTPHeaders()
    headers["Content-Type"] = "application/x-amz-json-1.0"
    return AWSResponse(url, CONFLICT_STATUS, headers, _Body(json.dumps(body).encode()))


class ConflictingRegion:
    """``before-send`` handler for one operation: answers its first ``conflicts`` attempts with a
    conflict, after running ``meanwhile`` (the other region's write) once; ``attempts`` counts
    every attempt of this API's requests (the other region's own requests pass untouched)."""

    def __init__(self, conflicts: int, meanwhile: Callable[[], object] | None) -> None:
        self.conflicts = conflicts
        self.meanwhile = meanwhile
        self.attempts = 0
        self._other_region_writing = False

    # Any, not AWSResponse | None: botocore's stubs type event handlers as returning None.
    def __call__(self, request: Any, **_: Any) -> Any:
        if self._other_region_writing:
            return None
        self.attempts += 1
        if self.attempts > self.conflicts:
            return None
        if self.meanwhile is not None:
            other_region_write, self.meanwhile = self.meanwhile, None
            self._other_region_writing = True
            try:
                other_region_write()
            finally:
                self._other_region_writing = False
        return conflict_answer(request.url)


Conflicts = Callable[..., ConflictingRegion]


@pytest.fixture(scope="module")
def dynamodb_client() -> Iterator[DynamoDBClient]:
    """The composition root's DynamoDB client (its retry settings) on moto's server."""
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        with pytest.MonkeyPatch.context() as patch:
            for name, value in TEST_ENVIRONMENT.items():
                patch.setenv(name, value)
            patch.setenv("AWS_ENDPOINT_URL_DYNAMODB", f"http://{host}:{port}")
            yield handler_module.create_dynamodb_client()
    finally:
        server.stop()


@pytest.fixture
def table(dynamodb_client: DynamoDBClient) -> Iterator[str]:
    name = f"{TABLE_NAME}-{uuid.uuid4().hex[:12]}"
    dynamodb_client.create_table(**table_definition(name))
    yield name
    dynamodb_client.delete_table(TableName=name)


@pytest.fixture
def conflicts(dynamodb_client: DynamoDBClient) -> Iterator[Conflicts]:
    """Installs :class:`ConflictingRegion` handlers on the client (removed after the test):
    ``conflicts("UpdateItem", times=1, meanwhile=...)``."""
    installed: list[tuple[str, ConflictingRegion]] = []

    def install(
        operation: str, *, times: int, meanwhile: Callable[[], object] | None = None
    ) -> ConflictingRegion:
        handler = ConflictingRegion(times, meanwhile)
        event = f"before-send.dynamodb.{operation}"
        dynamodb_client.meta.events.register_first(event, handler)
        installed.append((event, handler))
        return handler

    yield install
    for event, handler in installed:
        dynamodb_client.meta.events.unregister(event, handler)


@pytest.fixture
def configured_attempts(dynamodb_client: DynamoDBClient) -> int:
    """The attempts per request botocore makes with the composition root's retry settings."""
    config: Any = dynamodb_client.meta.config  # the stubs do not declare the retry settings
    retries: dict[str, Any] = config.retries or {}
    attempts = retries.get("total_max_attempts")
    assert isinstance(attempts, int) and attempts > 1, retries
    return attempts


@pytest.fixture
def store(dynamodb_client: DynamoDBClient, table: str) -> DynamoDBProductRepository:
    """This region's repository: what is stored, read without the API."""
    return DynamoDBProductRepository(dynamodb_client, table)


@pytest.fixture
def region(store: DynamoDBProductRepository) -> ApiClient:
    """The API in this region."""
    return ApiClient(handler_module.build_handler(store))


@pytest.fixture
def other_region(dynamodb_client: DynamoDBClient, table: str) -> ApiClient:
    """The API in another region: its own handler, the same (strongly consistent) table."""
    repository = DynamoDBProductRepository(dynamodb_client, table)
    return ApiClient(handler_module.build_handler(repository))


def _stored(api: ApiClient, product_id: str) -> dict[str, Any]:
    response = api.request("GET", f"/products/{product_id}")
    assert response.status == 200, response.raw_body
    stored: dict[str, Any] = response.json
    return stored


# --- retried within the invocation, applied once --------------------------------------------


def test_a_create_refused_once_for_a_conflict_is_retried_and_stored_once(
    region: ApiClient, store: DynamoDBProductRepository, conflicts: Conflicts
) -> None:
    refusals = conflicts("PutItem", times=1)
    response = region.request("POST", "/products", body={"name": "Lamp"})
    assert response.status == 201, response.raw_body
    assert refusals.attempts == 2
    assert [p.product_id for p in store.list_page(10, None).products] == [response.json["id"]]


def test_an_update_refused_once_for_a_conflict_is_retried_and_applied_once(
    region: ApiClient, conflicts: Conflicts
) -> None:
    created = region.create("Lamp")
    refusals = conflicts("UpdateItem", times=1)
    response = region.request(
        "PUT", f"/products/{created['id']}", body={"name": "Desk lamp"}, headers={"If-Match": '"1"'}
    )
    assert response.status == 200, response.raw_body
    assert refusals.attempts == 2
    stored = _stored(region, created["id"])
    assert (stored["name"], stored["version"]) == ("Desk lamp", 2)


def test_a_delete_refused_once_for_a_conflict_is_retried_and_deletes(
    region: ApiClient, conflicts: Conflicts
) -> None:
    created = region.create("Lamp")
    refusals = conflicts("DeleteItem", times=1)
    response = region.request("DELETE", f"/products/{created['id']}", headers={"If-Match": '"1"'})
    assert response.status == 204, response.raw_body
    assert refusals.attempts == 2
    assert region.request("GET", f"/products/{created['id']}").status == 404


# --- still refused after the last attempt: a busy store, never a 500 --------------------------


@pytest.mark.parametrize(
    ("operation", "method", "body"),
    [
        ("PutItem", "POST", {"name": "Chair"}),
        ("UpdateItem", "PUT", {"name": "Desk lamp"}),
        ("DeleteItem", "DELETE", None),
    ],
)
def test_a_write_refused_on_every_attempt_answers_503_with_retry_after_and_changes_nothing(
    region: ApiClient,
    store: DynamoDBProductRepository,
    conflicts: Conflicts,
    configured_attempts: int,
    operation: str,
    method: str,
    body: Any,
) -> None:
    created = region.create("Lamp")
    refusals = conflicts(operation, times=100)
    path = "/products" if method == "POST" else f"/products/{created['id']}"
    response = region.request(method, path, body=body)
    assert_error(response, "unavailable")
    assert response.headers["Retry-After"] == "1"
    # Every attempt botocore is configured to make, then the answer (well within the deadline).
    assert refusals.attempts == configured_attempts
    assert [(p.product_id, p.name, p.version) for p in store.list_page(10, None).products] == [
        (created["id"], "Lamp", 1)
    ]


def test_the_conflict_is_a_busy_store_even_without_retries() -> None:
    """The translation alone, through botocore's Stubber (which answers before any retry)."""
    client = botocore.session.get_session().create_client(
        "dynamodb", config=botocore.config.Config(retries={"max_attempts": 1})
    )
    repository = DynamoDBProductRepository(cast("DynamoDBClient", client), TABLE_NAME)
    stubber = Stubber(client)
    stubber.add_client_error(
        "update_item", service_error_code=CONFLICT, http_status_code=CONFLICT_STATUS
    )
    with stubber:
        response = ApiClient(handler_module.build_handler(repository)).request(
            "PUT",
            "/products/3f1c7c7e-4b7a-4e8b-9b1a-0c2d3e4f5a6b",
            body={"name": "Desk lamp"},
            headers={"If-Match": '"1"'},
        )
    stubber.assert_no_pending_responses()
    assert_error(response, "unavailable")
    assert response.headers["Retry-After"] == "1"


# --- conditions are checked against the other region's write ---------------------------------


def test_an_if_match_update_that_lost_to_another_regions_write_is_412_and_loses_nothing(
    region: ApiClient, other_region: ApiClient, conflicts: Conflicts
) -> None:
    created = region.create("Lamp")
    path = f"/products/{created['id']}"
    theirs: list[int] = []

    def other_region_updates() -> None:
        answer = other_region.request(
            "PUT", path, body={"name": "Floor lamp"}, headers={"If-Match": '"1"'}
        )
        theirs.append(answer.status)

    refusals = conflicts("UpdateItem", times=1, meanwhile=other_region_updates)
    response = region.request("PUT", path, body={"name": "Desk lamp"}, headers={"If-Match": '"1"'})
    assert theirs == [200]
    assert refusals.attempts == 2  # the retry ran, and its version condition failed
    assert_error(response, "stale version", actual=2, expected=1)
    assert response.headers["ETag"] == '"2"'
    stored = _stored(region, created["id"])
    assert (stored["name"], stored["version"]) == ("Floor lamp", 2)


def test_an_if_match_delete_that_lost_to_another_regions_update_is_412_and_keeps_it(
    region: ApiClient, other_region: ApiClient, conflicts: Conflicts
) -> None:
    created = region.create("Lamp")
    path = f"/products/{created['id']}"
    conflicts(
        "DeleteItem",
        times=1,
        meanwhile=lambda: other_region.request(
            "PUT", path, body={"name": "Floor lamp"}, headers={"If-Match": '"1"'}
        ),
    )
    response = region.request("DELETE", path, headers={"If-Match": '"1"'})
    assert_error(response, "stale version", actual=2, expected=1)
    assert response.headers["ETag"] == '"2"'
    assert _stored(region, created["id"])["name"] == "Floor lamp"


def test_a_delete_that_lost_to_another_regions_delete_answers_204(
    region: ApiClient,
    other_region: ApiClient,
    store: DynamoDBProductRepository,
    conflicts: Conflicts,
) -> None:
    """The retry finds the product gone: the state the caller asked for, not a 404."""
    created = region.create("Lamp")
    path = f"/products/{created['id']}"
    theirs: list[int] = []
    conflicts(
        "DeleteItem",
        times=1,
        meanwhile=lambda: theirs.append(other_region.request("DELETE", path).status),
    )
    response = region.request("DELETE", path)
    assert (theirs, response.status) == ([204], 204)
    assert store.list_page(10, None).products == []


def test_a_keyed_create_that_lost_to_the_same_create_in_another_region_is_a_replay(
    region: ApiClient,
    other_region: ApiClient,
    store: DynamoDBProductRepository,
    conflicts: Conflicts,
) -> None:
    """A client that retried its POST in another region while the first was in flight: one
    product, both answers name it."""
    request: dict[str, Any] = {
        "body": {"name": "Lamp"},
        "headers": {"Idempotency-Key": "order-42-lamp"},
    }
    theirs = []
    conflicts(
        "PutItem",
        times=1,
        meanwhile=lambda: theirs.append(other_region.request("POST", "/products", **request)),
    )
    ours = region.request("POST", "/products", **request)
    (first,) = theirs
    assert (first.status, ours.status) == (201, 201)
    assert ours.json["id"] == first.json["id"]
    assert ours.headers.get("Idempotent-Replayed") == "true"
    assert [p.product_id for p in store.list_page(10, None).products] == [first.json["id"]]


# --- the normal case: one attempt per operation ---------------------------------------------


def test_without_conflicts_every_operation_is_a_single_attempt(
    region: ApiClient, dynamodb_client: DynamoDBClient
) -> None:
    attempts: list[str] = []

    def count(request: Any, **_: Any) -> None:
        attempts.append(json.loads(request.body or b"{}").get("TableName", "?"))

    events = dynamodb_client.meta.events
    events.register_first("before-send.dynamodb", count, unique_id="attempt-counter")
    try:
        created = region.create("Lamp")
        path = f"/products/{created['id']}"
        region.request("GET", path)
        region.request("PUT", path, body={"name": "Desk lamp"}, headers={"If-Match": '"1"'})
        region.request("GET", "/products")
        region.request("DELETE", path)
    finally:
        events.unregister("before-send.dynamodb", unique_id="attempt-counter")
    assert len(attempts) == 5

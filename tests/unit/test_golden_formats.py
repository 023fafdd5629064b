"""Golden tests: every format that outlives a deploy, pinned by literals.

Stored items (every attribute and its DynamoDB type), the ids a keyed create derives, request
fingerprints, page tokens, the product JSON, event ids and event bodies are read back by later
versions of the code, by clients holding tokens and ids, and by event consumers. Each expectation
here is a literal written in the test, never computed by the code under test, and a failure says
that the change needs a migration or a major version (``tests/support/golden.py``).

To change one of these formats on purpose: ship the migration or the major version, then update
the literal here in the same change.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

import pytest

from app import contract
from app.adapters.dynamodb_product_repository import DynamoDBProductRepository
from app.adapters.eventbridge_event_publisher import to_entry
from app.domain import events, model
from app.entrypoints.api import messages
from app.entrypoints.api.handler import build_handler
from app.entrypoints.stream.handler import event_of_record
from tests.support.golden import assert_golden
from tests.support.lambda_api import ApiClient, ApiResponse, assert_error
from tests.support.rest_events import rest_event
from tests.support.stream_records import item, record

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient

PRODUCT_ID = "0b6a1c4e-5f1d-4c7e-9a3b-2d8e6f1a7c90"
OTHER_ID = "7e2f9d10-3c4b-4a5e-8f6d-1b2c3d4e5f60"
CREATED_AT = datetime(2026, 11, 24, 10, 0, 0, 123000, tzinfo=timezone.utc)
UPDATED_AT = datetime(2026, 11, 24, 10, 5, 0, 250000, tzinfo=timezone.utc)
CALLER = "arn:aws:iam::123456789012:user/tester"  # the identity tests/support/rest_events signs
KEY = "order-4711/attempt"

STORED = "items in the products table are read by every later version of the function"
KEYED_ID = (
    "a keyed create's id is derived again on every retry; another id makes a retry of an"
    " earlier create a second product"
)
FINGERPRINT = (
    "items remember the fingerprint of their create request; another fingerprint makes a retry"
    " of an earlier create a 422"
)
TOKEN = "clients hold nextToken values between requests and across deploys"
REPRESENTATION = "clients parse the product JSON the API answers"
EVENT = "consumers deduplicate on eventId and parse detail, and events outlive the code"


# --- Ids a keyed create derives, and request fingerprints -----------------------------------


def test_the_idempotency_namespace_is_pinned() -> None:
    assert_golden(
        "IDEMPOTENT_ID_NAMESPACE",
        model.IDEMPOTENT_ID_NAMESPACE,
        uuid.UUID("2d02898d-f47c-4a8d-95d4-8652fbd77f73"),
        why=KEYED_ID,
    )


@pytest.mark.parametrize(
    "caller, key, pinned",
    [
        pytest.param(CALLER, KEY, "0f8df40c-97cc-5f93-80c5-e15164852743", id="user ARN"),
        pytest.param("AIDAEXAMPLE", "k", "3f8109d1-2d14-558d-91dc-0ec6dee6fb2f", id="caller id"),
        # The caller and the key stay apart whatever characters they hold (a JSON array).
        pytest.param("", 'a"],["b', "6ec47f53-2b53-5b1c-9915-35bab33f40ae", id="JSON in the key"),
    ],
)
def test_a_callers_key_always_names_the_same_product_id(caller: str, key: str, pinned: str) -> None:
    derived = model.idempotent_product_id(caller, key)
    assert_golden(f"product id of key {key!r} of {caller!r}", derived, pinned, why=KEYED_ID)


@pytest.mark.parametrize(
    "request_value, pinned",
    [
        pytest.param(
            {"name": "Lamp", "description": "Warm light"},
            "9ec3e835f7a9fa5bf5191b5570ed88334cf1212b9698b2b3b3349ec42c329e41",
            id="ascii",
        ),
        pytest.param(
            {"name": "Café ☕", "description": None},
            "6e697d21b06675b82cef3df85d198595aaaf24d091e553e38bdc9302a7404832",
            id="non-ascii and null",
        ),
    ],
)
def test_a_request_always_has_the_same_fingerprint(
    request_value: dict[str, Any], pinned: str
) -> None:
    fingerprint = model.request_fingerprint(request_value)
    assert_golden(f"fingerprint of {request_value!r}", fingerprint, pinned, why=FINGERPRINT)


# --- The item stored for a product --------------------------------------------------------------


class Clock:
    """Reads CREATED_AT first, then UPDATED_AT."""

    def __init__(self) -> None:
        self._moments: Iterator[datetime] = iter([CREATED_AT, UPDATED_AT])

    def __call__(self) -> datetime:
        return next(self._moments)


@pytest.fixture
def stored_api(dynamodb_repository: DynamoDBProductRepository) -> ApiClient:
    """The real handler on the DynamoDB adapter (moto), with a fixed id and clock."""
    return ApiClient(build_handler(dynamodb_repository, clock=Clock(), new_id=lambda: PRODUCT_ID))


def send(api: ApiClient, method: str, path: str, request_id: str, **kwargs: Any) -> ApiResponse:
    """Send a request that API Gateway gave the id ``request_id``."""
    event = rest_event(method, path, **kwargs)
    event["requestContext"]["requestId"] = request_id
    return api.send(event)


def stored_item(client: DynamoDBClient, table: str, product_id: str) -> dict[str, Any]:
    """The item as the table holds it, in DynamoDB JSON."""
    found = client.get_item(TableName=table, Key={"id": {"S": product_id}}, ConsistentRead=True)
    return dict(found["Item"])


def test_the_item_of_a_created_product_is_pinned(
    stored_api: ApiClient, moto_dynamodb_client: DynamoDBClient, dynamodb_table: str
) -> None:
    body = {"name": "Lamp", "description": "Warm light"}
    assert send(stored_api, "POST", "/products", "request-create-1", body=body).status == 201

    assert_golden(
        "the item of a created product",
        stored_item(moto_dynamodb_client, dynamodb_table, PRODUCT_ID),
        {
            "id": {"S": "0b6a1c4e-5f1d-4c7e-9a3b-2d8e6f1a7c90"},
            "name": {"S": "Lamp"},
            "description": {"S": "Warm light"},
            "createDate": {"S": "2026-11-24T10:00:00.123Z"},
            "lastUpdateDate": {"S": "2026-11-24T10:00:00.123Z"},
            "version": {"N": "1"},
            "createRequestId": {"S": "request-create-1"},
        },
        why=STORED,
    )


def test_the_item_of_a_keyed_create_keeps_the_request_fingerprint(
    stored_api: ApiClient, moto_dynamodb_client: DynamoDBClient, dynamodb_table: str
) -> None:
    # Another key order and spacing than the pinned fingerprint's value: the same fingerprint.
    response = send(
        stored_api,
        "POST",
        "/products",
        "request-create-2",
        raw_body='{ "description": "Warm light",\n "name": "Lamp" }',
        headers={"Content-Type": "application/json", "Idempotency-Key": KEY},
    )
    assert response.status == 201, response.raw_body

    assert_golden(
        "the item of a keyed create",
        stored_item(moto_dynamodb_client, dynamodb_table, "0f8df40c-97cc-5f93-80c5-e15164852743"),
        {
            "id": {"S": "0f8df40c-97cc-5f93-80c5-e15164852743"},
            "name": {"S": "Lamp"},
            "description": {"S": "Warm light"},
            "createDate": {"S": "2026-11-24T10:00:00.123Z"},
            "lastUpdateDate": {"S": "2026-11-24T10:00:00.123Z"},
            "version": {"N": "1"},
            "createRequestId": {"S": "request-create-2"},
            "requestFingerprint": {
                "S": "9ec3e835f7a9fa5bf5191b5570ed88334cf1212b9698b2b3b3349ec42c329e41"
            },
        },
        why=f"{STORED}; {FINGERPRINT}",
    )


def test_the_item_of_an_updated_product_is_pinned(
    stored_api: ApiClient, moto_dynamodb_client: DynamoDBClient, dynamodb_table: str
) -> None:
    body = {"name": "Lamp", "description": "Warm light"}
    assert send(stored_api, "POST", "/products", "request-create-3", body=body).status == 201
    path = f"/products/{PRODUCT_ID}"
    change = {"name": "Desk lamp", "description": None}  # a null description is not stored
    assert send(stored_api, "PUT", path, "request-update-1", body=change).status == 200

    assert_golden(
        "the item of an updated product",
        stored_item(moto_dynamodb_client, dynamodb_table, PRODUCT_ID),
        {
            "id": {"S": "0b6a1c4e-5f1d-4c7e-9a3b-2d8e6f1a7c90"},
            "name": {"S": "Desk lamp"},
            "createDate": {"S": "2026-11-24T10:00:00.123Z"},
            "lastUpdateDate": {"S": "2026-11-24T10:05:00.250Z"},
            "version": {"N": "2"},
            "createRequestId": {"S": "request-create-3"},
            "lastRequestId": {"S": "request-update-1"},
        },
        why=STORED,
    )


# --- Items in the pinned format are read as they always were -----------------------------------

# An item as the first version of the API wrote it: before requests were remembered, it has no
# createRequestId, requestFingerprint or lastRequestId.
ITEM_WITHOUT_REQUESTS = {
    "id": {"S": "0f8df40c-97cc-5f93-80c5-e15164852743"},
    "name": {"S": "Lamp"},
    "description": {"S": "Warm light"},
    "createDate": {"S": "2026-11-24T10:00:00.123Z"},
    "lastUpdateDate": {"S": "2026-11-24T10:01:00.000Z"},
    "version": {"N": "3"},
}


@pytest.fixture
def item_without_requests(moto_dynamodb_client: DynamoDBClient, dynamodb_table: str) -> str:
    """The path of an item stored without request attributes."""
    moto_dynamodb_client.put_item(TableName=dynamodb_table, Item=ITEM_WITHOUT_REQUESTS)
    return "/products/0f8df40c-97cc-5f93-80c5-e15164852743"


def test_an_item_without_request_attributes_reads_as_the_pinned_json(
    stored_api: ApiClient, item_without_requests: str
) -> None:
    response = send(stored_api, "GET", item_without_requests, "request-read-1")
    assert response.status == 200
    assert_golden(
        "the product JSON of a stored item",
        response.raw_body,
        '{"id":"0f8df40c-97cc-5f93-80c5-e15164852743","name":"Lamp","description":"Warm light",'
        '"createDate":"2026-11-24T10:00:00.123Z","lastUpdateDate":"2026-11-24T10:01:00.000Z",'
        '"version":3}',
        why=f"{STORED}; {REPRESENTATION}",
    )
    assert response.headers["ETag"] == '"3"'


def test_an_item_without_request_attributes_can_be_updated_once_per_request(
    stored_api: ApiClient, item_without_requests: str
) -> None:
    headers = {"If-Match": '"3"'}
    change = {"description": "Dimmable"}
    first = send(stored_api, "PUT", item_without_requests, "request-update-2", body=change)
    assert (first.status, first.json["version"], first.json["description"]) == (200, 4, "Dimmable")
    again = send(
        stored_api, "PUT", item_without_requests, "request-update-3", body=change, headers=headers
    )
    assert_error(again, "stale version", actual=4, expected=3)


def test_a_keyed_create_meeting_an_item_without_a_create_request_is_refused(
    stored_api: ApiClient, item_without_requests: str
) -> None:
    # The key derives the stored item's id, but the item cannot show it came from this request.
    response = send(
        stored_api,
        "POST",
        "/products",
        "request-create-4",
        body={"name": "Lamp", "description": "Warm light"},
        headers={"Idempotency-Key": KEY},
    )
    assert_error(
        response, "idempotency-key reused", ("Idempotency-Key", "key used for another request")
    )
    assert send(stored_api, "GET", item_without_requests, "request-read-2").json["version"] == 3


def test_a_create_meeting_an_item_without_a_create_request_overwrites_nothing(
    dynamodb_repository: DynamoDBProductRepository, item_without_requests: str
) -> None:
    # A generated id that is already taken (never expected of random UUIDs): a 500, nothing lost.
    taken = "0f8df40c-97cc-5f93-80c5-e15164852743"
    api = ApiClient(build_handler(dynamodb_repository, clock=Clock(), new_id=lambda: taken))
    response = send(api, "POST", "/products", "request-create-5", body={"name": "Other"})
    assert_error(response, "internal")
    assert send(api, "GET", item_without_requests, "request-read-3").json["name"] == "Lamp"


# --- Page tokens and the product JSON ----------------------------------------------------------


@pytest.mark.parametrize(
    "after_id, pinned",
    [
        pytest.param(
            "3f1c7c7e-4b7a-4e8b-9b1a-0c2d3e4f5a6b",
            "eyJ2IjoxLCJhZnRlciI6IjNmMWM3YzdlLTRiN2EtNGU4Yi05YjFhLTBjMmQzZTRmNWE2YiJ9",
            id="3f1c",
        ),
        pytest.param(
            "0b6a1c4e-5f1d-4c7e-9a3b-2d8e6f1a7c90",
            "eyJ2IjoxLCJhZnRlciI6IjBiNmExYzRlLTVmMWQtNGM3ZS05YTNiLTJkOGU2ZjFhN2M5MCJ9",
            id="0b6a",
        ),
    ],
)
def test_page_tokens_are_pinned_both_ways(after_id: str, pinned: str) -> None:
    assert_golden(
        f"nextToken after {after_id}", messages.encode_page_token(after_id), pinned, why=TOKEN
    )
    assert_golden(
        f"product id of {pinned}", messages.decode_page_token(pinned), after_id, why=TOKEN
    )


def test_a_listed_page_answers_the_pinned_token_and_json(
    dynamodb_repository: DynamoDBProductRepository,
) -> None:
    ids = iter([PRODUCT_ID, OTHER_ID])
    api = ApiClient(
        build_handler(dynamodb_repository, clock=lambda: CREATED_AT, new_id=lambda: next(ids))
    )
    for name in ("Lamp", "Chair"):
        assert api.request("POST", "/products", body={"name": name}).status == 201

    first = api.request("GET", "/products", query="pageSize=1")

    assert first.status == 200
    assert_golden(
        "the JSON of a page with a next page",
        first.raw_body,
        '{"products":[{"id":"0b6a1c4e-5f1d-4c7e-9a3b-2d8e6f1a7c90","name":"Lamp",'
        '"description":null,"createDate":"2026-11-24T10:00:00.123Z",'
        '"lastUpdateDate":"2026-11-24T10:00:00.123Z","version":1}],'
        '"nextToken":"eyJ2IjoxLCJhZnRlciI6IjBiNmExYzRlLTVmMWQtNGM3ZS05YTNiLTJkOGU2ZjFhN2M5MCJ9"}',
        why=f"{TOKEN}; {REPRESENTATION}",
    )
    token = first.json["nextToken"]
    last = api.request("GET", "/products", query=f"pageSize=1&nextToken={token}")
    assert [p["name"] for p in last.json["products"]] == ["Chair"] and "nextToken" not in last.json


def test_the_answer_to_a_create_is_pinned(stored_api: ApiClient) -> None:
    response = send(stored_api, "POST", "/products", "request-create-6", body={"name": " Lamp "})
    assert (response.status, response.headers["Location"], response.headers["ETag"]) == (
        201,
        "/products/0b6a1c4e-5f1d-4c7e-9a3b-2d8e6f1a7c90",
        '"1"',
    )
    assert_golden(
        "the product JSON of a create",
        response.raw_body,
        '{"id":"0b6a1c4e-5f1d-4c7e-9a3b-2d8e6f1a7c90","name":"Lamp","description":null,'
        '"createDate":"2026-11-24T10:00:00.123Z","lastUpdateDate":"2026-11-24T10:00:00.123Z",'
        '"version":1}',
        why=REPRESENTATION,
    )


# --- Event ids and event bodies ----------------------------------------------------------------


def test_the_event_id_namespace_is_pinned() -> None:
    assert_golden(
        "EVENT_ID_NAMESPACE",
        events.EVENT_ID_NAMESPACE,
        uuid.UUID("5d0b7f0e-2c4e-4d8e-9c61-7a3f0d6f4b21"),
        why=EVENT,
    )


# The creating request the stream records below carry (their items' createRequestId).
CREATING_REQUEST = "c6f1e3a2-8d4b-4f7e-9a1c-3b5d7e9f0a12"


@pytest.mark.parametrize(
    "kind, version, creating_request, pinned",
    [
        ("ProductCreated", 1, CREATING_REQUEST, "06690d8f-4948-5754-8a3f-b8b1a1af819e"),
        ("ProductUpdated", 2, CREATING_REQUEST, "7f3851a4-9b58-58c2-9c04-3e5dd2bd7b4b"),
        ("ProductDeleted", 2, CREATING_REQUEST, "9cd4c2ec-9725-5212-8023-4f2f3011d083"),
        # Items stored before the creating request was kept: the earlier formula, unchanged.
        ("ProductCreated", 1, "", "a792b07d-c819-5626-8b1d-b2b4ab947eff"),
        ("ProductUpdated", 2, "", "e2a75c0a-2efc-5263-80ab-408e6fe4d88a"),
        ("ProductDeleted", 2, "", "47163e1d-996d-55d3-9f23-040b4e5d8818"),
    ],
)
def test_event_ids_are_pinned(kind: str, version: int, creating_request: str, pinned: str) -> None:
    derived = events.event_id(kind, PRODUCT_ID, version, creating_request)
    what = f"eventId of {kind} of version {version} created by {creating_request or 'no request'}"
    assert_golden(what, derived, pinned, why=EVENT)


CREATED_ITEM = item(PRODUCT_ID, "Lamp", description="Warm light", created_by=CREATING_REQUEST)
UPDATED_ITEM = item(
    PRODUCT_ID,
    "Desk lamp",
    version=2,
    updated="2026-11-24T10:05:00.250Z",
    created_by=CREATING_REQUEST,
    lastRequestId={"S": "r-2"},
)
UPDATED_ITEM_WITHOUT_CREATING_REQUEST = item(
    PRODUCT_ID, "Desk lamp", version=2, updated="2026-11-24T10:05:00.250Z", created_by=None
)

EVENT_ENTRIES: list[Any] = [
    pytest.param(
        record("INSERT", new=CREATED_ITEM),
        {
            "EventBusName": "products-bus",
            "Source": "products-api",
            "DetailType": "ProductCreated",
            "Detail": '{"eventId":"06690d8f-4948-5754-8a3f-b8b1a1af819e",'
            '"productId":"0b6a1c4e-5f1d-4c7e-9a3b-2d8e6f1a7c90","version":1,'
            '"occurredAt":"2026-11-24T10:00:00.000Z",'
            '"product":{"id":"0b6a1c4e-5f1d-4c7e-9a3b-2d8e6f1a7c90","name":"Lamp",'
            '"description":"Warm light","createDate":"2026-11-24T10:00:00.000Z",'
            '"lastUpdateDate":"2026-11-24T10:00:00.000Z","version":1}}',
            "Resources": [],
        },
        id="ProductCreated",
    ),
    pytest.param(
        record("MODIFY", old=CREATED_ITEM, new=UPDATED_ITEM),
        {
            "EventBusName": "products-bus",
            "Source": "products-api",
            "DetailType": "ProductUpdated",
            "Detail": '{"eventId":"7f3851a4-9b58-58c2-9c04-3e5dd2bd7b4b",'
            '"productId":"0b6a1c4e-5f1d-4c7e-9a3b-2d8e6f1a7c90","version":2,'
            '"occurredAt":"2026-11-24T10:05:00.250Z",'
            '"product":{"id":"0b6a1c4e-5f1d-4c7e-9a3b-2d8e6f1a7c90","name":"Desk lamp",'
            '"description":null,"createDate":"2026-11-24T10:00:00.000Z",'
            '"lastUpdateDate":"2026-11-24T10:05:00.250Z","version":2},'
            '"changedFields":["description","name"]}',
            "Resources": [],
        },
        id="ProductUpdated",
    ),
    pytest.param(
        record("REMOVE", old=UPDATED_ITEM, at=1795515000.5),
        {
            "EventBusName": "products-bus",
            "Source": "products-api",
            "DetailType": "ProductDeleted",
            "Detail": '{"eventId":"9cd4c2ec-9725-5212-8023-4f2f3011d083",'
            '"productId":"0b6a1c4e-5f1d-4c7e-9a3b-2d8e6f1a7c90","version":2,'
            '"occurredAt":"2026-11-24T10:05:00.250Z",'
            '"product":{"id":"0b6a1c4e-5f1d-4c7e-9a3b-2d8e6f1a7c90","name":"Desk lamp",'
            '"description":null,"createDate":"2026-11-24T10:00:00.000Z",'
            '"lastUpdateDate":"2026-11-24T10:05:00.250Z","version":2}}',
            "Resources": [],
        },
        id="ProductDeleted",
    ),
    pytest.param(
        record("REMOVE", old=UPDATED_ITEM_WITHOUT_CREATING_REQUEST, at=1795515000.5),
        {
            "EventBusName": "products-bus",
            "Source": "products-api",
            "DetailType": "ProductDeleted",
            "Detail": '{"eventId":"47163e1d-996d-55d3-9f23-040b4e5d8818",'
            '"productId":"0b6a1c4e-5f1d-4c7e-9a3b-2d8e6f1a7c90","version":2,'
            '"occurredAt":"2026-11-24T10:05:00.250Z",'
            '"product":{"id":"0b6a1c4e-5f1d-4c7e-9a3b-2d8e6f1a7c90","name":"Desk lamp",'
            '"description":null,"createDate":"2026-11-24T10:00:00.000Z",'
            '"lastUpdateDate":"2026-11-24T10:05:00.250Z","version":2}}',
            "Resources": [],
        },
        id="ProductDeleted of an item stored without its creating request",
    ),
]


@pytest.mark.parametrize("stream_record, pinned", EVENT_ENTRIES)
def test_the_event_of_each_change_is_pinned(
    stream_record: dict[str, Any], pinned: dict[str, Any]
) -> None:
    event = event_of_record(stream_record)
    assert event is not None
    entry = to_entry(event, "products-bus", contract.EVENT_SOURCE)
    assert_golden(f"the PutEvents entry of a {pinned['DetailType']}", entry, pinned, why=EVENT)
    assert json.loads(entry["Detail"])["eventId"] == event.eventId

"""``Idempotency-Key`` on ``POST /products`` and bounded error bodies, through the real handler.

Every test runs on the in-memory fake and on the DynamoDB adapter over moto (the ``api`` fixture).
"""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest

from app.domain import model
from tests.support import error_texts
from tests.support.lambda_api import ApiClient, ApiResponse, assert_error
from tests.support.lambda_context import ACCOUNT_ID
from tests.support.rest_events import rest_event

KEY = "order-4711/attempt"
PRODUCT_FIELDS = {declared.json_name for declared in model.PRODUCT_FIELDS}


def post(
    api: ApiClient,
    body: Any = None,
    *,
    key: str | None = KEY,
    raw_body: str | None = None,
    identity: dict[str, Any] | None = None,
) -> ApiResponse:
    """POST /products with an Idempotency-Key, optionally signed by another identity."""
    headers = {"Idempotency-Key": key} if key is not None else {}
    if raw_body is not None:
        headers["Content-Type"] = "application/json"
    event = rest_event(
        "POST", "/products", body=body or {"name": "Lamp"}, raw_body=raw_body, headers=headers
    )
    if identity is not None:
        event["requestContext"]["identity"] = identity
    return api.send(event)


def assert_created(response: ApiResponse, replayed: bool) -> dict[str, Any]:
    assert response.status == 201, response.raw_body
    product: dict[str, Any] = response.json
    assert set(product) == PRODUCT_FIELDS  # the stored fingerprint is never returned
    assert response.headers["Location"] == f"/products/{product['id']}"
    assert response.headers["ETag"] == f'"{product["version"]}"'
    assert response.headers.get("Idempotent-Replayed") == ("true" if replayed else None)
    return product


def stored_products(api: ApiClient) -> list[dict[str, Any]]:
    response = api.request("GET", "/products", query="pageSize=100")
    products: list[dict[str, Any]] = response.json["products"]
    return products


def test_first_keyed_create_is_a_plain_201(api: ApiClient) -> None:
    product = assert_created(post(api, {"name": "Lamp", "description": "Warm"}), replayed=False)
    assert (product["name"], product["version"]) == ("Lamp", 1)
    expected_id = model.idempotent_product_id(f"arn:aws:iam::{ACCOUNT_ID}:user/tester", KEY)
    assert product["id"] == expected_id and uuid.UUID(product["id"]).version == 5


def test_repeat_with_same_key_and_same_json_value_replays_without_writing(
    api: ApiClient,
) -> None:
    first = assert_created(post(api, {"name": "Lamp", "description": "Warm"}), replayed=False)
    # Same JSON value, other key order and whitespace.
    repeat = post(api, raw_body='{ "description" : "Warm",\n  "name":"Lamp" }')
    assert assert_created(repeat, replayed=True) == first
    assert stored_products(api) == [first]


def test_replay_returns_the_product_as_it_is_now(api: ApiClient) -> None:
    first = assert_created(post(api), replayed=False)
    path = f"/products/{first['id']}"
    updated = api.request("PUT", path, body={"description": "since then"}).json
    replay = assert_created(post(api), replayed=True)
    assert replay == updated and replay["version"] == 2
    assert post(api).headers["ETag"] == '"2"'


def test_same_key_with_another_request_is_422_and_writes_nothing(api: ApiClient) -> None:
    first = assert_created(post(api, {"name": "Lamp"}), replayed=False)
    for other in ({"name": "Chair"}, {"name": "Lamp", "description": "Warm"}):
        response = post(api, other)
        assert_error(
            response,
            "idempotency-key reused",
            ("Idempotency-Key", "key used for another request"),
        )
    assert stored_products(api) == [first]


def test_same_key_from_another_caller_creates_another_product(api: ApiClient) -> None:
    mine = assert_created(post(api), replayed=False)
    other = {"userArn": "arn:aws:iam::123456789012:user/other", "accessKey": "AKIDOTHER"}
    theirs = assert_created(post(api, identity=other), replayed=False)
    assert mine["id"] != theirs["id"]
    assert assert_created(post(api, identity=other), replayed=True)["id"] == theirs["id"]
    assert len(stored_products(api)) == 2


@pytest.mark.parametrize(
    "identity, owner",
    [
        (
            {"userArn": "arn:aws:iam::1:user/a", "caller": "AIDA1", "accessKey": "AK1"},
            "arn:aws:iam::1:user/a",
        ),
        ({"userArn": None, "caller": "AIDA1", "accessKey": "AK1"}, "AIDA1"),
        ({"userArn": "", "caller": None, "accessKey": "AK1"}, "AK1"),
        ({}, ""),
    ],
)
def test_key_owner_is_user_arn_then_caller_then_access_key(
    api: ApiClient, identity: dict[str, Any], owner: str
) -> None:
    product = assert_created(post(api, identity=identity), replayed=False)
    assert product["id"] == model.idempotent_product_id(owner, KEY)


@pytest.mark.parametrize(
    "key",
    ["", " ", "a b", "tab\tkey", "é", "k" * 256, "key\x7f", "line\nbreak"],
)
def test_invalid_idempotency_key_is_400_naming_the_header(api: ApiClient, key: str) -> None:
    response = post(api, key=key)
    assert_error(response, "idempotency-key invalid", ("Idempotency-Key", "idempotency-key rule"))
    assert stored_products(api) == []


@pytest.mark.parametrize("key", ["a", "k" * 255, "!~" + "".join(map(chr, range(0x21, 0x7F)))[:200]])
def test_idempotency_key_of_1_to_255_visible_ascii_is_accepted(api: ApiClient, key: str) -> None:
    assert_created(post(api, key=key), replayed=False)
    assert_created(post(api, key=key), replayed=True)


def test_idempotency_key_sent_twice_is_400(api: ApiClient) -> None:
    event = rest_event("POST", "/products", body={"name": "Lamp"})
    event["multiValueHeaders"]["Idempotency-Key"] = ["one", "two"]
    event["headers"]["Idempotency-Key"] = "two"
    response = api.send(event)
    assert_error(response, "idempotency-key invalid", ("Idempotency-Key", "idempotency-key rule"))


def test_rejected_request_does_not_spend_its_key(api: ApiClient) -> None:
    assert_error(post(api, {"name": ""}), "rules broken", ("name", "blank name"))
    response = post(api, {"name": "Lamp", "colour": "red"})
    assert_error(response, "body invalid", ("colour", "not a client field"))
    product = assert_created(post(api, {"name": "Lamp"}), replayed=False)
    assert product["name"] == "Lamp"


def test_without_the_header_every_create_is_a_new_product(api: ApiClient) -> None:
    ids = {assert_created(post(api, key=None), replayed=False)["id"] for _ in range(3)}
    assert len(ids) == 3 and all(uuid.UUID(i).version == 4 for i in ids)


def test_repeat_after_the_product_was_deleted_creates_it_again(api: ApiClient) -> None:
    first = assert_created(post(api), replayed=False)
    assert api.request("DELETE", f"/products/{first['id']}").status == 204
    again = assert_created(post(api), replayed=False)
    assert again["id"] == first["id"] and again["version"] == 1


# --- Bounded error bodies ----------------------------------------------------------------------


@pytest.mark.slow  # seconds, not milliseconds: `make test` runs it, `make test-unit` skips it
def test_200k_unknown_keys_give_20_field_errors_and_a_count_of_the_rest(api: ApiClient) -> None:
    document = {"name": "Lamp", **{f"unknown{i}": i for i in range(200_000)}}
    response = api.request("POST", "/products", raw_body=json.dumps(document))
    first_20 = [(f"unknown{i}", "not a client field") for i in range(20)]
    assert_error(response, "body invalid", *first_20, omitted=200_000 - 20)
    assert len(response.raw_body) < 10_000


def test_huge_field_names_and_messages_are_cut(api: ApiClient) -> None:
    document = {"\u2603" * 1_000_000 + str(i): 1 for i in range(3)}
    response = api.request("POST", "/products", raw_body=json.dumps(document))
    # Each text is cut to 200 characters, the last three being "...".
    clipped = "\u2603" * 197 + "..."
    unknown = [(clipped, "not a client field")] * 3
    assert_error(response, "body invalid", ("name", "required"), *unknown)
    assert len(response.raw_body.encode()) < 30_000
    response = api.request(
        "POST", "/products", body={"name": "x"}, headers={"Content-Type": "text/" + "x" * 10**6}
    )
    assert response.status == 415
    whole = error_texts.error_body("not json media type", given="text/" + "x" * 10**6)
    assert response.json == {"message": str(whole["message"])[:197] + "..."}


def test_few_errors_have_no_omitted_count(api: ApiClient) -> None:
    response = api.request("POST", "/products", body={"name": 1, "a": 1})
    assert_error(response, "body invalid", ("name", "not a string"), ("a", "not a client field"))
    assert "omittedErrors" not in response.json


def test_exactly_20_errors_are_all_listed_without_a_count(api: ApiClient) -> None:
    document = {"name": "Lamp", **{f"k{i:02}": i for i in range(20)}}
    response = api.request("POST", "/products", raw_body=json.dumps(document))
    assert_error(response, "body invalid", *[(f"k{i:02}", "not a client field") for i in range(20)])


def test_21_errors_list_20_and_count_1(api: ApiClient) -> None:
    document = {"name": "Lamp", **{f"k{i:02}": i for i in range(21)}}
    response = api.request("POST", "/products", raw_body=json.dumps(document))
    first_20 = [(f"k{i:02}", "not a client field") for i in range(20)]
    assert_error(response, "body invalid", *first_20, omitted=1)


def test_a_text_of_exactly_200_characters_is_not_cut(api: ApiClient) -> None:
    name = "k" * 200
    response = api.request("POST", "/products", raw_body=json.dumps({"name": "Lamp", name: 1}))
    assert_error(response, "body invalid", (name, "not a client field"))

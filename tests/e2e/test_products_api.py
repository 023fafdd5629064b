"""The API contract over HTTP, signed, through the local gateway and the real handler."""

from __future__ import annotations

import json
import re
import uuid
from typing import Any

import pytest

from app.domain import model
from tests.e2e.conftest import LocalApi
from tests.support.signed_http import send, sign
from tools.apidocs.openapi import render_document

pytestmark = pytest.mark.e2e

TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


def test_create_returns_201_with_the_product_location_and_etag(local_api: LocalApi) -> None:
    result = local_api.call(
        "POST", "/products", json_body={"name": "  Desk lamp  ", "description": "Warm white"}
    )

    assert result.status == 201
    product = result.json()
    assert list(product) == [declared.json_name for declared in model.PRODUCT_FIELDS]
    assert uuid.UUID(product["id"])
    assert product["name"] == "Desk lamp"
    assert product["description"] == "Warm white"
    assert product["version"] == 1
    assert TIMESTAMP.match(product["createDate"])
    assert product["lastUpdateDate"] == product["createDate"]
    assert result.header("Location") == f"/products/{product['id']}"
    assert result.header("ETag") == '"1"'
    assert result.header("Content-Type") == "application/json"
    assert result.header("x-amzn-RequestId")


def test_create_without_description_stores_null(local_api: LocalApi) -> None:
    assert local_api.create("Pen")["description"] is None


def test_get_returns_the_stored_product_with_its_etag(local_api: LocalApi) -> None:
    created = local_api.create("Notebook", "A5, dotted")

    result = local_api.call("GET", f"/products/{created['id']}")

    assert result.status == 200
    assert result.json() == created
    assert result.header("ETag") == '"1"'


def test_get_of_an_unknown_id_returns_404_json(local_api: LocalApi) -> None:
    result = local_api.call("GET", f"/products/{uuid.uuid4()}")

    assert result.status == 404
    assert result.json()["message"]


def test_update_changes_only_the_given_fields_and_bumps_the_version(local_api: LocalApi) -> None:
    created = local_api.create("Chair", "Oak")

    result = local_api.call(
        "PUT", f"/products/{created['id']}", json_body={"description": "Walnut"}
    )

    assert result.status == 200
    updated = result.json()
    assert updated["name"] == "Chair"
    assert updated["description"] == "Walnut"
    assert updated["version"] == 2
    assert updated["createDate"] == created["createDate"]
    assert updated["lastUpdateDate"] >= created["lastUpdateDate"]
    assert result.header("ETag") == '"2"'
    assert local_api.call("GET", f"/products/{created['id']}").json() == updated


def test_update_with_null_description_clears_it(local_api: LocalApi) -> None:
    created = local_api.create("Mug", "Blue")

    result = local_api.call("PUT", f"/products/{created['id']}", json_body={"description": None})

    assert result.status == 200
    assert result.json()["description"] is None


def test_update_with_the_current_version_in_if_match_succeeds(local_api: LocalApi) -> None:
    created = local_api.create("Lamp")

    result = local_api.call(
        "PUT",
        f"/products/{created['id']}",
        json_body={"name": "Lamp XL"},
        headers={"If-Match": '"1"'},
    )

    assert result.status == 200
    assert result.json()["name"] == "Lamp XL"


def test_update_with_a_stale_version_returns_412_and_changes_nothing(local_api: LocalApi) -> None:
    created = local_api.create("Desk")
    local_api.call("PUT", f"/products/{created['id']}", json_body={"name": "Desk v2"})

    result = local_api.call(
        "PUT",
        f"/products/{created['id']}",
        json_body={"name": "Desk v3"},
        headers={"If-Match": '"1"'},
    )

    assert result.status == 412
    assert result.json()["message"]
    assert local_api.call("GET", f"/products/{created['id']}").json()["name"] == "Desk v2"


def test_update_of_an_unknown_id_returns_404(local_api: LocalApi) -> None:
    result = local_api.call("PUT", f"/products/{uuid.uuid4()}", json_body={"name": "Ghost"})

    assert result.status == 404


def test_delete_returns_204_with_an_empty_body_then_the_product_is_gone(
    local_api: LocalApi,
) -> None:
    created = local_api.create("Shelf")

    result = local_api.call("DELETE", f"/products/{created['id']}")

    assert result.status == 204
    assert result.body == b""
    assert local_api.call("GET", f"/products/{created['id']}").status == 404
    assert local_api.call("DELETE", f"/products/{created['id']}").status == 404


def test_delete_with_a_stale_version_returns_412_and_keeps_the_product(local_api: LocalApi) -> None:
    created = local_api.create("Stool")
    local_api.call("PUT", f"/products/{created['id']}", json_body={"name": "Stool v2"})

    stale = local_api.call("DELETE", f"/products/{created['id']}", headers={"If-Match": '"1"'})
    current = local_api.call("DELETE", f"/products/{created['id']}", headers={"If-Match": '"2"'})

    assert stale.status == 412
    assert current.status == 204


def test_list_pages_are_full_until_the_last_and_cover_every_product(local_api: LocalApi) -> None:
    mine = {local_api.create(f"Paged {n}")["id"] for n in range(5)}
    seen: list[str] = []
    pages: list[dict[str, Any]] = []
    path = "/products?pageSize=2"
    for _ in range(1000):  # bounded: the table holds far fewer products than this
        result = local_api.call("GET", path)
        assert result.status == 200, result.body
        page = result.json()
        pages.append(page)
        seen += [product["id"] for product in page["products"]]
        if "nextToken" not in page:
            break
        assert re.fullmatch(r"[A-Za-z0-9_-]+", page["nextToken"])  # URL-safe, no padding
        path = f"/products?pageSize=2&nextToken={page['nextToken']}"

    assert "nextToken" not in pages[-1]
    assert all(len(page["products"]) == 2 for page in pages[:-1])
    assert len(seen) == len(set(seen))
    assert mine <= set(seen)


def test_list_defaults_to_pages_of_at_most_20(local_api: LocalApi) -> None:
    result = local_api.call("GET", "/products")

    assert result.status == 200
    assert len(result.json()["products"]) <= 20


@pytest.mark.parametrize("query", ["pageSize=0", "pageSize=101", "pageSize=ten"])
def test_list_with_an_invalid_page_size_returns_400(local_api: LocalApi, query: str) -> None:
    result = local_api.call("GET", f"/products?{query}")

    assert result.status == 400
    assert result.json()["message"]


def test_list_with_a_malformed_token_returns_400(local_api: LocalApi) -> None:
    result = local_api.call("GET", "/products?nextToken=not-a-real-token")

    assert result.status == 400
    assert result.json()["message"]


@pytest.mark.parametrize(
    "body",
    [
        {"name": ""},
        {"name": "   "},
        {"name": "x" * 201},
        {"name": "bad\u0007name"},
        {"name": 42},
        {"name": "ok", "description": "d" * 2001},
        {"name": "ok", "colour": "red"},
        {"name": "ok", "id": str(uuid.uuid4())},
        {"name": "ok", "version": 3},
        {"description": "no name"},
    ],
    ids=lambda body: json.dumps(body)[:40],
)
def test_create_with_an_invalid_body_returns_400_with_field_errors(
    local_api: LocalApi, body: dict[str, Any]
) -> None:
    result = local_api.call("POST", "/products", json_body=body)

    assert result.status == 400
    error = result.json()
    assert error["message"]
    assert error["errors"] and all({"field", "message"} <= set(e) for e in error["errors"])


@pytest.mark.parametrize("body", [b"{not json", b"[]", b'"name"', b"null"])
def test_create_with_a_body_that_is_not_a_json_object_returns_400(
    local_api: LocalApi, body: bytes
) -> None:
    url = local_api.url + "/products"
    headers = sign(
        "POST", url, local_api.credentials, body=body, headers={"Content-Type": "application/json"}
    )

    result = send("POST", url, body=body, headers=headers)

    assert result.status == 400
    assert result.json()["message"]


def test_create_with_a_non_json_content_type_returns_415(local_api: LocalApi) -> None:
    url = local_api.url + "/products"
    body = b"name=Desk"
    headers = sign(
        "POST", url, local_api.credentials, body=body, headers={"Content-Type": "text/plain"}
    )

    result = send("POST", url, body=body, headers=headers)

    assert result.status == 415
    assert result.json()["message"]


@pytest.mark.parametrize("body", [{}, {"name": None}, {"name": "ok", "createDate": "x"}])
def test_update_with_an_invalid_body_returns_400(local_api: LocalApi, body: dict[str, Any]) -> None:
    created = local_api.create("Target")

    result = local_api.call("PUT", f"/products/{created['id']}", json_body=body)

    assert result.status == 400
    assert result.json()["message"]


def test_cors_preflight_is_answered_without_a_signature(local_api: LocalApi) -> None:
    result = send(
        "OPTIONS",
        local_api.url + "/products/anything",
        headers={"Origin": "http://example.test", "Access-Control-Request-Method": "PUT"},
    )

    assert result.status == 204
    assert result.header("Access-Control-Allow-Origin") == "*"
    assert "PUT" in (result.header("Access-Control-Allow-Methods") or "")
    assert "If-Match" in (result.header("Access-Control-Allow-Headers") or "")


@pytest.mark.parametrize(
    ("method", "path"),
    [("PATCH", "/products"), ("DELETE", "/products"), ("POST", "/products/x"), ("GET", "/items")],
)
def test_a_route_the_api_does_not_define_answers_missing_authentication_token(
    local_api: LocalApi, method: str, path: str
) -> None:
    result = local_api.call(method, path)

    assert result.status == 403
    assert result.json() == {"message": "Missing Authentication Token"}
    assert result.header("x-amzn-ErrorType") == "MissingAuthenticationTokenException"


def test_the_openapi_document_and_docs_page_are_served_without_auth(local_api: LocalApi) -> None:
    document = send("GET", local_api.url + "/openapi.json")
    page = send("GET", local_api.url + "/docs")

    assert document.status == 200
    assert document.json() == json.loads(render_document(local_api.url))
    assert document.json()["openapi"].startswith("3.1")
    assert page.status == 200
    assert b"swagger-ui" in page.body
    assert send("GET", local_api.url + "/docs/swagger-ui.js").status == 200

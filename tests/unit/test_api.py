"""The HTTP contract, through the real Lambda handler with API Gateway REST proxy events.

The tests run on the in-memory fake; the repository contract suite holds the fake and the
DynamoDB adapter (on moto and on DynamoDB Local) to the same behaviour.
"""

from __future__ import annotations

import base64
import re
import threading
import uuid
from typing import Any

import pytest

from app.domain import model
from app.entrypoints.api.handler import build_handler
from tests.fakes import InMemoryProductRepository
from tests.support.lambda_api import ApiClient, ApiResponse, assert_error
from tests.support.published_schemas import validator
from tests.support.rest_events import rest_event

TIMESTAMP = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z")
URL_SAFE_TOKEN = re.compile(r"[A-Za-z0-9_-]+")


def assert_product(response: ApiResponse, status: int = 200) -> dict[str, Any]:
    assert response.status == status, response.raw_body
    product: dict[str, Any] = response.json
    validator("ProductResponse").validate(product)
    assert list(product) == [declared.json_name for declared in model.PRODUCT_FIELDS]
    assert TIMESTAMP.fullmatch(product["createDate"])
    assert TIMESTAMP.fullmatch(product["lastUpdateDate"])
    assert response.headers["ETag"] == f'"{product["version"]}"'
    return product


# --- create ---


def test_create_returns_201_with_product_location_and_etag(api: ApiClient) -> None:
    response = api.request("POST", "/products", body={"name": "  Lamp  ", "description": "Bright"})
    product = assert_product(response, 201)
    assert uuid.UUID(product["id"]).version == 4
    assert (product["name"], product["description"], product["version"]) == ("Lamp", "Bright", 1)
    assert product["createDate"] == product["lastUpdateDate"]
    assert response.headers["Location"] == f"/products/{product['id']}"
    assert api.request("GET", f"/products/{product['id']}").json == product


def test_create_without_description_stores_null(api: ApiClient) -> None:
    product = assert_product(api.request("POST", "/products", body={"name": "Lamp"}), 201)
    assert product["description"] is None


def test_create_accepts_limits_and_allowed_whitespace(api: ApiClient) -> None:
    body = {"name": " " + "n" * 200 + " ", "description": "d\n\t" * 666 + "dd"}
    product = assert_product(api.request("POST", "/products", body=body), 201)
    assert product["name"] == "n" * 200 and len(product["description"]) == 2000


@pytest.mark.parametrize(
    "content_type", [None, "application/json", "application/json; charset=UTF-8"]
)
def test_create_reads_json_with_or_without_content_type(
    api: ApiClient, content_type: str | None
) -> None:
    event_headers = {} if content_type is None else {"Content-Type": content_type}
    event = api.request("POST", "/products", raw_body='{"name": "Lamp"}', headers=event_headers)
    assert_product(event, 201)


def test_create_accepts_base64_encoded_json_body(api: ApiClient) -> None:
    response = api.request("POST", "/products", body={"name": "Café"}, is_base64_encoded=True)
    assert assert_product(response, 201)["name"] == "Café"


NAME_200 = "n" * 200
# (test id, body, error answer, its (field, text) pairs): texts in tests/support/error_texts.py
BAD_BODIES: list[tuple[str, Any, str, tuple[tuple[str, str], ...]]] = [
    ("missing name", {"description": "x"}, "body invalid", (("name", "required"),)),
    ("number as name", {"name": 42}, "body invalid", (("name", "not a string"),)),
    ("boolean as name", {"name": True}, "body invalid", (("name", "not a string"),)),
    ("null name", {"name": None}, "body invalid", (("name", "not a string"),)),
    ("empty name", {"name": ""}, "rules broken", (("name", "blank name"),)),
    ("blank name", {"name": " \t "}, "rules broken", (("name", "blank name"),)),
    ("name too long", {"name": NAME_200 + "x"}, "rules broken", (("name", "name too long"),)),
    ("newline in name", {"name": "a\nb"}, "rules broken", (("name", "control character in name"),)),
    ("NUL in name", {"name": "a\u0000b"}, "rules broken", (("name", "control character in name"),)),
    (
        "C1 control in name",
        {"name": "a\u0085b"},
        "rules broken",
        (("name", "control character in name"),),
    ),
    (
        "lone surrogate in name",
        {"name": "a\ud800b"},
        "rules broken",
        (("name", "control character in name"),),
    ),
    (
        "number as description",
        {"name": "ok", "description": 1},
        "body invalid",
        (("description", "not a string"),),
    ),
    (
        "description too long",
        {"name": "ok", "description": "x" * 2001},
        "rules broken",
        (("description", "description too long"),),
    ),
    (
        "bell in description",
        {"name": "ok", "description": "ding\u0007"},
        "rules broken",
        (("description", "control character in description"),),
    ),
    (
        "unknown field",
        {"name": "ok", "colour": "red"},
        "body invalid",
        (("colour", "not a client field"),),
    ),
    (
        "client-set id",
        {"name": "ok", "id": "3f1c7c7e-4b7a-4e8b-9b1a-0c2d3e4f5a6b"},
        "body invalid",
        (("id", "not a client field"),),
    ),
    (
        "client-set version",
        {"name": "ok", "version": 9},
        "body invalid",
        (("version", "not a client field"),),
    ),
    (
        "client-set createDate",
        {"name": "ok", "createDate": "2020-01-01T00:00:00.000Z"},
        "body invalid",
        (("createDate", "not a client field"),),
    ),
    (
        "client-set lastUpdateDate",
        {"name": "ok", "lastUpdateDate": "x"},
        "body invalid",
        (("lastUpdateDate", "not a client field"),),
    ),
    (
        "wrong types and a stranger, in that order",
        {"zone": 1, "description": [], "name": None},
        "body invalid",
        (("name", "not a string"), ("description", "not a string"), ("zone", "not a client field")),
    ),
    ("huge name", {"name": "x" * 1_000_000}, "rules broken", (("name", "name too long"),)),
]


@pytest.mark.parametrize(
    "body, error, field_errors", [b[1:] for b in BAD_BODIES], ids=[b[0] for b in BAD_BODIES]
)
def test_create_with_rule_violation_returns_400_and_stores_nothing(
    api: ApiClient, body: Any, error: str, field_errors: tuple[tuple[str, str], ...]
) -> None:
    assert_error(api.request("POST", "/products", body=body), error, *field_errors)
    assert api.request("GET", "/products").json == {"products": []}


def test_create_reports_every_broken_rule_at_once(api: ApiClient) -> None:
    response = api.request("POST", "/products", body={"name": "", "description": "x" * 2001})
    assert_error(
        response,
        "rules broken",
        ("name", "blank name"),
        ("description", "description too long"),
    )


# (test id, raw body, error answer, the reason of "body not json")
MALFORMED_BODIES: list[tuple[str, str, str, str | None]] = [
    ("empty body", "", "body required", None),
    ("not json", "name=Lamp", "body not json", "Expecting value: line 1 column 1 (char 0)"),
    (
        "truncated json",
        '{"name": "La',
        "body not json",
        "Unterminated string starting at: line 1 column 10 (char 9)",
    ),
    ("json array", '["Lamp"]', "body not object", None),
    ("json string", '"Lamp"', "body not object", None),
    ("json null", "null", "body not object", None),
    ("json number", "7", "body not object", None),
    ("deep nesting", "[" * 100_000 + "]" * 100_000, "body too deep", None),
    # Deep enough for every Python: 3.14's decoder nests further than 3.11's before giving up.
    ("deep object nesting", '{"name":' * 100_000 + '"x"' + "}" * 100_000, "body too deep", None),
    (
        "binary junk",
        "\x00\x01\x02\xff\xfe",
        "body not json",
        "Expecting value: line 1 column 1 (char 0)",
    ),
    (
        "duplicate key",
        '{"name": "a", "name": "b"}',
        "body not json",
        "duplicate key in JSON object",
    ),
]


@pytest.mark.parametrize(
    "raw_body, error, reason",
    [b[1:] for b in MALFORMED_BODIES],
    ids=[b[0] for b in MALFORMED_BODIES],
)
def test_create_with_malformed_body_returns_400(
    api: ApiClient, raw_body: str, error: str, reason: str | None
) -> None:
    response = api.request("POST", "/products", raw_body=raw_body)
    assert_error(response, error, reason=reason)


def test_a_nan_name_is_json_but_not_a_string(api: ApiClient) -> None:
    response = api.request("POST", "/products", raw_body='{"name": NaN}')
    assert_error(response, "body invalid", ("name", "not a string"))


def test_a_missing_body_is_required(api: ApiClient) -> None:
    event = rest_event("POST", "/products")
    event["body"] = None
    assert_error(api.send(event), "body required")


@pytest.mark.parametrize(
    "encoded",
    [
        pytest.param("!!!not-base64!!!", id="not base64"),
        pytest.param(base64.b64encode(b'{"name": "\xff\xfe"}').decode(), id="not UTF-8"),
        pytest.param(base64.b64encode(b"\x89PNG\r\n\x1a\n").decode(), id="PNG"),
        # {"name":"Lamp"} with a character outside the alphabet: a lenient decoder would drop it.
        pytest.param("eyJuYW1lIjoi*TGFtcCJ9", id="non-alphabet character"),
        pytest.param("eyJuYW1lIjoiTGFtcCJ9\n", id="trailing newline"),
    ],
)
def test_create_with_undecodable_base64_body_returns_400(api: ApiClient, encoded: str) -> None:
    event = rest_event("POST", "/products", raw_body=encoded)
    event["isBase64Encoded"] = True
    assert_error(api.send(event), "body not utf-8")
    assert api.request("GET", "/products").json == {"products": []}


def test_the_same_base64_text_without_the_flag_is_read_as_json_text(api: ApiClient) -> None:
    response = api.request("POST", "/products", raw_body="eyJuYW1lIjoiTGFtcCJ9")
    assert_error(response, "body not json", reason="Expecting value: line 1 column 1 (char 0)")


@pytest.mark.parametrize(
    "content_type",
    [
        "text/plain",
        "application/x-www-form-urlencoded",
        "multipart/form-data",  # no boundary: must not crash the body parser
        "multipart/form-data; boundary=xyz",
        "application/xml",
        "application/json; charset=latin-1",
        'application/json; charset="latin-1"',
        "application/json; format=flowed; charset=utf-16",
        "application/json; charset=utf-8=x",
        "application/json; charset=XUTF-8X",
        "application/json-seq",
        "text/vnd.example+json",
        "application/jsonx",
    ],
)
def test_create_with_non_json_content_type_returns_415(api: ApiClient, content_type: str) -> None:
    response = api.request(
        "POST", "/products", raw_body='{"name": "Lamp"}', headers={"Content-Type": content_type}
    )
    assert_error(response, "not json media type", given=content_type)
    assert api.request("GET", "/products").json == {"products": []}


@pytest.mark.parametrize(
    "content_type",
    [
        "application/json",
        "APPLICATION/JSON",
        " application/json ",
        "application/vnd.api+json",
        "application/merge-patch+json",
        "application/json; charset=utf-8",
        "application/json;charset=UTF-8",
        "application/json; charset=utf8",
        'application/json; charset="utf-8"',
        "application/json; format=flowed; charset=utf-8",
        "application/json;charset=utf-8;format=flowed",
        "application/json; format=flowed",
        "application/problem+json; charset=UTF8",
    ],
)
def test_create_accepts_every_json_media_type_in_utf_8(api: ApiClient, content_type: str) -> None:
    response = api.request(
        "POST", "/products", raw_body='{"name": "Lamp"}', headers={"Content-Type": content_type}
    )
    assert assert_product(response, 201)["name"] == "Lamp"


# --- read ---


def test_get_returns_product_with_etag(api: ApiClient) -> None:
    created = api.create()
    assert assert_product(api.request("GET", f"/products/{created['id']}")) == created


@pytest.mark.parametrize(
    "product_id",
    [
        pytest.param("3f1c7c7e-4b7a-4e8b-9b1a-0c2d3e4f5a6b", id="never-stored"),
        pytest.param("not-a-uuid", id="not-a-uuid"),
        pytest.param("x" * 5000, id="5000-characters"),
        pytest.param("3F1C7C7E-4B7A-4E8B-9B1A-0C2D3E4F5A6B", id="upper-case-uuid"),
    ],
)
def test_get_of_unknown_id_returns_404(api: ApiClient, product_id: str) -> None:
    assert_error(api.request("GET", f"/products/{product_id}"), "not found")


# --- update ---


def test_update_of_name_keeps_description_and_bumps_version(api: ApiClient) -> None:
    created = api.create("Lamp", "Bright")
    response = api.request("PUT", f"/products/{created['id']}", body={"name": " Desk lamp "})
    updated = assert_product(response)
    assert (updated["name"], updated["description"], updated["version"]) == (
        "Desk lamp",
        "Bright",
        2,
    )
    assert updated["createDate"] == created["createDate"]
    assert updated["lastUpdateDate"] > created["lastUpdateDate"]
    assert api.request("GET", f"/products/{created['id']}").json == updated


def test_update_with_null_description_clears_it(api: ApiClient) -> None:
    created = api.create("Lamp", "Bright")
    response = api.request("PUT", f"/products/{created['id']}", body={"description": None})
    updated = assert_product(response)
    assert (updated["name"], updated["description"]) == ("Lamp", None)


def test_every_update_changes_last_update_date(api: ApiClient) -> None:
    created = api.create()
    dates = [created["lastUpdateDate"]]
    for text in ("a", "b", "c"):
        response = api.request("PUT", f"/products/{created['id']}", body={"description": text})
        dates.append(assert_product(response)["lastUpdateDate"])
    assert dates == sorted(set(dates))


# (test id, body, error answer, its errors as (field, text) pairs)
BAD_UPDATES: list[tuple[str, Any, str, tuple[tuple[str, str], ...]]] = [
    ("no field", {}, "rules broken", (("body", "no change"),)),
    ("null name", {"name": None}, "body invalid", (("name", "null name"),)),
    ("blank name", {"name": "  "}, "rules broken", (("name", "blank name"),)),
    ("number name", {"name": 5}, "body invalid", (("name", "not a string"),)),
    (
        "list description",
        {"description": ["x"]},
        "body invalid",
        (("description", "not a string"),),
    ),
    (
        "long description",
        {"description": "x" * 2001},
        "rules broken",
        (("description", "description too long"),),
    ),
    (
        "client-set version",
        {"name": "ok", "version": 2},
        "body invalid",
        (("version", "not a client field"),),
    ),
    (
        "client-set id",
        {"id": "3f1c7c7e-4b7a-4e8b-9b1a-0c2d3e4f5a6b"},
        "body invalid",
        (("id", "not a client field"),),
    ),
    (
        "client-set createDate",
        {"createDate": "2020-01-01T00:00:00.000Z"},
        "body invalid",
        (("createDate", "not a client field"),),
    ),
    ("unknown field", {"price": 3}, "body invalid", (("price", "not a client field"),)),
    # Every broken rule is reported, not only the first one.
    (
        "two fields of the wrong type",
        {"name": 5, "description": 7},
        "body invalid",
        (("name", "not a string"), ("description", "not a string")),
    ),
    (
        "null name and a stranger",
        {"price": 3, "name": None},
        "body invalid",
        (("name", "null name"), ("price", "not a client field")),
    ),
    (
        "two broken product rules",
        {"name": " ", "description": "bell\u0007"},
        "rules broken",
        (("name", "blank name"), ("description", "control character in description")),
    ),
    (
        "long name and long description",
        {"name": "x" * 201, "description": "x" * 2001},
        "rules broken",
        (("name", "name too long"), ("description", "description too long")),
    ),
]


@pytest.mark.parametrize(
    "body, error, field_errors", [b[1:] for b in BAD_UPDATES], ids=[b[0] for b in BAD_UPDATES]
)
def test_invalid_update_returns_400_and_changes_nothing(
    api: ApiClient, body: Any, error: str, field_errors: tuple[tuple[str, str], ...]
) -> None:
    created = api.create()
    response = api.request("PUT", f"/products/{created['id']}", body=body)
    assert_error(response, error, *field_errors)
    assert api.request("GET", f"/products/{created['id']}").json == created


def test_update_with_matching_if_match_succeeds(api: ApiClient) -> None:
    created = api.create()
    response = api.request(
        "PUT", f"/products/{created['id']}", body={"name": "New"}, headers={"If-Match": '"1"'}
    )
    assert assert_product(response)["version"] == 2


def test_update_with_stale_version_returns_412_and_changes_nothing(api: ApiClient) -> None:
    created = api.create()
    api.request("PUT", f"/products/{created['id']}", body={"name": "Second"})
    response = api.request(
        "PUT", f"/products/{created['id']}", body={"name": "Stale"}, headers={"If-Match": '"1"'}
    )
    assert_error(response, "stale version", actual=2, expected=1)
    assert response.headers["ETag"] == '"2"'
    assert api.request("GET", f"/products/{created['id']}").json["name"] == "Second"


def test_update_with_if_match_star_updates_any_version(api: ApiClient) -> None:
    created = api.create()
    response = api.request(
        "PUT", f"/products/{created['id']}", body={"name": "Any"}, headers={"If-Match": "*"}
    )
    assert assert_product(response)["name"] == "Any"


MALFORMED_IF_MATCH = ["1", '"one"', 'W/"1"', '"1", "2"', '""', '"0"', '"01"', "**", '"1" x']


@pytest.mark.parametrize("if_match", MALFORMED_IF_MATCH)
def test_update_with_malformed_if_match_returns_400(api: ApiClient, if_match: str) -> None:
    created = api.create()
    response = api.request(
        "PUT", f"/products/{created['id']}", body={"name": "X"}, headers={"If-Match": if_match}
    )
    assert_error(response, "if-match invalid", ("If-Match", "if-match rule"))
    assert api.request("GET", f"/products/{created['id']}").json == created


@pytest.mark.parametrize("if_match", MALFORMED_IF_MATCH)
def test_delete_with_malformed_if_match_returns_400_and_keeps_product(
    api: ApiClient, if_match: str
) -> None:
    created = api.create()
    response = api.request("DELETE", f"/products/{created['id']}", headers={"If-Match": if_match})
    assert_error(response, "if-match invalid", ("If-Match", "if-match rule"))
    assert api.request("GET", f"/products/{created['id']}").json == created


@pytest.mark.parametrize("if_match", ['"1"', ' "1" ', "*", " * "])
def test_if_match_is_read_without_surrounding_spaces(api: ApiClient, if_match: str) -> None:
    created = api.create()
    response = api.request(
        "PUT", f"/products/{created['id']}", body={"name": "X"}, headers={"If-Match": if_match}
    )
    assert assert_product(response)["version"] == 2


@pytest.mark.parametrize("headers", [{}, {"If-Match": '"1"'}])
def test_update_of_absent_product_returns_404_and_creates_nothing(
    api: ApiClient, headers: dict[str, str]
) -> None:
    product_id = str(uuid.uuid4())
    response = api.request("PUT", f"/products/{product_id}", body={"name": "X"}, headers=headers)
    assert_error(response, "not found")
    assert api.request("GET", "/products").json == {"products": []}


def test_update_with_text_content_type_returns_415(api: ApiClient) -> None:
    created = api.create()
    response = api.request(
        "PUT",
        f"/products/{created['id']}",
        raw_body='{"name": "X"}',
        headers={"Content-Type": "text/plain"},
    )
    assert_error(response, "not json media type", given="text/plain")
    assert api.request("GET", f"/products/{created['id']}").json == created


# --- delete ---


def test_delete_returns_204_and_product_is_gone(api: ApiClient) -> None:
    created = api.create()
    response = api.request("DELETE", f"/products/{created['id']}")
    assert (response.status, response.raw_body) == (204, "")
    assert_error(api.request("GET", f"/products/{created['id']}"), "not found")
    assert_error(api.request("DELETE", f"/products/{created['id']}"), "not found")


def test_delete_with_stale_if_match_returns_412_and_keeps_product(api: ApiClient) -> None:
    created = api.create()
    response = api.request("DELETE", f"/products/{created['id']}", headers={"If-Match": '"3"'})
    assert_error(response, "stale version", actual=1, expected=3)
    assert response.headers["ETag"] == '"1"'
    assert api.request("GET", f"/products/{created['id']}").status == 200
    response = api.request("DELETE", f"/products/{created['id']}", headers={"If-Match": '"1"'})
    assert response.status == 204


# --- list ---


def follow_pages(api: ApiClient, page_size: int | None) -> list[list[dict[str, Any]]]:
    pages: list[list[dict[str, Any]]] = []
    query = "" if page_size is None else f"pageSize={page_size}"
    while True:
        response = api.request("GET", "/products", query=query)
        assert response.status == 200, response.raw_body
        page = response.json
        validator("ProductPageResponse").validate(page)
        pages.append(page["products"])
        if "nextToken" not in page:
            return pages
        assert URL_SAFE_TOKEN.fullmatch(page["nextToken"])
        query = "&".join(
            part
            for part in (
                f"pageSize={page_size}" if page_size else "",
                f"nextToken={page['nextToken']}",
            )
            if part
        )
        assert len(pages) < 100


@pytest.mark.parametrize(
    "total, page_size, expected_sizes",
    [
        (0, 5, [0]),
        (45, None, [20, 20, 5]),  # default page size
        (40, None, [20, 20]),  # divides exactly: no empty trailing page
        (15, 5, [5, 5, 5]),
        (7, 1, [1] * 7),
        (7, 100, [7]),
        (12, 12, [12]),
        (12, 11, [11, 1]),
    ],
)
def test_paging_returns_every_product_once_in_full_pages(
    api: ApiClient, total: int, page_size: int | None, expected_sizes: list[int]
) -> None:
    created = {api.create(f"p{i}")["id"] for i in range(total)}
    pages = follow_pages(api, page_size)
    assert [len(page) for page in pages] == expected_sizes
    seen = [product["id"] for page in pages for product in page]
    assert len(seen) == len(set(seen)) and set(seen) == created


@pytest.mark.parametrize("page_size", ["0", "101", "999999"])
def test_list_with_page_size_out_of_range_returns_400(api: ApiClient, page_size: str) -> None:
    response = api.request("GET", "/products", query=f"pageSize={page_size}")
    assert_error(response, "rules broken", ("pageSize", "page size out of range"))


@pytest.mark.parametrize("page_size", ["-", "-1", "abc", "1.5", "", " 5", "1e2", "1000000", "٣"])
def test_list_with_page_size_not_a_whole_number_returns_400(api: ApiClient, page_size: str) -> None:
    response = api.request("GET", "/products", query=f"pageSize={page_size}")
    assert_error(response, "parameters invalid", ("pageSize", "not a whole number"))


@pytest.mark.parametrize("page_size, listed", [("1", 1), ("100", 3), ("007", 3)])
def test_list_accepts_page_sizes_within_bounds(api: ApiClient, page_size: str, listed: int) -> None:
    for i in range(3):
        api.create(f"p{i}")
    response = api.request("GET", "/products", query=f"pageSize={page_size}")
    assert response.status == 200 and len(response.json["products"]) == listed


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


@pytest.mark.parametrize(
    "token",
    [
        "garbage!",
        "abc",
        "a",
        _b64(b"not json"),
        _b64(b"[1,2]"),
        _b64(b'{"v":1}'),
        _b64(b'{"v":2,"after":"3f1c7c7e-4b7a-4e8b-9b1a-0c2d3e4f5a6b"}'),
        _b64(b'{"v":1,"after":"not-an-id"}'),
        _b64(b'{"v":1,"after":"3f1c7c7e-4b7a-4e8b-9b1a-0c2d3e4f5a6b","x":1}'),
        _b64(b'{"v":1,"after":"3f1c7c7e-4b7a-4e8b-9b1a-0c2d3e4f5a6b"}') + "==",
        _b64(b"\xff\xfe\xfd"),
        "x" * 5000,
    ],
)
def test_list_with_malformed_or_foreign_token_returns_400(api: ApiClient, token: str) -> None:
    api.create()
    response = api.request("GET", "/products", query=f"nextToken={token}")
    assert_error(response, "next-token invalid", ("nextToken", "next-token rule"))


def test_a_well_formed_token_for_an_id_never_stored_resumes_after_that_position(
    api: ApiClient,
) -> None:
    # What docs/api.md promises for unsigned tokens: well-formed is enough, the id need not exist.
    ids = {api.create(f"p{i}")["id"] for i in range(4)}
    token = _b64(b'{"v":1,"after":"00000000-0000-4000-8000-000000000000"}')

    response = api.request("GET", "/products", query=f"nextToken={token}")

    assert response.status == 200
    returned = [p["id"] for p in response.json["products"]]
    assert len(set(returned)) == len(returned) and set(returned) <= ids


def test_page_size_rule_is_reported_before_the_token_is_read(api: ApiClient) -> None:
    response = api.request("GET", "/products", query="pageSize=0&nextToken=garbage!")
    assert_error(response, "rules broken", ("pageSize", "page size out of range"))


def test_token_of_deleted_product_still_continues_paging(api: ApiClient) -> None:
    for i in range(5):
        api.create(f"p{i}")
    first = api.request("GET", "/products", query="pageSize=2").json
    api.request("DELETE", f"/products/{first['products'][-1]['id']}")
    rest = api.request("GET", "/products", query=f"pageSize=10&nextToken={first['nextToken']}")
    assert rest.status == 200 and len(rest.json["products"]) == 3


# --- errors, routing, headers -------------------------------------------------------------------


@pytest.mark.parametrize(
    "method, path", [("GET", "/nowhere"), ("PATCH", "/products"), ("POST", "/products/x/y")]
)
def test_unknown_route_returns_404_json(api: ApiClient, method: str, path: str) -> None:
    assert_error(api.request(method, path), "no route")


def test_cors_headers_on_actual_responses_never_allow_credentials(api: ApiClient) -> None:
    response = api.request(
        "POST", "/products", body={"name": "x"}, headers={"Origin": "https://shop.example"}
    )
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert "ETag" in response.headers["Access-Control-Expose-Headers"]
    assert "Access-Control-Allow-Credentials" not in response.headers


def test_event_without_headers_is_served(api: ApiClient) -> None:
    event = rest_event("GET", "/products")
    event["headers"] = event["multiValueHeaders"] = None
    assert api.send(event).status == 200


def test_concurrent_partial_updates_through_the_handler_both_persist(
    api: ApiClient, memory_repository: InMemoryProductRepository
) -> None:
    # Two Lambda containers (one handler each, as Lambda never runs two events in one container
    # at once) update different fields of the same product at the same moment.
    other_container = ApiClient(build_handler(memory_repository))
    for round_number in range(10):
        created = api.create()
        path = f"/products/{created['id']}"
        barrier = threading.Barrier(2)
        statuses: list[int] = []

        def put(client: ApiClient, body: dict[str, str]) -> None:
            barrier.wait()
            statuses.append(client.request("PUT", path, body=body).status)

        threads = [
            threading.Thread(target=put, args=(api, {"name": f"name {round_number}"})),
            threading.Thread(
                target=put, args=(other_container, {"description": f"desc {round_number}"})
            ),
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        stored = api.request("GET", path).json
        assert statuses == [200, 200]
        assert (stored["name"], stored["description"]) == (
            f"name {round_number}",
            f"desc {round_number}",
        )
        assert stored["version"] == 3

"""The compatibility check's rules on the real documents, changed the way a careless edit would."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from typing import Any

import pytest

from tools.releases.openapi_compat import OpenApiComparison, event_changes
from tools.releases.schema_compat import Direction, SchemaComparison
from tools.releases.versions import PROJECT_ROOT

Document = dict[str, Any]
OPENAPI: Document = json.loads((PROJECT_ROOT / "docs" / "openapi.json").read_text())
EVENTS: dict[str, Document] = {
    path.name: json.loads(path.read_text())
    for path in sorted((PROJECT_ROOT / "docs" / "events").glob("*.schema.json"))
}


def changed(edit: Callable[[Document], object]) -> Document:
    """A copy of the published OpenAPI document with ``edit`` applied."""
    document = copy.deepcopy(OPENAPI)
    edit(document)
    return document


def schema(document: Document, name: str) -> Document:
    found: Document = document["components"]["schemas"][name]
    return found


def breaking(new: Document) -> list[str]:
    return OpenApiComparison(OPENAPI, new).breaking()


def test_the_document_is_compatible_with_itself() -> None:
    assert breaking(copy.deepcopy(OPENAPI)) == []
    assert event_changes(EVENTS, copy.deepcopy(EVENTS)) == []


def test_a_removed_response_field_breaks_every_operation_returning_it() -> None:
    new = changed(lambda d: schema(d, "ProductResponse")["properties"].pop("description"))

    found = breaking(new)

    assert "GET /products/{id} 200 response body.description: removed" in found
    assert "POST /products 201 response body.description: removed" in found
    assert "GET /products 200 response body.products[].description: removed" in found


def test_a_narrowed_request_type_breaks() -> None:
    def no_null_description(document: Document) -> None:
        schema(document, "CreateProductRequest")["properties"]["description"]["type"] = "string"

    assert breaking(changed(no_null_description)) == [
        "POST /products request body.description: type narrowed, null no longer accepted"
    ]


def test_a_tightened_request_bound_breaks_and_a_loosened_one_does_not() -> None:
    def description_length(limit: int) -> Callable[[Document], None]:
        def edit(document: Document) -> None:
            body = schema(document, "CreateProductRequest")
            body["properties"]["description"]["maxLength"] = limit

        return edit

    assert breaking(changed(description_length(1000))) == [
        "POST /products request body.description: maxLength tightened from 2000 to 1000"
    ]
    assert breaking(changed(description_length(3000))) == []


def test_a_new_required_request_field_breaks_and_a_new_optional_one_does_not() -> None:
    def add_sku(required: bool) -> Callable[[Document], None]:
        def edit(document: Document) -> None:
            body = schema(document, "CreateProductRequest")
            body["properties"]["sku"] = {"type": "string", "maxLength": 40}
            if required:
                body["required"].append("sku")

        return edit

    assert breaking(changed(add_sku(required=True))) == [
        "POST /products request body.sku: new required field"
    ]
    assert breaking(changed(add_sku(required=False))) == []


def test_a_removed_operation_breaks() -> None:
    new = changed(lambda d: d["paths"]["/products/{id}"].pop("delete"))

    assert breaking(new) == ["DELETE /products/{id}: operation removed"]


def test_an_added_optional_response_field_and_a_new_operation_do_not_break() -> None:
    def add(document: Document) -> None:
        schema(document, "ProductResponse")["properties"]["sku"] = {"type": "string"}
        document["paths"]["/products/{id}"]["patch"] = document["paths"]["/products/{id}"]["put"]

    assert breaking(changed(add)) == []


def test_a_new_required_response_field_does_not_break() -> None:
    def add(document: Document) -> None:
        response = schema(document, "ProductResponse")
        response["properties"]["sku"] = {"type": "string"}
        response["required"].append("sku")

    assert breaking(changed(add)) == []


def test_a_response_field_that_may_now_be_missing_or_null_breaks() -> None:
    def loosen(document: Document) -> None:
        response = schema(document, "ProductResponse")
        response["required"].remove("version")
        response["properties"]["name"] = {"anyOf": [{"type": "string"}, {"type": "null"}]}

    found = breaking(changed(loosen))

    assert (
        "GET /products/{id} 200 response body.version: no longer required (may be missing)" in found
    )
    assert "GET /products/{id} 200 response body.name: type widened, may now be null" in found


def test_parameters_new_required_breaks_new_optional_does_not_narrowed_breaks() -> None:
    def parameter(required: bool) -> Callable[[Document], None]:
        def edit(document: Document) -> None:
            document["paths"]["/products"]["get"]["parameters"].append(
                {"in": "query", "name": "sort", "required": required, "schema": {"type": "string"}}
            )

        return edit

    def smaller_pages(document: Document) -> None:
        for candidate in document["paths"]["/products"]["get"]["parameters"]:
            if candidate["name"] == "pageSize":
                candidate["schema"]["maximum"] = candidate["schema"]["maximum"] // 2

    assert breaking(changed(parameter(required=True))) == [
        "GET /products query parameter sort: new required parameter"
    ]
    assert breaking(changed(parameter(required=False))) == []
    (only,) = breaking(changed(smaller_pages))
    assert only.startswith("GET /products query parameter pageSize: maximum tightened")


def test_success_statuses_are_promises_error_statuses_are_not() -> None:
    def statuses(document: Document) -> None:
        responses = document["paths"]["/products"]["post"]["responses"]
        responses["202"] = responses.pop("201")
        responses["409"] = responses["400"]

    assert breaking(changed(statuses)) == [
        "POST /products 201 response: success status removed",
        "POST /products 202 response: success status added",
    ]


def test_a_removed_response_header_breaks() -> None:
    new = changed(
        lambda d: d["paths"]["/products/{id}"]["get"]["responses"]["200"]["headers"].pop("ETag")
    )

    assert breaking(new) == ["GET /products/{id} 200 response header etag: removed"]


def test_events_are_responses_removed_fields_and_events_break_new_fields_do_not() -> None:
    new = copy.deepcopy(EVENTS)
    created = new["ProductCreated.schema.json"]["definitions"]["ProductCreated"]
    created["properties"].pop("occurredAt")
    created["properties"]["traceId"] = {"type": "string"}
    created["required"].append("traceId")
    new.pop("ProductDeleted.schema.json")

    assert event_changes(EVENTS, new) == [
        "event ProductCreated.schema.json.detail.occurredAt: removed",
        "event ProductDeleted.schema.json: removed",
    ]


@pytest.mark.parametrize(
    ("old", "new", "request_breaks", "response_breaks"),
    [
        ({"enum": ["a", "b"]}, {"enum": ["a"]}, True, False),
        ({"enum": ["a"]}, {"enum": ["a", "b"]}, False, True),
        ({"type": "number"}, {"type": "integer"}, True, False),
        ({"type": "integer"}, {"type": "number"}, False, True),
        ({"type": "string"}, {"type": ["string", "null"]}, False, True),
        ({"type": "string", "maxLength": 5}, {"type": "string"}, False, True),
        ({"type": "string"}, {"type": "string", "pattern": "^a"}, True, False),
        ({"type": "object"}, {"type": "object", "additionalProperties": False}, True, False),
    ],
)
def test_each_rule_points_the_way_the_data_flows(
    old: Document, new: Document, request_breaks: bool, response_breaks: bool
) -> None:
    def breaks(direction: Direction) -> bool:
        return bool(SchemaComparison(old, new).breaking(old, new, "x", direction))

    assert (breaks("request"), breaks("response")) == (request_breaks, response_breaks)


def test_recursive_schemas_are_compared_without_looping() -> None:
    tree: Document = {
        "$defs": {
            "Node": {
                "type": "object",
                "properties": {"children": {"type": "array", "items": {"$ref": "#/$defs/Node"}}},
            }
        },
        "$ref": "#/$defs/Node",
    }
    narrower = copy.deepcopy(tree)
    narrower["$defs"]["Node"]["required"] = ["children"]

    assert SchemaComparison(tree, tree).breaking(tree, tree, "tree", "request") == []
    assert SchemaComparison(tree, narrower).breaking(tree, narrower, "tree", "request") == [
        "tree.children: now required"
    ]

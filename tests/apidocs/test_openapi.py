"""The OpenAPI document generated from the declarations is valid and says what the API does."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from openapi_spec_validator import validate

from app import contract
from app.domain import model
from tests.support.dynamodb_local import PROJECT_ROOT
from tests.support.published_schemas import validator
from tools.apidocs.openapi import openapi_document

GATEWAY_STATUSES = {"403", "429", "500", "502", "503", "504"}


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    return openapi_document()


def operations(document: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, methods in document["paths"].items():
        for method, operation in methods.items():
            yield path, method, operation


def values_of(node: Any, key: str) -> Iterator[Any]:
    """Every value stored under ``key`` anywhere in ``node``."""
    if isinstance(node, dict):
        for name, value in node.items():
            if name == key:
                yield value
            yield from values_of(value, key)
    elif isinstance(node, list):
        for item in node:
            yield from values_of(item, key)


def test_the_generated_document_passes_openapi_spec_validator(document: dict[str, Any]) -> None:
    validate(document)  # raises on any violation, e.g. a dangling $ref

    assert document["openapi"].startswith("3.1")


def test_every_operation_lists_each_status_it_can_answer(document: dict[str, Any]) -> None:
    statuses = {(path, method): set(op["responses"]) for path, method, op in operations(document)}

    # Its own success and error statuses, API Gateway's, and 413 where a body can be too large.
    assert statuses == {
        (operation.resource, operation.method.lower()): {
            str(status) for status in (operation.status, *operation.errors)
        }
        | GATEWAY_STATUSES
        | ({"413"} if operation.body != "none" else set())
        for operation in contract.OPERATIONS
    }


def test_the_gateway_403_describes_missing_token_and_bad_signature(
    document: dict[str, Any],
) -> None:
    forbidden = document["paths"]["/products"]["get"]["responses"]["403"]
    examples = forbidden["content"]["application/json"]["examples"]
    messages = {example["value"]["message"] for example in examples.values()}

    assert "Missing Authentication Token" in messages
    assert any(m.startswith("The request signature we calculated does not match") for m in messages)
    assert "x-amzn-ErrorType" in forbidden["headers"]


def test_response_headers_are_described(document: dict[str, Any]) -> None:
    paths = document["paths"]
    created = paths["/products"]["post"]["responses"]["201"]
    for path, method, status in (
        ("/products", "post", "201"),
        ("/products/{id}", "get", "200"),
        ("/products/{id}", "put", "200"),
        ("/products/{id}", "put", "412"),
        ("/products/{id}", "delete", "412"),
    ):
        assert paths[path][method]["responses"][status]["headers"]["ETag"]["required"] is True
    assert created["headers"]["Location"]["required"] is True
    for _, _, operation in operations(document):
        retry_after = operation["responses"]["503"]["headers"]["Retry-After"]
        assert retry_after["schema"]["type"] == "integer"


def test_a_204_has_no_body(document: dict[str, Any]) -> None:
    deleted = document["paths"]["/products/{id}"]["delete"]["responses"]["204"]

    assert "content" not in deleted


def test_ids_and_dates_have_formats_and_every_example_is_realistic(
    document: dict[str, Any],
) -> None:
    product = document["components"]["schemas"]["ProductResponse"]["properties"]
    id_parameter = next(
        p for p in document["paths"]["/products/{id}"]["get"]["parameters"] if p["name"] == "id"
    )

    assert product["id"]["format"] == id_parameter["schema"]["format"] == "uuid"
    assert product["createDate"]["format"] == product["lastUpdateDate"]["format"] == "date-time"
    examples = [e for value in values_of(document, "examples") for e in _flatten(value)]
    assert examples, "the document has no examples"
    assert "string" not in examples


def _flatten(examples: Any) -> list[Any]:
    # JSON Schema "examples" is a list; OpenAPI's media-type "examples" maps names to {"value"}.
    if isinstance(examples, list):
        return examples
    return [example["value"] for example in examples.values()]


def test_sigv4_is_described_the_way_api_gateway_documents_it(document: dict[str, Any]) -> None:
    scheme = document["components"]["securitySchemes"]["sigv4"]

    assert scheme["type"] == "apiKey"
    assert (scheme["name"], scheme["in"]) == ("Authorization", "header")
    assert scheme["x-amazon-apigateway-authtype"] == "awsSigv4"
    assert document["security"] == [{"sigv4": []}]


def test_servers_name_the_stage_and_the_local_api(document: dict[str, Any]) -> None:
    deployed, local = document["servers"]

    assert deployed["url"].endswith("/{stage}")
    assert deployed["variables"]["stage"]["default"]
    assert local["url"] == "http://127.0.0.1:3000"
    assert openapi_document([{"url": "http://127.0.0.1:9"}])["servers"] == [
        {"url": "http://127.0.0.1:9"}
    ]


def test_descriptions_hold_no_markup_a_renderer_would_eat(document: dict[str, Any]) -> None:
    if_match = next(
        p
        for p in document["paths"]["/products/{id}"]["put"]["parameters"]
        if p["name"] == "If-Match"
    )

    assert '"3"' in if_match["description"]
    assert not [d for d in values_of(document, "description") if "<" in str(d)]


def test_request_bodies_and_parameters_come_from_the_validating_models(
    document: dict[str, Any],
) -> None:
    paths = document["paths"]
    post = paths["/products"]["post"]
    create = document["components"]["schemas"]["CreateProductRequest"]
    update = document["components"]["schemas"]["UpdateProductRequest"]

    assert post["requestBody"]["content"]["application/json"]["schema"]["$ref"].endswith(
        "/CreateProductRequest"
    )
    assert create["additionalProperties"] is False and create["required"] == ["name"]
    assert update["minProperties"] == 1
    assert update["properties"]["name"]["type"] == "string"  # may be omitted, never null
    assert {p["name"] for p in paths["/products"]["get"]["parameters"]} == {"pageSize", "nextToken"}
    assert {p["name"] for p in paths["/products/{id}"]["put"]["parameters"]} == {"id", "If-Match"}
    assert [op["operationId"] for _, _, op in operations(document)] == [
        operation.operation_id for operation in contract.OPERATIONS
    ]


def test_openapi_document_describes_idempotent_create(document: dict[str, Any]) -> None:
    post = document["paths"]["/products"]["post"]
    (key,) = [p for p in post["parameters"] if p["name"] == "Idempotency-Key"]
    assert key["in"] == "header" and key["required"] is False
    assert (key["schema"]["minLength"], key["schema"]["maxLength"]) == (1, 255)
    assert "Idempotent-Replayed" in post["responses"]["201"]["headers"]
    assert post["responses"]["422"]["content"]["application/json"]["schema"]["$ref"].endswith(
        "/ErrorResponse"
    )


def test_every_operation_is_grouped_under_the_products_tag(document: dict[str, Any]) -> None:
    operations = [op for item in document["paths"].values() for op in item.values()]

    assert len(operations) == len(contract.OPERATIONS)
    assert all(operation["tags"] == ["products"] for operation in operations)
    assert [tag["name"] for tag in document["tags"]] == ["products"]


def test_links_lead_from_a_product_to_every_operation_on_it(document: dict[str, Any]) -> None:
    created = document["paths"]["/products"]["post"]["responses"]["201"]["links"]
    on_a_product = [op for op in contract.OPERATIONS if op.path_parameters]

    assert {link["operationId"] for link in created.values()} == {
        op.operation_id for op in on_a_product
    }
    for operation in on_a_product:
        (link,) = [
            link for link in created.values() if link["operationId"] == operation.operation_id
        ]
        assert link["parameters"]["id"] == "$response.body#/id"
        assert ("header.If-Match" in link["parameters"]) is operation.conditional


def test_the_doc_tables_of_the_api_page_are_up_to_date() -> None:
    from tools.apidocs import doc_tables

    page = PROJECT_ROOT / "docs" / "api.md"
    assert doc_tables.main([str(page), "--check"]) == 0, "run `make openapi`"


def test_the_example_product_of_the_api_page_is_one_the_api_could_answer() -> None:
    page = (PROJECT_ROOT / "docs" / "api.md").read_text(encoding="utf-8")
    block = page.split("<!-- generated: example-product -->\n```json\n", 1)[1]
    example = json.loads(block.split("\n```", 1)[0])
    errors = [error.message for error in validator("ProductResponse").iter_errors(example)]

    assert errors == []
    assert list(example) == [declared.json_name for declared in model.PRODUCT_FIELDS]

"""The OpenAPI document generated from the resolver describes the contract clients rely on."""

from __future__ import annotations

from app.entrypoints.api.openapi import openapi_document


def test_openapi_document_describes_every_operation_and_body() -> None:
    document = openapi_document()
    assert document["openapi"].startswith("3.1")
    paths = document["paths"]
    assert {m for m in paths["/products"]} == {"get", "post"}
    assert {m for m in paths["/products/{id}"]} == {"get", "put", "delete"}
    post = paths["/products"]["post"]
    assert set(post["responses"]) == {"201", "400", "415", "422", "503"}
    assert post["requestBody"]["content"]["application/json"]["schema"]["$ref"].endswith(
        "/CreateProductRequest"
    )
    create_schema = document["components"]["schemas"]["CreateProductRequest"]
    assert create_schema["additionalProperties"] is False
    assert create_schema["required"] == ["name"]
    query = {p["name"] for p in paths["/products"]["get"]["parameters"]}
    assert query == {"pageSize", "nextToken"}
    put_parameters = {p["name"] for p in paths["/products/{id}"]["put"]["parameters"]}
    assert put_parameters == {"id", "If-Match"}
    assert document["security"] == [{"sigv4": []}]
    for operations in paths.values():
        for operation in operations.values():
            # Validation errors are 400; the only 422 is a reused Idempotency-Key.
            assert "422" not in operation["responses"] or operation is post


def test_openapi_document_describes_idempotent_create() -> None:
    post = openapi_document()["paths"]["/products"]["post"]
    (key,) = [p for p in post["parameters"] if p["name"] == "Idempotency-Key"]
    assert key["in"] == "header" and key["required"] is False
    assert (key["schema"]["minLength"], key["schema"]["maxLength"]) == (1, 255)
    assert "Idempotent-Replayed" in post["responses"]["201"]["headers"]
    assert post["responses"]["422"]["content"]["application/json"]["schema"]["$ref"].endswith(
        "/ErrorResponse"
    )

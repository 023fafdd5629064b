"""The parameters of the OpenAPI document that the routes read themselves: query, headers, path."""

from __future__ import annotations

from typing import Any

from app import contract
from app.entrypoints.api import request_rules as rules
from app.entrypoints.api.responses import JSON_MEDIA_TYPE

_PRODUCT_ID = {
    "type": "string",
    "format": "uuid",
    "examples": ["3f1c7c7e-4b7a-4e8b-9b1a-0c2d3e4f5a6b"],
}
# Plain text, no angle brackets: Swagger UI renders descriptions as Markdown (HTML included).
_IF_MATCH = {
    "name": rules.IF_MATCH_HEADER,
    "in": "header",
    "required": False,
    "description": (
        'Optimistic locking: the ETag of the version you read, such as "3" (with the quotes); '
        "the write fails with 412 if the product has moved on. * or no header: any version."
    ),
    "schema": {**rules.IF_MATCH.schema(), "examples": ['"3"']},
}


def add_parameters(document: dict[str, Any]) -> None:
    """The query parameters of the listing, If-Match on writes, and the product id path."""
    document["paths"]["/products"]["get"]["parameters"] = [
        {
            "name": rules.PAGE_SIZE_PARAMETER,
            "in": "query",
            "required": False,
            "description": "Products per page",
            "schema": {**rules.page_size_schema(), "examples": [10]},
        },
        {
            "name": rules.PAGE_TOKEN_PARAMETER,
            "in": "query",
            "required": False,
            "description": "The nextToken of the previous page, exactly as received",
            "schema": rules.PAGE_TOKEN.schema(),
        },
    ]
    for method in ("put", "delete"):
        operation = document["paths"]["/products/{product_id}"][method]
        operation.setdefault("parameters", []).append(dict(_IF_MATCH))
    # Name the path parameter as API Gateway's resource does.
    document["paths"][f"/products/{{{contract.PRODUCT_ID_PARAMETER}}}"] = document["paths"].pop(
        "/products/{product_id}"
    )
    for operations in document["paths"].values():
        for operation in operations.values():
            for parameter in operation.get("parameters", []):
                if parameter["name"] == "product_id":
                    parameter.update(
                        name=contract.PRODUCT_ID_PARAMETER,
                        description="The product's id (ids the API never issued: 404)",
                        schema=dict(_PRODUCT_ID),
                    )


def document_idempotent_create(operation: dict[str, Any]) -> None:
    """``Idempotency-Key`` on ``POST /products``: the header, the replay header and the 422."""
    operation.setdefault("parameters", []).append(
        {
            "name": contract.IDEMPOTENCY_KEY_HEADER,
            "in": "header",
            "required": False,
            "description": (
                "Makes retries safe: a repeat by the same caller with the same key and the same "
                "JSON body creates nothing and answers 201 with the product as it is now (and "
                f"{contract.IDEMPOTENT_REPLAYED_HEADER}: true); the key with another body is a "
                "422. Remembered as long as the product it created exists."
            ),
            "schema": rules.IDEMPOTENCY_KEY.schema(),
        }
    )
    operation["responses"]["201"].setdefault("headers", {})[contract.IDEMPOTENT_REPLAYED_HEADER] = {
        "description": "true when an earlier request with the same Idempotency-Key created it",
        "schema": {"type": "string", "enum": ["true"]},
    }
    operation["responses"]["422"] = {
        "description": "Idempotency-Key already used for another request; nothing written",
        "content": {JSON_MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/ErrorResponse"}}},
    }

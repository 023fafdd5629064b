"""The parameters of the OpenAPI document: path, query and headers, from the request rules."""

from __future__ import annotations

from typing import Any

from app import contract
from app.domain import model
from app.entrypoints.api import request_rules as rules

# The one path parameter operations take: a product id (ids the API never issued answer 404).
_ID_FIELD = next(declared for declared in model.PRODUCT_FIELDS if declared.json_name == "id")


def path_parameter(name: str) -> dict[str, Any]:
    """A path parameter of the resource (the product's id)."""
    return {
        "name": name,
        "in": "path",
        "required": True,
        "description": "The product's id (ids the API never issued: 404)",
        "schema": {"type": "string", "format": "uuid", "examples": [_ID_FIELD.example]},
    }


# Plain text, no angle brackets: Swagger UI renders descriptions as Markdown (HTML included).
IF_MATCH = {
    "name": rules.IF_MATCH_HEADER,
    "in": "header",
    "required": False,
    "description": (
        'Optimistic locking: the ETag of the version you read, such as "3" (with the quotes); '
        "the write fails with 412 if the product has moved on. * or no header: any version."
    ),
    "schema": {**rules.IF_MATCH.schema(), "examples": ['"3"']},
}

IDEMPOTENCY_KEY = {
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

# The query parameters of a listing (an operation whose answer is a page).
PAGING = [
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


def parameters(operation: contract.Operation) -> list[dict[str, Any]]:
    """Every parameter ``operation`` reads: its path's, paging's, If-Match, Idempotency-Key."""
    found = [path_parameter(name) for name in operation.path_parameters]
    if operation.response == "page":
        found += PAGING
    if operation.conditional:
        found.append(IF_MATCH)
    if operation.idempotent:
        found.append(IDEMPOTENCY_KEY)
    return [dict(parameter) for parameter in found]

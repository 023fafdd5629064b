"""The OpenAPI operation of each declared operation (``app.contract.OPERATIONS``): parameters,
request body, every answer with its headers, and the links to the operations that follow."""

from __future__ import annotations

import json
from typing import Any

from app import contract
from app.entrypoints.api.responses import JSON_MEDIA_TYPE
from tools.apidocs import schemas
from tools.apidocs.gateway_responses import GATEWAY_RESPONSES, PAYLOAD_TOO_LARGE
from tools.apidocs.parameters import parameters

TAG = "products"

# What each status the function answers means, for every operation that declares it.
ERROR_DESCRIPTIONS = {
    400: "Invalid input",
    404: "No such product",
    412: "If-Match mismatch",
    415: "Body not JSON",
    422: "Idempotency-Key already used for another request; nothing written",
    503: "Store throttled or unavailable",
}
_VERSION_ETAG = {
    "description": "The product's version as a strong entity tag, for If-Match",
    "required": True,
    "schema": {"type": "string", "pattern": '^"[1-9][0-9]*"$', "examples": ['"2"']},
}


def _json_body(schema_name: str) -> dict[str, Any]:
    return {JSON_MEDIA_TYPE: {"schema": {"$ref": schemas.REFERENCE_PREFIX + schema_name}}}


def _success(operation: contract.Operation) -> dict[str, Any]:
    """The success answer: its body, its headers, and links to what may follow."""
    if operation.response == "none":
        return {"description": "Done: no content"}
    if operation.response == "page":
        return {"description": "A page", "content": _json_body(schemas.PAGE)}
    headers = {"ETag": dict(_VERSION_ETAG)}
    if operation.status == 201:
        headers["Location"] = {
            "description": "The new product's path",
            "required": True,
            "schema": {
                "type": "string",
                "examples": ["/products/3f1c7c7e-4b7a-4e8b-9b1a-0c2d3e4f5a6b"],
            },
        }
    if operation.idempotent:
        headers[contract.IDEMPOTENT_REPLAYED_HEADER] = {
            "description": "true when an earlier request with the same Idempotency-Key created it",
            "schema": {"type": "string", "enum": ["true"]},
        }
    return {
        "description": "Created" if operation.status == 201 else "The product",
        "content": _json_body(schemas.PRODUCT),
        "headers": headers,
        "links": links(),
    }


def links() -> dict[str, Any]:
    """From a product answer to each operation on that product: its id, and its ETag as If-Match.

    Clients and stateful fuzzers follow them from a create to a read, update and delete.
    """
    found = {}
    for operation in contract.OPERATIONS:
        if contract.PRODUCT_ID_PARAMETER not in operation.path_parameters:
            continue
        parameters = {contract.PRODUCT_ID_PARAMETER: "$response.body#/id"}
        if operation.conditional:
            parameters["header.If-Match"] = "$response.header.ETag"
        name = operation.operation_id[0].upper() + operation.operation_id[1:]
        found[name] = {"operationId": operation.operation_id, "parameters": parameters}
    return found


def _error(status: int) -> dict[str, Any]:
    answer: dict[str, Any] = {
        "description": ERROR_DESCRIPTIONS[status],
        "content": _json_body(schemas.ERROR),
    }
    if status == 412:
        answer["headers"] = {"ETag": {**_VERSION_ETAG, "description": "The current version's ETag"}}
    return answer


def openapi_operation(operation: contract.Operation) -> dict[str, Any]:
    """The OpenAPI operation object of ``operation``."""
    responses: dict[str, Any] = {str(operation.status): _success(operation)}
    responses.update({str(status): _error(status) for status in operation.errors})
    # API Gateway's own answers (403, 429, 5xx) replace the function's for the same status.
    responses.update(json.loads(json.dumps(GATEWAY_RESPONSES)))
    found: dict[str, Any] = {
        "operationId": operation.operation_id,
        "summary": operation.summary,
        "tags": [TAG],
    }
    if found_parameters := parameters(operation):
        found["parameters"] = found_parameters
    if operation.body != "none":
        found["requestBody"] = {
            "required": True,
            "content": _json_body(schemas.REQUEST_BODIES[operation.body]),
        }
        responses.update(json.loads(json.dumps(PAYLOAD_TOO_LARGE)))
    found["responses"] = dict(sorted(responses.items()))
    return found


def paths() -> dict[str, dict[str, Any]]:
    """Every resource with the OpenAPI operation of each of its methods."""
    found: dict[str, dict[str, Any]] = {}
    for operation in contract.OPERATIONS:
        found.setdefault(operation.resource, {})[operation.method.lower()] = openapi_operation(
            operation
        )
    return found

"""What the OpenAPI document says about each route: summary, success status, documented answers.

The function dispatches on ``(method, resource)`` itself (``app.entrypoints.api.proxy``);
:func:`documented_resolver` registers the same routes on Powertools' ``APIGatewayRestResolver``
(never called, only inspected) so that Powertools generates the paths and operations.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver
from aws_lambda_powertools.event_handler.openapi.types import OpenAPIResponse

from app.entrypoints.api.responses import JSON_MEDIA_TYPE
from app.entrypoints.api.routes import PRODUCT, PRODUCTS

SCHEMA_REFERENCE_PREFIX = "#/components/schemas/"
# Powertools' rule syntax for the path parameter; ``openapi`` renames it to the resource's name.
_PRODUCT_RULE = "/products/<product_id>"


def _documented(description: str, body_schema: str = "ErrorResponse") -> OpenAPIResponse:
    """An OpenAPI response entry whose JSON body is the ``schemas`` model named ``body_schema``."""
    reference = {"$ref": f"{SCHEMA_REFERENCE_PREFIX}{body_schema}"}
    return {"description": description, "content": {JSON_MEDIA_TYPE: {"schema": reference}}}


_ERROR_RESPONSES: dict[int, OpenAPIResponse] = {
    400: _documented("Invalid input"),
    503: _documented("Store throttled or unavailable"),
}
_NOT_FOUND: dict[int, OpenAPIResponse] = {404: _documented("No such product")}
_PRECONDITION: dict[int, OpenAPIResponse] = {412: _documented("If-Match mismatch")}
_UNSUPPORTED: dict[int, OpenAPIResponse] = {415: _documented("Body not JSON")}


@dataclass(frozen=True)
class Operation:
    """One route as the document describes it."""

    summary: str
    responses: dict[int, OpenAPIResponse]
    status_code: int = 200


# (method, resource) -> its documentation; a test checks these are exactly the function's routes.
OPERATIONS: dict[tuple[str, str], Operation] = {
    ("POST", PRODUCTS): Operation(
        "Create a product",
        {201: _documented("Created", "ProductResponse"), **_ERROR_RESPONSES, **_UNSUPPORTED},
        status_code=201,
    ),
    ("GET", PRODUCTS): Operation(
        "List products, one page at a time",
        {200: _documented("A page", "ProductPageResponse"), **_ERROR_RESPONSES},
    ),
    ("GET", PRODUCT): Operation(
        "Get a product",
        {
            200: _documented("The product", "ProductResponse"),
            503: _ERROR_RESPONSES[503],  # no input to reject: a malformed id is simply not found
            **_NOT_FOUND,
        },
    ),
    ("PUT", PRODUCT): Operation(
        "Update a product's name and/or description",
        {
            200: _documented("Updated", "ProductResponse"),
            **_ERROR_RESPONSES,
            **_NOT_FOUND,
            **_PRECONDITION,
            **_UNSUPPORTED,
        },
    ),
    ("DELETE", PRODUCT): Operation(
        "Delete a product",
        {
            204: {"description": "Deleted"},
            **_ERROR_RESPONSES,
            **_NOT_FOUND,
            **_PRECONDITION,
        },
    ),
}

# Powertools names operations after their functions; ``openapi`` replaces the ids anyway.
_FUNCTION_NAMES = {"POST": "create", "GET": "get", "PUT": "update", "DELETE": "delete"}


def _undocumented_call(*args: Any, **kwargs: Any) -> Any:
    raise NotImplementedError("documentation only: the function serves requests")


def documented_resolver() -> APIGatewayRestResolver:
    """A resolver holding every route with its documentation (for ``get_openapi_json_schema``)."""
    resolver = APIGatewayRestResolver()
    for (method, resource), operation in OPERATIONS.items():
        if resource == PRODUCT:

            def route(product_id: str) -> Any:
                return _undocumented_call(product_id)

            rule = _PRODUCT_RULE
        else:

            def route() -> Any:  # type: ignore[misc]  # one signature per branch
                return _undocumented_call()

            rule = resource
        listing = (method, resource) == ("GET", PRODUCTS)
        route.__name__ = "list_products" if listing else _FUNCTION_NAMES[method]
        resolver.route(
            rule,
            method,
            summary=operation.summary,
            responses=operation.responses,
            status_code=operation.status_code,
        )(route)
    return resolver

"""HTTP routes: requests -> domain commands, domain results and errors -> HTTP responses.

``build_resolver`` is the only place that decides status codes; the composition root in
``handler.py`` gives it a repository and the observability tools.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from http import HTTPStatus
from typing import Any, cast

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
from aws_lambda_powertools.event_handler.exceptions import NotFoundError
from aws_lambda_powertools.event_handler.openapi.types import OpenAPIResponse
from aws_lambda_powertools.metrics import MetricUnit

from app import contract
from app.domain import command_handlers, commands, model
from app.domain.exceptions import (
    FieldError,
    InvalidPageToken,
    ProductNotFound,
    RepositoryUnavailable,
    ValidationFailed,
    VersionConflict,
)
from app.domain.ports import ProductRepository
from app.entrypoints.api import schemas
from app.entrypoints.api.lean_resolver import LeanRestResolver

RETRY_AFTER_SECONDS = 1
_JSON = "application/json"


def _json_response(
    status: HTTPStatus, body: Any, headers: dict[str, str] | None = None
) -> Response[str]:
    return Response(
        status_code=status.value,
        content_type=_JSON,
        body=json.dumps(body, separators=(",", ":")),
        headers=headers,
    )


def _error(
    status: HTTPStatus,
    message: str,
    errors: list[FieldError] | None = None,
    headers: dict[str, str] | None = None,
) -> Response[str]:
    body: dict[str, Any] = {"message": message}
    if errors:
        body["errors"] = [{"field": e.field, "message": e.message} for e in errors]
    return _json_response(status, body, headers)


def _product_response(
    product: model.Product, status: HTTPStatus = HTTPStatus.OK, **headers: str
) -> Response[str]:
    return _json_response(
        status,
        schemas.product_to_json(product),
        {"ETag": schemas.etag(product.version), **headers},
    )


def _documented(description: str, body_model: type[Any] = schemas.ErrorResponse) -> OpenAPIResponse:
    """An OpenAPI response entry whose JSON body is ``body_model``."""
    return {"description": description, "content": {_JSON: {"model": body_model}}}


_ERROR_RESPONSES: dict[int, OpenAPIResponse] = {
    400: _documented("Invalid input"),
    503: _documented("Store throttled or unavailable"),
}
_NOT_FOUND: dict[int, OpenAPIResponse] = {404: _documented("No such product")}
_PRECONDITION: dict[int, OpenAPIResponse] = {412: _documented("If-Match mismatch")}
_UNSUPPORTED: dict[int, OpenAPIResponse] = {415: _documented("Body not JSON")}


def cors_headers(allow_origin: str) -> dict[str, str]:
    """The CORS headers of every actual (non-preflight) response: the two a browser reads there.

    API Gateway answers preflight (OPTIONS) itself with the allowed methods, headers and max-age,
    so the function never sends those. No ``Access-Control-Allow-Credentials``: SigV4 travels in
    headers, browsers never need cookies here. Sent on every response, with or without ``Origin``,
    so a cached response is right for every caller.
    """
    return {
        "Access-Control-Allow-Origin": allow_origin,
        "Access-Control-Expose-Headers": ",".join(contract.CORS_EXPOSE_HEADERS),
    }


def build_resolver(
    repository: ProductRepository,
    *,
    logger: Logger,
    metrics: Metrics,
    clock: command_handlers.Clock = model.utc_now,
    new_id: command_handlers.IdFactory = command_handlers.new_product_id,
) -> APIGatewayRestResolver:
    """The Powertools resolver for the products API, bound to a repository."""
    # Powertools' validation is off on purpose: it costs ~280 ms of cold start (its OpenAPI models)
    # and the routes parse their few inputs explicitly (see ``schemas``). No CORSConfig: it would
    # add all preflight headers to every response (see ``cors_headers``). LeanRestResolver:
    # Powertools' resolver with a short per-request path (see its module).
    app = LeanRestResolver()

    def request_json(model_class: type[Any]) -> Any:
        event = app.current_event
        document = schemas.read_json_object(
            event.headers, event.body, bool(event.is_base64_encoded)
        )
        return schemas.parse_body(model_class, document)

    def count(metric: str) -> None:
        metrics.add_metric(name=metric, unit=MetricUnit.Count, value=1)

    @app.post(
        "/products",
        status_code=201,
        summary="Create a product",
        responses={
            201: _documented("Created", schemas.ProductResponse),
            **_ERROR_RESPONSES,
            **_UNSUPPORTED,
        },
    )
    def create() -> Response[str]:
        body: schemas.CreateProductRequest = request_json(schemas.CreateProductRequest)
        product = command_handlers.create_product(
            commands.CreateProduct(name=body.name, description=body.description),
            repository,
            clock,
            new_id,
        )
        count("ProductCreated")
        return _product_response(
            product, HTTPStatus.CREATED, Location=f"/products/{product.product_id}"
        )

    @app.get(
        "/products",
        summary="List products, one page at a time",
        responses={
            200: _documented("A page", schemas.ProductPageResponse),
            **_ERROR_RESPONSES,
        },
    )
    def list_products() -> Response[str]:
        event = app.current_event
        page_size = schemas.parse_page_size(event.get_query_string_value("pageSize"))
        next_token = event.get_query_string_value("nextToken")
        products, token = command_handlers.list_products(
            commands.ListProducts(page_size=page_size, page_token=next_token), repository
        )
        count("ProductsListed")
        page: dict[str, Any] = {"products": [schemas.product_to_json(p) for p in products]}
        if token is not None:
            page["nextToken"] = token
        return _json_response(HTTPStatus.OK, page)

    @app.get(
        "/products/<product_id>",
        summary="Get a product",
        responses={
            200: _documented("The product", schemas.ProductResponse),
            **_ERROR_RESPONSES,
            **_NOT_FOUND,
        },
    )
    def get(product_id: str) -> Response[str]:
        product = command_handlers.get_product(commands.GetProduct(product_id), repository)
        count("ProductRead")
        return _product_response(product)

    @app.put(
        "/products/<product_id>",
        summary="Update a product's name and/or description",
        responses={
            200: _documented("Updated", schemas.ProductResponse),
            **_ERROR_RESPONSES,
            **_NOT_FOUND,
            **_PRECONDITION,
            **_UNSUPPORTED,
        },
    )
    def update(product_id: str) -> Response[str]:
        body: schemas.UpdateProductRequest = request_json(schemas.UpdateProductRequest)
        expected_version = schemas.parse_if_match(app.current_event.headers.get("if-match"))
        sent = body.model_fields_set
        product = command_handlers.update_product(
            commands.UpdateProduct(
                product_id=product_id,
                name=body.name if "name" in sent and body.name is not None else commands.UNCHANGED,
                description=body.description if "description" in sent else commands.UNCHANGED,
                expected_version=expected_version,
            ),
            repository,
            clock,
        )
        count("ProductUpdated")
        return _product_response(product)

    @app.delete(
        "/products/<product_id>",
        summary="Delete a product",
        responses={
            204: {"description": "Deleted"},
            **_ERROR_RESPONSES,
            **_NOT_FOUND,
            **_PRECONDITION,
        },
    )
    def delete(product_id: str) -> Response[str]:
        expected_version = schemas.parse_if_match(app.current_event.headers.get("if-match"))
        command_handlers.delete_product(
            commands.DeleteProduct(product_id, expected_version), repository
        )
        count("ProductDeleted")
        return Response(status_code=HTTPStatus.NO_CONTENT.value, body="")

    def bad_request(error: schemas.BadRequest) -> Response[str]:
        return _error(HTTPStatus.BAD_REQUEST, error.message, error.errors)

    def rule_broken(error: ValidationFailed) -> Response[str]:
        return _error(HTTPStatus.BAD_REQUEST, "Request breaks product rules", error.errors)

    def bad_token(error: InvalidPageToken) -> Response[str]:
        return _error(HTTPStatus.BAD_REQUEST, str(error), [FieldError("nextToken", str(error))])

    def not_json(error: schemas.UnsupportedMediaType) -> Response[str]:
        return _error(HTTPStatus.UNSUPPORTED_MEDIA_TYPE, str(error))

    def missing(error: ProductNotFound) -> Response[str]:
        return _error(HTTPStatus.NOT_FOUND, "Product not found")

    def stale(error: VersionConflict) -> Response[str]:
        return _error(
            HTTPStatus.PRECONDITION_FAILED,
            f"Product is at version {error.actual}, not {error.expected}",
            headers={"ETag": schemas.etag(error.actual)},
        )

    def unavailable(error: RepositoryUnavailable) -> Response[str]:
        logger.warning("product store unavailable", extra={"reason": error.reason})
        return _error(
            HTTPStatus.SERVICE_UNAVAILABLE,
            "Service temporarily unavailable, retry later",
            headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
        )

    @app.not_found
    def no_route(error: NotFoundError) -> Response[str]:
        return _error(HTTPStatus.NOT_FOUND, "No such route")

    def bug(error: Exception) -> Response[str]:
        logger.exception("unhandled error")
        return _error(HTTPStatus.INTERNAL_SERVER_ERROR, "Internal server error")

    # One table maps every error to its status; registered without decorators (they are untyped).
    error_handlers: dict[type[Exception], Callable[[Any], Response[str]]] = {
        schemas.BadRequest: bad_request,
        ValidationFailed: rule_broken,
        InvalidPageToken: bad_token,
        schemas.UnsupportedMediaType: not_json,
        ProductNotFound: missing,
        VersionConflict: stale,
        RepositoryUnavailable: unavailable,
        Exception: bug,
    }
    for error_type, error_handler in error_handlers.items():
        app.exception_handler(error_type)(error_handler)

    return app


def openapi_document() -> dict[str, Any]:
    """The OpenAPI 3.1 document of this API, generated from the resolver (no AWS needed).

    Request bodies and query parameters are read by the routes themselves (see ``schemas``), so
    they are added here, bodies from the same pydantic models that validate them.
    """
    # Imported here: the OpenAPI models cost cold-start time; only this build-time tool needs them.
    from aws_lambda_powertools.event_handler.openapi.models import APIKey, APIKeyIn

    # The routes are only inspected, never called, so no repository is needed.
    resolver = build_resolver(
        cast(ProductRepository, None),
        logger=Logger(service=contract.SERVICE_NAME),
        metrics=Metrics(namespace=contract.METRICS_NAMESPACE, service=contract.SERVICE_NAME),
    )
    document: dict[str, Any] = json.loads(
        resolver.get_openapi_json_schema(
            title="Products API",
            version="1.0.0",
            description=(
                "CRUD API for products. Every operation requires an AWS SigV4 signature "
                "(service execute-api)."
            ),
            security_schemes={
                "sigv4": APIKey.model_validate(
                    {
                        "type": "apiKey",
                        "name": "Authorization",
                        "in": APIKeyIn.header,
                        "description": "AWS Signature Version 4 for service execute-api",
                    }
                )
            },
            security=[{"sigv4": []}],
        )
    )
    schemas_section = document.setdefault("components", {}).setdefault("schemas", {})
    for path, method, request_model in (
        ("/products", "post", schemas.CreateProductRequest),
        ("/products/{product_id}", "put", schemas.UpdateProductRequest),
    ):
        name = request_model.__name__
        schemas_section[name] = request_model.model_json_schema(
            ref_template="#/components/schemas/{model}"
        )
        document["paths"][path][method]["requestBody"] = {
            "required": True,
            "content": {_JSON: {"schema": {"$ref": f"#/components/schemas/{name}"}}},
        }
    document["paths"]["/products"]["get"]["parameters"] = [
        {
            "name": "pageSize",
            "in": "query",
            "required": False,
            "description": "Products per page",
            "schema": {
                "type": "integer",
                "minimum": model.PAGE_SIZE_MIN,
                "maximum": model.PAGE_SIZE_MAX,
                "default": model.PAGE_SIZE_DEFAULT,
            },
        },
        {
            "name": "nextToken",
            "in": "query",
            "required": False,
            "description": "Opaque token from the previous page",
            "schema": {"type": "string", "pattern": "^[A-Za-z0-9_-]+$"},
        },
    ]
    if_match = {
        "name": "If-Match",
        "in": "header",
        "required": False,
        "description": 'Optimistic locking: "<version>" (412 if the product has moved on) or *',
        "schema": {"type": "string"},
    }
    for method in ("put", "delete"):
        operation = document["paths"]["/products/{product_id}"][method]
        operation.setdefault("parameters", []).append(if_match)
    # Name the path parameter as API Gateway's resource does, and drop Powertools' default 422
    # response: this API reports every validation error as 400.
    document["paths"]["/products/{id}"] = document["paths"].pop("/products/{product_id}")
    for operations in document["paths"].values():
        for operation in operations.values():
            operation["responses"].pop("422", None)
            for parameter in operation.get("parameters", []):
                if parameter["name"] == "product_id":
                    parameter.update(name="id", schema={"type": "string", "format": "uuid"})
    for unused in ("HTTPValidationError", "ValidationError"):
        schemas_section.pop(unused, None)
    return document

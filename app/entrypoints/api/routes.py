"""HTTP routes: requests -> domain commands, domain results and errors -> HTTP responses.

``ERROR_RESPONDERS`` is the only place that maps errors to status codes; ``build_resolver`` binds
the routes to a repository and the observability tools the composition root (``handler.py``) gives.
The OpenAPI document is generated from the same resolver in ``openapi.py``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from http import HTTPStatus
from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
from aws_lambda_powertools.event_handler.exceptions import NotFoundError
from aws_lambda_powertools.event_handler.openapi.types import OpenAPIResponse
from aws_lambda_powertools.metrics import MetricUnit

from app import contract
from app.domain import command_handlers, commands, model
from app.domain.exceptions import (
    FieldError,
    IdempotencyKeyReused,
    ProductNotFound,
    RepositoryUnavailable,
    ValidationFailed,
    VersionConflict,
)
from app.domain.ports import ProductRepository
from app.entrypoints.api import schemas
from app.entrypoints.api.lean_resolver import LeanRestResolver

RETRY_AFTER_SECONDS = 1
JSON_MEDIA_TYPE = "application/json"


def _json_response(
    status: HTTPStatus, body: Any, headers: dict[str, str] | None = None
) -> Response[str]:
    return Response(
        status_code=status.value,
        content_type=JSON_MEDIA_TYPE,
        body=json.dumps(body, separators=(",", ":")),
        headers=headers,
    )


def _error(
    status: HTTPStatus,
    message: str,
    errors: list[FieldError] | None = None,
    headers: dict[str, str] | None = None,
) -> Response[str]:
    # Bounded whatever the request (Lambda refuses responses over 6 MB): a request with 200k
    # unknown keys, or one huge key, still gets a body of a few KB.
    body: dict[str, Any] = {"message": _clipped(message)}
    if errors:
        listed = errors[: schemas.MAX_FIELD_ERRORS]
        body["errors"] = [
            {"field": _clipped(e.field), "message": _clipped(e.message)} for e in listed
        ]
        if len(errors) > len(listed):
            body["omittedErrors"] = len(errors) - len(listed)
    return _json_response(status, body, headers)


def _clipped(text: str) -> str:
    if len(text) <= schemas.MAX_ERROR_TEXT:
        return text
    return text[: schemas.MAX_ERROR_TEXT - 3] + "..."


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
    return {"description": description, "content": {JSON_MEDIA_TYPE: {"model": body_model}}}


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


# --- Errors -> responses: one table, one status per error type ---------------------------------
ErrorResponder = Callable[[Any, Logger], Response[str]]


def _bad_request(error: schemas.BadRequest, logger: Logger) -> Response[str]:
    return _error(HTTPStatus.BAD_REQUEST, error.message, error.errors)


def _rule_broken(error: ValidationFailed, logger: Logger) -> Response[str]:
    errors = schemas.client_field_errors(error.errors)
    return _error(HTTPStatus.BAD_REQUEST, "Request breaks product rules", errors)


def _not_json(error: schemas.UnsupportedMediaType, logger: Logger) -> Response[str]:
    return _error(HTTPStatus.UNSUPPORTED_MEDIA_TYPE, str(error))


def _missing(error: ProductNotFound, logger: Logger) -> Response[str]:
    return _error(HTTPStatus.NOT_FOUND, "Product not found")


def _stale(error: VersionConflict, logger: Logger) -> Response[str]:
    return _error(
        HTTPStatus.PRECONDITION_FAILED,
        f"Product is at version {error.actual}, not {error.expected}",
        headers={"ETag": schemas.etag(error.actual)},
    )


def _key_reused(error: IdempotencyKeyReused, logger: Logger) -> Response[str]:
    return _error(
        HTTPStatus.UNPROCESSABLE_ENTITY,
        f"{schemas.IDEMPOTENCY_KEY_HEADER} was already used for another request;"
        " send a new key with a new request",
        [FieldError(schemas.IDEMPOTENCY_KEY_HEADER, "was used for another request")],
    )


def _unavailable(error: RepositoryUnavailable, logger: Logger) -> Response[str]:
    logger.warning("product store unavailable", extra={"reason": error.reason})
    return _error(
        HTTPStatus.SERVICE_UNAVAILABLE,
        "Service temporarily unavailable, retry later",
        headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
    )


def _bug(error: Exception, logger: Logger) -> Response[str]:
    logger.exception("unhandled error")
    return _error(HTTPStatus.INTERNAL_SERVER_ERROR, "Internal server error")


# Powertools picks the entry of the error's nearest class, so ``Exception`` only catches the rest.
ERROR_RESPONDERS: dict[type[Exception], ErrorResponder] = {
    schemas.BadRequest: _bad_request,
    ValidationFailed: _rule_broken,
    schemas.UnsupportedMediaType: _not_json,
    ProductNotFound: _missing,
    VersionConflict: _stale,
    IdempotencyKeyReused: _key_reused,
    RepositoryUnavailable: _unavailable,
    Exception: _bug,
}


def _with_logger(responder: ErrorResponder, logger: Logger) -> Callable[[Any], Response[str]]:
    """``responder`` as Powertools calls an exception handler: with the error only."""

    def respond(error: Any) -> Response[str]:
        return responder(error, logger)

    return respond


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

    def request_document() -> dict[str, Any]:
        event = app.current_event
        return schemas.read_json_object(event.headers, event.body, bool(event.is_base64_encoded))

    def header_values(name: str) -> list[str]:
        # Every value: a header sent twice must not quietly lose one of them.
        event = app.current_event
        values = event.multi_value_headers.get(name)
        if values:
            return list(values)
        value = event.headers.get(name)
        return [] if value is None else [value]

    def request_id() -> str:
        # API Gateway's id of this request: the same in every SDK retry of the request's write.
        given = app.current_event.request_context.get("requestId")
        return given if isinstance(given, str) and given else commands.new_request_id()

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
        event = app.current_event
        document = request_document()
        body = schemas.parse_body(schemas.CreateProductRequest, document)
        key = schemas.parse_idempotency_key(header_values(schemas.IDEMPOTENCY_KEY_HEADER))
        idempotency = None
        if key is not None:
            identity = event.request_context.get("identity") or {}
            idempotency = commands.IdempotencyKey(
                caller=schemas.caller_of(identity),
                key=key,
                fingerprint=model.request_fingerprint(document),
            )
        created = command_handlers.create_product(
            commands.CreateProduct(
                name=body.name,
                description=body.description,
                idempotency=idempotency,
                request_id=request_id(),
            ),
            repository,
            clock,
            new_id,
        )
        product = created.product
        headers = {"Location": f"/products/{product.product_id}"}
        if created.replayed:
            headers[schemas.IDEMPOTENT_REPLAYED_HEADER] = "true"
        else:
            count("ProductCreated")
        return _product_response(product, HTTPStatus.CREATED, **headers)

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
        # The page-size rule answers before the token is read (the order clients have always seen).
        if page_size_errors := model.page_size_errors(page_size):
            raise ValidationFailed(page_size_errors)
        next_token = event.get_query_string_value("nextToken")
        after_id = schemas.decode_page_token(next_token) if next_token is not None else None
        page = command_handlers.list_products(
            commands.ListProducts(page_size=page_size, after_id=after_id), repository
        )
        count("ProductsListed")
        body: dict[str, Any] = {"products": [schemas.product_to_json(p) for p in page.products]}
        if page.continue_after is not None:
            body["nextToken"] = schemas.encode_page_token(page.continue_after)
        return _json_response(HTTPStatus.OK, body)

    @app.get(
        "/products/<product_id>",
        summary="Get a product",
        responses={
            200: _documented("The product", schemas.ProductResponse),
            503: _ERROR_RESPONSES[503],  # no input to reject: a malformed id is simply not found
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
        body = schemas.parse_body(schemas.UpdateProductRequest, request_document())
        expected_version = schemas.parse_if_match(app.current_event.headers.get("if-match"))
        sent = body.model_fields_set
        product = command_handlers.update_product(
            commands.UpdateProduct(
                product_id=product_id,
                name=body.name if "name" in sent and body.name is not None else commands.UNCHANGED,
                description=body.description if "description" in sent else commands.UNCHANGED,
                expected_version=expected_version,
                request_id=request_id(),
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

    @app.not_found
    def no_route(error: NotFoundError) -> Response[str]:
        return _error(HTTPStatus.NOT_FOUND, "No such route")

    for error_type, responder in ERROR_RESPONDERS.items():
        # Registered without decorators (they are untyped); the logger is this resolver's.
        app.exception_handler(error_type)(_with_logger(responder, logger))

    return app

"""HTTP routes: requests -> domain commands, domain results and errors -> HTTP responses.

``ERROR_RESPONDERS`` is the only place that maps errors to status codes; ``build_resolver`` binds
the routes to a repository and the observability tools the composition root (``handler.py``) gives.
The OpenAPI document is generated from the same resolver in ``openapi.py``.
"""

from __future__ import annotations

from collections.abc import Callable
from http import HTTPStatus
from typing import Any

from aws_lambda_powertools import Logger, Metrics
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
from app.entrypoints.api import messages
from app.entrypoints.api.lean_resolver import LeanRestResolver, ProxyResponse

RETRY_AFTER_SECONDS = 1
JSON_MEDIA_TYPE = "application/json"
SCHEMA_REFERENCE_PREFIX = "#/components/schemas/"


def _json_response(
    status: HTTPStatus, body: str, headers: dict[str, str] | None = None
) -> ProxyResponse:
    """A proxy response whose body is already encoded JSON."""
    multi_value_headers = {"Content-Type": [JSON_MEDIA_TYPE]}
    if headers:
        for name, value in headers.items():
            multi_value_headers[name] = [value]
    return {
        "statusCode": status.value,
        "body": body,
        "isBase64Encoded": False,
        "multiValueHeaders": multi_value_headers,
    }


def _error(
    status: HTTPStatus,
    message: str,
    errors: list[FieldError] | None = None,
    headers: dict[str, str] | None = None,
) -> ProxyResponse:
    # Bounded whatever the request (Lambda refuses responses over 6 MB): a request with 200k
    # unknown keys, or one huge key, still gets a body of a few KB.
    body: dict[str, Any] = {"message": _clipped(message)}
    if errors:
        listed = errors[: messages.MAX_FIELD_ERRORS]
        body["errors"] = [
            {"field": _clipped(e.field), "message": _clipped(e.message)} for e in listed
        ]
        if len(errors) > len(listed):
            body["omittedErrors"] = len(errors) - len(listed)
    return _json_response(status, messages.encode_json(body), headers)


def _clipped(text: str) -> str:
    if len(text) <= messages.MAX_ERROR_TEXT:
        return text
    return text[: messages.MAX_ERROR_TEXT - 3] + "..."


def _product_response(
    product: model.Product,
    status: HTTPStatus = HTTPStatus.OK,
    headers: dict[str, str] | None = None,
) -> ProxyResponse:
    headers = {} if headers is None else headers
    headers["ETag"] = messages.etag(product.version)
    return _json_response(status, messages.product_json(product), headers)


def _documented(description: str, body_schema: str = "ErrorResponse") -> OpenAPIResponse:
    """An OpenAPI response entry whose JSON body is the ``schemas`` model named ``body_schema``.

    Named, not imported: the models are pydantic, which the function does not import; ``openapi``
    adds them to the document's components.
    """
    reference = {"$ref": f"{SCHEMA_REFERENCE_PREFIX}{body_schema}"}
    return {"description": description, "content": {JSON_MEDIA_TYPE: {"schema": reference}}}


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
ErrorResponder = Callable[[Any, Logger], ProxyResponse]


def _bad_request(error: messages.BadRequest, logger: Logger) -> ProxyResponse:
    return _error(HTTPStatus.BAD_REQUEST, error.message, error.errors)


def _rule_broken(error: ValidationFailed, logger: Logger) -> ProxyResponse:
    errors = messages.client_field_errors(error.errors)
    return _error(HTTPStatus.BAD_REQUEST, "Request breaks product rules", errors)


def _not_json(error: messages.UnsupportedMediaType, logger: Logger) -> ProxyResponse:
    return _error(HTTPStatus.UNSUPPORTED_MEDIA_TYPE, str(error))


def _missing(error: ProductNotFound, logger: Logger) -> ProxyResponse:
    return _error(HTTPStatus.NOT_FOUND, "Product not found")


def _stale(error: VersionConflict, logger: Logger) -> ProxyResponse:
    return _error(
        HTTPStatus.PRECONDITION_FAILED,
        f"Product is at version {error.actual}, not {error.expected}",
        headers={"ETag": messages.etag(error.actual)},
    )


def _key_reused(error: IdempotencyKeyReused, logger: Logger) -> ProxyResponse:
    return _error(
        HTTPStatus.UNPROCESSABLE_ENTITY,
        f"{messages.IDEMPOTENCY_KEY_HEADER} was already used for another request;"
        " send a new key with a new request",
        [FieldError(messages.IDEMPOTENCY_KEY_HEADER, "was used for another request")],
    )


def _unavailable(error: RepositoryUnavailable, logger: Logger) -> ProxyResponse:
    logger.warning("product store unavailable", extra={"reason": error.reason})
    return _error(
        HTTPStatus.SERVICE_UNAVAILABLE,
        "Service temporarily unavailable, retry later",
        headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
    )


def _bug(error: Exception, logger: Logger) -> ProxyResponse:
    logger.exception("unhandled error")
    return _error(HTTPStatus.INTERNAL_SERVER_ERROR, "Internal server error")


# Powertools picks the entry of the error's nearest class, so ``Exception`` only catches the rest.
ERROR_RESPONDERS: dict[type[Exception], ErrorResponder] = {
    messages.BadRequest: _bad_request,
    ValidationFailed: _rule_broken,
    messages.UnsupportedMediaType: _not_json,
    ProductNotFound: _missing,
    VersionConflict: _stale,
    IdempotencyKeyReused: _key_reused,
    RepositoryUnavailable: _unavailable,
    Exception: _bug,
}


def _with_logger(responder: ErrorResponder, logger: Logger) -> Callable[[Any], ProxyResponse]:
    """``responder`` as Powertools calls an exception handler: with the error only."""

    def respond(error: Any) -> ProxyResponse:
        return responder(error, logger)

    return respond


def build_resolver(
    repository: ProductRepository,
    *,
    logger: Logger,
    metrics: Metrics,
    clock: command_handlers.Clock = model.utc_now,
    new_id: command_handlers.IdFactory = command_handlers.new_product_id,
) -> LeanRestResolver:
    """The Powertools resolver for the products API, bound to a repository."""
    # Powertools' validation is off on purpose: it costs ~280 ms of cold start (its OpenAPI models)
    # and the routes parse their few inputs explicitly (see ``messages``). No CORSConfig: it would
    # add all preflight headers to every response (see ``cors_headers``). LeanRestResolver:
    # Powertools' resolver with a short per-request path (see its module).
    app = LeanRestResolver()

    def request_document() -> dict[str, Any]:
        event = app.current_request
        return messages.read_json_object(event.headers, event.body, bool(event.is_base64_encoded))

    def request_id() -> str:
        # API Gateway's id of this request: the same in every SDK retry of the request's write.
        given = (app.current_request.raw_event.get("requestContext") or {}).get("requestId")
        return given if isinstance(given, str) and given else commands.new_request_id()

    def count(metric: str) -> None:
        metrics.add_metric(name=metric, unit=MetricUnit.Count, value=1)

    @app.post(
        "/products",
        status_code=201,
        summary="Create a product",
        responses={
            201: _documented("Created", "ProductResponse"),
            **_ERROR_RESPONSES,
            **_UNSUPPORTED,
        },
    )
    def create() -> ProxyResponse:
        event = app.current_request
        document = request_document()
        name, description = messages.read_create_body(document)
        key = messages.parse_idempotency_key(event.header_values(messages.IDEMPOTENCY_KEY_HEADER))
        idempotency = None
        if key is not None:
            identity = event.request_context.get("identity") or {}
            idempotency = commands.IdempotencyKey(
                caller=messages.caller_of(identity),
                key=key,
                fingerprint=model.request_fingerprint(document),
            )
        created = command_handlers.create_product(
            commands.CreateProduct(
                name=name,
                description=description,
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
            headers[messages.IDEMPOTENT_REPLAYED_HEADER] = "true"
        else:
            count("ProductCreated")
        return _product_response(product, HTTPStatus.CREATED, headers)

    @app.get(
        "/products",
        summary="List products, one page at a time",
        responses={
            200: _documented("A page", "ProductPageResponse"),
            **_ERROR_RESPONSES,
        },
    )
    def list_products() -> ProxyResponse:
        event = app.current_request
        page_size = messages.parse_page_size(event.get_query_string_value("pageSize"))
        # The page-size rule answers before the token is read (the order clients have always seen).
        if page_size_errors := model.page_size_errors(page_size):
            raise ValidationFailed(page_size_errors)
        next_token = event.get_query_string_value("nextToken")
        after_id = messages.decode_page_token(next_token) if next_token is not None else None
        page = command_handlers.list_products(
            commands.ListProducts(page_size=page_size, after_id=after_id), repository
        )
        count("ProductsListed")
        products = ",".join([messages.product_json(product) for product in page.products])
        next_page = ""
        if page.continue_after is not None:
            token = messages.encode_page_token(page.continue_after)
            next_page = f',"nextToken":{messages.encode_json_string(token)}'
        return _json_response(HTTPStatus.OK, f'{{"products":[{products}]{next_page}}}')

    @app.get(
        "/products/<product_id>",
        summary="Get a product",
        responses={
            200: _documented("The product", "ProductResponse"),
            503: _ERROR_RESPONSES[503],  # no input to reject: a malformed id is simply not found
            **_NOT_FOUND,
        },
    )
    def get(product_id: str) -> ProxyResponse:
        product = command_handlers.get_product(commands.GetProduct(product_id), repository)
        count("ProductRead")
        return _product_response(product)

    @app.put(
        "/products/<product_id>",
        summary="Update a product's name and/or description",
        responses={
            200: _documented("Updated", "ProductResponse"),
            **_ERROR_RESPONSES,
            **_NOT_FOUND,
            **_PRECONDITION,
            **_UNSUPPORTED,
        },
    )
    def update(product_id: str) -> ProxyResponse:
        name, description = messages.read_update_body(request_document())
        expected_version = messages.parse_if_match(app.current_request.headers.get("if-match"))
        product = command_handlers.update_product(
            commands.UpdateProduct(
                product_id=product_id,
                name=name,
                description=description,
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
    def delete(product_id: str) -> ProxyResponse:
        expected_version = messages.parse_if_match(app.current_request.headers.get("if-match"))
        command_handlers.delete_product(
            commands.DeleteProduct(product_id, expected_version), repository
        )
        count("ProductDeleted")
        return {
            "statusCode": HTTPStatus.NO_CONTENT.value,
            "body": "",
            "isBase64Encoded": False,
            "multiValueHeaders": {},
        }

    @app.not_found
    def no_route(error: NotFoundError) -> ProxyResponse:
        return _error(HTTPStatus.NOT_FOUND, "No such route")

    for error_type, responder in ERROR_RESPONDERS.items():
        # Registered without decorators (they are untyped); the logger is this resolver's.
        app.exception_handler(error_type)(_with_logger(responder, logger))

    return app

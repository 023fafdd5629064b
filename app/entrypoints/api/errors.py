"""Errors -> HTTP responses: one table, one status per error type.

``ERROR_RESPONDERS`` is the only place that maps errors to status codes; an error is answered by
the entry of its nearest class, so ``Exception`` (a 500) only catches what nothing else does.
"""

from __future__ import annotations

from collections.abc import Callable
from http import HTTPStatus
from typing import Any

from aws_lambda_powertools import Logger

from app.domain.exceptions import (
    FieldError,
    IdempotencyKeyReused,
    ProductNotFound,
    RepositoryUnavailable,
    ValidationFailed,
    VersionConflict,
)
from app.entrypoints.api import messages
from app.entrypoints.api.proxy import ProxyResponse
from app.entrypoints.api.responses import error_response

RETRY_AFTER_SECONDS = 1

# (an error of the responder's type, the logger) -> the answer.
Responder = Callable[[Any, Logger], ProxyResponse]


def _bad_request(error: messages.BadRequest, logger: Logger) -> ProxyResponse:
    return error_response(HTTPStatus.BAD_REQUEST, error.message, error.errors)


def _rule_broken(error: ValidationFailed, logger: Logger) -> ProxyResponse:
    errors = messages.client_field_errors(error.errors)
    return error_response(HTTPStatus.BAD_REQUEST, "Request breaks product rules", errors)


def _not_json(error: messages.UnsupportedMediaType, logger: Logger) -> ProxyResponse:
    return error_response(HTTPStatus.UNSUPPORTED_MEDIA_TYPE, str(error))


def _missing(error: ProductNotFound, logger: Logger) -> ProxyResponse:
    return error_response(HTTPStatus.NOT_FOUND, "Product not found")


def _stale(error: VersionConflict, logger: Logger) -> ProxyResponse:
    return error_response(
        HTTPStatus.PRECONDITION_FAILED,
        f"Product is at version {error.actual}, not {error.expected}",
        headers={"ETag": messages.etag(error.actual)},
    )


def _key_reused(error: IdempotencyKeyReused, logger: Logger) -> ProxyResponse:
    return error_response(
        HTTPStatus.UNPROCESSABLE_ENTITY,
        f"{messages.IDEMPOTENCY_KEY_HEADER} was already used for another request;"
        " send a new key with a new request",
        [FieldError(messages.IDEMPOTENCY_KEY_HEADER, "was used for another request")],
    )


def _unavailable(error: RepositoryUnavailable, logger: Logger) -> ProxyResponse:
    logger.warning("product store unavailable", extra={"reason": error.reason})
    return error_response(
        HTTPStatus.SERVICE_UNAVAILABLE,
        "Service temporarily unavailable, retry later",
        headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
    )


def _bug(error: Exception, logger: Logger) -> ProxyResponse:
    logger.exception("unhandled error")
    return error_response(HTTPStatus.INTERNAL_SERVER_ERROR, "Internal server error")


ERROR_RESPONDERS: dict[type[Exception], Responder] = {
    messages.BadRequest: _bad_request,
    ValidationFailed: _rule_broken,
    messages.UnsupportedMediaType: _not_json,
    ProductNotFound: _missing,
    VersionConflict: _stale,
    IdempotencyKeyReused: _key_reused,
    RepositoryUnavailable: _unavailable,
    Exception: _bug,
}


def error_responder(logger: Logger) -> Callable[[Exception], ProxyResponse]:
    """Answers an error with the ``ERROR_RESPONDERS`` entry of its nearest class."""

    def respond(error: Exception) -> ProxyResponse:
        for error_type in type(error).__mro__:
            responder = ERROR_RESPONDERS.get(error_type)
            if responder is not None:
                return responder(error, logger)
        raise error  # not an Exception: never reached, Dispatcher catches only Exception

    return respond

"""Response builders: JSON proxy responses, error bodies, product answers and CORS headers."""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from app import contract
from app.domain import model
from app.domain.exceptions import FieldError
from app.entrypoints.api import messages
from app.entrypoints.api.proxy import ProxyResponse

JSON_MEDIA_TYPE = "application/json"


def json_response(
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


def no_content() -> ProxyResponse:
    """204 No Content: no body, no Content-Type."""
    return {
        "statusCode": HTTPStatus.NO_CONTENT.value,
        "body": "",
        "isBase64Encoded": False,
        "multiValueHeaders": {},
    }


def error_response(
    status: HTTPStatus,
    message: str,
    errors: list[FieldError] | None = None,
    headers: dict[str, str] | None = None,
) -> ProxyResponse:
    """The JSON error body ``{"message", "errors"?, "omittedErrors"?}`` with ``status``."""
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
    return json_response(status, messages.encode_json(body), headers)


def _clipped(text: str) -> str:
    if len(text) <= messages.MAX_ERROR_TEXT:
        return text
    return text[: messages.MAX_ERROR_TEXT - 3] + "..."


def product_response(
    product: model.Product,
    status: HTTPStatus = HTTPStatus.OK,
    headers: dict[str, str] | None = None,
) -> ProxyResponse:
    """A product's representation with its ``ETag``."""
    headers = {} if headers is None else headers
    headers["ETag"] = messages.etag(product.version)
    return json_response(status, messages.product_json(product), headers)


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

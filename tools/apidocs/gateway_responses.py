"""What API Gateway answers itself, before (or instead of) the function: OpenAPI responses."""

from __future__ import annotations

from typing import Any

from app.entrypoints.api.responses import JSON_MEDIA_TYPE

_ERROR_SCHEMA = {"$ref": "#/components/schemas/ErrorResponse"}


def _error(description: str, **examples: str) -> dict[str, Any]:
    """A response with the JSON error body; each example is a ``message``."""
    content = {
        "schema": _ERROR_SCHEMA,
        "examples": {name: {"value": {"message": text}} for name, text in examples.items()},
    }
    return {"description": description, "content": {JSON_MEDIA_TYPE: content}}


# What API Gateway answers itself, before (or instead of) the function: every operation.
GATEWAY_RESPONSES: dict[str, dict[str, Any]] = {
    "403": {
        **_error(
            "Not authorised by API Gateway: no SigV4 signature (also any undefined route), an"
            " unknown key or session token, or a signature that does not match the request",
            unsigned="Missing Authentication Token",
            unknown_key="The security token included in the request is invalid.",
            bad_signature=(
                "The request signature we calculated does not match the signature you provided."
                " Check your AWS Secret Access Key and signing method."
            ),
        ),
        "headers": {
            "x-amzn-ErrorType": {
                "description": "API Gateway's error type",
                "schema": {"type": "string", "examples": ["MissingAuthenticationTokenException"]},
            }
        },
    },
    "429": _error("Throttled by the stage's rate limit", throttled="Too Many Requests"),
    "500": _error("A bug: details only in the logs", bug="Internal server error"),
    "502": _error("The function failed (API Gateway's answer)", bad="Internal server error"),
    "503": {
        **_error(
            "The product store is throttled or unavailable; retry after Retry-After seconds",
            unavailable="Service temporarily unavailable, retry later",
        ),
        "headers": {
            "Retry-After": {
                "description": "Seconds to wait before retrying",
                "required": True,
                "schema": {"type": "integer", "minimum": 0, "examples": [1]},
            }
        },
    },
    "504": _error(
        "The function timed out (API Gateway's answer)", timeout="Endpoint request timed out"
    ),
}
# Only requests with a body can exceed API Gateway's 10 MB payload quota.
PAYLOAD_TOO_LARGE = {"413": _error("Request body over 10 MB", too_large="Request Too Long")}

"""What the CDK stack configures on the REST API: resources, the preflight mock, gateway errors.

Routes and CORS values come from ``app.contract`` (their one home); this module only applies them
the way API Gateway does.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from app import contract
from local_api.proxy_response import Headers, HttpResponseParts

# The API's resources and methods, as the CDK stack declares them (plus OPTIONS: CORS preflight).
ROUTES = contract.ROUTES
# The stack's preflight answer (CorsOptions on /products, inherited by /products/{id}).
CORS_ALLOW_HEADERS = ",".join(contract.CORS_ALLOW_HEADERS)
CORS_ALLOW_METHODS = ",".join([*dict.fromkeys(m for ms in ROUTES.values() for m in ms), "OPTIONS"])
CORS_MAX_AGE_SECONDS = str(contract.CORS_MAX_AGE_SECONDS)


@dataclass(frozen=True)
class RouteMatch:
    """A request path matched to a resource, e.g. ``/products/{id}`` with ``{"id": "..."}``."""

    resource: str
    path_parameters: dict[str, str]
    methods: tuple[str, ...]


def match_route(raw_path: str) -> RouteMatch | None:
    """Find the resource a raw (still percent-encoded) path belongs to, as API Gateway does."""
    segments = raw_path.split("/")[1:]
    for resource, methods in ROUTES.items():
        template = resource.split("/")[1:]
        if len(template) != len(segments):
            continue
        parameters = {}
        for expected, actual in zip(template, segments):
            if expected.startswith("{") and expected.endswith("}"):
                if not actual:
                    break
                parameters[expected[1:-1]] = actual
            elif expected != actual:
                break
        else:
            return RouteMatch(resource, parameters, methods)
    return None


def gateway_error(
    status: int, message: str, error_type: str | None = None, cors_origin: str = "*"
) -> HttpResponseParts:
    """A response API Gateway generates itself (403s, 502...), with the stack's CORS header."""
    headers: Headers = [("Content-Type", "application/json")]
    if error_type:
        headers.append(("x-amzn-ErrorType", error_type))
    headers.extend(_cors_origin_headers(cors_origin))
    return HttpResponseParts(status, headers, json.dumps({"message": message}).encode())


def cors_preflight(cors_origin: str = "*") -> HttpResponseParts:
    """The MOCK integration the stack puts on OPTIONS (no auth, never reaches the function)."""
    return HttpResponseParts(
        204,
        [
            ("Access-Control-Allow-Headers", CORS_ALLOW_HEADERS),
            *_cors_origin_headers(cors_origin),
            ("Access-Control-Allow-Methods", CORS_ALLOW_METHODS),
            ("Access-Control-Max-Age", CORS_MAX_AGE_SECONDS),
        ],
    )


def _cors_origin_headers(origin: str) -> Headers:
    return [("Access-Control-Allow-Origin", origin)] + (
        [("Vary", "Origin")] if origin != "*" else []
    )

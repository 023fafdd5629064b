"""HTTP <-> API Gateway REST proxy integration: routes, the Lambda event and context, the response.

Mirrors what API Gateway (REST API, Lambda proxy integration) does: ``path`` and
``pathParameters`` keep the client's percent-encoding while query parameters are decoded;
``headers``/``queryStringParameters`` hold the last value and the ``multiValue*`` twins hold all
of them (or ``None`` when empty); the proxy response's ``headers`` and ``multiValueHeaders`` are
merged, values given in both appearing once.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import json
import os
import secrets
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from app import contract
from local_api.sigv4 import VerifiedCaller, parse_query

ACCOUNT_ID = "123456789012"
API_ID = "localapi00"

# The API's resources and methods, as the CDK stack declares them (plus OPTIONS: CORS preflight).
ROUTES = contract.ROUTES
# The stack's preflight answer (CorsOptions on /products, inherited by /products/{id}).
CORS_ALLOW_HEADERS = ",".join(contract.CORS_ALLOW_HEADERS)
CORS_ALLOW_METHODS = ",".join([*dict.fromkeys(m for ms in ROUTES.values() for m in ms), "OPTIONS"])
CORS_MAX_AGE_SECONDS = str(contract.CORS_MAX_AGE_SECONDS)

Headers = list[tuple[str, str]]


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


@dataclass(frozen=True)
class HttpRequest:
    """An HTTP request as the local gateway received it."""

    method: str
    raw_path: str
    raw_query: str
    headers: Headers
    body: bytes | None  # None: larger than API Gateway's payload quota, so never read
    source_ip: str
    protocol: str = "HTTP/1.1"


@dataclass
class ProxyResponse:
    """What goes back on the wire: status, headers (repeats allowed) and body bytes."""

    status: int
    headers: Headers = field(default_factory=list)
    body: bytes = b""


def build_event(
    request: HttpRequest,
    route: RouteMatch,
    caller: VerifiedCaller,
    request_id: str,
    stage: str,
) -> dict[str, Any]:
    """Build the REST proxy event API Gateway would send for ``request``."""
    headers = _with_gateway_headers(request)
    multi_headers: dict[str, list[str]] = {}
    for name, value in headers:
        multi_headers.setdefault(name, []).append(value)
    multi_query: dict[str, list[str]] = {}
    for name, value in parse_query(request.raw_query):
        multi_query.setdefault(name, []).append(value)
    host = _last(headers, "host") or "localhost"
    now = dt.datetime.now(dt.timezone.utc)
    body: str | None = None
    is_base64 = False
    if request.body:
        try:
            body = request.body.decode("utf-8")
        except UnicodeDecodeError:  # no binaryMediaTypes configured: we pass bytes losslessly
            body, is_base64 = base64.b64encode(request.body).decode("ascii"), True
    return {
        "resource": route.resource,
        "path": request.raw_path,
        "httpMethod": request.method,
        "headers": {name: values[-1] for name, values in multi_headers.items()} or None,
        "multiValueHeaders": multi_headers or None,
        "queryStringParameters": {k: v[-1] for k, v in multi_query.items()} or None,
        "multiValueQueryStringParameters": multi_query or None,
        "pathParameters": route.path_parameters or None,
        "stageVariables": None,
        "requestContext": {
            "resourceId": hashlib.sha256(route.resource.encode()).hexdigest()[:6],
            "resourcePath": route.resource,
            "httpMethod": request.method,
            "extendedRequestId": base64.b64encode(secrets.token_bytes(6)).decode(),
            "requestTime": now.strftime("%d/%b/%Y:%H:%M:%S +0000"),
            "path": f"/{stage}{request.raw_path}",
            "accountId": ACCOUNT_ID,
            "protocol": request.protocol,
            "stage": stage,
            "domainPrefix": host.split(".")[0].split(":")[0],
            "requestTimeEpoch": int(now.timestamp() * 1000),
            "requestId": request_id,
            "identity": _identity(caller, request.source_ip, _last(headers, "user-agent")),
            "domainName": host.split(":")[0],
            "apiId": API_ID,
        },
        "body": body,
        "isBase64Encoded": is_base64,
    }


def _with_gateway_headers(request: HttpRequest) -> Headers:
    """Add the forwarding and tracing headers API Gateway adds before calling the integration."""
    headers = list(request.headers)
    port = (_last(headers, "host") or "").rpartition(":")[2] or "80"
    added = {
        "X-Forwarded-For": request.source_ip,
        "X-Forwarded-Port": port if port.isdigit() else "80",
        "X-Forwarded-Proto": "http",
        "X-Amzn-Trace-Id": new_trace_id(),
    }
    present = {name.lower() for name, _ in headers}
    headers.extend((name, value) for name, value in added.items() if name.lower() not in present)
    return headers


def _identity(caller: VerifiedCaller, source_ip: str, user_agent: str | None) -> dict[str, Any]:
    # A stable fake principal per key, shaped like IAM's (user ids start AIDA, role ids AROA).
    suffix = hashlib.sha256(caller.access_key_id.encode()).hexdigest()[:17].upper()
    if caller.has_session_token:
        user = f"AROA{suffix}:local-session"
        arn = f"arn:aws:sts::{ACCOUNT_ID}:assumed-role/local-developer/local-session"
    else:
        user = f"AIDA{suffix}"
        arn = f"arn:aws:iam::{ACCOUNT_ID}:user/local-developer"
    return {
        "cognitoIdentityPoolId": None,
        "accountId": ACCOUNT_ID,
        "cognitoIdentityId": None,
        "caller": user,
        "sourceIp": source_ip,
        "principalOrgId": None,
        "accessKey": caller.access_key_id,
        "cognitoAuthenticationType": None,
        "cognitoAuthenticationProvider": None,
        "userArn": arn,
        "userAgent": user_agent,
        "user": user,
        "apiKey": None,
        "apiKeyId": None,
        "clientCert": None,
    }


class LambdaContext:
    """The context object the Python Lambda runtime passes to a handler (same attribute types)."""

    def __init__(self, function_name: str, timeout_seconds: float, memory_mb: int) -> None:
        self.function_name = function_name
        self.function_version = "$LATEST"
        self.invoked_function_arn = (
            f"arn:aws:lambda:{_region()}:{ACCOUNT_ID}:function:{function_name}"
        )
        self.memory_limit_in_mb = str(memory_mb)  # the runtime passes it as a string
        self.aws_request_id = str(uuid.uuid4())
        self.log_group_name = f"/aws/lambda/{function_name}"
        today = dt.datetime.now(dt.timezone.utc).strftime("%Y/%m/%d")
        self.log_stream_name = f"{today}/[$LATEST]{secrets.token_hex(16)}"
        self.identity = None
        self.client_context = None
        self._deadline = time.monotonic() + timeout_seconds

    def get_remaining_time_in_millis(self) -> int:
        """Milliseconds left before the function would time out."""
        return max(0, int((self._deadline - time.monotonic()) * 1000))


def _region() -> str:
    return os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1"


class MalformedProxyResponse(ValueError):
    """The handler returned something API Gateway would reject (it answers 502)."""


def to_http_response(result: Any) -> ProxyResponse:
    """Translate a proxy integration result into the HTTP response API Gateway would send."""
    if not isinstance(result, dict):
        raise MalformedProxyResponse(f"expected a dict, got {type(result).__name__}")
    try:
        status = int(result["statusCode"])
    except (KeyError, TypeError, ValueError):
        raise MalformedProxyResponse(f"bad statusCode {result.get('statusCode')!r}") from None
    if not 100 <= status <= 599:
        raise MalformedProxyResponse(f"bad statusCode {status}")
    single = result.get("headers") or {}
    multi = result.get("multiValueHeaders") or {}
    if not isinstance(single, dict) or not isinstance(multi, dict):
        raise MalformedProxyResponse("headers and multiValueHeaders must be objects")
    headers: Headers = []
    for name, values in multi.items():
        if not isinstance(values, list):
            raise MalformedProxyResponse(f"multiValueHeaders[{name!r}] must be a list")
        headers.extend((str(name), _header_text(value)) for value in values)
    for name, value in single.items():
        if (str(name).lower(), _header_text(value)) not in {(n.lower(), v) for n, v in headers}:
            headers.append((str(name), _header_text(value)))
    body = result.get("body")
    if body is None:
        payload = b""
    elif not isinstance(body, str):
        raise MalformedProxyResponse("body must be a string")
    elif result.get("isBase64Encoded"):
        try:
            payload = base64.b64decode(body, validate=True)
        except binascii.Error:
            raise MalformedProxyResponse("body is not valid base64") from None
    else:
        payload = body.encode("utf-8")
    return ProxyResponse(status, headers, payload)


def _header_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (str, int, float)):
        return str(value)
    raise MalformedProxyResponse(f"header value {value!r} is not a scalar")


def gateway_error(
    status: int, message: str, error_type: str | None = None, cors_origin: str = "*"
) -> ProxyResponse:
    """A response API Gateway generates itself (403s, 502...), with the stack's CORS header."""
    headers: Headers = [("Content-Type", "application/json")]
    if error_type:
        headers.append(("x-amzn-ErrorType", error_type))
    headers.extend(_cors_origin_headers(cors_origin))
    return ProxyResponse(status, headers, json.dumps({"message": message}).encode())


def cors_preflight(cors_origin: str = "*") -> ProxyResponse:
    """The MOCK integration the stack puts on OPTIONS (no auth, never reaches the function)."""
    return ProxyResponse(
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


def new_trace_id() -> str:
    """An X-Ray trace id in the ``Root=1-<epoch hex>-<96-bit hex>`` format."""
    return f"Root=1-{int(time.time()):08x}-{secrets.token_hex(12)}"


def _last(headers: Headers, name: str) -> str | None:
    values = [value for key, value in headers if key.lower() == name]
    return values[-1] if values else None

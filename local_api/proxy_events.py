"""HTTP request -> the REST proxy event API Gateway (Lambda proxy integration) sends.

``path`` and ``pathParameters`` keep the client's percent-encoding while query parameters are
decoded; ``headers``/``queryStringParameters`` hold the last value and the ``multiValue*`` twins
hold all of them (or ``None`` when empty).

``tests/support/rest_events.py`` builds events on its own, on purpose: the handler tests must not
depend on this translation, or one mistake would hide in both.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import secrets
import time
from dataclasses import dataclass
from typing import Any

from local_api import local_account
from local_api.principals import Principal
from local_api.proxy_response import Headers
from local_api.rest_api import RouteMatch
from local_api.signature import parse_query


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


def build_event(
    request: HttpRequest,
    route: RouteMatch,
    caller: Principal,
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
            "accountId": local_account.ACCOUNT_ID,
            "protocol": request.protocol,
            "stage": stage,
            "domainPrefix": host.split(".")[0].split(":")[0],
            "requestTimeEpoch": int(now.timestamp() * 1000),
            "requestId": request_id,
            "identity": _identity(caller, request.source_ip, _last(headers, "user-agent")),
            "domainName": host.split(":")[0],
            "apiId": local_account.API_ID,
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


def _identity(caller: Principal, source_ip: str, user_agent: str | None) -> dict[str, Any]:
    """``requestContext.identity`` as API Gateway fills it for an IAM-authorised call."""
    user = local_account.caller_id(caller.arn)
    return {
        "cognitoIdentityPoolId": None,
        "accountId": local_account.account_of(caller.arn),
        "cognitoIdentityId": None,
        "caller": user,
        "sourceIp": source_ip,
        "principalOrgId": None,
        "accessKey": caller.key_pair.access_key_id,
        "cognitoAuthenticationType": None,
        "cognitoAuthenticationProvider": None,
        "userArn": caller.arn,
        "userAgent": user_agent,
        "user": user,
        "apiKey": None,
        "apiKeyId": None,
        "clientCert": None,
    }


def new_trace_id() -> str:
    """An X-Ray trace id in the ``Root=1-<epoch hex>-<96-bit hex>`` format."""
    return f"Root=1-{int(time.time()):08x}-{secrets.token_hex(12)}"


def _last(headers: Headers, name: str) -> str | None:
    values = [value for key, value in headers if key.lower() == name]
    return values[-1] if values else None

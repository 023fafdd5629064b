"""Lambda proxy integration result -> the HTTP response API Gateway sends.

The proxy response's ``headers`` and ``multiValueHeaders`` are merged, values given in both
appearing once; a result API Gateway would reject becomes ``MalformedProxyResponse`` (a 502).
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass, field
from typing import Any

Headers = list[tuple[str, str]]


@dataclass
class HttpResponseParts:
    """What goes back on the wire: status, headers (repeats allowed) and body bytes."""

    status: int
    headers: Headers = field(default_factory=list)
    body: bytes = b""


class MalformedProxyResponse(ValueError):
    """The handler returned something API Gateway would reject (it answers 502)."""


def to_http_response(result: Any) -> HttpResponseParts:
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
    return HttpResponseParts(status, headers, payload)


def _header_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (str, int, float)):
        return str(value)
    raise MalformedProxyResponse(f"header value {value!r} is not a scalar")

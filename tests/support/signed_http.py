"""Raw HTTP with SigV4 signatures for tests: sign like any botocore client, then send exactly
what the test says (which may differ from what was signed, to prove tampering is caught)."""

from __future__ import annotations

import datetime as dt
import http.client
import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials


@dataclass(frozen=True)
class HttpResult:
    """A response: status, headers (all of them, in order) and raw body."""

    status: int
    headers: list[tuple[str, str]]
    body: bytes

    def header(self, name: str) -> str | None:
        """The last value of a header (case-insensitive), or None."""
        values = self.header_values(name)
        return values[-1] if values else None

    def header_values(self, name: str) -> list[str]:
        """Every value of a header (case-insensitive), in order."""
        return [value for key, value in self.headers if key.lower() == name.lower()]

    def json(self) -> Any:
        """The body parsed as JSON."""
        return json.loads(self.body)


class FixedClockSigV4Auth(SigV4Auth):
    """botocore's signer with the signing time chosen by the test (for clock-skew cases)."""

    def __init__(self, credentials: Credentials, region: str, when: dt.datetime) -> None:
        super().__init__(credentials, "execute-api", region)
        self._when = when

    def add_auth(self, request: AWSRequest) -> None:
        timestamp = self._when.astimezone(dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
        request.context["timestamp"] = timestamp
        request.headers["X-Amz-Date"] = timestamp
        if self.credentials.token:
            request.headers["X-Amz-Security-Token"] = self.credentials.token
        canonical_request = self.canonical_request(request)
        signature = self.signature(self.string_to_sign(request, canonical_request), request)
        signed_headers = self.signed_headers(self.headers_to_sign(request))
        request.headers["Authorization"] = (
            f"AWS4-HMAC-SHA256 Credential={self.scope(request)},"
            f" SignedHeaders={signed_headers}, Signature={signature}"
        )


def sign(
    method: str,
    url: str,
    credentials: Credentials,
    *,
    body: bytes = b"",
    headers: dict[str, str] | None = None,
    region: str = "us-east-1",
    when: dt.datetime | None = None,
) -> dict[str, str]:
    """The headers (given + X-Amz-Date, Authorization, token) of a request signed for ``url``."""
    request = AWSRequest(method=method, url=url, data=body, headers=dict(headers or {}))
    if when is None:
        SigV4Auth(credentials, "execute-api", region).add_auth(request)
    else:
        FixedClockSigV4Auth(credentials, region, when).add_auth(request)
    return dict(request.headers.items())


def send(
    method: str, url: str, *, body: bytes = b"", headers: dict[str, str] | None = None
) -> HttpResult:
    """Send one request with exactly these headers and body (http.client adds only Host and,
    for a body, Content-Length)."""
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=30)
    target = parts.path + (f"?{parts.query}" if parts.query else "")
    try:
        connection.request(method, target, body=body or None, headers=dict(headers or {}))
        response = connection.getresponse()
        return HttpResult(response.status, response.getheaders(), response.read())
    finally:
        connection.close()


def signed_request(
    method: str,
    url: str,
    credentials: Credentials,
    *,
    json_body: Any = None,
    headers: dict[str, str] | None = None,
    region: str = "us-east-1",
) -> HttpResult:
    """Sign and send; a ``json_body`` is serialised with Content-Type application/json."""
    all_headers = dict(headers or {})
    body = b""
    if json_body is not None:
        body = json.dumps(json_body).encode()
        all_headers.setdefault("Content-Type", "application/json")
    signed = sign(method, url, credentials, body=body, headers=all_headers, region=region)
    return send(method, url, body=body, headers=signed)

"""Schemathesis hooks: sign every request with SigV4, as any AWS client of the API would.

Loaded by the schemathesis CLI through ``SCHEMATHESIS_HOOKS=tests.fuzz.sigv4_hooks``; the key pair
and region come from the CLI's own environment (``AWS_ACCESS_KEY_ID``, ``AWS_SECRET_ACCESS_KEY``,
optional ``AWS_SESSION_TOKEN``, ``AWS_DEFAULT_REGION``). Cases in which schemathesis drops or
corrupts the ``Authorization`` header on purpose stay unsigned, so the gateway's 403 is tested too.
"""

from __future__ import annotations

import os
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

import schemathesis
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

SERVICE = "execute-api"


class SigV4RequestAuth:
    """A ``requests`` auth hook: signs the final request (method, URL, headers, body bytes)."""

    def __init__(self, credentials: Credentials, region: str) -> None:
        self._signer = SigV4Auth(credentials, SERVICE, region)

    def __call__(self, prepared: Any) -> Any:
        """Sign ``prepared`` (a ``requests.PreparedRequest``) in place and return it."""
        # API Gateway canonicalises the query with RFC 3986 encoding; requests encodes spaces as
        # '+' and leaves some reserved characters bare, so send it in the canonical form.
        parts = urlsplit(prepared.url)
        query = urlencode(parse_qsl(parts.query, keep_blank_values=True), quote_via=quote)
        prepared.url = urlunsplit(parts._replace(query=query))
        body = prepared.body or b""
        if isinstance(body, str):
            body = body.encode("utf-8")
        request = AWSRequest(
            method=prepared.method, url=prepared.url, data=body, headers=dict(prepared.headers)
        )
        self._signer.add_auth(request)
        for name in ("Authorization", "X-Amz-Date", "X-Amz-Security-Token"):
            if name in request.headers:
                prepared.headers[name] = request.headers[name]
        return prepared


def credentials_from_environment() -> tuple[Credentials, str]:
    """The key pair and region this process was given, as for any AWS SDK."""
    credentials = Credentials(
        os.environ["AWS_ACCESS_KEY_ID"],
        os.environ["AWS_SECRET_ACCESS_KEY"],
        os.environ.get("AWS_SESSION_TOKEN") or None,
    )
    region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1"
    return credentials, region


# The documented registration of a requests-style auth (its stub types ``auth`` as a function).
schemathesis.auth.set_from_requests(  # type: ignore[attr-defined]
    SigV4RequestAuth(*credentials_from_environment())
)

"""A small SigV4-signing client for the products API (local or deployed).

Credentials come from the standard AWS chain (environment, shared profile, SSO, instance role);
each request is signed with botocore for service ``execute-api``.
"""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Final
from urllib.parse import quote, urlencode, urlsplit

import botocore.session
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

SERVICE = "execute-api"
DEFAULT_REGION = "us-east-1"
_EXECUTE_API_HOST = re.compile(r"^[a-z0-9]+\.execute-api\.([a-z0-9-]+)\.amazonaws\.com(\.cn)?$")


class Unset:
    """The type of ``UNSET``: "leave this field alone", as opposed to None ("clear it")."""

    def __repr__(self) -> str:
        return "UNSET"


UNSET: Final = Unset()


class ClientError(Exception):
    """The client could not talk to the API (no credentials, unreachable endpoint, ...)."""


@dataclass(eq=False)
class ApiError(Exception):
    """The API answered with an error status; ``errors`` lists field-level validation errors."""

    status: int
    message: str
    errors: list[dict[str, Any]] = field(default_factory=list)
    request_id: str | None = None
    error_type: str | None = None

    def __str__(self) -> str:
        lines = [f"HTTP {self.status}: {self.message}"]
        lines += [f"  {e.get('field', '?')}: {e.get('message', '')}" for e in self.errors]
        if self.error_type:
            lines.append(f"  ({self.error_type})")
        return "\n".join(lines)


@dataclass(frozen=True)
class Response:
    """A raw API response: status, headers (lower-cased names) and the decoded JSON body."""

    status: int
    headers: dict[str, str]
    body: Any


def region_from_endpoint(endpoint: str) -> str | None:
    """The region of a ``https://<id>.execute-api.<region>.amazonaws.com/...`` URL, else None."""
    match = _EXECUTE_API_HOST.match(urlsplit(endpoint).hostname or "")
    return match.group(1) if match else None


class ProductsClient:
    """Create, read, update, delete and list products over SigV4-signed HTTP."""

    def __init__(
        self,
        endpoint: str,
        *,
        region: str | None = None,
        profile: str | None = None,
        credentials: Credentials | None = None,
        timeout: float = 30.0,
    ) -> None:
        self.endpoint = endpoint.rstrip("/")
        session = botocore.session.Session(profile=profile)
        self.region = (
            region or region_from_endpoint(endpoint) or session.get_config_variable("region")
        ) or DEFAULT_REGION
        resolved = credentials or session.get_credentials()
        if resolved is None:
            raise ClientError(
                "no AWS credentials found: set AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY,"
                " AWS_PROFILE or --profile (the local API prints the key pair it accepts)"
            )
        self._credentials = resolved
        self._timeout = timeout

    def create(
        self, name: str, description: str | None = None, *, idempotency_key: str | None = None
    ) -> dict[str, Any]:
        """Create a product; returns it (with its server-generated id and version 1).

        Every call sends an ``Idempotency-Key`` (a fresh UUID unless ``idempotency_key`` is
        given), so re-sending the same call after a timeout cannot create a second product.
        """
        body: dict[str, Any] = {"name": name}
        if description is not None:
            body["description"] = description
        headers = {"Idempotency-Key": idempotency_key or str(uuid.uuid4())}
        response = self.request("POST", "/products", body=body, headers=headers)
        return _json_object(self._expect(response, 201))

    def get(self, product_id: str) -> dict[str, Any]:
        """Fetch one product."""
        return _json_object(
            self._expect(self.request("GET", f"/products/{quote(product_id, safe='')}"), 200)
        )

    def update(
        self,
        product_id: str,
        *,
        name: str | Unset = UNSET,
        description: str | None | Unset = UNSET,
        if_match: int | None = None,
    ) -> dict[str, Any]:
        """Change the name and/or description (None clears it); ``if_match`` guards the version."""
        body: dict[str, Any] = {}
        if not isinstance(name, Unset):
            body["name"] = name
        if not isinstance(description, Unset):
            body["description"] = description
        headers = {"If-Match": f'"{if_match}"'} if if_match is not None else {}
        path = f"/products/{quote(product_id, safe='')}"
        return _json_object(
            self._expect(self.request("PUT", path, body=body, headers=headers), 200)
        )

    def delete(self, product_id: str, *, if_match: int | None = None) -> None:
        """Delete a product; ``if_match`` makes it fail (412) if the product has moved on."""
        headers = {"If-Match": f'"{if_match}"'} if if_match is not None else {}
        path = f"/products/{quote(product_id, safe='')}"
        self._expect(self.request("DELETE", path, headers=headers), 204)

    def list_page(
        self, page_size: int | None = None, next_token: str | None = None
    ) -> dict[str, Any]:
        """One page: ``{"products": [...], "nextToken": ...}`` (no token on the last page)."""
        query: dict[str, str] = {}
        if page_size is not None:
            query["pageSize"] = str(page_size)
        if next_token is not None:
            query["nextToken"] = next_token
        return _json_object(self._expect(self.request("GET", "/products", query=query), 200))

    def iter_products(self, page_size: int | None = None) -> Iterator[dict[str, Any]]:
        """Every product, following ``nextToken`` from page to page."""
        token: str | None = None
        while True:
            page = self.list_page(page_size, token)
            yield from page["products"]
            token = page.get("nextToken")
            if not token:
                return

    def request(
        self,
        method: str,
        path: str,
        *,
        query: dict[str, str] | None = None,
        body: Any = None,
        headers: dict[str, str] | None = None,
    ) -> Response:
        """Send one signed request; returns the response whatever its status."""
        url = self.endpoint + path + (f"?{urlencode(query, quote_via=quote)}" if query else "")
        data = json.dumps(body).encode() if body is not None else None
        all_headers = dict(headers or {})
        if data is not None:
            all_headers["Content-Type"] = "application/json"
        aws_request = AWSRequest(method=method, url=url, data=data, headers=all_headers)
        frozen = self._credentials.get_frozen_credentials()  # refreshes temporary credentials
        SigV4Auth(
            Credentials(frozen.access_key or "", frozen.secret_key or "", frozen.token),
            SERVICE,
            self.region,
        ).add_auth(aws_request)
        prepared = aws_request.prepare()
        http_request = urllib.request.Request(  # noqa: S310 - the URL is the caller's endpoint
            prepared.url, data=data, headers=dict(prepared.headers.items()), method=method
        )
        try:
            with urllib.request.urlopen(http_request, timeout=self._timeout) as reply:  # nosec B310
                return _response(reply.status, dict(reply.headers.items()), reply.read())
        except urllib.error.HTTPError as error:
            with error:
                return _response(error.code, dict(error.headers.items()), error.read())
        except (urllib.error.URLError, OSError) as error:
            reason = getattr(error, "reason", error)
            hint = ""
            if urlsplit(self.endpoint).hostname in ("127.0.0.1", "localhost", "::1"):
                hint = " (is the local API running? start it with `make run`)"
            raise ClientError(f"cannot reach {self.endpoint}: {reason}{hint}") from error

    @staticmethod
    def _expect(response: Response, status: int) -> Any:
        if response.status == status:
            return response.body
        body = response.body if isinstance(response.body, dict) else {}
        raise ApiError(
            status=response.status,
            message=str(body.get("message") or response.body or "(no message)"),
            errors=list(body.get("errors") or []),
            request_id=response.headers.get("x-amzn-requestid"),
            error_type=response.headers.get("x-amzn-errortype"),
        )


def _json_object(body: Any) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise ClientError(f"expected a JSON object from the API, got: {body!r:.200}")
    return body


def _response(status: int, headers: dict[str, str], raw: bytes) -> Response:
    text = raw.decode("utf-8", errors="replace")
    try:
        body: Any = json.loads(text) if text else None
    except json.JSONDecodeError:
        body = text
    return Response(status, {name.lower(): value for name, value in headers.items()}, body)


def endpoint_from_stack(stack_name: str, *, region: str | None, profile: str | None) -> str:
    """The API URL from a deployed stack's CloudFormation outputs (calls AWS)."""
    import boto3

    session = boto3.session.Session(profile_name=profile, region_name=region)
    stacks = session.client("cloudformation").describe_stacks(StackName=stack_name)["Stacks"]
    outputs = stacks[0].get("Outputs", []) if stacks else []
    candidates = [
        (output.get("OutputKey", ""), output.get("OutputValue", ""))
        for output in outputs
        if region_from_endpoint(output.get("OutputValue", ""))
    ]
    if not candidates:
        raise ClientError(f"stack {stack_name!r} has no execute-api URL among its outputs")
    # A stack may output several execute-api URLs; prefer the one whose key says it is the URL.
    candidates.sort(key=lambda candidate: "url" not in candidate[0].lower())
    return str(candidates[0][1])

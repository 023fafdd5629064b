"""A small SigV4-signing client for the products API (local or deployed).

Credentials come from the standard AWS chain (environment, shared profile, SSO, instance role);
each request is signed with botocore for service ``execute-api``.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlencode, urlsplit

import botocore.session
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from app import contract

# Endpoint discovery, errors and retry rules have their own modules; importing them from here
# keeps `from products_client.client import ...` working for every public name.
from products_client.endpoints import endpoint_from_stack, endpoint_from_stage, region_from_endpoint
from products_client.errors import ApiError, ClientError
from products_client.operations import (
    IDEMPOTENCY_KEY_HEADER,
    UNSET,
    Unset,
    operation_methods,
    prepared_request,
    request_path,
)
from products_client.retries import (
    RETRYABLE_STATUSES,
    RetryPolicy,
    Unreachable,
    gave_up,
    retry_after,
)

__all__ = [
    "UNSET",
    "ApiError",
    "ClientError",
    "ProductsClient",
    "Response",
    "RetryPolicy",
    "Unset",
    "endpoint_from_stack",
    "endpoint_from_stage",
    "region_from_endpoint",
]

SERVICE = "execute-api"
DEFAULT_REGION = "us-east-1"


@dataclass(frozen=True)
class Response:
    """A raw API response: status, headers (lower-cased names) and the decoded JSON body."""

    status: int
    headers: dict[str, str]
    body: Any
    attempts: int = 1


class ProductsClient:
    """Create, read, update, delete and list products over SigV4-signed HTTP.

    One method per operation of the API's contract (``products_client.operations``): e.g.
    ``create(name, description=...)``, ``get(product_id)``, ``update(product_id, *, name=...,
    if_match=...)``, ``delete(product_id, *, if_match=...)``, ``list_page(page_size, next_token)``
    and ``iter_products(page_size)``.
    """

    def __init__(
        self,
        endpoint: str,
        *,
        region: str | None = None,
        profile: str | None = None,
        credentials: Credentials | None = None,
        timeout: float = 30.0,
        retry: RetryPolicy = RetryPolicy(),
        sleep: Callable[[float], None] = time.sleep,
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
        self._retry = retry
        self._sleep = sleep

    def invoke(
        self,
        operation: contract.Operation,
        path_values: tuple[str, ...] = (),
        *,
        fields: Mapping[str, Any] | None = None,
        if_match: int | None = None,
        idempotency_key: str | None = None,
        query: Mapping[str, str] | None = None,
    ) -> Any:
        """Call ``operation`` (what the per-operation methods do): its success body as JSON
        (None for no content); any other answer raises :class:`ApiError`.

        ``fields`` are by keyword name (``UNSET`` leaves one out); ``if_match`` and
        ``idempotency_key`` are sent when the operation takes them.
        """
        body, headers = prepared_request(operation, fields, if_match, idempotency_key)
        response = self.request(
            operation.method,
            request_path(operation, path_values),
            query=dict(query) if query else None,
            body=body,
            headers=headers,
        )
        answer = self._expect(response, operation.status)
        return None if operation.response == "none" else _json_object(answer)

    if TYPE_CHECKING:  # the operations' methods are attached below, from the contract

        def __getattr__(self, name: str) -> Callable[..., Any]: ...

    def request(
        self,
        method: str,
        path: str,
        *,
        query: dict[str, str] | None = None,
        body: Any = None,
        headers: dict[str, str] | None = None,
    ) -> Response:
        """Send a signed request; returns the response whatever its status.

        Throttling (429), 503 and connection errors are retried per the client's ``RetryPolicy``;
        the response (or error) of the last attempt is what the caller gets.
        """
        attempt = 1
        while True:
            try:
                response = self._send_once(method, path, query, body, headers)
            except Unreachable as error:
                keyed = bool(headers and IDEMPOTENCY_KEY_HEADER in headers)
                if attempt >= self._retry.attempts or not error.retryable(method, keyed):
                    raise ClientError(f"{error}{gave_up(attempt)}") from error.__cause__
                self._sleep(self._retry.delay(attempt, None))
            else:
                if response.status not in RETRYABLE_STATUSES or attempt >= self._retry.attempts:
                    return Response(response.status, response.headers, response.body, attempt)
                self._sleep(self._retry.delay(attempt, retry_after(response.headers)))
            attempt += 1

    def _send_once(
        self,
        method: str,
        path: str,
        query: dict[str, str] | None,
        body: Any,
        headers: dict[str, str] | None,
    ) -> Response:
        """One signed HTTP exchange (signed afresh: a retry gets a new timestamp)."""
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
            raise Unreachable(f"cannot reach {self.endpoint}: {reason}{hint}", reason) from error

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
            attempts=response.attempts,
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


for _name, _method in operation_methods().items():
    setattr(ProductsClient, _name, _method)
del _name, _method

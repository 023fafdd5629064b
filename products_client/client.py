"""A small SigV4-signing client for the products API (local or deployed, in one region or several).

Credentials come from the standard AWS chain (environment, shared profile, SSO, instance role);
each request is signed with botocore for service ``execute-api`` and for the region of the
endpoint it is sent to. Given several regions' endpoints, a call that fails in one moves on to the
next, under the rules of ``products_client.retries``.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping, Sequence
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
from products_client.endpoints import (
    Endpoint,
    endpoint_from_stack,
    endpoint_from_stage,
    endpoints_from_stage,
    region_from_endpoint,
    resolve_endpoints,
    split_endpoint_list,
)
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
    may_send_again,
    not_repeated,
    retry_after,
)

__all__ = [
    "UNSET",
    "ApiError",
    "ClientError",
    "Endpoint",
    "ProductsClient",
    "Response",
    "RetryPolicy",
    "Unset",
    "endpoint_from_stack",
    "endpoint_from_stage",
    "endpoints_from_stage",
    "region_from_endpoint",
]

SERVICE = "execute-api"
DEFAULT_REGION = "us-east-1"

# Failovers and retries are logged here (INFO); the `products` command prints them on stderr.
logger = logging.getLogger("products_client")


@dataclass(frozen=True)
class Response:
    """A raw API response: status, headers (lower-cased names) and the decoded JSON body; how
    many attempts the call made, which endpoint answered, and why the request was not sent
    again (``note``) when another attempt could not have been safe."""

    status: int
    headers: dict[str, str]
    body: Any
    attempts: int = 1
    endpoint: Endpoint | None = None
    note: str | None = None


class ProductsClient:
    """Create, read, update, delete and list products over SigV4-signed HTTP.

    One method per operation of the API's contract (``products_client.operations``): e.g.
    ``create(name, description=...)``, ``get(product_id)``, ``update(product_id, *, name=...,
    if_match=...)``, ``delete(product_id, *, if_match=...)``, ``list_page(page_size, next_token)``
    and ``iter_products(page_size)``.
    """

    def __init__(
        self,
        endpoint: str | Sequence[str],
        *,
        region: str | None = None,
        profile: str | None = None,
        credentials: Credentials | None = None,
        timeout: float = 30.0,
        retry: RetryPolicy = RetryPolicy(),
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        """``endpoint``: one base URL, or several regions' endpoints in order of preference
        (a sequence, or one comma-separated string), each ``[REGION=]URL``; an ``execute-api``
        URL names its region itself. ``region`` signs for an endpoint that names none, and
        with several regions says which to try first."""
        session = botocore.session.Session(profile=profile)
        specs = split_endpoint_list(endpoint) if isinstance(endpoint, str) else list(endpoint)
        self.endpoints = resolve_endpoints(
            specs,
            region=region,
            default_region=lambda: session.get_config_variable("region") or DEFAULT_REGION,
        )
        # The preferred endpoint (what a client of one endpoint always had).
        self.endpoint = self.endpoints[0].url
        self.region = self.endpoints[0].region
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
        self._failed_at: dict[Endpoint, float] = {}  # when each endpoint last failed

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

        An attempt that gets no answer, or 429, 502, 503 or 504, is followed by another when
        ``products_client.retries.may_send_again`` allows it and attempts remain: at the next
        endpoint at once, or after a wait when every endpoint was tried in this round. The
        answer (or error) of the last attempt is what the caller gets.
        """
        headers = dict(headers or {})
        order = self._endpoint_order()
        waits_for: float | None = None  # the last answer's Retry-After
        attempt = 0
        while True:
            endpoint = order[attempt % len(order)]
            if attempt and attempt % len(order) == 0:  # every endpoint tried: wait, then again
                self._sleep(self._retry.delay(attempt // len(order), waits_for))
            attempt += 1
            response: Response | None = None
            failure: Unreachable | None = None
            try:
                response = self._send_once(endpoint, method, path, query, body, headers)
            except Unreachable as error:
                failure = error
            if response is not None and response.status not in RETRYABLE_STATUSES:
                self._failed_at.pop(endpoint, None)
                return dataclasses.replace(response, attempts=attempt, endpoint=endpoint)
            self._failed_at[endpoint] = time.monotonic()
            status = response.status if response is not None else None
            safe = may_send_again(
                method, headers, IDEMPOTENCY_KEY_HEADER, status=status, unreachable=failure
            )
            if attempt >= self._retry.attempts or not safe:
                note = None if safe else not_repeated(method)
                if response is None:
                    tried = [e.region for e in order[: min(attempt, len(order))]]
                    raise ClientError(
                        f"{failure}{gave_up(attempt, tried)}" + (f"\n  {note}" if note else "")
                    ) from (failure.__cause__ if failure else None)
                return dataclasses.replace(response, attempts=attempt, endpoint=endpoint, note=note)
            waits_for = retry_after(response.headers) if response is not None else None
            logger.info(
                "%s %s: %s; %s",
                method,
                endpoint,
                f"answered {status}" if failure is None else f"no answer ({failure.reason})",
                (
                    f"trying {order[attempt % len(order)]}"
                    if attempt % len(order)
                    else f"trying {order[0]} again"
                ),
            )

    def _endpoint_order(self) -> list[Endpoint]:
        """The endpoints in order of preference, starting with the first that has not failed in
        the last ``failback_after`` seconds (if all have, the one that failed longest ago)."""
        now = time.monotonic()
        endpoints = list(self.endpoints)

        def last_failure(endpoint: Endpoint) -> float:
            return self._failed_at.get(endpoint, float("-inf"))

        healthy = [e for e in endpoints if now - last_failure(e) >= self._retry.failback_after]
        start = endpoints.index(healthy[0] if healthy else min(endpoints, key=last_failure))
        return endpoints[start:] + endpoints[:start]

    def _send_once(
        self,
        endpoint: Endpoint,
        method: str,
        path: str,
        query: dict[str, str] | None,
        body: Any,
        headers: dict[str, str],
    ) -> Response:
        """One HTTP exchange with ``endpoint``, signed afresh for its region (a retry gets a new
        timestamp)."""
        url = endpoint.url + path + (f"?{urlencode(query, quote_via=quote)}" if query else "")
        data = json.dumps(body).encode() if body is not None else None
        all_headers = dict(headers)
        if data is not None:
            all_headers["Content-Type"] = "application/json"
        aws_request = AWSRequest(method=method, url=url, data=data, headers=all_headers)
        frozen = self._credentials.get_frozen_credentials()  # refreshes temporary credentials
        SigV4Auth(
            Credentials(frozen.access_key or "", frozen.secret_key or "", frozen.token),
            SERVICE,
            endpoint.region,
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
            if urlsplit(endpoint.url).hostname in ("127.0.0.1", "localhost", "::1"):
                hint = " (is the local API running? start it with `make run`)"
            raise Unreachable(f"cannot reach {endpoint.url}: {reason}{hint}", reason) from error

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
            note=response.note,
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

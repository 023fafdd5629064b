"""A small SigV4-signing client for the products API (local or deployed).

Credentials come from the standard AWS chain (environment, shared profile, SSO, instance role);
each request is signed with botocore for service ``execute-api``.
"""

from __future__ import annotations

import email.utils
import json
import random
import re
import socket
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Final
from urllib.parse import quote, urlencode, urlsplit

import botocore.session
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

SERVICE = "execute-api"
DEFAULT_REGION = "us-east-1"
IDEMPOTENCY_KEY_HEADER = "Idempotency-Key"  # makes a create safe to resend (the API replays it)
_EXECUTE_API_HOST = re.compile(r"^[a-z0-9]+\.execute-api\.([a-z0-9-]+)\.amazonaws\.com(\.cn)?$")


class Unset:
    """The type of ``UNSET``: "leave this field alone", as opposed to None ("clear it")."""

    def __repr__(self) -> str:
        return "UNSET"


UNSET: Final = Unset()


# Answers that mean "not processed, try again later": API Gateway's throttling and a store that
# is briefly unavailable. Anything else is final and returned to the caller at once.
RETRYABLE_STATUSES: Final = frozenset({429, 503})


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how long to retry throttling (429), 503 and connection errors.

    Waits grow exponentially from ``base_delay`` with full jitter, each capped at ``max_delay``;
    a ``Retry-After`` header is honoured instead, capped the same way, so a call never hangs.
    """

    attempts: int = 4
    base_delay: float = 0.25
    max_delay: float = 8.0

    def delay(self, retry: int, retry_after: float | None) -> float:
        """Seconds to wait before retry number ``retry`` (1-based)."""
        if retry_after is not None:
            return min(max(retry_after, 0.0), self.max_delay)
        ceiling = min(self.base_delay * 2 ** (retry - 1), self.max_delay)
        # Jitter spreads retries of many clients apart; it needs no cryptographic randomness.
        return random.uniform(ceiling / 2, ceiling)  # nosec B311


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
    attempts: int = 1

    def __str__(self) -> str:
        lines = [f"HTTP {self.status}: {self.message}"]
        if self.attempts > 1:
            lines[0] += f" (gave up after {self.attempts} attempts)"
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
    attempts: int = 1


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
        headers = {IDEMPOTENCY_KEY_HEADER: idempotency_key or str(uuid.uuid4())}
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
        """Send a signed request; returns the response whatever its status.

        Throttling (429), 503 and connection errors are retried per the client's ``RetryPolicy``;
        the response (or error) of the last attempt is what the caller gets.
        """
        attempt = 1
        while True:
            try:
                response = self._send_once(method, path, query, body, headers)
            except _Unreachable as error:
                keyed = bool(headers and IDEMPOTENCY_KEY_HEADER in headers)
                if attempt >= self._retry.attempts or not error.retryable(method, keyed):
                    raise ClientError(f"{error}{_gave_up(attempt)}") from error.__cause__
                self._sleep(self._retry.delay(attempt, None))
            else:
                if response.status not in RETRYABLE_STATUSES or attempt >= self._retry.attempts:
                    return Response(response.status, response.headers, response.body, attempt)
                self._sleep(self._retry.delay(attempt, _retry_after(response.headers)))
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
            raise _Unreachable(f"cannot reach {self.endpoint}: {reason}{hint}", reason) from error

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


class _Unreachable(Exception):
    """No HTTP answer at all; ``reason`` is the underlying socket error."""

    def __init__(self, message: str, reason: object) -> None:
        super().__init__(message)
        self.reason = reason

    def retryable(self, method: str, keyed: bool) -> bool:
        """Whether resending cannot apply a change twice.

        A refused connection or a failed name lookup never reached the API, so any method may be
        resent; after a reset or a timeout the request may have been processed, so only reads are,
        and requests carrying an ``Idempotency-Key`` (the API answers a repeat with the first
        result instead of writing again).
        """
        never_sent = isinstance(self.reason, (ConnectionRefusedError, socket.gaierror))
        return never_sent or keyed or method in ("GET", "HEAD", "OPTIONS")


def _gave_up(attempts: int) -> str:
    return f" (gave up after {attempts} attempts)" if attempts > 1 else ""


def _retry_after(headers: dict[str, str]) -> float | None:
    """The ``Retry-After`` header in seconds (delta-seconds or an HTTP date), None if absent/bad."""
    value = headers.get("retry-after", "").strip()
    if not value:
        return None
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return max((when - datetime.now(timezone.utc)).total_seconds(), 0.0)


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


CDK_OUTPUTS_DIR = Path("cdk-outputs")


def endpoint_from_stage(stage: str, outputs_dir: Path = CDK_OUTPUTS_DIR) -> str:
    """The ``ApiUrl`` that ``make deploy STAGE=<stage>`` saved in ``cdk-outputs/<stage>.json``.

    The file is the CDK CLI's ``--outputs-file`` format: ``{"<stack>": {"ApiUrl": ...}}``; reading
    it needs no AWS call.
    """
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_-]*", stage):
        raise ClientError(f"invalid stage name {stage!r}: use letters, digits, '-' and '_'")
    path = outputs_dir / f"{stage}.json"
    try:
        stacks = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ClientError(
            f"{path} not found: deploy the stage first with `make deploy STAGE={stage}`"
        ) from None
    except (OSError, ValueError) as error:
        raise ClientError(f"cannot read {path}: {error}") from error
    urls = [
        outputs["ApiUrl"]
        for outputs in (stacks.values() if isinstance(stacks, dict) else [])
        if isinstance(outputs, dict) and isinstance(outputs.get("ApiUrl"), str)
    ]
    if len(urls) != 1:
        found = "no" if not urls else f"{len(urls)}"
        raise ClientError(f"{path} has {found} ApiUrl outputs; expected exactly one stack's")
    return str(urls[0])

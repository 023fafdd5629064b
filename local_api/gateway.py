"""The local stand-in for API Gateway: route, authorise (SigV4), invoke the handler, map back.

Independent of HTTP plumbing (see ``server``), so tests can drive it with plain values.
"""

from __future__ import annotations

import ipaddress
import logging
import secrets
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from local_api import openapi, proxy_events, rest_api
from local_api.authorization import Authorizer, refusal_response
from local_api.credentials import EXAMPLE_KEY_PAIR
from local_api.lambda_context import LambdaContext
from local_api.log_redaction import redact_query
from local_api.principals import LocalAccess
from local_api.proxy_response import HttpResponse, MalformedProxyResponse, to_http_response
from local_api.sigv4 import (
    MISSING_TOKEN,
    AmbiguousCredentials,
    AuthError,
    IncomingRequest,
    verify,
)

# The function the gateway invokes: (proxy event, context) -> proxy result.
FunctionHandler = Callable[[dict[str, Any], Any], Any]
MAX_PAYLOAD_BYTES = 10 * 1024 * 1024  # API Gateway's request payload quota

logger = logging.getLogger("local_api")


@dataclass(frozen=True)
class GatewayConfig:
    """What the deployed stack would fix: who may call, region, stage, the function's limits."""

    access: LocalAccess
    region: str
    stage: str = "local"
    cors_allow_origin: str = "*"
    function_name: str = "products-api-local"
    timeout_seconds: float = 10.0  # the stack's function timeout and memory size
    memory_mb: int = 1769
    integration_timeout_seconds: float = 29.0  # API Gateway's, for a REST API's integration


class LocalGateway:
    """Answers one HTTP request the way API Gateway + the Lambda proxy integration would."""

    def __init__(
        self,
        handler: FunctionHandler,
        config: GatewayConfig,
        *,
        invoke_lock: threading.Lock | None = None,
    ) -> None:
        self._handler = handler
        self._config = config
        self._key_pairs = {key: p.key_pair for key, p in config.access.principals.items()}
        self._authorizer = Authorizer(config.access, config.region, config.stage)
        # One warm container: invocations run one at a time, like a single Lambda instance (this
        # also keeps moto's in-process backend, which is not thread-safe, out of trouble). Local
        # regions sharing one store share one lock.
        self._invoke_lock = invoke_lock or threading.Lock()
        self._openapi: dict[str, bytes] = {}  # by Host: the document names where it is served
        self._local_pages: dict[str, Callable[[], HttpResponse]] = {}
        self._local_routes: dict[str, Callable[[proxy_events.HttpRequest], HttpResponse]] = {}
        self._integration_answers = threading.Event()  # cleared: a stalled region (see stall)
        self._integration_answers.set()

    @property
    def invoke_lock(self) -> threading.Lock:
        """Held while the function runs; other in-process "functions" (the stream poller) take
        it too, so moto's backend only ever serves one of them at a time."""
        return self._invoke_lock

    def add_local_page(self, path: str, page: Callable[[], HttpResponse]) -> None:
        """Serve ``page()`` at ``path`` (GET/HEAD, local-only, unauthenticated, like /docs)."""
        self._local_pages[path] = page

    def add_local_route(
        self, prefix: str, route: Callable[[proxy_events.HttpRequest], HttpResponse]
    ) -> None:
        """Answer every request for ``prefix`` and the paths below it with ``route(request)``
        (any method, local-only, unauthenticated: the route checks what it needs)."""
        self._local_routes[prefix] = route

    def stall(self) -> None:
        """Model a region whose function does not answer: requests that pass authorisation
        wait, without reaching the function, until :meth:`resume` or the integration timeout,
        then get API Gateway's 504."""
        self._integration_answers.clear()

    def resume(self) -> None:
        """Let requests reach the function again (those waiting still get their 504)."""
        self._integration_answers.set()

    def handle(self, request: proxy_events.HttpRequest) -> HttpResponse:
        """Route, authorise and invoke; always returns a response (never raises)."""
        request_id = str(uuid.uuid4())
        started = time.perf_counter()
        try:
            response = self._dispatch(request, request_id)
        except Exception:  # a bug in this local gateway itself: answer, and say so in the log
            logger.exception("local gateway error")
            response = self._error(500, "Internal server error")
        response.headers.append(("x-amzn-RequestId", request_id))
        response.headers.append(("x-amz-apigw-id", secrets.token_urlsafe(12)[:16]))
        if response.body and not any(n.lower() == "content-type" for n, _ in response.headers):
            response.headers.append(("Content-Type", "application/json"))  # API Gateway's default
        logger.info(
            '%s "%s %s%s" %s %.1fms %s',
            request.source_ip,
            request.method,
            request.raw_path,
            f"?{redact_query(request.raw_query)}" if request.raw_query else "",
            response.status,
            (time.perf_counter() - started) * 1000,
            request_id,
        )
        return response

    def _dispatch(self, request: proxy_events.HttpRequest, request_id: str) -> HttpResponse:
        for prefix, local_route in self._local_routes.items():
            if request.raw_path == prefix or request.raw_path.startswith(prefix + "/"):
                return local_route(request)
        if request.method in ("GET", "HEAD"):
            extra = self._local_extra(request)
            if extra is not None:
                return extra
        if rest_api.has_ambiguous_segment(request.raw_path):
            # Refused before routing: a signature is only ever checked against the path exactly
            # as sent, and such a path names no resource (API Gateway's answer to those).
            logger.warning("403 refused: empty, '.' or '..' path segment")
            error_type, message = MISSING_TOKEN
            return self._error(403, message, error_type)
        route = rest_api.match_route(request.raw_path)
        if route is None or (request.method not in route.methods and request.method != "OPTIONS"):
            # API Gateway does not reveal which paths exist: an unknown route looks unauthenticated.
            error_type, message = MISSING_TOKEN
            return self._error(403, message, error_type)
        if request.method == "OPTIONS":
            return rest_api.cors_preflight(self._config.cors_allow_origin)
        if request.body is None:  # the server stopped reading at the payload quota
            return self._error(413, "Request Too Long")
        try:
            caller = verify(
                IncomingRequest(
                    request.method,
                    request.raw_path,
                    request.raw_query,
                    request.headers,
                    request.body,
                ),
                self._key_pairs,
                self._config.region,
            )
        except AmbiguousCredentials as error:  # the HTTP server refuses these before the body
            logger.info("400 refused: %s", error)
            return self._error(400, f"Bad Request: {error}")
        except AuthError as error:
            # Never the Authorization header, token or signatures: AuthError.log_text holds none.
            logger.warning("403 %s: %s", error.error_type, error.log_text)
            return self._error(403, error.message, error.error_type)
        principal = self._config.access.principals[caller.access_key_id]
        refusal = self._authorizer.refusal(
            principal, request.method, request.raw_path, request.source_ip
        )
        if refusal is not None:
            logger.warning("403 AccessDeniedException: %s", refusal.message)
            return refusal_response(refusal, self._config.cors_allow_origin)
        event = proxy_events.build_event(request, route, principal, request_id, self._config.stage)
        return self._invoke(event)

    def _invoke(self, event: dict[str, Any]) -> HttpResponse:
        if not self._integration_answers.is_set():
            # A stalled region: no answer until the integration timeout (or a resume), then
            # API Gateway's 504. The function never sees the request.
            self._integration_answers.wait(self._config.integration_timeout_seconds)
            logger.warning("504: the function did not answer (the region is stalled)")
            return self._error(504, "Endpoint request timed out")
        context = LambdaContext(
            self._config.function_name,
            self._config.timeout_seconds,
            self._config.memory_mb,
            self._config.region,
        )
        with self._invoke_lock:
            try:
                result = self._handler(event, context)
            except Exception:  # an unhandled error in the function: API Gateway answers 502
                logger.exception("the handler raised (API Gateway would answer 502)")
                return self._error(502, "Internal server error")
        try:
            return to_http_response(result)
        except MalformedProxyResponse as error:
            logger.error("malformed Lambda proxy response (API Gateway answers 502): %s", error)
            return self._error(502, "Internal server error")

    def _error(self, status: int, message: str, error_type: str | None = None) -> HttpResponse:
        return rest_api.gateway_error(status, message, error_type, self._config.cors_allow_origin)

    def _local_extra(self, request: proxy_events.HttpRequest) -> HttpResponse | None:
        """Local-only, unauthenticated pages: the OpenAPI document and Swagger UI."""
        raw_path = request.raw_path
        if raw_path in self._local_pages:  # pages added with add_local_page (e.g. /_local/events)
            return self._local_pages[raw_path]()
        if raw_path == "/openapi.json":
            host = next((v for n, v in request.headers if n.lower() == "host"), "127.0.0.1")
            if host not in self._openapi:
                if len(self._openapi) >= 8:  # Host is the client's to choose: keep the cache small
                    self._openapi.clear()
                self._openapi[host] = openapi.render_document(f"http://{host}").encode()
            document = self._openapi[host]
            return HttpResponse(200, [("Content-Type", "application/json")], document)
        if raw_path in ("/docs", "/docs/"):
            html = openapi.swagger_html(self._page_signing(request.source_ip)).encode()
            # The page may hold the key pair: never cache it.
            headers = [("Content-Type", "text/html; charset=utf-8"), ("Cache-Control", "no-store")]
            return HttpResponse(200, headers, html)
        if raw_path in openapi.DOCS_ASSETS:
            path, content_type = openapi.DOCS_ASSETS[raw_path]
            if not path.is_file():
                return self._error(404, f"{raw_path} {openapi.MISSING_ASSET_HINT}")
            return HttpResponse(200, [("Content-Type", content_type)], path.read_bytes())
        return None

    def _page_signing(self, source_ip: str) -> openapi.SigningConfig | None:
        """The key pair the docs page signs with; only a browser on this machine gets it."""
        if not is_loopback(source_ip):
            return None
        key_pair = next(iter(self._key_pairs.values()))  # the server's own key pair
        return openapi.SigningConfig(
            key_pair.access_key_id,
            key_pair.secret_access_key,
            key_pair.session_token,
            self._config.region,
            show_secret=key_pair == EXAMPLE_KEY_PAIR,
        )


def is_loopback(source_ip: str) -> bool:
    """127.0.0.0/8 or ::1, also as an IPv4-mapped address (a server bound to ``::``)."""
    try:
        address = ipaddress.ip_address(source_ip.split("%")[0])
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped.is_loopback
    return address.is_loopback

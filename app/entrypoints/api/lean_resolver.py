"""Powertools' REST resolver with a short per-request path.

Routes, exception handlers, ``app.current_event`` and the OpenAPI document stay Powertools' own;
only :meth:`LeanRestResolver.resolve` is replaced. Powertools' general path runs a middleware
chain, a response builder, compression and CORS checks on every request: about 100 us per
request on a busy container, as much as the rest of our handler (``benchmarks/PERFORMANCE.md``).
This API uses none of those features, and the resolver refuses to run if one is configured
(middlewares, validation, CORS), so nothing is skipped silently.
"""

from __future__ import annotations

import base64
import functools
import re
from collections.abc import Callable, Mapping
from http import HTTPStatus
from typing import Any, cast

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
from aws_lambda_powertools.event_handler.api_gateway import BaseRouter
from aws_lambda_powertools.event_handler.exceptions import NotFoundError
from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEvent
from aws_lambda_powertools.utilities.typing import LambdaContext

_RouteTable = dict[str, list[tuple[re.Pattern[str], Callable[..., Any]]]]

# A REST proxy response (``statusCode``, ``body``, ``isBase64Encoded``, ``multiValueHeaders``).
# Routes and exception handlers may return one directly instead of a Powertools ``Response``:
# the hot paths of this API do, which saves building and then serialising a Response per request.
ProxyResponse = dict[str, Any]


class RestEvent(APIGatewayProxyEvent):
    """Powertools' REST event, with headers keyed by lower-case name, built once per request.

    Powertools builds a case-insensitive mapping on every access to ``headers``; routes read
    headers more than once, always by their lower-case names.
    """

    @functools.cached_property
    def headers(self) -> dict[str, str]:
        """Each header's (last) value by lower-case name."""
        return {name.lower(): value for name, value in (self.get("headers") or {}).items()}

    def header_values(self, name: str) -> list[str]:
        """Every value of the header ``name`` (any case): one sent twice must not lose one."""
        wanted = name.lower()
        if wanted not in self.headers:  # API Gateway lists every header in both mappings
            return []
        values = [
            value
            for given, given_values in (self.get("multiValueHeaders") or {}).items()
            if given.lower() == wanted
            for value in given_values or ()
        ]
        if values:
            return values
        value = self.headers.get(wanted)
        return [] if value is None else [value]


class LeanRestResolver(APIGatewayRestResolver):
    """An ``APIGatewayRestResolver`` whose ``resolve`` only matches, calls and serialises."""

    _lean_routes: _RouteTable | None = None

    @property
    def current_request(self) -> RestEvent:
        """The request being resolved (``current_event``, typed as this resolver makes it)."""
        return cast(RestEvent, self.current_event)

    def _route_table(self) -> _RouteTable:
        """Routes by method, in Powertools' matching order (built on the first request)."""
        if self._router_middlewares or self._enable_validation or self._cors_enabled:
            raise RuntimeError("LeanRestResolver supports no middlewares, validation or CORS")
        table: _RouteTable = {}
        for route in self._static_routes + self._dynamic_routes:
            if route.middlewares:
                raise RuntimeError(f"LeanRestResolver supports no middlewares ({route.path})")
            table.setdefault(route.method, []).append((route.rule, route.func))
        self._lean_routes = table
        return table

    def resolve(self, event: Mapping[str, Any], context: LambdaContext) -> dict[str, Any]:
        """The proxy response for ``event``: the matching route's, or an exception handler's."""
        routes = self._lean_routes if self._lean_routes is not None else self._route_table()
        raw = event if isinstance(event, dict) else dict(event)
        proxy_event = RestEvent(raw, self._json_body_deserializer)
        # Where Powertools keeps the request for ``app.current_event`` (as its own resolve does).
        BaseRouter.current_event = proxy_event
        BaseRouter.lambda_context = context
        try:
            response = self._call_route_for(routes, proxy_event.http_method, proxy_event.path)
        except Exception as error:
            handler = self.exception_handler_manager.lookup_exception_handler(type(error))
            if handler is None:
                if not isinstance(error, NotFoundError):
                    raise
                response = Response(
                    HTTPStatus.NOT_FOUND.value, "application/json", '{"message":"Not found"}'
                )
            else:
                response = handler(error)
        if isinstance(response, dict):
            return response
        return self._serialise(response)

    @staticmethod
    def _call_route_for(routes: _RouteTable, method: str, path: str) -> Any:
        for rule, func in routes.get(method.upper(), ()):
            match = rule.match(path)
            if match:
                return func(**match.groupdict())
        raise NotFoundError()

    def _serialise(self, response: Response[Any]) -> dict[str, Any]:
        """A REST proxy response (``multiValueHeaders``), as Powertools' ResponseBuilder makes."""
        body = response.body
        if response.is_json() and not isinstance(body, str | bytes | None):
            body = self._serializer(body)
        base64_encoded = response.base64_encoded
        if isinstance(body, bytes):
            body, base64_encoded = base64.b64encode(body).decode(), True
        headers: dict[str, list[str]] = {}
        for name, values in response.headers.items():
            if values is not None:
                headers[name] = [values] if isinstance(values, str) else list(values)
        if response.cookies:
            headers["Set-Cookie"] = [str(cookie) for cookie in response.cookies]
        return {
            "statusCode": response.status_code,
            "body": body,
            "isBase64Encoded": base64_encoded,
            "multiValueHeaders": headers,
        }

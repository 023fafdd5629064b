"""API Gateway's REST proxy integration: the request view, the response shape and the dispatcher.

API Gateway has already matched the request to one of the stack's resources and methods before the
function runs, and says which in the event's documented ``httpMethod`` and ``resource`` fields (for
example ``GET`` and ``/products/{id}``), with the path's values in ``pathParameters``. So the
function does not match paths again: :class:`Dispatcher` looks the pair up in a dictionary.

Powertools' ``APIGatewayRestResolver`` is not used at run time: its general per-request path
(route matching by regular expression, middlewares, response builder, compression and CORS checks)
costs ~12 us per request where this lookup costs ~0.5 us, and importing it adds ~30 ms to the
cold start, for features this API does not use (``benchmarks/PERFORMANCE.md``). Powertools still
generates the OpenAPI document from the same routes, at build time (``tools/apidocs``).

Every request gets a fresh :class:`ProxyRequest`, passed to its route as an argument: nothing about
one request is kept anywhere that the next request on the same container could read.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from http import HTTPStatus
from typing import Any

# A REST proxy response: ``statusCode``, ``body`` (a string), ``isBase64Encoded`` and
# ``multiValueHeaders`` (header name -> list of values), the format API Gateway documents.
ProxyResponse = dict[str, Any]


class ProxyRequest:
    """A read-only view of one REST proxy event, with headers keyed by lower-case name."""

    def __init__(self, event: Mapping[str, Any]) -> None:
        self.event = event

    @functools.cached_property
    def headers(self) -> dict[str, str]:
        """Each header's (last) value by lower-case name."""
        return {name.lower(): value for name, value in (self.event.get("headers") or {}).items()}

    def header_values(self, name: str) -> list[str]:
        """Every value of the header ``name`` (any case): one sent twice must not lose one."""
        wanted = name.lower()
        if wanted not in self.headers:  # API Gateway lists every header in both mappings
            return []
        values = [
            value
            for given, given_values in (self.event.get("multiValueHeaders") or {}).items()
            if given.lower() == wanted
            for value in given_values or ()
        ]
        return values or [self.headers[wanted]]

    def path_parameter(self, name: str) -> str:
        """The value of the resource's path parameter ``name`` (API Gateway always sends it)."""
        value: str = (self.event.get("pathParameters") or {})[name]
        return value

    def query_value(self, name: str) -> str | None:
        """The (last) value of the query parameter ``name``, or None."""
        value: str | None = (self.event.get("queryStringParameters") or {}).get(name)
        return value

    @property
    def body(self) -> str | None:
        """The body as API Gateway passed it (base64 when :attr:`is_base64_encoded`)."""
        body: str | None = self.event.get("body")
        return body

    @property
    def is_base64_encoded(self) -> bool:
        """Whether :attr:`body` is base64 (binary media types)."""
        return bool(self.event.get("isBase64Encoded"))

    @property
    def request_context(self) -> Mapping[str, Any]:
        """API Gateway's ``requestContext`` (request id, stage, caller identity, ...)."""
        return self.event.get("requestContext") or {}


Route = Callable[[ProxyRequest], ProxyResponse]
# Answers an error a route raised, or re-raises it when it is not the API's to answer.
ErrorResponder = Callable[[Exception], ProxyResponse]
# (HTTP method, API Gateway resource) -> route, e.g. ("GET", "/products/{id}").
RouteTable = Mapping[tuple[str, str], Route]


class Dispatcher:
    """Calls the route of an event's ``(httpMethod, resource)``; errors go to ``on_error``."""

    def __init__(
        self,
        routes: RouteTable,
        on_error: ErrorResponder,
        on_no_route: Callable[[], ProxyResponse],
    ) -> None:
        self._routes = dict(routes)
        self._on_error = on_error
        self._on_no_route = on_no_route

    @property
    def route_keys(self) -> list[tuple[str, str]]:
        """The ``(method, resource)`` pairs this dispatcher serves."""
        return list(self._routes)

    def dispatch(self, event: Mapping[str, Any]) -> ProxyResponse:
        """The proxy response for ``event``: its route's answer, or the error's."""
        route = self._routes.get((str(event.get("httpMethod")), str(event.get("resource"))))
        if route is None:
            # API Gateway refuses methods and paths the stack does not declare (403), so this
            # answers only a stack that declares more than the function serves.
            return self._on_no_route()
        try:
            return route(ProxyRequest(event))
        except Exception as error:  # each error type has its answer in one table (``errors``)
            return self._on_error(error)


def not_found_route() -> ProxyResponse:
    """The answer for a method and resource the function has no route for."""
    return {
        "statusCode": HTTPStatus.NOT_FOUND.value,
        "body": '{"message":"No such route"}',
        "isBase64Encoded": False,
        "multiValueHeaders": {"Content-Type": ["application/json"]},
    }

"""The dispatcher: routes by API Gateway's (httpMethod, resource), every error answered as JSON,
and nothing of one request left for the next."""

from __future__ import annotations

import json
from http import HTTPStatus
from typing import Any

import pytest
from aws_lambda_powertools import Logger

from app import contract
from app.entrypoints.api import errors, messages, routes
from app.entrypoints.api.proxy import Dispatcher, ProxyRequest, ProxyResponse, not_found_route
from app.entrypoints.api.responses import json_response
from tests.fakes import InMemoryProductRepository
from tests.support.lambda_api import ApiClient
from tests.support.rest_events import rest_event


def _dispatcher(table: dict[tuple[str, str], Any]) -> Dispatcher:
    return Dispatcher(table, errors.error_responder(Logger(service="test")), not_found_route)


def _body(response: ProxyResponse) -> Any:
    return json.loads(response["body"])


def test_a_route_raising_a_bad_request_answers_400_not_500() -> None:
    def reject(request: ProxyRequest) -> ProxyResponse:
        raise messages.BadRequest("no", [])

    response = _dispatcher({("GET", "/products"): reject}).dispatch(rest_event("GET", "/products"))

    assert response["statusCode"] == 400 and _body(response) == {"message": "no"}


def test_an_unexpected_error_answers_a_json_500(caplog: pytest.LogCaptureFixture) -> None:
    def crash(request: ProxyRequest) -> ProxyResponse:
        raise KeyError("boom")

    response = _dispatcher({("GET", "/products"): crash}).dispatch(rest_event("GET", "/products"))

    assert response["statusCode"] == 500
    assert _body(response) == {"message": "Internal server error"}
    assert "unhandled error" in caplog.text  # the details go to the log only


@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", "/nowhere"), ("PATCH", "/products"), ("POST", "/products/abc")],
)
def test_an_unknown_method_or_resource_is_a_json_404(method: str, path: str) -> None:
    table = routes.build_routes(InMemoryProductRepository(), count=lambda name: None)

    response = _dispatcher(table).dispatch(rest_event(method, path))

    assert response["statusCode"] == 404
    assert response["multiValueHeaders"]["Content-Type"] == ["application/json"]
    assert _body(response) == {"message": "No such route"}


def test_routes_are_exactly_the_resources_and_methods_the_stack_declares() -> None:
    table = routes.build_routes(InMemoryProductRepository(), count=lambda name: None)

    declared = {(m, resource) for resource, methods in contract.ROUTES.items() for m in methods}
    assert set(table) == declared


def test_each_request_sees_only_its_own_event() -> None:
    seen: list[tuple[str | None, str | None]] = []

    def echo(request: ProxyRequest) -> ProxyResponse:
        seen.append((request.headers.get("x-tag"), request.query_value("q")))
        return json_response(HTTPStatus.OK, "{}")

    dispatcher = _dispatcher({("GET", "/products"): echo})
    dispatcher.dispatch(rest_event("GET", "/products", headers={"X-Tag": "a"}, query="q=1"))
    dispatcher.dispatch(rest_event("GET", "/products"))

    assert seen == [("a", "1"), (None, None)]


def test_metrics_of_a_failed_request_do_not_reach_the_next_line(
    memory_repository: InMemoryProductRepository, capsys: pytest.CaptureFixture[str]
) -> None:
    from app.entrypoints.api.handler import build_handler

    api = ApiClient(build_handler(memory_repository))
    api.request("POST", "/products", body={"name": "lamp"})
    capsys.readouterr()

    api.request("GET", "/products", query="pageSize=0")  # a 400: counts nothing
    (line,) = [json.loads(text) for text in capsys.readouterr().out.splitlines()]

    assert line["status_code"] == 400 and "_aws" not in line


def test_header_values_keep_every_value_of_a_repeated_header() -> None:
    event = rest_event("POST", "/products", headers={"Idempotency-Key": "b"})
    event["multiValueHeaders"]["Idempotency-Key"] = ["a", "b"]

    assert ProxyRequest(event).header_values("idempotency-key") == ["a", "b"]
    assert ProxyRequest(event).header_values("X-Missing") == []


def test_an_operation_without_a_route_or_a_route_without_an_operation_is_refused() -> None:
    operation = contract.Operation(
        "archiveProduct",
        "archive",
        "POST",
        "/products/{id}/archive",
        "Archive",
        200,
        "product",
        (404,),
    )
    route = routes.build_routes(InMemoryProductRepository(), count=lambda name: None)[
        ("GET", "/products")
    ]

    with pytest.raises(ValueError, match=r"without a route: \['archiveProduct'\]"):
        routes.routes_by_request({}, (operation,))
    with pytest.raises(ValueError, match=r"without an operation: \['listProducts'\]"):
        routes.routes_by_request({"archiveProduct": route, "listProducts": route}, (operation,))
    assert routes.routes_by_request({"archiveProduct": route}, (operation,)) == {
        ("POST", "/products/{id}/archive"): route
    }

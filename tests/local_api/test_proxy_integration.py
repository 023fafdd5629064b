"""The Lambda proxy integration as API Gateway does it: request -> event, result -> response."""

from __future__ import annotations

import base64
import time
from typing import Any

import pytest

from local_api.credentials import KeyPair
from local_api.lambda_context import LambdaContext
from local_api.principals import Principal, environment_principal
from local_api.proxy_events import HttpRequest, build_event
from local_api.proxy_response import MalformedProxyResponse, to_http_response
from local_api.rest_api import RouteMatch, match_route

CALLER = environment_principal(KeyPair("AKIAUNITTEST00000000", "unit-secret"))


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/products", ("/products", {})),
        ("/products/abc", ("/products/{id}", {"id": "abc"})),
        ("/products/a%2Fb", ("/products/{id}", {"id": "a%2Fb"})),  # kept encoded, like REST APIs
        ("/products/", None),
        ("/products/a/b", None),
        ("/", None),
        ("/product", None),
    ],
)
def test_paths_match_the_stacks_resources(
    path: str, expected: tuple[str, dict[str, str]] | None
) -> None:
    match = match_route(path)

    assert (None if match is None else (match.resource, match.path_parameters)) == expected


def request(**overrides: Any) -> HttpRequest:
    values: dict[str, Any] = {
        "method": "GET",
        "raw_path": "/products/abc",
        "raw_query": "",
        "headers": [("Host", "127.0.0.1:3000"), ("User-Agent", "tests/1.0")],
        "body": b"",
        "source_ip": "127.0.0.1",
    }
    values.update(overrides)
    return HttpRequest(**values)


def event_for(http_request: HttpRequest, caller: Principal = CALLER) -> dict[str, Any]:
    route = match_route(http_request.raw_path)
    assert route is not None
    return build_event(http_request, route, caller, "request-id-1", "local")


def test_the_event_has_every_field_of_a_rest_proxy_event() -> None:
    event = event_for(request())

    assert set(event) == {
        "resource",
        "path",
        "httpMethod",
        "headers",
        "multiValueHeaders",
        "queryStringParameters",
        "multiValueQueryStringParameters",
        "pathParameters",
        "stageVariables",
        "requestContext",
        "body",
        "isBase64Encoded",
    }
    assert event["resource"] == "/products/{id}"
    assert event["path"] == "/products/abc"
    assert event["httpMethod"] == "GET"
    assert event["pathParameters"] == {"id": "abc"}
    assert event["stageVariables"] is None
    assert event["body"] is None and event["isBase64Encoded"] is False
    assert event["queryStringParameters"] is None
    assert event["multiValueQueryStringParameters"] is None


def test_the_request_context_carries_the_request_id_stage_and_signing_identity() -> None:
    context = event_for(request())["requestContext"]

    assert context["requestId"] == "request-id-1"
    assert context["stage"] == "local"
    assert context["path"] == "/local/products/abc"
    assert context["resourcePath"] == "/products/{id}"
    assert context["httpMethod"] == "GET"
    assert context["protocol"] == "HTTP/1.1"
    assert isinstance(context["requestTimeEpoch"], int)
    identity = context["identity"]
    assert identity["accessKey"] == "AKIAUNITTEST00000000"
    assert identity["sourceIp"] == "127.0.0.1"
    assert identity["userAgent"] == "tests/1.0"
    assert identity["userArn"].startswith("arn:aws:iam::")
    assert identity["caller"] == identity["user"]


def test_a_caller_with_a_session_token_appears_as_an_assumed_role() -> None:
    identity = event_for(request(), environment_principal(KeyPair("ASIAX", "secret", "token")))[
        "requestContext"
    ]["identity"]

    assert ":assumed-role/" in identity["userArn"]


def test_query_values_are_decoded_with_the_last_value_and_every_value_kept() -> None:
    event = event_for(request(raw_path="/products", raw_query="a=1&a=2&b=x%20y+z&flag"))

    assert event["queryStringParameters"] == {"a": "2", "b": "x y+z", "flag": ""}
    assert event["multiValueQueryStringParameters"] == {
        "a": ["1", "2"],
        "b": ["x y+z"],
        "flag": [""],
    }
    assert event["pathParameters"] is None


def test_repeated_headers_keep_their_case_last_value_and_all_values() -> None:
    headers = [("Host", "127.0.0.1:3000"), ("X-Tag", "one"), ("X-Tag", "two")]
    event = event_for(request(headers=headers))

    assert event["headers"]["X-Tag"] == "two"
    assert event["multiValueHeaders"]["X-Tag"] == ["one", "two"]
    assert event["headers"]["X-Forwarded-Proto"] == "http"
    assert event["headers"]["X-Forwarded-Port"] == "3000"
    assert event["headers"]["X-Amzn-Trace-Id"].startswith("Root=1-")


def test_a_text_body_is_passed_as_is_and_binary_as_base64() -> None:
    text = event_for(request(method="PUT", body='{"name": "é"}'.encode()))
    binary = event_for(request(method="PUT", body=b"\xff\xfe\x00"))

    assert (text["body"], text["isBase64Encoded"]) == ('{"name": "é"}', False)
    assert binary["isBase64Encoded"] is True
    assert base64.b64decode(binary["body"]) == b"\xff\xfe\x00"


def test_the_lambda_context_looks_like_the_python_runtimes() -> None:
    context = LambdaContext(
        "products-api-local", timeout_seconds=10, memory_mb=1769, region="eu-west-1"
    )

    assert context.function_version == "$LATEST"
    assert context.memory_limit_in_mb == "1769"
    assert context.invoked_function_arn.startswith("arn:aws:lambda:eu-west-1:")
    assert context.invoked_function_arn.endswith(":function:products-api-local")
    assert context.aws_request_id and context.log_stream_name
    remaining = context.get_remaining_time_in_millis()
    time.sleep(0.01)
    assert 0 < context.get_remaining_time_in_millis() < remaining <= 10_000


def test_response_headers_and_multi_value_headers_are_merged() -> None:
    response = to_http_response(
        {
            "statusCode": 201,
            "headers": {"Content-Type": "application/json", "Set-Cookie": "a=1"},
            "multiValueHeaders": {"Set-Cookie": ["a=1", "b=2"], "X-Count": [3]},
            "body": "{}",
        }
    )

    assert response.status == 201
    assert sorted(response.headers) == [
        ("Content-Type", "application/json"),
        ("Set-Cookie", "a=1"),
        ("Set-Cookie", "b=2"),
        ("X-Count", "3"),
    ]
    assert response.body == b"{}"


def test_a_base64_body_is_decoded_and_a_missing_body_is_empty() -> None:
    encoded = base64.b64encode(b"\x00\x01").decode()

    assert (
        to_http_response({"statusCode": 200, "body": encoded, "isBase64Encoded": True}).body
        == b"\x00\x01"
    )
    assert to_http_response({"statusCode": "204"}).body == b""


@pytest.mark.parametrize(
    "result",
    [
        None,
        "ok",
        {"body": "no status"},
        {"statusCode": "abc"},
        {"statusCode": 700},
        {"statusCode": 200, "headers": {"X": {"nested": 1}}},
        {"statusCode": 200, "multiValueHeaders": {"X": "not a list"}},
        {"statusCode": 200, "body": {"not": "a string"}},
        {"statusCode": 200, "body": "%%%", "isBase64Encoded": True},
    ],
)
def test_a_malformed_proxy_response_is_rejected(result: Any) -> None:
    with pytest.raises(MalformedProxyResponse):
        to_http_response(result)


def test_route_match_exposes_the_resources_methods() -> None:
    assert match_route("/products") == RouteMatch("/products", {}, ("GET", "POST"))

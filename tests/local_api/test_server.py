"""The gateway over real HTTP, in front of a recording stand-in for the Lambda function."""

from __future__ import annotations

import http.client
import json
from collections.abc import Iterator
from urllib.parse import urlsplit

from botocore.credentials import Credentials

from local_api.credentials import KeyPair
from tests.local_api.conftest import CREDENTIALS, ServeFactory, StubGateway
from tests.support.signed_http import send, sign, signed_request


def test_a_signed_request_reaches_the_function_as_a_proxy_event(stub: StubGateway) -> None:
    result = signed_request(
        "PUT",
        stub.url + "/products/abc%20d?x=1&x=2",
        CREDENTIALS,
        json_body={"name": "Desk"},
        headers={"If-Match": '"3"'},
    )

    assert result.status == 200
    assert result.json() == {"ok": True}
    [(event, context)] = stub.function.invocations
    assert event["resource"] == "/products/{id}"
    assert event["path"] == "/products/abc%20d"
    assert event["pathParameters"] == {"id": "abc%20d"}
    assert event["multiValueQueryStringParameters"] == {"x": ["1", "2"]}
    assert json.loads(event["body"]) == {"name": "Desk"}
    assert event["headers"]["If-Match"] == '"3"'
    assert event["requestContext"]["identity"]["accessKey"] == CREDENTIALS.access_key
    assert event["requestContext"]["requestId"] == result.header("x-amzn-RequestId")
    assert context.get_remaining_time_in_millis() > 0


def test_multi_value_response_headers_reach_the_client_as_repeated_headers(
    stub: StubGateway,
) -> None:
    stub.function.response = {
        "statusCode": 201,
        "headers": {"Location": "/products/1"},
        "multiValueHeaders": {"Set-Cookie": ["a=1", "b=2"]},
        "body": "{}",
    }

    result = signed_request("POST", stub.url + "/products", CREDENTIALS, json_body={})

    assert result.status == 201
    assert result.header_values("Set-Cookie") == ["a=1", "b=2"]
    assert result.header("Location") == "/products/1"
    assert result.header("Content-Type") == "application/json"  # API Gateway's default


def test_a_function_error_becomes_502_internal_server_error(stub: StubGateway) -> None:
    stub.function.error = RuntimeError("boom")

    result = signed_request("GET", stub.url + "/products", CREDENTIALS)

    assert result.status == 502
    assert result.json() == {"message": "Internal server error"}


def test_a_malformed_proxy_response_becomes_502(stub: StubGateway) -> None:
    stub.function.response = {"body": "no status code"}

    result = signed_request("GET", stub.url + "/products", CREDENTIALS)

    assert result.status == 502
    assert result.json() == {"message": "Internal server error"}


def test_unauthenticated_requests_never_reach_the_function(stub: StubGateway) -> None:
    unsigned = send("GET", stub.url + "/products")
    unknown_route = signed_request("GET", stub.url + "/nothing", CREDENTIALS)

    assert unsigned.status == unknown_route.status == 403
    assert stub.function.events == []


def test_session_tokens_work_when_the_server_holds_temporary_credentials(
    serve: ServeFactory,
) -> None:
    temporary = Credentials("ASIAUNITTEST00000000", "temporary-secret", "session-token")
    gateway = serve(
        key_pairs=[KeyPair("ASIAUNITTEST00000000", "temporary-secret", "session-token")]
    )
    without_token = Credentials(temporary.access_key, temporary.secret_key)

    accepted = signed_request("GET", gateway.url + "/products", temporary)
    rejected = signed_request("GET", gateway.url + "/products", without_token)

    assert accepted.status == 200
    assert (
        gateway.function.events[0]["requestContext"]["identity"]["accessKey"]
        == temporary.access_key
    )
    assert rejected.status == 403
    assert rejected.json()["message"] == "The security token included in the request is invalid."


def test_cors_preflight_is_answered_by_the_gateway_without_auth(stub: StubGateway) -> None:
    result = send("OPTIONS", stub.url + "/products/abc", headers={"Origin": "http://app.test"})

    assert result.status == 204
    assert result.body == b""
    assert result.header("Access-Control-Allow-Origin") == "*"
    assert result.header("Access-Control-Allow-Methods") == "GET,POST,PUT,DELETE,OPTIONS"
    assert result.header("Access-Control-Max-Age") == "3600"
    assert stub.function.events == []


def test_a_configured_cors_origin_is_used_on_gateway_errors(serve: ServeFactory) -> None:
    gateway = serve(cors_allow_origin="https://app.example")

    result = send("GET", gateway.url + "/products")

    assert result.header("Access-Control-Allow-Origin") == "https://app.example"
    assert result.header("Vary") == "Origin"


def test_head_is_not_a_method_of_the_api(stub: StubGateway) -> None:
    result = send("HEAD", stub.url + "/products")

    assert result.status == 403
    assert result.body == b""


def connection(url: str) -> http.client.HTTPConnection:
    parts = urlsplit(url)
    return http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=10)


def test_a_body_over_the_10_mb_quota_is_refused_without_being_read(stub: StubGateway) -> None:
    conn = connection(stub.url)
    conn.putrequest("POST", "/products")
    conn.putheader("Content-Length", str(11 * 1024 * 1024))
    conn.endheaders()

    response = conn.getresponse()

    assert response.status == 413
    assert json.loads(response.read()) == {"message": "Request Too Long"}
    assert response.getheader("Connection") == "close"
    conn.close()


def test_a_chunked_body_is_read_and_covered_by_the_signature(stub: StubGateway) -> None:
    body = json.dumps({"name": "Chunked"}).encode()
    headers = sign(
        "POST",
        stub.url + "/products",
        CREDENTIALS,
        body=body,
        headers={"Content-Type": "application/json"},
    )
    headers["Transfer-Encoding"] = "chunked"

    def chunks() -> Iterator[bytes]:
        yield body[:5]
        yield body[5:]

    conn = connection(stub.url)
    conn.request("POST", "/products", body=chunks(), headers=headers, encode_chunked=True)
    status = conn.getresponse().status
    conn.close()

    assert status == 200
    assert json.loads(stub.function.events[0]["body"]) == {"name": "Chunked"}


def test_every_response_closes_its_connection_and_clients_reconnect(stub: StubGateway) -> None:
    """One request per connection: nothing a client sends after a body is ever parsed."""
    conn = connection(stub.url)
    answers = []
    for _ in range(3):
        headers = sign("GET", stub.url + "/products", CREDENTIALS)
        conn.request("GET", "/products", headers=headers)  # http.client reopens it
        response = conn.getresponse()
        response.read()
        answers.append((response.status, response.getheader("Connection")))
    conn.close()

    assert answers == [(200, "close")] * 3


def test_the_docs_page_and_its_assets_are_served_locally(stub: StubGateway) -> None:
    page = send("GET", stub.url + "/docs")
    script = send("GET", stub.url + "/docs/swagger-ui.js")
    style = send("GET", stub.url + "/docs/swagger-ui.css")

    assert page.status == script.status == style.status == 200
    assert b'"specUrl": "/openapi.json"' in page.body
    assert (script.header("Content-Type") or "").startswith("text/javascript")
    assert (style.header("Content-Type") or "").startswith("text/css")


def test_a_malformed_content_length_is_a_bad_request(stub: StubGateway) -> None:
    conn = connection(stub.url)
    conn.putrequest("POST", "/products")
    conn.putheader("Content-Length", "lots")
    conn.endheaders()

    response = conn.getresponse()

    assert response.status == 400
    conn.close()

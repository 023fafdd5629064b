"""Raw-socket regression tests: the local gateway frames HTTP strictly and answers like API Gateway.

Each case sends bytes exactly as written (no client library smoothing them) and reads until the
server closes the connection, so a second response or a hang would show.
"""

from __future__ import annotations

import json
import logging
import socket
import time
from urllib.parse import urlsplit

import pytest

from tests.local_api.conftest import CREDENTIALS, ServeFactory, StubGateway
from tests.support.signed_http import sign

MISSING_TOKEN = {"message": "Missing Authentication Token"}


def exchange(url: str, raw: bytes, timeout: float = 10.0) -> bytes:
    """Send ``raw`` on a fresh connection and return everything received until the server closes."""
    parts = urlsplit(url)
    with socket.create_connection(
        (parts.hostname or "", parts.port or 80), timeout=timeout
    ) as sock:
        sock.sendall(raw)
        received = b""
        while chunk := sock.recv(65536):
            received += chunk
        return received


def responses(received: bytes) -> list[tuple[int, dict[str, str], bytes]]:
    """Split what came back into (status, headers, body) tuples; bodies framed by Content-Length."""
    parsed = []
    rest = received
    while rest:
        head, _, rest = rest.partition(b"\r\n\r\n")
        status_line, *header_lines = head.decode("latin-1").split("\r\n")
        headers = {}
        for line in header_lines:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        length = int(headers.get("content-length", "0"))
        body, rest = rest[:length], rest[length:]
        parsed.append((int(status_line.split()[1]), headers, body))
    return parsed


def host(stub: StubGateway) -> str:
    return urlsplit(stub.url).netloc


def test_content_length_with_transfer_encoding_is_400_and_nothing_after_it_is_served(
    stub: StubGateway,
) -> None:
    smuggled = f"GET /products HTTP/1.1\r\nHost: {host(stub)}\r\n\r\n"
    raw = (
        f"POST /products HTTP/1.1\r\nHost: {host(stub)}\r\nContent-Length: 5\r\n"
        f"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n{smuggled}"
    ).encode()

    [(status, headers, body)] = responses(exchange(stub.url, raw))

    assert status == 400
    assert headers["connection"] == "close"
    assert headers["content-type"] == "application/json"
    assert "Transfer-Encoding" in json.loads(body)["message"]
    assert stub.function.events == []


@pytest.mark.parametrize(
    "framing",
    [
        "Content-Length: 2\r\nContent-Length: 2",  # duplicate, even when equal
        "Content-Length: 2\r\nContent-Length: 7",
        "Transfer-Encoding: xchunked\r\nContent-Length: 2",  # used to hang the connection
        "Transfer-Encoding: gzip, chunked",
        "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked",
        "Content-Length: +2",
    ],
)
def test_ambiguous_body_framing_is_400_json_and_the_connection_closes(
    stub: StubGateway, framing: str
) -> None:
    raw = f"POST /products HTTP/1.1\r\nHost: {host(stub)}\r\n{framing}\r\n\r\n{{}}".encode()

    started = time.monotonic()
    [(status, headers, body)] = responses(exchange(stub.url, raw))

    assert status == 400
    assert headers["connection"] == "close"
    assert json.loads(body)["message"].startswith("Bad Request")
    assert time.monotonic() - started < 5
    assert stub.function.events == []


@pytest.mark.parametrize(
    ("method", "target"),
    [
        ("TRACE", "/products"),
        ("CONNECT", "example.com:443"),
        ("FOO", "/products"),
        ("QUERY", "/products"),
        ("PATCH", "/products/abc"),
        ("GET", "/nothing/here"),
        ("GET", "*"),
        ("DELETE", "/products"),
    ],
)
def test_every_unrouted_method_or_path_gets_api_gateways_json_403(
    stub: StubGateway, method: str, target: str
) -> None:
    raw = f"{method} {target} HTTP/1.1\r\nHost: {host(stub)}\r\n\r\n".encode()

    [(status, headers, body)] = responses(exchange(stub.url, raw))

    assert status == 403
    assert headers["content-type"] == "application/json"
    assert headers["x-amzn-errortype"] == "MissingAuthenticationTokenException"
    assert json.loads(body) == MISSING_TOKEN
    assert stub.function.events == []


def test_a_double_slash_path_is_not_folded_into_a_route(stub: StubGateway) -> None:
    headers = sign("GET", stub.url + "//products", CREDENTIALS)
    lines = "".join(f"{name}: {value}\r\n" for name, value in headers.items())
    raw = f"GET //products HTTP/1.1\r\nHost: {host(stub)}\r\n{lines}\r\n".encode()

    [(status, _, body)] = responses(exchange(stub.url, raw))

    assert status == 403
    assert json.loads(body) == MISSING_TOKEN
    assert stub.function.events == []


@pytest.mark.parametrize(
    "request_line", ["GET /products HTTP/1.1 extra", "GET /products HTTP/x", "GET"]
)
def test_a_malformed_request_line_gets_a_json_400_with_a_status_line(
    stub: StubGateway, request_line: str
) -> None:
    [(status, headers, body)] = responses(exchange(stub.url, f"{request_line}\r\n\r\n".encode()))

    assert status == 400
    assert headers["content-type"] == "application/json"
    assert "message" in json.loads(body)


@pytest.mark.parametrize(
    "extra_headers",
    [f"X-Big: {'a' * 70000}\r\n", "".join(f"X-Many-{n}: 1\r\n" for n in range(101))],
    ids=["a header line over 64 KiB", "more than 100 headers"],
)
def test_oversized_headers_get_json_431(stub: StubGateway, extra_headers: str) -> None:
    raw = f"GET /products HTTP/1.1\r\nHost: {host(stub)}\r\n{extra_headers}\r\n"

    [(status, headers, body)] = responses(exchange(stub.url, raw.encode()))

    assert status == 431
    assert headers["content-type"] == "application/json"
    assert "message" in json.loads(body)


def test_a_body_over_the_quota_gets_json_413_and_a_closed_connection(stub: StubGateway) -> None:
    raw = (
        f"POST /products HTTP/1.1\r\nHost: {host(stub)}\r\n"
        f"Content-Length: {11 * 1024 * 1024}\r\n\r\n{{}}"
    ).encode()

    [(status, headers, body)] = responses(exchange(stub.url, raw))

    assert status == 413
    assert headers["connection"] == "close"
    assert json.loads(body) == {"message": "Request Too Long"}


def test_a_malformed_chunk_is_400(stub: StubGateway) -> None:
    raw = (
        f"POST /products HTTP/1.1\r\nHost: {host(stub)}\r\nTransfer-Encoding: chunked\r\n\r\n"
        "zz\r\n{}\r\n0\r\n\r\n"
    ).encode()

    [(status, _, body)] = responses(exchange(stub.url, raw))

    assert status == 400
    assert json.loads(body) == {"message": "Bad Request"}


def test_an_idle_connection_is_closed(serve: ServeFactory) -> None:
    gateway = serve(idle_timeout=0.5)

    started = time.monotonic()
    received = exchange(gateway.url, b"")

    assert received == b""
    assert time.monotonic() - started < 5


def test_a_client_trickling_its_request_is_cut_off(serve: ServeFactory) -> None:
    gateway = serve(idle_timeout=2, read_timeout=1)
    parts = urlsplit(gateway.url)
    started = time.monotonic()
    closed_after: float | None = None
    with socket.create_connection((parts.hostname or "", parts.port or 80), timeout=10) as sock:
        sock.sendall(b"GET /products HTTP/1.1\r\nHost: x\r\n")
        sock.settimeout(0.2)
        while closed_after is None and time.monotonic() - started < 8:
            try:
                sock.sendall(b"X-Slow: a\r\n")  # each line well within the idle timeout
                if sock.recv(1024) == b"":
                    closed_after = time.monotonic() - started
            except TimeoutError:
                continue  # still open: keep trickling
            except OSError:  # reset by the server
                closed_after = time.monotonic() - started

    assert closed_after is not None and closed_after < 3, f"closed after {closed_after}"
    assert gateway.function.events == []


def test_a_chunk_size_over_the_payload_quota_is_413_at_once(stub: StubGateway) -> None:
    raw = (
        f"POST /products HTTP/1.1\r\nHost: {host(stub)}\r\nTransfer-Encoding: chunked\r\n\r\n"
        "FFFFFFFFFF\r\n{}"
    ).encode()

    started = time.monotonic()
    [(status, _, body)] = responses(exchange(stub.url, raw))

    assert status == 413
    assert json.loads(body) == {"message": "Request Too Long"}
    assert time.monotonic() - started < 5  # not the 10 s idle timeout
    assert stub.function.invocations == []


@pytest.mark.parametrize("valid_first", [True, False])
def test_two_authorization_headers_are_400_whichever_comes_first(
    stub: StubGateway, valid_first: bool
) -> None:
    signed = sign("GET", stub.url + "/products", CREDENTIALS)
    valid = signed.pop("Authorization")
    bogus = "AWS4-HMAC-SHA256 Credential=AKIAUNITTEST00000000/x, SignedHeaders=host, Signature=0"
    first, second = (valid, bogus) if valid_first else (bogus, valid)
    headers = "".join(f"{name}: {value}\r\n" for name, value in signed.items())
    raw = (
        f"GET /products HTTP/1.1\r\nHost: {host(stub)}\r\n{headers}"
        f"Authorization: {first}\r\nAuthorization: {second}\r\n\r\n"
    ).encode()

    [(status, _, body)] = responses(exchange(stub.url, raw))

    assert status == 400
    assert json.loads(body) == {"message": "Bad Request: more than one Authorization header"}
    assert stub.function.invocations == []


@pytest.mark.parametrize("parameter", ["Credential", "SignedHeaders", "Signature"])
@pytest.mark.parametrize("valid_first", [True, False])
def test_a_parameter_repeated_inside_the_authorization_header_is_400(
    stub: StubGateway, parameter: str, valid_first: bool
) -> None:
    signed = sign("GET", stub.url + "/products", CREDENTIALS)
    valid = signed.pop("Authorization")
    params = dict(part.strip().split("=", 1) for part in valid.split(" ", 1)[1].split(","))
    bogus = {"Credential": "AKIAUNITTEST00000000/x", "SignedHeaders": "host", "Signature": "0" * 64}
    values = [params[parameter], bogus[parameter]]
    if not valid_first:
        values.reverse()
    parts = [f"{name}={value}" for name, value in params.items() if name != parameter]
    parts += [f"{parameter}={value}" for value in values]
    headers = "".join(f"{name}: {value}\r\n" for name, value in signed.items())
    raw = (
        f"GET /products HTTP/1.1\r\nHost: {host(stub)}\r\n{headers}"
        f"Authorization: AWS4-HMAC-SHA256 {', '.join(parts)}\r\n\r\n"
    ).encode()

    [(status, _, body)] = responses(exchange(stub.url, raw))

    assert status == 400
    assert json.loads(body) == {
        "message": f"Bad Request: more than one {parameter} parameter in the Authorization header"
    }
    assert stub.function.invocations == []


def test_a_target_with_scheme_like_text_after_a_slash_is_the_path_it_is(
    stub: StubGateway, caplog: pytest.LogCaptureFixture
) -> None:
    # Signed for /products: an absolute-form reading ("a://b/products") would serve the list.
    caplog.set_level(logging.INFO, logger="local_api")
    signed = sign("GET", stub.url + "/products", CREDENTIALS)
    headers = "".join(f"{name}: {value}\r\n" for name, value in signed.items())
    raw = f"GET /products/a://b/products HTTP/1.1\r\nHost: {host(stub)}\r\n{headers}\r\n"

    [(status, response_headers, body)] = responses(exchange(stub.url, raw.encode()))

    assert status == 403
    assert response_headers["x-amzn-errortype"] == "MissingAuthenticationTokenException"
    assert json.loads(body) == MISSING_TOKEN
    assert stub.function.invocations == []
    access_log = [r.getMessage() for r in caplog.records if '"GET ' in r.getMessage()]
    assert len(access_log) == 1 and '"GET /products/a://b/products" 403 ' in access_log[0]


def test_an_absolute_form_target_is_served_and_logged_as_its_path(
    stub: StubGateway, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="local_api")
    signed = sign("GET", stub.url + "/products", CREDENTIALS)
    headers = "".join(f"{name}: {value}\r\n" for name, value in signed.items())
    raw = f"GET {stub.url}/products HTTP/1.1\r\nHost: {host(stub)}\r\n{headers}\r\n"

    [(status, _, _)] = responses(exchange(stub.url, raw.encode()))

    assert status == 200
    assert [event["path"] for event in stub.function.events] == ["/products"]
    access_log = [r.getMessage() for r in caplog.records if '"GET ' in r.getMessage()]
    assert len(access_log) == 1 and '"GET /products" 200 ' in access_log[0]


@pytest.mark.parametrize(
    "path",
    [
        "/products/.",
        "/products/..",
        "/products/%2e",
        "/products/%2E%2E",
        "/products/",
        "//products",
        "/products/./x",
        "/x/../products",
    ],
)
def test_a_path_with_dot_or_empty_segments_is_refused_before_routing_even_when_signed(
    stub: StubGateway, path: str
) -> None:
    # Signed for exactly this path: the signature must still never reach another resource.
    signed = sign("GET", stub.url + path, CREDENTIALS)
    headers = "".join(f"{name}: {value}\r\n" for name, value in signed.items())
    raw = f"GET {path} HTTP/1.1\r\nHost: {host(stub)}\r\n{headers}\r\n".encode()

    [(status, response_headers, body)] = responses(exchange(stub.url, raw))

    assert status == 403
    assert response_headers["x-amzn-errortype"] == "MissingAuthenticationTokenException"
    assert json.loads(body) == MISSING_TOKEN
    assert stub.function.invocations == []


def test_a_signature_for_products_is_not_accepted_on_products_dot(stub: StubGateway) -> None:
    signed = sign("GET", stub.url + "/products", CREDENTIALS)
    headers = "".join(f"{name}: {value}\r\n" for name, value in signed.items())
    raw = f"GET /products/. HTTP/1.1\r\nHost: {host(stub)}\r\n{headers}\r\n".encode()

    [(status, _, _)] = responses(exchange(stub.url, raw))

    assert status == 403
    assert stub.function.invocations == []

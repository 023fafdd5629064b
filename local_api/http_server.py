"""The HTTP side of the local gateway: werkzeug's threaded WSGI server, made strict.

werkzeug (with the standard library's request-line and header parser underneath) reads requests,
de-chunks bodies, enforces the payload quota, writes responses and closes the connection after
every response, so bytes a confused client sends after a body can never become a second request.
What werkzeug's development server leaves open, and API Gateway does not, is added here:

- ambiguous framing is refused with a JSON 400 (and the connection closed): duplicate
  ``Content-Length``, ``Content-Length`` together with ``Transfer-Encoding``, any transfer coding
  other than exactly ``chunked``, a length that is not a decimal number;
- an idle socket times out (``idle_timeout`` per read) and so does a slow one (``read_timeout`` for
  the whole request line, headers and body);
- the request target is passed on exactly as received (no ``//`` -> ``/`` folding);
- the server's own errors (400, 413, 414, 431, ...) are JSON ``{"message": ...}`` like API
  Gateway's, never HTML.
"""

from __future__ import annotations

import contextlib
import errno
import ipaddress
import json
import logging
import re
import socket
import threading
from collections.abc import Iterable
from email.message import Message
from http import HTTPStatus
from typing import TYPE_CHECKING, Any

from werkzeug.exceptions import BadRequest, RequestEntityTooLarge
from werkzeug.serving import DechunkedInput, ThreadedWSGIServer, WSGIRequestHandler
from werkzeug.wrappers import Request

from local_api.gateway import MAX_PAYLOAD_BYTES, LocalGateway
from local_api.proxy_events import HttpRequest
from local_api.sigv4 import credential_ambiguity

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment

IDLE_TIMEOUT_SECONDS = 10.0  # a socket that sends nothing for this long is closed
READ_TIMEOUT_SECONDS = 30.0  # the whole request must have arrived by then (slow-client guard)
_DECIMAL = re.compile(r"[0-9]+")
# Keys under which the strict handler hands the raw request to the WSGI application.
_RAW_TARGET = "local_api.raw_target"
_RAW_HEADERS = "local_api.raw_headers"
_REQUEST_READ = "local_api.request_read"
_NO_BODY_STATUSES = (204, 304)
_MAX_DRAIN_READS = 64  # at most ~4 MiB discarded after an error, then the connection closes

logger = logging.getLogger("local_api")


class ListenError(Exception):
    """The server could not bind its address (port in use, bad interface, ...)."""

    def __init__(self, message: str, *, port_in_use: bool = False) -> None:
        super().__init__(message)
        self.port_in_use = port_in_use


class LocalApiServer(ThreadedWSGIServer):
    """A threaded HTTP server that hands every request to a ``LocalGateway``."""

    def __init__(
        self,
        address: tuple[str, int],
        gateway: LocalGateway,
        *,
        idle_timeout: float = IDLE_TIMEOUT_SECONDS,
        read_timeout: float = READ_TIMEOUT_SECONDS,
    ) -> None:
        self.idle_timeout = idle_timeout
        self.read_timeout = read_timeout
        super().__init__(address[0], address[1], GatewayApplication(gateway), _StrictHandler)

    def server_bind(self) -> None:
        # werkzeug turns a bind error into a printed message and sys.exit(1); the command line
        # wants to word that itself, and tests want an exception.
        try:
            super().server_bind()
        except OSError as error:
            raise ListenError(str(error), port_in_use=error.errno == errno.EADDRINUSE) from error

    @property
    def url(self) -> str:
        """The base URL clients use (a wildcard bind is reachable on loopback)."""
        host, port = self.server_address[:2]
        host = host.decode() if isinstance(host, bytes) else str(host)
        try:
            reachable = "127.0.0.1" if ipaddress.ip_address(host).is_unspecified else host
        except ValueError:  # a host name
            reachable = host
        return f"http://{reachable}:{port}"


def framing_problem(headers: Message) -> str | None:
    """Why the body's length is ambiguous (request smuggling material), or None when it is not."""
    lengths = headers.get_all("Content-Length") or []
    codings = headers.get_all("Transfer-Encoding") or []
    if len(lengths) > 1:
        return "duplicate Content-Length headers"
    if lengths and codings:
        return "both Content-Length and Transfer-Encoding"
    if len(codings) > 1 or (codings and codings[0].strip().lower() != "chunked"):
        return "unsupported Transfer-Encoding (only a single 'chunked' is accepted)"
    if lengths and not _DECIMAL.fullmatch(lengths[0].strip()):
        return "malformed Content-Length"
    return None


class QuotaDechunkedInput(DechunkedInput):
    """werkzeug's chunked-body reader, refusing a body whose declared chunk sizes pass the quota
    at once (RequestEntityTooLarge), instead of waiting for the bytes of a huge chunk."""

    def __init__(self, rfile: Any, quota: int) -> None:
        super().__init__(rfile)
        self.quota = quota
        self.declared = 0

    def read_chunk_len(self) -> int:
        """The next chunk's size, added to the body's declared total."""
        size = super().read_chunk_len()
        self.declared += size
        if self.declared > self.quota:
            raise RequestEntityTooLarge()
        return size


class _StrictHandler(WSGIRequestHandler):
    server: LocalApiServer

    def setup(self) -> None:
        super().setup()
        self.connection.settimeout(self.server.idle_timeout)  # every read: idle clients
        self.raw_target = ""
        # Per-read timeouts do not stop a client that trickles one byte at a time: a deadline
        # for the whole request shuts the socket down; the application cancels it once the body
        # is in (the function may then take its time).
        self._deadline = threading.Timer(self.server.read_timeout, self._abort_slow_request)
        self._deadline.daemon = True
        self._deadline.start()

    def finish(self) -> None:
        self._deadline.cancel()
        super().finish()

    def _abort_slow_request(self) -> None:
        logger.debug("%s - closing a connection that did not send a request in time", self.client)
        with contextlib.suppress(OSError):
            self.connection.shutdown(socket.SHUT_RDWR)

    def parse_request(self) -> bool:
        if not super().parse_request():
            return False
        # http.server folds a leading '//' into '/'; API Gateway does not, so keep the raw target.
        words = self.requestline.split()
        self.raw_target = words[1] if len(words) > 1 else "/"
        problem = framing_problem(self.headers) or credential_ambiguity(self.headers.items())
        if problem is not None:
            logger.info("%s - 400 refused: %s", self.client[0], problem)
            self.send_error(HTTPStatus.BAD_REQUEST, f"Bad Request: {problem}")
            return False
        return True

    def make_environ(self) -> WSGIEnvironment:
        environ = super().make_environ()
        environ[_RAW_TARGET] = self.raw_target
        # werkzeug's environ joins repeated headers and drops names with '_'; SigV4 and the
        # proxy event need them exactly as sent.
        environ[_RAW_HEADERS] = list(self.headers.items())
        environ[_REQUEST_READ] = self._deadline.cancel
        if isinstance(environ["wsgi.input"], DechunkedInput):
            environ["wsgi.input"] = QuotaDechunkedInput(self.rfile, MAX_PAYLOAD_BYTES)
        return environ

    def send_response(self, code: int, message: str | None = None) -> None:
        # No Server header: API Gateway sends none.
        self.send_response_only(code, message)
        self.send_header("Date", self.date_time_string())

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """The server's own errors as API Gateway-style JSON; the connection is closed after."""
        status = HTTPStatus(code)
        # The phrase only: http.server's messages quote the request line, which may hold
        # query-string credentials.
        logger.info("%s - %s %s", self.client[0], code, status.phrase)
        self.close_connection = True
        # A request line too broken to name its version leaves http.server at HTTP/0.9, which
        # would send a bare body; answer with a real status line, as API Gateway does.
        self.request_version = "HTTP/1.1"
        body = json.dumps({"message": message or status.phrase}).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Connection", "close")
        self.end_headers()
        if getattr(self, "command", None) != "HEAD" and code not in _NO_BODY_STATUSES:
            self.wfile.write(body)
        self._close_after_reading_what_is_left()

    def _close_after_reading_what_is_left(self) -> None:
        # Closing a socket with unread bytes makes the kernel send a reset, which can destroy the
        # error response before the client reads it: send it, half-close, and drain briefly.
        with contextlib.suppress(OSError):
            self.wfile.flush()
            self.connection.shutdown(socket.SHUT_WR)
            self.connection.settimeout(0.5)
            for _ in range(_MAX_DRAIN_READS):
                if not self.connection.recv(65536):
                    break

    @property
    def client(self) -> tuple[str, int]:
        """The peer's (address, port)."""
        address = self.client_address
        return (str(address[0]), int(address[1])) if isinstance(address, tuple) else ("-", 0)

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass  # the gateway logs one line per request, with credentials redacted

    def log_error(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        logger.debug("%s - " + format, self.client[0], *args)


class GatewayApplication:
    """The WSGI application: read the body (within the quota), let the gateway answer."""

    def __init__(self, gateway: LocalGateway) -> None:
        self._gateway = gateway

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        """Serve one request (WSGI)."""
        method: str = environ["REQUEST_METHOD"]
        wsgi_request = Request(environ)
        wsgi_request.max_content_length = MAX_PAYLOAD_BYTES
        body: bytes | None
        try:
            body = wsgi_request.get_data(cache=False)
        except RequestEntityTooLarge:
            body = None  # the gateway answers 413 without reading further
        except (BadRequest, OSError, ValueError):  # a bad chunk, a short or timed-out body
            return _respond(start_response, method, 400, [], _message("Bad Request"))
        environ[_REQUEST_READ]()
        target: str = environ[_RAW_TARGET]
        if not target.startswith("/") and "://" in target.split("?", 1)[0]:
            # Absolute-form (what proxies send): only a target that does not start with "/" is one;
            # "/products/a://b" is the path it says.
            target = "/" + target.split("://", 1)[1].partition("/")[2]
        raw_path, _, raw_query = target.partition("?")
        request = HttpRequest(
            method=method,
            raw_path=raw_path or "/",
            raw_query=raw_query,
            headers=environ[_RAW_HEADERS],
            body=body,
            source_ip=environ["REMOTE_ADDR"],
            protocol=environ["SERVER_PROTOCOL"],
        )
        response = self._gateway.handle(request)
        return _respond(start_response, method, response.status, response.headers, response.body)


def _message(text: str) -> bytes:
    return json.dumps({"message": text}).encode()


def _respond(
    start_response: StartResponse,
    method: str,
    status: int,
    headers: list[tuple[str, str]],
    body: bytes,
) -> list[bytes]:
    # Framing headers are the server's job; the connection is closed after every response.
    sent = [
        (name, value)
        for name, value in headers
        if name.lower() not in ("content-length", "connection", "transfer-encoding")
    ]
    if not any(name.lower() == "content-type" for name, _ in sent) and body:
        sent.append(("Content-Type", "application/json"))
    if status not in _NO_BODY_STATUSES:
        sent.append(("Content-Length", str(len(body))))
    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:  # a status http.HTTPStatus does not name
        phrase = ""
    start_response(f"{status} {phrase}".rstrip(), sent)
    return [b"" if method == "HEAD" or status in _NO_BODY_STATUSES else body]

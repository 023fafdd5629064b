"""``python -m local_api``: the real Lambda handler behind a local, SigV4-checking API Gateway.

HTTP plumbing (standard library only) and the command line; the gateway's behaviour lives in
``gateway``, the event/response translation in ``events``, signature checks in ``sigv4``.
"""

from __future__ import annotations

import argparse
import importlib
import ipaddress
import logging
import os
import shlex
import signal
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import FrameType
from typing import Any

from local_api.events import HttpRequest, ProxyResponse
from local_api.gateway import MAX_PAYLOAD_BYTES, GatewayConfig, LambdaHandler, LocalGateway
from local_api.sigv4 import KeyPair

DEFAULT_HANDLER = "app.entrypoints.api.handler:handler"
# Documented, deliberately fake defaults (AWS's own documentation example key pair).
DEFAULT_ACCESS_KEY_ID = "AKIAIOSFODNN7EXAMPLE"
DEFAULT_SECRET_ACCESS_KEY = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"  # nosec B105

# What the deployed function gets from the stack; set here unless the caller already did.
HANDLER_ENVIRONMENT = {
    "TABLE_NAME": "products-local",
    "POWERTOOLS_SERVICE_NAME": "products-api",
    "POWERTOOLS_METRICS_NAMESPACE": "ProductsApi",
    "POWERTOOLS_LOG_LEVEL": "INFO",
    "POWERTOOLS_TRACE_DISABLED": "true",  # no X-Ray daemon locally
    "POWERTOOLS_METRICS_DISABLED": "true",  # EMF blobs on stdout would drown the request log
    "AWS_DEFAULT_REGION": "us-east-1",
}

logger = logging.getLogger("local_api")


class LocalApiServer(ThreadingHTTPServer):
    """A threading HTTP server that hands every request to a ``LocalGateway``."""

    daemon_threads = True  # a stuck client must not keep Ctrl-C from exiting

    def __init__(self, address: tuple[str, int], gateway: LocalGateway) -> None:
        super().__init__(address, _RequestHandler)
        self.gateway = gateway

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


class _RequestHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, like API Gateway
    server: LocalApiServer

    def _serve(self) -> None:
        target = self.path
        if "://" in target.split("?", 1)[0]:  # absolute-form request target (proxies)
            target = "/" + target.split("://", 1)[1].partition("/")[2]
        raw_path, _, raw_query = target.partition("?")
        try:
            body = self._read_body()
        except ValueError:  # a malformed Content-Length or chunk size: not an HTTP request
            self.send_error(400, "Bad Request")
            return
        request = HttpRequest(
            method=self.command,
            raw_path=raw_path or "/",
            raw_query=raw_query,
            headers=list(self.headers.items()),
            body=body,
            source_ip=self.client_address[0],
            protocol=self.request_version,
        )
        # An unread (oversized) body is still in the stream: the connection cannot be reused.
        self._send(self.server.gateway.handle(request), close=body is None)

    def __getattr__(self, name: str) -> Any:
        # Every method (TRACE, QUERY, anything) reaches the gateway, which answers the undefined
        # ones as API Gateway does (403); the standard library alone would answer 501 itself.
        if name.startswith("do_"):
            return self._serve
        raise AttributeError(name)

    def _read_body(self) -> bytes | None:
        """The request body, or None when it exceeds API Gateway's 10 MB payload quota."""
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            chunks: list[bytes] = []
            size = 0
            while True:
                chunk_size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if chunk_size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass  # trailers
                    return b"".join(chunks)
                size += chunk_size
                if size > MAX_PAYLOAD_BYTES:
                    return None
                chunks.append(self.rfile.read(chunk_size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_PAYLOAD_BYTES:
            return None
        return self.rfile.read(length) if length > 0 else b""

    def _send(self, response: ProxyResponse, close: bool = False) -> None:
        self.log_request(response.status)
        self.send_response_only(response.status)  # no Server header: API Gateway sends none
        self.send_header("Date", self.date_time_string())
        for name, value in response.headers:
            if name.lower() not in ("content-length", "connection", "transfer-encoding"):
                self.send_header(name, value)
        if response.status not in (204, 304):
            self.send_header("Content-Length", str(len(response.body)))
        if close:
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        if self.command != "HEAD" and response.status not in (204, 304):
            self.wfile.write(response.body)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        logger.debug("%s - " + format, self.client_address[0], *args)


def load_handler(spec: str) -> LambdaHandler:
    """Import ``module:function`` (the same string Lambda's handler setting uses, with ':')."""
    module_name, _, attribute = spec.partition(":")
    handler: LambdaHandler = getattr(importlib.import_module(module_name), attribute or "handler")
    return handler


def key_pair_from_environment() -> KeyPair:
    """The key pair the gateway accepts: the server's AWS_* variables, else documented defaults."""
    access_key = os.environ.get("AWS_ACCESS_KEY_ID")
    secret = os.environ.get("AWS_SECRET_ACCESS_KEY")
    if not access_key or not secret:
        return KeyPair(DEFAULT_ACCESS_KEY_ID, DEFAULT_SECRET_ACCESS_KEY)
    return KeyPair(access_key, secret, os.environ.get("AWS_SESSION_TOKEN") or None)


def banner(url: str, key_pair: KeyPair, region: str, storage: str) -> str:
    """What a developer needs to call the API: URL, credentials and signed example calls."""
    defaults = key_pair.access_key_id == DEFAULT_ACCESS_KEY_ID
    secret = key_pair.secret_access_key if defaults else "<the value of AWS_SECRET_ACCESS_KEY>"
    env = f"AWS_ACCESS_KEY_ID={key_pair.access_key_id} AWS_SECRET_ACCESS_KEY={shlex.quote(secret)}"
    if key_pair.session_token:
        env += " AWS_SESSION_TOKEN=<the value of AWS_SESSION_TOKEN>"
    awscurl = (
        f"{env} .venv/bin/awscurl --service execute-api --region {region}"
        f" -X POST -H 'Content-Type: application/json' -d '{{\"name\": \"Desk lamp\"}}'"
        f" {url}/products"
    )
    persistence = (
        "Data lives in memory and is lost on exit; to keep it, run `make dynamodb-local` in"
        " another terminal and then `make run DYNAMODB_ENDPOINT=http://127.0.0.1:8000`."
        if storage.startswith("embedded")
        else "Data lives in that DynamoDB."
    )
    return "\n".join(
        [
            f"Local API listening on {url}",
            "  API Gateway (REST, Lambda proxy) with IAM auth: every call must be SigV4-signed",
            f"  for service execute-api in region {region}.",
            f"  Accepted credentials: AWS_ACCESS_KEY_ID={key_pair.access_key_id}"
            + (f" AWS_SECRET_ACCESS_KEY={secret}" if defaults else " (from this environment)"),
            f"  Storage: {storage}",
            f"  Docs: {url}/docs (OpenAPI document: {url}/openapi.json)",
            "",
            "Try it:",
            f"  {awscurl}",
            f"  {env} .venv/bin/products --endpoint {url} list",
            "",
            persistence,
            "Press Ctrl-C to stop.",
        ]
    )


def _raise_keyboard_interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt  # SIGTERM shuts down exactly like Ctrl-C (SIGINT)


def main(argv: list[str] | None = None) -> int:
    """Parse the command line, provide the table, serve until interrupted."""
    parser = argparse.ArgumentParser(prog="python -m local_api", description=__doc__)
    parser.add_argument(
        "--host", default="127.0.0.1", help="interface to bind (default %(default)s)"
    )
    parser.add_argument("--port", type=int, default=3000, help="0 picks a free port (default 3000)")
    parser.add_argument(
        "--dynamodb-endpoint",
        default=os.environ.get("AWS_ENDPOINT_URL_DYNAMODB") or None,
        help="DynamoDB Local / dynalite / AWS URL (env AWS_ENDPOINT_URL_DYNAMODB);"
        " default: embedded moto",
    )
    parser.add_argument("--stage", default="local", help="stage name in requestContext")
    parser.add_argument("--handler", default=DEFAULT_HANDLER, help="module:function to invoke")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    logging.getLogger("botocore").setLevel(logging.WARNING)  # "Found credentials in ..." noise
    signal.signal(signal.SIGTERM, _raise_keyboard_interrupt)
    # Also when started from a non-interactive shell, which makes background jobs ignore SIGINT.
    signal.signal(signal.SIGINT, signal.default_int_handler)

    # Read the accepted keys before moto starts: mock_aws overwrites the AWS_* variables.
    key_pair = key_pair_from_environment()
    for name, value in HANDLER_ENVIRONMENT.items():
        os.environ.setdefault(name, value)
    region = os.environ.get("AWS_REGION") or os.environ["AWS_DEFAULT_REGION"]
    from local_api.storage import StorageError, dynamodb_storage

    try:
        with dynamodb_storage(args.dynamodb_endpoint, os.environ["TABLE_NAME"], region) as where:
            gateway = LocalGateway(
                load_handler(args.handler),
                GatewayConfig(
                    {key_pair.access_key_id: key_pair},
                    region,
                    stage=args.stage,
                    cors_allow_origin=os.environ.get("CORS_ALLOW_ORIGIN", "*"),
                ),
            )
            try:
                server = LocalApiServer((args.host, args.port), gateway)
            except OSError as error:
                print(f"error: cannot listen on {args.host}:{args.port}: {error}", file=sys.stderr)
                return 1
            print(banner(server.url, key_pair, region, where), flush=True)
            try:
                server.serve_forever()
            except KeyboardInterrupt:
                print("\nShutting down.", flush=True)
            finally:
                server.server_close()
    except StorageError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0

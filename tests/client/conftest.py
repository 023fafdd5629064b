"""Servers for the client tests: the local gateway (SigV4 checked) and a scripted HTTP server."""

from __future__ import annotations

import contextlib
import json
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

# The local gateway in front of a recording stand-in function, shared with tests/local_api.
from tests.local_api.conftest import serve, stub  # noqa: F401


@dataclass
class Reply:
    """One scripted answer."""

    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class ScriptedServer:
    """Answers with ``replies`` in order (the last one repeats); records every request."""

    url: str
    replies: list[Reply]
    requests: list[tuple[str, str, dict[str, str]]] = field(default_factory=list)

    def answer(self, method: str, path: str, headers: dict[str, str]) -> Reply:
        """The next reply; records the request first."""
        self.requests.append((method, path, headers))
        return self.replies.pop(0) if len(self.replies) > 1 else self.replies[0]


def scripted_handler(script: list[ScriptedServer]) -> type[BaseHTTPRequestHandler]:
    """A request handler class bound to the (one) ScriptedServer in ``script``."""

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib's name
            """Keep test output quiet."""

        def handle_one(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            self.rfile.read(length)
            reply = script[0].answer(self.command, self.path, dict(self.headers.items()))
            payload = b"" if reply.body is None else json.dumps(reply.body).encode()
            self.send_response(reply.status)
            for name, value in {"Content-Type": "application/json", **reply.headers}.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        do_GET = do_POST = do_PUT = do_DELETE = handle_one

    return Handler


@contextlib.contextmanager
def scripted_server() -> Iterator[ScriptedServer]:
    """A loopback HTTP server on a free port that answers what the test scripts in ``replies``."""
    holder: list[ScriptedServer] = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), scripted_handler(holder))
    holder.append(ScriptedServer(f"http://127.0.0.1:{server.server_port}", [Reply(200, {})]))
    threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True).start()
    try:
        yield holder[0]
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def scripted() -> Iterator[ScriptedServer]:
    """One scripted server (see :func:`scripted_server`)."""
    with scripted_server() as server:
        yield server


@pytest.fixture
def regions() -> Iterator[tuple[ScriptedServer, ScriptedServer, ScriptedServer]]:
    """Three scripted servers, standing in for three regions' endpoints."""
    with scripted_server() as first, scripted_server() as second, scripted_server() as third:
        yield first, second, third


def signed_region(headers: dict[str, str]) -> str:
    """The region a recorded request was signed for (its credential scope's third part)."""
    credential = headers["Authorization"].split("Credential=", 1)[1].split(",", 1)[0]
    return credential.split("/")[2]


@pytest.fixture
def silent_url() -> Iterator[str]:
    """A port that accepts connections (the kernel's backlog) but never answers."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"

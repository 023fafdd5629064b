"""The local gateway served in-process (a thread) in front of a recording stand-in function."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from botocore.credentials import Credentials

from local_api.credentials import KeyPair
from local_api.gateway import GatewayConfig, LocalGateway
from local_api.http_server import IDLE_TIMEOUT_SECONDS, READ_TIMEOUT_SECONDS, LocalApiServer
from local_api.principals import LocalAccess, full_access

CREDENTIALS = Credentials("AKIAUNITTEST00000000", "unit-test-secret")
REGION = "us-east-1"


@dataclass
class RecordingFunction:
    """A Lambda stand-in: keeps every (event, context) and answers ``response`` (or raises)."""

    response: Any = field(default_factory=lambda: {"statusCode": 200, "body": '{"ok": true}'})
    error: Exception | None = None
    invocations: list[tuple[dict[str, Any], Any]] = field(default_factory=list)

    def __call__(self, event: dict[str, Any], context: Any) -> Any:
        self.invocations.append((event, context))
        if self.error is not None:
            raise self.error
        return self.response

    @property
    def events(self) -> list[dict[str, Any]]:
        """The events received so far, oldest first."""
        return [event for event, _ in self.invocations]


@dataclass(frozen=True)
class StubGateway:
    """A served gateway: its base URL and the function behind it."""

    url: str
    function: RecordingFunction


ServeFactory = Callable[..., StubGateway]


@pytest.fixture
def serve() -> Iterator[ServeFactory]:
    """Start gateways (``serve(key_pairs=... or access=..., idle_timeout=..., ...)``).

    ``idle_timeout`` and ``read_timeout`` go to the HTTP server, the rest to ``GatewayConfig``;
    all servers are stopped afterwards.
    """
    servers: list[LocalApiServer] = []

    def start(
        key_pairs: list[KeyPair] | None = None,
        idle_timeout: float = IDLE_TIMEOUT_SECONDS,
        read_timeout: float = READ_TIMEOUT_SECONDS,
        access: LocalAccess | None = None,
        **config: Any,
    ) -> StubGateway:
        pairs = key_pairs or [KeyPair(CREDENTIALS.access_key, CREDENTIALS.secret_key)]
        function = RecordingFunction()
        config = {"access": access or full_access(*pairs), "region": REGION, **config}
        gateway = LocalGateway(function, GatewayConfig(**config))
        server = LocalApiServer(
            ("127.0.0.1", 0), gateway, idle_timeout=idle_timeout, read_timeout=read_timeout
        )
        # A short poll interval keeps shutdown() (called at teardown) from taking half a second.
        threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True).start()
        servers.append(server)
        return StubGateway(server.url, function)

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


@pytest.fixture
def stub(serve: ServeFactory) -> StubGateway:
    """One gateway accepting ``CREDENTIALS``."""
    return serve()

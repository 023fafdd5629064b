"""What every benchmark sets up: the environment of the handler under test and a DynamoDB
stand-in (moto's server, in this process's threads, reached over loopback HTTP)."""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
TABLE = "bench"


def environment(endpoint: str | None = None) -> dict[str, str]:
    """This process's environment plus the handler's settings, fake credentials and, given an
    endpoint, the DynamoDB stand-in's URL."""
    env = dict(os.environ)
    env.update(
        PYTHONPATH=str(ROOT),
        TABLE_NAME=TABLE,
        AWS_ACCESS_KEY_ID="bench",
        # Moto accepts any key.
        AWS_SECRET_ACCESS_KEY="bench",  # nosec B106
        AWS_DEFAULT_REGION="us-east-1",
        POWERTOOLS_TRACE_DISABLED="true",
    )
    env.pop("AWS_ENDPOINT_URL_DYNAMODB", None)
    if endpoint:
        env["AWS_ENDPOINT_URL_DYNAMODB"] = endpoint
    return env


def table_definition(name: str = TABLE) -> Any:
    """The products table's CreateTable arguments (the adapter's own definition)."""
    from app.adapters import dynamodb_product_repository

    return dynamodb_product_repository.table_definition(name)


@contextlib.contextmanager
def moto_server() -> Iterator[str]:
    """moto's DynamoDB server on a free loopback port; yields its endpoint URL."""
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        yield f"http://{host}:{port}"
    finally:
        server.stop()

"""SnapStart: under ``AWS_LAMBDA_INITIALIZATION_TYPE=snap-start`` the handler module builds its
whole object graph during init; otherwise the import stays lazy (``test_access_log.py``)."""

from __future__ import annotations

import json
import os

# Runs this repository's own Python on a fixed probe.
import subprocess  # nosec B404
import sys

import pytest
from botocore.exceptions import EndpointConnectionError

from app import contract
from app.entrypoints.api.handler import create_dynamodb_client, warm_up_client
from tests.support.imports import PROJECT_ROOT

# Imports the handler as Lambda's init does, then reports what init built.
_INIT_PROBE = """
import json, sys
import app.entrypoints.api.handler as module
print(json.dumps({
    "graph_built": module.build_handler_from_environment.cache_info().currsize,
    "client_loaded": "botocore.client" in sys.modules,
}))
"""
# Nothing listens on the discard port: a real request would fail after the client's retries.
UNREACHABLE_ENDPOINT = "http://127.0.0.1:9"


def _init(initialization_type: str) -> dict[str, object]:
    environment = {
        **os.environ,
        "AWS_LAMBDA_INITIALIZATION_TYPE": initialization_type,
        contract.ENV_TABLE_NAME: "products",
        "AWS_ENDPOINT_URL_DYNAMODB": UNREACHABLE_ENDPOINT,
        "POWERTOOLS_TRACE_DISABLED": "true",
    }
    result = subprocess.run(  # nosec B603 - fixed probe
        [sys.executable, "-c", _INIT_PROBE],
        capture_output=True,
        text=True,
        check=True,
        cwd=PROJECT_ROOT,
        env=environment,
        timeout=120,
    )
    report: dict[str, object] = json.loads(result.stdout.strip().splitlines()[-1])
    return report


def test_snap_start_init_builds_the_graph_and_the_client_before_the_first_request() -> None:
    assert _init("snap-start") == {"graph_built": 1, "client_loaded": True}


def test_on_demand_init_leaves_the_graph_to_the_first_request() -> None:
    assert _init("on-demand") == {"graph_built": 0, "client_loaded": False}


def test_warm_up_answers_its_call_locally_and_leaves_the_client_calling_dynamodb(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL_DYNAMODB", UNREACHABLE_ENDPOINT)
    client = create_dynamodb_client()
    warm_up_client(client, "products")  # would raise EndpointConnectionError on the network
    with pytest.raises(EndpointConnectionError):
        client.get_item(TableName="products", Key={contract.PARTITION_KEY: {"S": "x"}})

"""The composition root and what operators rely on: configuration, failures, logs, metrics, cost."""

from __future__ import annotations

import contextlib
import io
import json
import uuid
from collections.abc import Iterator
from datetime import datetime
from typing import TYPE_CHECKING, Any, cast

import botocore.config
import botocore.session
import pytest
from aws_lambda_powertools.utilities.typing import LambdaContext

from app import contract
from app.adapters.dynamodb_product_repository import DynamoDBProductRepository
from app.domain.model import Page, Product
from app.entrypoints.api import handler as handler_module
from app.entrypoints.standard_output import CURRENT_STDOUT
from tests.fakes import InMemoryProductRepository
from tests.support.dynamodb_requests import SentRequests
from tests.support.imports import modules_loaded_by
from tests.support.lambda_api import TABLE_NAME, ApiClient, assert_error
from tests.support.lambda_context import FakeLambdaContext
from tests.support.rest_events import rest_event

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient


@pytest.fixture
def production_handler(monkeypatch: pytest.MonkeyPatch, dynamodb_table: str) -> Iterator[None]:
    """The module-level ``handler`` as Lambda runs it: configured only through the environment."""
    monkeypatch.setenv(contract.ENV_TABLE_NAME, dynamodb_table)
    handler_module.build_handler_from_environment.cache_clear()
    yield
    handler_module.build_handler_from_environment.cache_clear()


def test_lambda_entry_point_serves_crud_from_environment(production_handler: None) -> None:
    api = ApiClient(handler_module.handler)
    created = api.create("Lamp")
    assert api.request("GET", f"/products/{created['id']}").json == created
    assert api.request("DELETE", f"/products/{created['id']}").status == 204


def test_object_graph_is_built_once_per_container(production_handler: None) -> None:
    first = handler_module.build_handler_from_environment()
    ApiClient(handler_module.handler).request("GET", "/products")
    assert handler_module.build_handler_from_environment() is first


def test_missing_table_name_is_a_clear_configuration_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("TABLE_NAME", raising=False)
    with pytest.raises(RuntimeError, match="TABLE_NAME"):
        handler_module.Settings.from_environment()


def test_every_invalid_setting_is_named_in_one_error() -> None:
    environment = {"TABLE_NAME": "ab", "POWERTOOLS_SERVICE_NAME": ""}
    with pytest.raises(RuntimeError) as failure:
        handler_module.Settings.from_environment(environment)
    assert str(failure.value) == (
        "Invalid function configuration: TABLE_NAME must be 3 to 255 characters;"
        " POWERTOOLS_SERVICE_NAME must be 1 to 1024 characters"
    )


@pytest.mark.parametrize("length", [3, 255])
def test_table_names_of_3_to_255_characters_are_accepted(length: int) -> None:
    settings = handler_module.Settings.from_environment({"TABLE_NAME": "t" * length})
    assert settings.table_name == "t" * length


@pytest.mark.parametrize("length", [2, 256])
def test_table_names_outside_3_to_255_characters_are_refused(length: int) -> None:
    with pytest.raises(RuntimeError) as failure:
        handler_module.Settings.from_environment({"TABLE_NAME": "t" * length})
    assert str(failure.value) == (
        "Invalid function configuration: TABLE_NAME must be 3 to 255 characters"
    )


def test_settings_default_observability_names(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TABLE_NAME", "t-1")
    monkeypatch.delenv("POWERTOOLS_SERVICE_NAME")
    monkeypatch.delenv("POWERTOOLS_METRICS_NAMESPACE")
    settings = handler_module.Settings.from_environment()
    assert (settings.service_name, settings.metrics_namespace, settings.cors_allow_origin) == (
        "products-api",
        "ProductsApi",
        "*",
    )


# --- dependency failures ---


def test_store_throttling_returns_503_with_retry_after(
    memory_repository: InMemoryProductRepository,
) -> None:
    api = ApiClient(handler_module.build_handler(memory_repository))
    memory_repository.unavailable = True
    response = api.request("POST", "/products", body={"name": "x"})
    assert_error(response, "unavailable")
    assert response.headers["Retry-After"] == "1"


def test_unreachable_dynamodb_becomes_503_naming_the_reason_in_the_log(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # One attempt that fits the invocation's deadline, to a port nothing listens on.
    config = botocore.config.Config(
        retries={"total_max_attempts": 1}, connect_timeout=1, read_timeout=1
    )
    client = botocore.session.get_session().create_client(
        "dynamodb", endpoint_url="http://127.0.0.1:9", config=config
    )
    repository = DynamoDBProductRepository(cast("DynamoDBClient", client), TABLE_NAME)
    api = ApiClient(handler_module.build_handler(repository))
    response = api.request("GET", "/products")
    assert_error(response, "unavailable")
    assert response.headers["Retry-After"] == "1"
    logs = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    warnings = [
        (line["message"], line["reason"]) for line in logs if line.get("level") == "WARNING"
    ]
    assert warnings == [("product store unavailable", "EndpointConnectionError")]


class BrokenRepository(InMemoryProductRepository):
    """A repository with a bug: every listing fails unexpectedly."""

    def list_page(self, page_size: int, after_id: str | None) -> Page:
        raise KeyError("internal table layout")


def test_bug_in_an_adapter_is_a_generic_500_and_is_logged(
    capsys: pytest.CaptureFixture[str],
) -> None:
    handle = handler_module.build_handler(BrokenRepository())
    response = ApiClient(handle).request("GET", "/products")
    assert response.status == 500 and response.json == {"message": "Internal server error"}
    logs = [json.loads(line) for line in capsys.readouterr().out.splitlines() if '"level"' in line]
    (error,) = [entry for entry in logs if entry["level"] == "ERROR"]
    assert error["message"] == "unhandled error" and error["service"] == "products-api"
    assert "internal table layout" in error["exception"]


def test_error_lines_carry_the_request_id_and_the_service_name(
    capsys: pytest.CaptureFixture[str],
) -> None:
    handle = handler_module.build_handler(BrokenRepository(), service_name="catalogue-api")
    event = rest_event("GET", "/products")
    assert ApiClient(handle).send(event).status == 500
    logs = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    (error,) = [entry for entry in logs if entry.get("level") == "ERROR"]
    assert error["correlation_id"] == event["requestContext"]["requestId"]
    assert error["service"] == "catalogue-api"


def test_errors_are_written_to_the_standard_output_of_the_moment(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # A logger is bound once per service name and process; its lines must still reach whatever
    # stream is the standard output when they are written (as Lambda's log capture reads it).
    service = f"stdout-test-{uuid.uuid4().hex}"  # a logger nothing in this process built before
    handle = ApiClient(handler_module.build_handler(BrokenRepository(), service_name=service))
    later_output = io.StringIO()
    with contextlib.redirect_stdout(later_output):
        assert handle.request("GET", "/products").status == 500
    logs = [json.loads(line) for line in later_output.getvalue().splitlines()]
    assert [entry["message"] for entry in logs if entry.get("level") == "ERROR"] == [
        "unhandled error"
    ]
    assert "unhandled error" not in capsys.readouterr().out


def test_the_loggers_stream_is_whatever_standard_output_is_at_each_write() -> None:
    first, second = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(first):
        assert CURRENT_STDOUT.writable() and CURRENT_STDOUT.write("one\n") == 4
    with contextlib.redirect_stdout(second):
        CURRENT_STDOUT.write("two\n")
        CURRENT_STDOUT.flush()
    assert (first.getvalue(), second.getvalue()) == ("one\n", "two\n")


def test_metrics_carry_the_service_dimension_of_the_configured_name(
    monkeypatch: pytest.MonkeyPatch,
    memory_repository: InMemoryProductRepository,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.delenv("POWERTOOLS_SERVICE_NAME")  # the name comes from the composition alone
    api = ApiClient(handler_module.build_handler(memory_repository, service_name="catalogue-api"))
    api.request("GET", "/products")
    logs = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    (entry,) = [line for line in logs if line.get("message") == "request"]
    assert entry["service"] == "catalogue-api"
    assert entry["_aws"]["CloudWatchMetrics"][0]["Dimensions"] == [["service"]]


def test_the_dynamodb_client_is_configured_for_a_latency_sensitive_api() -> None:
    config: Any = handler_module.create_dynamodb_client().meta.config
    assert (config.connect_timeout, config.read_timeout, config.tcp_keepalive) == (1, 2, True)
    # Four attempts in all, as docs/api.md says: the first and 3 retries (botocore's own form).
    assert config.retries == {"mode": "standard", "total_max_attempts": 4}


@pytest.mark.parametrize(
    "initialization_type, for_snapshot",
    [("snap-start", True), ("on-demand", False), ("provisioned-concurrency", False), (None, False)],
)
def test_only_lambdas_snap_start_init_is_a_snapshot_init(
    monkeypatch: pytest.MonkeyPatch, initialization_type: str | None, for_snapshot: bool
) -> None:
    if initialization_type is None:
        monkeypatch.delenv("AWS_LAMBDA_INITIALIZATION_TYPE", raising=False)
    else:
        monkeypatch.setenv("AWS_LAMBDA_INITIALIZATION_TYPE", initialization_type)
    assert handler_module.initialising_for_snapshot() is for_snapshot


# --- one DynamoDB request per operation ---


def test_every_api_operation_makes_exactly_one_dynamodb_request(
    dynamodb_repository: DynamoDBProductRepository, sent_requests: SentRequests
) -> None:
    counter = sent_requests
    api = ApiClient(handler_module.build_handler(dynamodb_repository))
    created = api.create()
    path = f"/products/{created['id']}"
    api.request("GET", path)
    api.request("PUT", path, body={"name": "v2"}, headers={"If-Match": '"1"'})
    api.request("PUT", path, body={"name": "stale"}, headers={"If-Match": '"1"'})  # 412
    api.request("PUT", f"/products/{'0' * 8}-0000-4000-8000-{'0' * 12}", body={"name": "x"})  # 404
    api.request("GET", "/products", query="pageSize=1")
    api.request("DELETE", path, headers={"If-Match": '"9"'})  # 412
    api.request("DELETE", path)
    assert counter.operations == [
        "PutItem",
        "GetItem",
        "UpdateItem",
        "UpdateItem",
        "UpdateItem",
        "Scan",
        "DeleteItem",
        "DeleteItem",
    ]
    # The stack grants exactly contract.DYNAMODB_ACTIONS: the API uses all of them and no other.
    assert {f"dynamodb:{operation}" for operation in counter.operations} == set(
        contract.DYNAMODB_ACTIONS
    )


def test_keyed_creates_make_exactly_one_dynamodb_request_each(
    dynamodb_repository: DynamoDBProductRepository, sent_requests: SentRequests
) -> None:
    api = ApiClient(handler_module.build_handler(dynamodb_repository))
    key = {"Idempotency-Key": "one-request"}
    statuses = [
        api.request("POST", "/products", body=body, headers=key).status
        for body in ({"name": "Lamp"}, {"name": "Lamp"}, {"name": "Chair"})
    ]
    # First request, repeat (replayed from the failed condition's old item), mismatch (422).
    assert statuses == [201, 201, 422]
    assert sent_requests.operations == ["PutItem", "PutItem", "PutItem"]


def test_invalid_requests_never_reach_the_store(
    memory_repository: InMemoryProductRepository,
) -> None:
    api = ApiClient(handler_module.build_handler(memory_repository))
    api.request("POST", "/products", body={"name": ""})
    api.request("GET", "/products/not-a-uuid")
    api.request("PUT", "/products/not-a-uuid", body={"name": "x"})
    api.request("GET", "/products", query="nextToken=bogus")
    assert memory_repository.requests == 0


# --- logs and metrics ---


def test_one_json_log_line_per_request_with_correlation_id_and_no_secrets(
    memory_repository: InMemoryProductRepository, capsys: pytest.CaptureFixture[str]
) -> None:
    handle = handler_module.build_handler(memory_repository)
    event = rest_event(
        "POST",
        "/products",
        body={"name": "secret-product-name"},
        headers={
            "Authorization": "AWS4-HMAC-SHA256 Signature=topsecret",
            "X-Amz-Security-Token": "tok",
        },
    )
    handle(event, cast(LambdaContext, FakeLambdaContext()))
    output = capsys.readouterr().out
    logs = [json.loads(line) for line in output.splitlines() if '"level"' in line]
    assert len(logs) == 1
    (entry,) = logs
    assert entry["level"] == "INFO" and entry["status_code"] == 201
    assert entry["correlation_id"] == event["requestContext"]["requestId"]
    assert (entry["http_method"], entry["resource"]) == ("POST", "/products")
    for secret in ("topsecret", "tok", "secret-product-name", "203.0.113.7"):
        assert secret not in output


def test_command_metrics_are_emitted_in_emf(
    memory_repository: InMemoryProductRepository, capsys: pytest.CaptureFixture[str]
) -> None:
    api = ApiClient(handler_module.build_handler(memory_repository, metrics_namespace="Shop"))
    created = api.create()
    api.request("PUT", f"/products/{created['id']}", body={"name": "x"})
    api.request("DELETE", f"/products/{created['id']}")
    emitted = [
        json.loads(line) for line in capsys.readouterr().out.splitlines() if '"_aws"' in line
    ]
    names = {
        metric["Name"]
        for blob in emitted
        for directive in blob["_aws"]["CloudWatchMetrics"]
        if directive["Namespace"] == "Shop"
        for metric in directive["Metrics"]
    }
    assert {"ProductCreated", "ProductUpdated", "ProductDeleted"} <= names


# --- cold start ---


def test_handler_module_import_stays_lean() -> None:
    """The entry point must not import boto3 (~300 ms; botocore is enough), Powertools' OpenAPI
    models (~280 ms with validation), Swagger UI or pydantic (~50 ms; the function reads its few
    inputs with ``messages``): import time is cold-start time."""
    loaded = modules_loaded_by(
        "app.entrypoints.api.handler",
        "boto3",
        "aws_lambda_powertools.event_handler.openapi.models",
        "aws_lambda_powertools.event_handler.openapi.swagger_ui",
        "pydantic",
        "pydantic_core",
    )
    assert loaded == []


def test_product_dates_use_millisecond_precision() -> None:
    repository = InMemoryProductRepository()
    api = ApiClient(
        handler_module.build_handler(
            repository, clock=lambda: datetime.fromisoformat("2026-11-22T10:00:00.123+00:00")
        )
    )
    created = api.create()
    assert created["createDate"] == "2026-11-22T10:00:00.123Z"
    stored: Product = repository.get(created["id"])
    assert stored.create_date.microsecond == 123000

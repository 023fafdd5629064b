"""What each request leaves behind for operators (one access line carrying the metric), and CORS."""

from __future__ import annotations

import json
from typing import Any

import pytest

from app import contract
from app.entrypoints.api.handler import build_handler
from tests.fakes import InMemoryProductRepository
from tests.support.imports import modules_loaded_by
from tests.support.lambda_api import ApiClient, ApiResponse
from tests.support.lambda_context import FakeLambdaContext
from tests.support.rest_events import rest_event

LOG_BYTES_PER_REQUEST = 400  # the log budget: a successful request logs at most this much


def _lines(output: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in output.splitlines() if line.strip()]


def _metric_names(entry: dict[str, Any]) -> set[str]:
    return {m["Name"] for d in entry["_aws"]["CloudWatchMetrics"] for m in d["Metrics"]}


@pytest.fixture
def api(memory_repository: InMemoryProductRepository) -> ApiClient:
    return ApiClient(build_handler(memory_repository))


@pytest.fixture
def product_id(api: ApiClient, capsys: pytest.CaptureFixture[str]) -> str:
    """A stored product; the logs of creating it (and the cold-start metric) are discarded."""
    created = api.create()
    capsys.readouterr()
    return str(created["id"])


def test_each_successful_operation_logs_one_line_under_400_bytes_with_its_metric(
    api: ApiClient, product_id: str, capsys: pytest.CaptureFixture[str]
) -> None:
    path = f"/products/{product_id}"
    operations: list[tuple[str, str, dict[str, Any], str, int]] = [
        ("POST", "/products", {"body": {"name": "n" * 200}}, "ProductCreated", 201),
        ("GET", path, {}, "ProductRead", 200),
        ("PUT", path, {"body": {"description": "d"}}, "ProductUpdated", 200),
        ("GET", "/products", {"query": "pageSize=100"}, "ProductsListed", 200),
        ("DELETE", path, {}, "ProductDeleted", 204),
    ]
    for method, request_path, options, metric, status in operations:
        event = rest_event(method, request_path, **options)
        assert api.send(event).status == status
        output = capsys.readouterr().out
        assert len(output.encode()) <= LOG_BYTES_PER_REQUEST, output
        (entry,) = _lines(output)
        assert entry["level"] == "INFO"
        assert entry["correlation_id"] == event["requestContext"]["requestId"]
        assert (entry["http_method"], entry["resource"]) == (method, event["resource"])
        assert entry["status_code"] == status and entry["duration_ms"] >= 0
        # The same line is a valid EMF document: CloudWatch extracts the metric from it.
        (directive,) = entry["_aws"]["CloudWatchMetrics"]
        assert directive["Namespace"] == contract.METRICS_NAMESPACE
        assert directive["Dimensions"] == [["service"]]
        assert directive["Metrics"] == [{"Name": metric, "Unit": "Count"}]
        assert entry["service"] == contract.SERVICE_NAME and entry[metric] == [1.0]
        assert isinstance(entry["_aws"]["Timestamp"], int)


def test_cold_start_metric_is_emitted_once_per_container(
    memory_repository: InMemoryProductRepository, capsys: pytest.CaptureFixture[str]
) -> None:
    api = ApiClient(build_handler(memory_repository))
    api.request("GET", "/products")
    api.request("GET", "/products")
    entries = _lines(capsys.readouterr().out)
    cold = [e for e in entries if "ColdStart" in e]
    assert len(cold) == 1 and _metric_names(cold[0]) == {"ColdStart"}
    assert cold[0]["function_name"] == "products-api-test"
    assert [e["status_code"] for e in entries if "status_code" in e] == [200, 200]


def test_failed_request_logs_its_access_line_without_a_metric(
    api: ApiClient, product_id: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert api.request("PUT", f"/products/{product_id}", body={"name": ""}).status == 400
    (entry,) = _lines(capsys.readouterr().out)
    assert entry["status_code"] == 400 and "_aws" not in entry
    # The metric of a failed request is never carried into the next request's line.
    api.request("GET", f"/products/{product_id}")
    (entry,) = _lines(capsys.readouterr().out)
    assert _metric_names(entry) == {"ProductRead"}


def test_metrics_can_be_switched_off_without_losing_the_access_line(
    monkeypatch: pytest.MonkeyPatch,
    memory_repository: InMemoryProductRepository,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("POWERTOOLS_METRICS_DISABLED", "true")
    api = ApiClient(build_handler(memory_repository))
    api.create()
    entries = [e for e in _lines(capsys.readouterr().out) if "status_code" in e]
    assert [e["status_code"] for e in entries] == [201]
    assert "_aws" not in entries[0] and "ProductCreated" not in entries[0]


def _assert_actual_response_cors(response: ApiResponse, origin: str = "*") -> None:
    assert response.headers["Access-Control-Allow-Origin"] == origin
    assert response.headers["Access-Control-Expose-Headers"] == ",".join(
        contract.CORS_EXPOSE_HEADERS
    )
    # Preflight-only headers are API Gateway's job; browsers ignore them on actual responses.
    for preflight_only in (
        "Access-Control-Allow-Methods",
        "Access-Control-Allow-Headers",
        "Access-Control-Max-Age",
        "Access-Control-Allow-Credentials",
    ):
        assert preflight_only not in response.headers


@pytest.mark.parametrize("origin_header", [{}, {"Origin": "https://shop.example"}])
def test_every_response_carries_only_the_cors_headers_a_browser_reads(
    api: ApiClient, product_id: str, origin_header: dict[str, str]
) -> None:
    path = f"/products/{product_id}"
    for response in (
        api.request("GET", path, headers=origin_header),
        api.request("PUT", path, body={"name": ""}, headers=origin_header),  # 400
        api.request("GET", "/nowhere", headers=origin_header),  # 404 without a route
        api.request("DELETE", path, headers=origin_header),  # 204
    ):
        _assert_actual_response_cors(response)


def test_configured_origin_is_the_allowed_origin(
    memory_repository: InMemoryProductRepository,
) -> None:
    api = ApiClient(build_handler(memory_repository, cors_allow_origin="https://app.example"))
    _assert_actual_response_cors(api.request("GET", "/products"), "https://app.example")


def test_handler_import_leaves_botocore_clients_to_the_first_invocation() -> None:
    """botocore's client machinery is ~half the import time; the first request builds it."""
    loaded = modules_loaded_by("app.entrypoints.api.handler", "botocore.session", "botocore.client")
    assert loaded == []


def test_metric_names_are_validated_by_powertools() -> None:
    from aws_lambda_powertools import Metrics
    from aws_lambda_powertools.metrics.provider.cloudwatch_emf.exceptions import MetricNameError

    from app.entrypoints.api.telemetry import AccessLog, RequestMetrics

    metrics = RequestMetrics(Metrics(namespace="Shop", service="shop"))
    metrics.count("")  # CloudWatch refuses an empty metric name
    with pytest.raises(MetricNameError):
        AccessLog(metrics, "shop").write("req-1", "GET", "/products", 200, 1.0)


def test_a_metric_counted_twice_keeps_both_values_and_the_next_line_carries_none(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from aws_lambda_powertools import Metrics

    from app.entrypoints.api.telemetry import AccessLog, RequestMetrics

    metrics = RequestMetrics(Metrics(namespace="Shop", service="shop"))
    access_log = AccessLog(metrics, "shop")
    metrics.count("Sold")
    metrics.count("Sold")
    access_log.write("req-1", "GET", "/products", 200, 1.0)
    access_log.write("req-2", "GET", "/products", 200, 1.0)

    first, second = _lines(capsys.readouterr().out)
    (definition,) = first["_aws"]["CloudWatchMetrics"][0]["Metrics"]
    assert definition == {"Name": "Sold", "Unit": "Count"}
    assert first["_aws"]["CloudWatchMetrics"][0]["Namespace"] == "Shop"
    assert first["Sold"] == [1.0, 1.0] and first["service"] == "shop"
    assert "_aws" not in second and "Sold" not in second


def test_an_event_without_request_facts_still_gets_a_valid_access_line(
    memory_repository: InMemoryProductRepository, capsys: pytest.CaptureFixture[str]
) -> None:
    # A hand-made invocation (no API Gateway): no request id or resource to report.
    handler = build_handler(memory_repository)
    event = {"httpMethod": "GET", "path": "/nowhere"}
    response = handler(event, FakeLambdaContext())  # type: ignore[arg-type]

    (entry,) = [e for e in _lines(capsys.readouterr().out) if e.get("message") == "request"]
    assert response["statusCode"] == 404
    assert (entry["correlation_id"], entry["http_method"], entry["resource"]) == (None, "GET", None)
    assert entry["status_code"] == 404


def test_two_metrics_of_one_request_are_both_in_its_line(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from aws_lambda_powertools import Metrics

    from app.entrypoints.api.telemetry import AccessLog, RequestMetrics

    metrics = RequestMetrics(Metrics(namespace="Shop", service="shop"))
    access_log = AccessLog(metrics, "shop")
    metrics.count("Sold")
    metrics.count("Shipped")
    access_log.write("req-1", "POST", "/orders", 201, 1.0)

    (entry,) = _lines(capsys.readouterr().out)
    assert _metric_names(entry) == {"Sold", "Shipped"}
    assert (entry["Sold"], entry["Shipped"]) == ([1.0], [1.0])


def test_the_metric_timestamp_is_the_time_of_the_request(
    api: ApiClient, capsys: pytest.CaptureFixture[str]
) -> None:
    import time

    for _ in range(2):  # the first line's members are made, the second's reused
        before = time.time_ns() // 1_000_000
        api.request("GET", "/products")
        after = time.time_ns() // 1_000_000
        entries = [e for e in _lines(capsys.readouterr().out) if "status_code" in e]
        (entry,) = entries
        assert before <= entry["_aws"]["Timestamp"] <= after


class SlowRepository(InMemoryProductRepository):
    """Takes 20 ms per listing, so the request has a known minimum duration."""

    def list_page(self, page_size: int, after_id: str | None) -> Any:
        import time

        time.sleep(0.02)
        return super().list_page(page_size, after_id)


def test_the_duration_is_in_milliseconds_with_two_decimals(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from decimal import Decimal

    api = ApiClient(build_handler(SlowRepository()))
    durations = []
    for _ in range(10):
        api.request("GET", "/products")
        (entry,) = [e for e in _lines(capsys.readouterr().out) if "status_code" in e]
        durations.append(entry["duration_ms"])
    for duration in durations:
        assert type(duration) is float and 20 <= duration < 5000, durations
        exponent = Decimal(repr(duration)).as_tuple().exponent
        assert isinstance(exponent, int) and exponent >= -2, durations
    # Ten readings with at most two decimals each, and not all of them whole.
    assert any(duration != int(duration) for duration in durations), durations

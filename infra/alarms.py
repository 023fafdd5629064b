"""The API's alarms as data: what each watches, its threshold and why it matters.

:class:`infra.monitoring.Monitoring` turns these into CloudWatch alarms; other constructs (the
events pipeline) write their own :class:`AlarmSpec` s the same way.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import aws_cdk as cdk
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_lambda as lambda_

from app import contract
from infra.config import StackConfig

PERIOD = cdk.Duration.minutes(5)
MINUTE = cdk.Duration.minutes(1)
# The table operations the adapter calls, from the contract's IAM actions (GetItem -> GET_ITEM).
TABLE_OPERATIONS = [
    getattr(dynamodb.Operation, re.sub(r"(?<!^)(?=[A-Z])", "_", action.split(":")[1]).upper())
    for action in contract.DYNAMODB_ACTIONS
]
# Below this many requests in 5 minutes a 4XX rate says nothing (two typos would be 100 %).
_CLIENT_ERROR_MIN_REQUESTS = 20
# Warn when the function uses this share of its reserved concurrency (throttling starts at 100 %).
_CONCURRENCY_WARNING_SHARE = 0.8


_GREATER_OR_EQUAL = cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD
_GREATER = cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD


@dataclass(frozen=True)
class AlarmSpec:
    """One alarm: ``construct_id``, its name after ``products-api-<stage>-``, what it watches."""

    construct_id: str
    name: str
    metric: cloudwatch.IMetric
    threshold: float
    description: str
    periods: int = 1
    comparison: cloudwatch.ComparisonOperator = _GREATER_OR_EQUAL
    # CodeDeploy stops a traffic shift and rolls back when this alarm fires.
    stops_deployments: bool = False


def api_alarms(
    config: StackConfig,
    *,
    function: lambda_.IFunction,
    alias: lambda_.Alias,
    api: apigw.RestApi,
    table: dynamodb.ITable,
) -> list[AlarmSpec]:
    """The API's alarms: function errors, latency, throttles and concurrency; API 5XX, 4XX rate
    and latency; table throttles and system errors."""
    stage = api.deployment_stage
    warning = max(1, math.ceil(config.reserved_concurrency * _CONCURRENCY_WARNING_SHARE))
    latency = config.latency_p99_threshold_ms
    client_errors = config.client_error_rate_percent
    return [
        # Metrics of the alias (the traffic API Gateway sends, whichever version serves it) over
        # one-minute periods: CodeDeploy watches these two, and must see them inside a canary.
        # (Alarms on the API stage cannot stop a deployment: the stage depends on the alias, and
        # the alias's update policy on the deployment group, so that would be a cycle.)
        AlarmSpec(
            "FunctionErrors",
            "function-errors",
            alias.metric_errors(period=MINUTE, statistic="Sum"),
            threshold=1,
            description="The API function raised or timed out (unhandled error) in a minute.",
            stops_deployments=True,
        ),
        AlarmSpec(
            "FunctionDurationP99",
            "function-duration-p99",
            alias.metric_duration(period=MINUTE, statistic="p99"),
            threshold=latency,
            periods=3,
            comparison=_GREATER,
            description=(
                f"Function p99 duration above {latency} ms for 3 minutes "
                "(a single cold start does not trip it)."
            ),
            stops_deployments=True,
        ),
        AlarmSpec(
            "FunctionThrottles",
            "function-throttles",
            function.metric_throttles(period=PERIOD, statistic="Sum"),
            threshold=1,
            description="Lambda throttled the API function (reserved concurrency reached).",
        ),
        AlarmSpec(
            "FunctionConcurrency",
            "function-concurrency",
            function.metric("ConcurrentExecutions", period=MINUTE, statistic="Maximum"),
            threshold=warning,
            periods=3,
            description=(
                f"The function ran {warning} or more concurrent executions (of its reserved "
                f"{config.reserved_concurrency}) for 3 minutes: throttling is near."
            ),
        ),
        AlarmSpec(
            "Api5xx",
            "api-5xx",
            stage.metric_server_error(period=PERIOD, statistic="Sum"),
            threshold=1,
            description="The API answered 5XX (function error, timeout or DynamoDB outage).",
        ),
        AlarmSpec(
            "Api4xxRate",
            "api-4xx-rate",
            cloudwatch.MathExpression(
                expression=(
                    f"IF(requests >= {_CLIENT_ERROR_MIN_REQUESTS}, 100 * errors / requests, 0)"
                ),
                using_metrics={
                    "requests": stage.metric_count(period=PERIOD, statistic="Sum"),
                    "errors": stage.metric_client_error(period=PERIOD, statistic="Sum"),
                },
                label="4XX share of requests (%)",
                period=PERIOD,
            ),
            threshold=client_errors,
            periods=3,
            description=(
                f"{client_errors} % or more of the API's requests answered 4XX "
                f"for 15 minutes (at least {_CLIENT_ERROR_MIN_REQUESTS} requests per 5 minutes): "
                "a broken client, a bad deploy or denied callers."
            ),
        ),
        AlarmSpec(
            "ApiLatencyP99",
            "api-latency-p99",
            stage.metric_latency(period=PERIOD, statistic="p99"),
            threshold=latency,
            periods=3,
            comparison=_GREATER,
            description=(
                f"API p99 latency above {latency} ms for 15 minutes "
                "(a single cold start does not trip it)."
            ),
        ),
        AlarmSpec(
            "TableThrottles",
            "table-throttles",
            table.metric_throttled_requests_for_operations(
                operations=TABLE_OPERATIONS, period=PERIOD
            ),
            threshold=1,
            description="DynamoDB throttled requests of the API (on-demand table over its limits).",
        ),
        AlarmSpec(
            "TableSystemErrors",
            "table-system-errors",
            table.metric_system_errors_for_operations(operations=TABLE_OPERATIONS, period=PERIOD),
            threshold=1,
            description="DynamoDB answered requests of the API with a 5XX (service-side error).",
        ),
    ]

"""Alarms on what hurts users, the encrypted SNS topic they notify, and a dashboard."""

from __future__ import annotations

import math
import re

import aws_cdk as cdk
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cloudwatch_actions
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from constructs import Construct

from app import contract
from infra.config import StackConfig

_PERIOD = cdk.Duration.minutes(5)
_MINUTE = cdk.Duration.minutes(1)
# The table operations the adapter calls, from the contract's IAM actions (GetItem -> GET_ITEM).
_TABLE_OPERATIONS = [
    getattr(dynamodb.Operation, re.sub(r"(?<!^)(?=[A-Z])", "_", action.split(":")[1]).upper())
    for action in contract.DYNAMODB_ACTIONS
]
# Below this many requests in 5 minutes a 4XX rate says nothing (two typos would be 100 %).
_CLIENT_ERROR_MIN_REQUESTS = 20
# Warn when the function uses this share of its reserved concurrency (throttling starts at 100 %).
_CONCURRENCY_WARNING_SHARE = 0.8


class Monitoring(Construct):
    """Alarms that notify one encrypted SNS topic, and a dashboard that shows them.

    Other constructs add their own alarms with :meth:`add_alarm` and graphs with
    :meth:`add_graphs`; the stack calls :meth:`build_dashboard` once, after all of them.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: StackConfig,
        function: lambda_.Function,
        alias: lambda_.Alias,
        api: apigw.RestApi,
        table: dynamodb.Table,
    ) -> None:
        super().__init__(scope, construct_id)
        stack = cdk.Stack.of(self)
        self.prefix = f"products-api-{config.stage}"
        self.topic = self._topic(stack)
        if config.alarm_email:
            self.topic.add_subscription(subscriptions.EmailSubscription(config.alarm_email))
        self.alarms: list[cloudwatch.Alarm] = []
        self._rows: list[list[cloudwatch.IWidget]] = []
        self.dashboard: cloudwatch.Dashboard | None = None
        self.dashboard_name = self.prefix
        stage = api.deployment_stage

        # Metrics of the alias (the traffic API Gateway sends, whichever version serves it) over
        # one-minute periods: CodeDeploy watches these two, and must see them inside a canary.
        # (Alarms on the API stage cannot stop a deployment: the stage depends on the alias, and
        # the alias's update policy on the deployment group, so that would be a cycle.)
        self.function_errors = self.add_alarm(
            "FunctionErrors",
            "function-errors",
            alias.metric_errors(period=_MINUTE, statistic="Sum"),
            threshold=1,
            description="The API function raised or timed out (unhandled error) in a minute.",
        )
        self.function_latency = self.add_alarm(
            "FunctionDurationP99",
            "function-duration-p99",
            alias.metric_duration(period=_MINUTE, statistic="p99"),
            threshold=config.latency_p99_threshold_ms,
            periods=3,
            comparison=cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
            description=(
                f"Function p99 duration above {config.latency_p99_threshold_ms} ms for 3 minutes "
                "(a single cold start does not trip it)."
            ),
        )
        self.add_alarm(
            "FunctionThrottles",
            "function-throttles",
            function.metric_throttles(period=_PERIOD, statistic="Sum"),
            threshold=1,
            description="Lambda throttled the API function (reserved concurrency reached).",
        )
        warning = max(1, math.ceil(config.reserved_concurrency * _CONCURRENCY_WARNING_SHARE))
        self.add_alarm(
            "FunctionConcurrency",
            "function-concurrency",
            function.metric("ConcurrentExecutions", period=_MINUTE, statistic="Maximum"),
            threshold=warning,
            periods=3,
            description=(
                f"The function ran {warning} or more concurrent executions (of its reserved "
                f"{config.reserved_concurrency}) for 3 minutes: throttling is near."
            ),
        )
        self.add_alarm(
            "Api5xx",
            "api-5xx",
            stage.metric_server_error(period=_PERIOD, statistic="Sum"),
            threshold=1,
            description="The API answered 5XX (function error, timeout or DynamoDB outage).",
        )
        self.add_alarm(
            "Api4xxRate",
            "api-4xx-rate",
            cloudwatch.MathExpression(
                expression=(
                    f"IF(requests >= {_CLIENT_ERROR_MIN_REQUESTS}, 100 * errors / requests, 0)"
                ),
                using_metrics={
                    "requests": stage.metric_count(period=_PERIOD, statistic="Sum"),
                    "errors": stage.metric_client_error(period=_PERIOD, statistic="Sum"),
                },
                label="4XX share of requests (%)",
                period=_PERIOD,
            ),
            threshold=config.client_error_rate_percent,
            periods=3,
            description=(
                f"{config.client_error_rate_percent} % or more of the API's requests answered 4XX "
                f"for 15 minutes (at least {_CLIENT_ERROR_MIN_REQUESTS} requests per 5 minutes): "
                "a broken client, a bad deploy or denied callers."
            ),
        )
        self.add_alarm(
            "ApiLatencyP99",
            "api-latency-p99",
            stage.metric_latency(period=_PERIOD, statistic="p99"),
            threshold=config.latency_p99_threshold_ms,
            periods=3,
            comparison=cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
            description=(
                f"API p99 latency above {config.latency_p99_threshold_ms} ms for 15 minutes "
                "(a single cold start does not trip it)."
            ),
        )
        self.add_alarm(
            "TableThrottles",
            "table-throttles",
            table.metric_throttled_requests_for_operations(
                operations=_TABLE_OPERATIONS, period=_PERIOD
            ),
            threshold=1,
            description="DynamoDB throttled requests of the API (on-demand table over its limits).",
        )
        self.add_alarm(
            "TableSystemErrors",
            "table-system-errors",
            table.metric_system_errors_for_operations(operations=_TABLE_OPERATIONS, period=_PERIOD),
            threshold=1,
            description="DynamoDB answered requests of the API with a 5XX (service-side error).",
        )
        self._standard_graphs(function, stage, table)

    @property
    def deployment_alarms(self) -> list[cloudwatch.IAlarm]:
        """The alarms that make CodeDeploy stop a traffic shift and roll back."""
        return [self.function_errors, self.function_latency]

    def add_alarm(
        self,
        construct_id: str,
        name: str,
        metric: cloudwatch.IMetric,
        *,
        threshold: float,
        description: str,
        periods: int = 1,
        comparison: cloudwatch.ComparisonOperator = (
            cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD
        ),
    ) -> cloudwatch.Alarm:
        """An alarm named ``products-api-<stage>-<name>`` that notifies the topic (ALARM and OK)
        and appears on the dashboard; missing data (no traffic) is not an outage."""
        if self.dashboard is not None:
            raise RuntimeError(f"add alarm {name!r} before the dashboard is built")
        alarm = cloudwatch.Alarm(
            self,
            construct_id,
            alarm_name=f"{self.prefix}-{name}",
            alarm_description=description,
            metric=metric,
            threshold=threshold,
            evaluation_periods=periods,
            datapoints_to_alarm=periods,
            comparison_operator=comparison,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        )
        action = cloudwatch_actions.SnsAction(self.topic)
        alarm.add_alarm_action(action)
        alarm.add_ok_action(action)
        self.alarms.append(alarm)
        return alarm

    def add_graphs(self, *widgets: cloudwatch.IWidget) -> None:
        """One more dashboard row (e.g. queue depth and iterator age of an events pipeline)."""
        if self.dashboard is not None:
            raise RuntimeError("add graphs before the dashboard is built")
        self._rows.append(list(widgets))

    def build_dashboard(self) -> cloudwatch.Dashboard:
        """The dashboard: every alarm's state on top, then the graph rows in the order added."""
        status = cloudwatch.AlarmStatusWidget(
            title="Alarms", alarms=list(self.alarms), width=24, height=3
        )
        self.dashboard = cloudwatch.Dashboard(
            self,
            "Dashboard",
            dashboard_name=self.dashboard_name,
            default_interval=cdk.Duration.hours(3),
            widgets=[[status], *self._rows],
        )
        return self.dashboard

    def _topic(self, stack: cdk.Stack) -> sns.Topic:
        # A customer-managed key: CloudWatch cannot publish to a topic encrypted with the
        # AWS-managed aws/sns key, whose policy cannot be changed to let it in.
        key = kms.Key(
            self,
            "AlarmTopicKey",
            description=f"Encrypts the {stack.stack_name} alarm topic",
            enable_key_rotation=True,
            removal_policy=cdk.RemovalPolicy.DESTROY,  # protects notifications only, no data
            pending_window=cdk.Duration.days(7),
        )
        key.add_to_resource_policy(
            iam.PolicyStatement(
                sid="AllowCloudWatchAlarmsToUseTheKey",
                principals=[iam.ServicePrincipal("cloudwatch.amazonaws.com")],
                actions=["kms:Decrypt", "kms:GenerateDataKey*"],
                resources=["*"],  # in a key policy "*" means this key
            )
        )
        topic = sns.Topic(
            self,
            "AlarmTopic",
            display_name=f"{stack.stack_name} alarms",
            master_key=key,
            enforce_ssl=True,
        )
        # The topic policy replaces SNS's default one: let this account's alarms publish, and
        # only them (confused-deputy protection through the source account and ARN).
        topic.add_to_resource_policy(
            iam.PolicyStatement(
                sid="AllowThisAccountsCloudWatchAlarms",
                principals=[iam.ServicePrincipal("cloudwatch.amazonaws.com")],
                actions=["sns:Publish"],
                resources=[topic.topic_arn],
                conditions={
                    "StringEquals": {"aws:SourceAccount": stack.account},
                    "ArnLike": {
                        "aws:SourceArn": stack.format_arn(
                            service="cloudwatch",
                            resource="alarm",
                            resource_name="*",
                            arn_format=cdk.ArnFormat.COLON_RESOURCE_NAME,
                        )
                    },
                },
            )
        )
        return topic

    def _standard_graphs(
        self, function: lambda_.Function, stage: apigw.Stage, table: dynamodb.Table
    ) -> None:
        def graph(title: str, *metrics: cloudwatch.IMetric) -> cloudwatch.GraphWidget:
            return cloudwatch.GraphWidget(title=title, left=list(metrics), width=8, height=6)

        self.add_graphs(
            graph(
                "API requests and errors (sum / 5 min)",
                stage.metric_count(period=_PERIOD, statistic="Sum"),
                stage.metric_client_error(period=_PERIOD, statistic="Sum"),
                stage.metric_server_error(period=_PERIOD, statistic="Sum"),
            ),
            graph(
                "API latency (ms)",
                stage.metric_latency(period=_PERIOD, statistic="p50"),
                stage.metric_latency(period=_PERIOD, statistic="p99"),
                stage.metric_integration_latency(period=_PERIOD, statistic="p99"),
            ),
            graph(
                "Function duration (ms)",
                function.metric_duration(period=_PERIOD, statistic="p50"),
                function.metric_duration(period=_PERIOD, statistic="p99"),
            ),
        )
        self.add_graphs(
            graph(
                "Function invocations, errors, throttles (sum / 5 min)",
                function.metric_invocations(period=_PERIOD, statistic="Sum"),
                function.metric_errors(period=_PERIOD, statistic="Sum"),
                function.metric_throttles(period=_PERIOD, statistic="Sum"),
            ),
            graph(
                "Function concurrency (max)",
                function.metric("ConcurrentExecutions", period=_PERIOD, statistic="Maximum"),
            ),
            cloudwatch.LogQueryWidget(
                title="Recent function errors",
                log_group_names=[function.log_group.log_group_name],
                query_lines=[
                    "fields @timestamp, level, message, xray_trace_id",
                    "filter level = 'ERROR' or level = 'CRITICAL'",
                    "sort @timestamp desc",
                    "limit 50",
                ],
                width=8,
                height=6,
            ),
        )
        self.add_graphs(
            graph(
                "DynamoDB consumed capacity (sum / 5 min)",
                table.metric_consumed_read_capacity_units(period=_PERIOD, statistic="Sum"),
                table.metric_consumed_write_capacity_units(period=_PERIOD, statistic="Sum"),
            ),
            # One math expression per graph: their per-operation metric ids would collide.
            graph(
                "DynamoDB throttled requests (sum / 5 min)",
                table.metric_throttled_requests_for_operations(
                    operations=_TABLE_OPERATIONS, period=_PERIOD
                ),
            ),
            graph(
                "DynamoDB system errors (sum / 5 min)",
                table.metric_system_errors_for_operations(
                    operations=_TABLE_OPERATIONS, period=_PERIOD
                ),
            ),
        )

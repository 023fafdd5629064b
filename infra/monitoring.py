"""Alarms on what hurts users, the encrypted SNS topic they notify, a dashboard."""

from __future__ import annotations

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

from infra.config import StackConfig

_PERIOD = cdk.Duration.minutes(5)
_TABLE_OPERATIONS = [
    dynamodb.Operation.GET_ITEM,
    dynamodb.Operation.PUT_ITEM,
    dynamodb.Operation.UPDATE_ITEM,
    dynamodb.Operation.DELETE_ITEM,
    dynamodb.Operation.SCAN,
]


class Monitoring(Construct):
    """Four alarms (function errors, throttles, API 5XX, p99 latency) -> SNS, plus a dashboard."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: StackConfig,
        function: lambda_.Function,
        api: apigw.RestApi,
        table: dynamodb.Table,
    ) -> None:
        super().__init__(scope, construct_id)
        stack = cdk.Stack.of(self)
        prefix = f"products-api-{config.stage}"
        self.topic = self._topic(stack)
        if config.alarm_email:
            self.topic.add_subscription(subscriptions.EmailSubscription(config.alarm_email))

        stage = api.deployment_stage
        alarms = [
            self._alarm(
                "FunctionErrors",
                f"{prefix}-function-errors",
                function.metric_errors(period=_PERIOD, statistic="Sum"),
                threshold=1,
                description="The API function raised or timed out (unhandled error) in 5 minutes.",
            ),
            self._alarm(
                "FunctionThrottles",
                f"{prefix}-function-throttles",
                function.metric_throttles(period=_PERIOD, statistic="Sum"),
                threshold=1,
                description="Lambda throttled the API function (concurrency limit reached).",
            ),
            self._alarm(
                "Api5xx",
                f"{prefix}-api-5xx",
                stage.metric_server_error(period=_PERIOD, statistic="Sum"),
                threshold=1,
                description="The API answered 5XX (function error, timeout or DynamoDB outage).",
            ),
            self._alarm(
                "ApiLatencyP99",
                f"{prefix}-api-latency-p99",
                stage.metric_latency(period=_PERIOD, statistic="p99"),
                threshold=config.latency_p99_threshold_ms,
                periods=3,
                comparison=cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
                description=(
                    f"API p99 latency above {config.latency_p99_threshold_ms} ms for 15 minutes "
                    "(a single cold start does not trip it)."
                ),
            ),
        ]
        self.alarms = alarms
        self.dashboard_name = prefix
        self._dashboard(prefix, function, stage, table, alarms)

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

    def _alarm(
        self,
        construct_id: str,
        name: str,
        metric: cloudwatch.Metric,
        *,
        threshold: int,
        description: str,
        periods: int = 1,
        comparison: cloudwatch.ComparisonOperator = (
            cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD
        ),
    ) -> cloudwatch.Alarm:
        alarm = cloudwatch.Alarm(
            self,
            construct_id,
            alarm_name=name,
            alarm_description=description,
            metric=metric,
            threshold=threshold,
            evaluation_periods=periods,
            datapoints_to_alarm=periods,
            comparison_operator=comparison,
            # No traffic is not an outage: an idle API must not alarm.
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        )
        action = cloudwatch_actions.SnsAction(self.topic)
        alarm.add_alarm_action(action)
        alarm.add_ok_action(action)
        return alarm

    def _dashboard(
        self,
        name: str,
        function: lambda_.Function,
        stage: apigw.Stage,
        table: dynamodb.Table,
        alarms: list[cloudwatch.Alarm],
    ) -> None:
        def graph(title: str, *metrics: cloudwatch.IMetric) -> cloudwatch.GraphWidget:
            return cloudwatch.GraphWidget(title=title, left=list(metrics), width=8, height=6)

        cloudwatch.Dashboard(
            self,
            "Dashboard",
            dashboard_name=name,
            default_interval=cdk.Duration.hours(3),
            widgets=[
                [cloudwatch.AlarmStatusWidget(title="Alarms", alarms=alarms, width=24, height=3)],
                [
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
                ],
                [
                    graph(
                        "Function invocations, errors, throttles (sum / 5 min)",
                        function.metric_invocations(period=_PERIOD, statistic="Sum"),
                        function.metric_errors(period=_PERIOD, statistic="Sum"),
                        function.metric_throttles(period=_PERIOD, statistic="Sum"),
                    ),
                    graph(
                        "Function concurrency (max)",
                        function.metric(
                            "ConcurrentExecutions", period=_PERIOD, statistic="Maximum"
                        ),
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
                ],
                [
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
                ],
            ],
        )

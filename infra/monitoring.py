"""Alarms on what hurts users, the encrypted SNS topic they notify, and a dashboard.

Alarms are data (``infra/alarms.py``); :class:`Monitoring` turns each into a CloudWatch alarm on
the topic and adds it to the dashboard as it comes, so constructs add alarms and graphs in any
order.
"""

from __future__ import annotations

from collections.abc import Iterable

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

from infra.alarms import PERIOD, TABLE_OPERATIONS, AlarmSpec
from infra.config import StackConfig


class Monitoring(Construct):
    """Alarms that notify one encrypted SNS topic, and a dashboard that shows them.

    :meth:`add_alarms` turns :class:`AlarmSpec` s into alarms (each also gets a status tile on the
    dashboard); :meth:`add_graphs` adds a row of graphs. Both may be called in any order.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: StackConfig,
        dashboard_name: str | None = None,
    ) -> None:
        """``dashboard_name`` defaults to ``products-api-<stage>``, the alarms' prefix."""
        super().__init__(scope, construct_id)
        stack = cdk.Stack.of(self)
        self.prefix = f"products-api-{config.stage}"
        self.topic = self._topic(stack)
        if config.alarm_email:
            self.topic.add_subscription(subscriptions.EmailSubscription(config.alarm_email))
        self.alarms: list[cloudwatch.Alarm] = []
        self.deployment_alarms: list[cloudwatch.IAlarm] = []
        self.dashboard_name = dashboard_name or self.prefix
        self.dashboard = cloudwatch.Dashboard(
            self,
            "Dashboard",
            dashboard_name=self.dashboard_name,
            default_interval=cdk.Duration.hours(3),
        )

    def add_alarms(self, specs: Iterable[AlarmSpec]) -> list[cloudwatch.Alarm]:
        """Alarms named ``products-api-<stage>-<name>`` that notify the topic (ALARM and OK) and
        show their state on the dashboard; missing data (no traffic) is not an outage."""
        action = cloudwatch_actions.SnsAction(self.topic)
        created = []
        for spec in specs:
            alarm = cloudwatch.Alarm(
                self,
                spec.construct_id,
                alarm_name=f"{self.prefix}-{spec.name}",
                alarm_description=spec.description,
                metric=spec.metric,
                threshold=spec.threshold,
                evaluation_periods=spec.periods,
                datapoints_to_alarm=spec.periods,
                comparison_operator=spec.comparison,
                treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
            )
            alarm.add_alarm_action(action)
            alarm.add_ok_action(action)
            self.alarms.append(alarm)
            if spec.stops_deployments:
                self.deployment_alarms.append(alarm)
            created.append(alarm)
        self.dashboard.add_widgets(
            cloudwatch.AlarmStatusWidget(title="Alarms", alarms=created, width=24, height=3)
        )
        return created

    def add_graphs(self, *widgets: cloudwatch.IWidget) -> None:
        """One more dashboard row (e.g. queue depth and iterator age of an events pipeline)."""
        self.dashboard.add_widgets(*widgets)

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

    def add_standard_graphs(
        self, function: lambda_.Function, stage: apigw.Stage, table: dynamodb.ITable
    ) -> None:
        """The API's graphs: requests, latency, function and table health (three rows)."""

        def graph(title: str, *metrics: cloudwatch.IMetric) -> cloudwatch.GraphWidget:
            return cloudwatch.GraphWidget(title=title, left=list(metrics), width=8, height=6)

        self.add_graphs(
            graph(
                "API requests and errors (sum / 5 min)",
                stage.metric_count(period=PERIOD, statistic="Sum"),
                stage.metric_client_error(period=PERIOD, statistic="Sum"),
                stage.metric_server_error(period=PERIOD, statistic="Sum"),
            ),
            graph(
                "API latency (ms)",
                stage.metric_latency(period=PERIOD, statistic="p50"),
                stage.metric_latency(period=PERIOD, statistic="p99"),
                stage.metric_integration_latency(period=PERIOD, statistic="p99"),
            ),
            graph(
                "Function duration (ms)",
                function.metric_duration(period=PERIOD, statistic="p50"),
                function.metric_duration(period=PERIOD, statistic="p99"),
            ),
        )
        self.add_graphs(
            graph(
                "Function invocations, errors, throttles (sum / 5 min)",
                function.metric_invocations(period=PERIOD, statistic="Sum"),
                function.metric_errors(period=PERIOD, statistic="Sum"),
                function.metric_throttles(period=PERIOD, statistic="Sum"),
            ),
            graph(
                "Function concurrency (max)",
                function.metric("ConcurrentExecutions", period=PERIOD, statistic="Maximum"),
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
                table.metric_consumed_read_capacity_units(period=PERIOD, statistic="Sum"),
                table.metric_consumed_write_capacity_units(period=PERIOD, statistic="Sum"),
            ),
            # One math expression per graph: their per-operation metric ids would collide.
            graph(
                "DynamoDB throttled requests (sum / 5 min)",
                table.metric_throttled_requests_for_operations(
                    operations=TABLE_OPERATIONS, period=PERIOD
                ),
            ),
            graph(
                "DynamoDB system errors (sum / 5 min)",
                table.metric_system_errors_for_operations(
                    operations=TABLE_OPERATIONS, period=PERIOD
                ),
            ),
        )

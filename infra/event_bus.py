"""Domain events: the table's stream -> the stream function -> a custom EventBridge bus.

Change data capture rather than a second write from the API: every committed change, made through
the API or not, reaches the bus, and a failed publish is retried from the stream instead of lost.
The event contract (``docs/events/*.schema.json``, generated from the app's event classes) is
registered in a schema registry next to the bus.
"""

from __future__ import annotations

from pathlib import Path

import aws_cdk as cdk
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_events as events
from aws_cdk import aws_eventschemas as eventschemas
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_event_sources as event_sources
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from app import contract  # the dependency-free data sheet, never the app itself
from infra import findings
from infra.alarms import AlarmSpec
from infra.monitoring import Monitoring

SCHEMA_DIR = Path("docs") / "events"
# A stream batch: up to 100 records, gathered for at most a second (latency stays ~1 s).
BATCH_SIZE = 100
BATCHING_WINDOW = cdk.Duration.seconds(1)
# Bounded retries and age: a record that still fails is handed to the on-failure queue (its
# shard and sequence numbers; the record itself stays readable in the stream for 24 h).
RETRY_ATTEMPTS = 10
MAX_RECORD_AGE = cdk.Duration.hours(6)
# Covers PutEvents with the adapter's retries of failed entries (3 attempts, short backoff).
TIMEOUT = cdk.Duration.seconds(30)
MEMORY_MB = 512
# One invocation per shard at a time (parallelization factor 1); this caps shards served at once.
RESERVED_CONCURRENCY = 5
# Alarm when the oldest unprocessed change is this old (events are then that late).
ITERATOR_AGE_ALARM = cdk.Duration.minutes(5)


class DomainEvents(Construct):
    """The bus, its schema registry, the stream function and its failure queue, with alarms."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        table: dynamodb.ITable,
        code: lambda_.Code,
        stream_arn: str | None = None,
        layer: lambda_.ILayerVersion,
        runtime: lambda_.Runtime,
        architecture: lambda_.Architecture,
        log_group: logs.ILogGroup,
        log_level: lambda_.ApplicationLogLevel,
        powertools_log_level: str,
        monitoring: Monitoring,
        project_root: Path,
        stage: str,
    ) -> None:
        """``stream_arn``: the exact stream to read, when ``table`` (a replica seen from another
        stack) cannot name it; by default the table's own."""
        super().__init__(scope, construct_id)
        stream_arn = stream_arn or table.table_stream_arn
        if stream_arn is None:
            raise ValueError("the table needs a NEW_AND_OLD_IMAGES stream")
        self.bus = events.EventBus(self, "Bus", description=f"products-api ({stage}) domain events")
        self.registry = self._schemas(project_root)
        self.failures = sqs.Queue(
            self,
            "FailedRecords",
            encryption=sqs.QueueEncryption.KMS_MANAGED,
            enforce_ssl=True,
            retention_period=cdk.Duration.days(14),  # SQS's longest: time to investigate
        )
        findings.failure_queue_findings(self.failures)
        role = iam.Role(
            self,
            "FunctionRole",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description=f"products-api ({stage}) stream function",
        )
        log_group.grant_write(role)
        role.add_to_policy(
            iam.PolicyStatement(
                sid="PublishToTheProductsBus",
                actions=list(contract.EVENTS_ACTIONS),
                resources=[self.bus.event_bus_arn],
            )
        )
        # What the event source mapping reads, on this table's stream only (CDK's own grant
        # adds dynamodb:ListStreams on "*").
        role.add_to_policy(
            iam.PolicyStatement(
                sid="ReadTheTableStream",
                actions=[
                    "dynamodb:DescribeStream",
                    "dynamodb:GetRecords",
                    "dynamodb:GetShardIterator",
                    "dynamodb:ListStreams",
                ],
                resources=[stream_arn],
            )
        )
        self.function = lambda_.Function(
            self,
            "Function",
            description=f"products-api ({stage}) table stream -> EventBridge",
            runtime=runtime,
            architecture=architecture,
            handler=contract.STREAM_HANDLER,
            code=code,
            layers=[layer],
            memory_size=MEMORY_MB,
            timeout=TIMEOUT,
            reserved_concurrent_executions=RESERVED_CONCURRENCY,
            role=role,
            log_group=log_group,
            logging_format=lambda_.LoggingFormat.JSON,
            application_log_level_v2=log_level,
            system_log_level_v2=lambda_.SystemLogLevel.WARN,
            environment={
                contract.ENV_EVENT_BUS_NAME: self.bus.event_bus_name,
                "POWERTOOLS_SERVICE_NAME": contract.SERVICE_NAME,
                "POWERTOOLS_LOG_LEVEL": powertools_log_level,
                "POWERTOOLS_LOGGER_LOG_EVENT": "false",
            },
        )
        cfn_function = self.function.node.default_child
        if isinstance(cfn_function, cdk.CfnResource):
            # As on the API function: CDK's DependsOn on the role duplicates its GetAtt (W3005).
            cfn_function.add_metadata("cfn-lint", {"config": {"ignore_checks": ["W3005"]}})
        findings.stream_function_findings(self.function)
        self.mapping = lambda_.EventSourceMapping(
            self,
            "TableStream",
            target=self.function,
            event_source_arn=stream_arn,
            starting_position=lambda_.StartingPosition.TRIM_HORIZON,
            batch_size=BATCH_SIZE,
            max_batching_window=BATCHING_WINDOW,
            bisect_batch_on_error=True,
            retry_attempts=RETRY_ATTEMPTS,
            max_record_age=MAX_RECORD_AGE,
            parallelization_factor=1,  # one batch per shard at a time: per-product order
            report_batch_item_failures=True,
            on_failure=event_sources.SqsDlq(self.failures),
        )
        self._alarms(monitoring)

    def _schemas(self, project_root: Path) -> eventschemas.CfnRegistry:
        registry = eventschemas.CfnRegistry(
            self, "SchemaRegistry", description="products-api domain events (detail-types)"
        )
        for detail_type in contract.EVENT_DETAIL_TYPES:
            path = project_root / SCHEMA_DIR / f"{detail_type}.schema.json"
            eventschemas.CfnSchema(
                self,
                f"{detail_type}Schema",
                registry_name=registry.attr_registry_name,
                schema_name=f"{contract.EVENT_SOURCE}@{detail_type}",
                type="JSONSchemaDraft4",
                content=path.read_text(encoding="utf-8"),
                description=f"{detail_type} as EventBridge delivers it ({SCHEMA_DIR}/{path.name})",
            )
        return registry

    def _alarms(self, monitoring: Monitoring) -> None:
        depth = self.failures.metric_approximate_number_of_messages_visible(
            period=cdk.Duration.minutes(5), statistic="Maximum"
        )
        iterator_age = self.function.metric(
            "IteratorAge", period=cdk.Duration.minutes(5), statistic="Maximum"
        )
        monitoring.add_alarms(
            [
                AlarmSpec(
                    "EventsFailedRecordsAlarm",
                    "events-failed-records",
                    depth,
                    threshold=1,
                    description="Stream records whose events could not be published after every "
                    "retry are waiting in the failure queue: consumers missed these changes.",
                ),
                AlarmSpec(
                    "EventsIteratorAgeAlarm",
                    "events-iterator-age",
                    iterator_age,
                    threshold=ITERATOR_AGE_ALARM.to_milliseconds(),
                    description="The stream function is behind: product events reach consumers "
                    f"more than {ITERATOR_AGE_ALARM.to_minutes()} minutes late.",
                ),
            ]
        )
        monitoring.add_graphs(
            cloudwatch.GraphWidget(
                title="Events: stream iterator age (ms)", left=[iterator_age], width=12
            ),
            cloudwatch.GraphWidget(title="Events: failure queue depth", left=[depth], width=12),
        )

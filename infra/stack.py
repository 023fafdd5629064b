"""The products-api stack: DynamoDB table, Lambda function (published behind an alias that
CodeDeploy shifts traffic to) with its dependencies layer, the IAM-authorised REST API, the domain
events pipeline (table stream -> function -> EventBridge bus), and the monitoring that watches
them. Each part is its own construct; this module only wires them together (parts that other
parts need are passed in, never read back from another construct's side effects)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_codedeploy as codedeploy
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from constructs import Construct

from infra import findings
from infra.access_policies import access_policies
from infra.alarms import api_alarms
from infra.api import products_api
from infra.api_function import ALIAS_NAME, TIMEOUT, ApiFunction, live_alias
from infra.bytecode import assets_compiler
from infra.config import StackConfig
from infra.event_bus import DomainEvents
from infra.function_code import function_code
from infra.global_table import RegionalReplica
from infra.layer import dependencies_layer
from infra.monitoring import Monitoring
from infra.products_table import ProductsTable
from infra.runtime import ARCHITECTURE, LAMBDA_LOG_LEVELS, RUNTIME

__all__ = ["ALIAS_NAME", "ARCHITECTURE", "RUNTIME", "TIMEOUT", "ProductsApiStack"]


class ProductsApiStack(cdk.Stack):
    """Everything one stage of the products API needs."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: StackConfig,
        project_root: Path,
        global_table_name: str | None = None,
        **kwargs: Any,
    ) -> None:
        """``global_table_name``: serve the replica of a multi-region stage's global table in this
        stack's region (``infra/global_table.py``) instead of a table of its own."""
        where = config.stage
        if global_table_name is not None:
            where += f", {kwargs['env'].region}"
        super().__init__(
            scope,
            construct_id,
            description=f"products-api ({where}): IAM-authorised REST API, Lambda, DynamoDB",
            **kwargs,
        )
        self.config = config
        self.global_table_name = global_table_name
        # Data and everything needed to read it (logs, their keys) share one removal policy.
        self.data_removal = (
            cdk.RemovalPolicy.RETAIN if config.retain_table else cdk.RemovalPolicy.DESTROY
        )
        self.logs_key = self._logs_key() if config.log_encryption else None
        self.table: dynamodb.ITable
        stream_arn = None
        if global_table_name is None:
            self.table = ProductsTable(
                self,
                "ProductsTable",
                config=config,
                encryption_key=(
                    self._key("TableKey", "products table")
                    if config.table_customer_managed_key
                    else None
                ),
                removal_policy=self.data_removal,
            ).table
        else:
            replica = RegionalReplica(
                self,
                "ProductsTableReplica",
                table_name=global_table_name,
                log_group=self._log_group("StreamLookupLogs"),
            )
            self.table, stream_arn = replica.table, replica.stream_arn
        # One code asset and one layer for both functions (the API and the stream function),
        # compiled to the runtime's bytecode; no compiler is needed when bundling is skipped.
        compiler = (
            assets_compiler(
                RUNTIME.name.removeprefix("python"),
                project_root,
                stage=config.stage,
                allow_missing=config.allow_missing_bytecode,
            )
            if self.bundling_required
            else None
        )
        code = function_code(project_root, RUNTIME, compiler)
        layer = dependencies_layer(
            self,
            "DependenciesLayer",
            project_root=project_root,
            runtime=RUNTIME,
            architecture=ARCHITECTURE,
            compiler=compiler,
        )
        self.function = ApiFunction(
            self,
            "ApiFunction",
            config=config,
            table=self.table,
            code=code,
            layer=layer,
            log_group=self._log_group("FunctionLogs"),
        ).function
        self.alias = live_alias(self, self.function, config)
        self.api = products_api(
            self,
            "ProductsApi",
            config=config,
            target=self.alias,
            access_logs=self._log_group("ApiAccessLogs"),
        )
        self.access_policies = access_policies(self, api=self.api, config=config)
        self.monitoring = Monitoring(
            self,
            "Monitoring",
            config=config,
            # Dashboard names are account-wide: each region's needs its own.
            dashboard_name=None if global_table_name is None else self.stack_name,
        )
        self.monitoring.add_alarms(
            api_alarms(
                config, function=self.function, alias=self.alias, api=self.api, table=self.table
            )
        )
        self.monitoring.add_standard_graphs(self.function, self.api.deployment_stage, self.table)
        self.events = DomainEvents(
            self,
            "DomainEvents",
            table=self.table,
            stream_arn=stream_arn,
            code=code,
            layer=layer,
            runtime=RUNTIME,
            architecture=ARCHITECTURE,
            log_group=self._log_group("StreamFunctionLogs"),
            log_level=LAMBDA_LOG_LEVELS[config.log_level],
            powertools_log_level=config.log_level,
            monitoring=self.monitoring,
            project_root=project_root,
            stage=config.stage,
        )
        self._safe_deployments()
        self._outputs()

    def _key(self, construct_id: str, what: str) -> kms.Key:
        # Retained with the data: deleting the key would make retained data unreadable.
        return kms.Key(
            self,
            construct_id,
            description=f"Encrypts the {self.stack_name} {what}",
            enable_key_rotation=True,
            removal_policy=self.data_removal,
            pending_window=cdk.Duration.days(30),
        )

    def _logs_key(self) -> kms.Key:
        key = self._key("LogsKey", "log groups")
        # CloudWatch Logs uses the key on behalf of this account's log groups only.
        key.add_to_resource_policy(
            iam.PolicyStatement(
                sid="AllowCloudWatchLogsOfThisAccount",
                principals=[iam.ServicePrincipal(f"logs.{cdk.Aws.REGION}.amazonaws.com")],
                actions=[
                    "kms:Encrypt*",
                    "kms:Decrypt*",
                    "kms:ReEncrypt*",
                    "kms:GenerateDataKey*",
                    "kms:Describe*",
                ],
                resources=["*"],  # in a key policy "*" means this key
                conditions={
                    "ArnLike": {
                        "kms:EncryptionContext:aws:logs:arn": self.format_arn(
                            service="logs",
                            resource="log-group",
                            resource_name="*",
                            arn_format=cdk.ArnFormat.COLON_RESOURCE_NAME,
                        )
                    }
                },
            )
        )
        return key

    def _log_group(self, construct_id: str) -> logs.LogGroup:
        log_group = logs.LogGroup(
            self,
            construct_id,
            retention=self.config.retention,
            encryption_key=self.logs_key,
            removal_policy=self.data_removal,
        )
        findings.log_group_findings(log_group, self.config)
        return log_group

    def _safe_deployments(self) -> None:
        """CodeDeploy moves the alias to each new version by the stage's strategy and rolls back
        when a deployment fails, is stopped, or one of the error/latency alarms fires."""
        group = codedeploy.LambdaDeploymentGroup(
            self,
            "Deployment",
            alias=self.alias,
            deployment_config=self.config.deployment_config,
            alarms=self.monitoring.deployment_alarms,
            auto_rollback=codedeploy.AutoRollbackConfig(
                failed_deployment=True, stopped_deployment=True, deployment_in_alarm=True
            ),
        )
        findings.deployment_findings(group.role)

    def _outputs(self) -> None:
        outputs = {
            "ApiUrl": (self.api.url, "Base URL of the stage; the resources are under /products"),
            "TableName": (self.table.table_name, "DynamoDB table (retained on destroy by default)"),
            "FunctionName": (self.function.function_name, "Lambda function serving the API"),
            "AlarmTopicArn": (
                self.monitoring.topic.topic_arn,
                "SNS topic the alarms notify; subscribe to it",
            ),
            "DashboardName": (self.monitoring.dashboard_name, "CloudWatch dashboard"),
            "EventBusName": (self.events.bus.event_bus_name, "EventBridge bus of product events"),
            "EventBusArn": (self.events.bus.event_bus_arn, "ARN of that bus (for rules elsewhere)"),
            "EventSchemaRegistryName": (
                self.events.registry.attr_registry_name,
                "Schema registry holding one schema per detail-type",
            ),
            "EventsFailedRecordsQueueUrl": (
                self.events.failures.queue_url,
                "Stream records whose events could not be published (after every retry)",
            ),
        }
        if self.global_table_name is not None:
            outputs["Region"] = (
                self.region,
                "The region of this stack's API: sign requests to its ApiUrl for this region",
            )
        for output_id, (value, description) in outputs.items():
            cdk.CfnOutput(self, output_id, value=value, description=description)

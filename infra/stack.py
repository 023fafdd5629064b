"""The products-api stack: DynamoDB table, Lambda function (published behind an alias that
CodeDeploy shifts traffic to) with its dependencies layer, the IAM-authorised REST API, the domain
events pipeline (table stream -> function -> EventBridge bus), and the monitoring that watches
them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_codedeploy as codedeploy
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct

from app import contract  # the dependency-free data sheet, never the app itself
from infra import findings
from infra.access_policies import access_policies
from infra.api import products_api
from infra.config import StackConfig
from infra.events import DomainEvents
from infra.layer import dependencies_layer
from infra.monitoring import Monitoring

# cdk-nag rule AwsSolutions-L1 keeps this on the newest Python runtime aws-cdk-lib knows; the layer
# is built for the same Python version and architecture (derived from these two, never repeated).
RUNTIME = lambda_.Runtime.PYTHON_3_14
ARCHITECTURE = lambda_.Architecture.ARM_64  # Graviton: ~20% cheaper per GB-second than x86_64

# Covers a cold start plus a DynamoDB call with SDK retries, and stays well under API Gateway's
# 29 s integration timeout so a stuck invocation ends as a logged Lambda timeout, not a bare 504.
TIMEOUT = cdk.Duration.seconds(10)
# The alias API Gateway invokes and CodeDeploy moves from one published version to the next.
ALIAS_NAME = "live"

# The function asset: the project root filtered down to the application package (so the handler
# path starts with "app."), without tests, caches or anything else (glob rules, last match wins).
APP_ASSET_EXCLUDES = (
    "*",
    f"!{contract.APP_PACKAGE}",
    f"!{contract.APP_PACKAGE}/**",
    "__pycache__",
    "*.pyc",
    ".*",
    "tests",
    "test_*.py",
    "*_test.py",
    "conftest.py",
)

_KEY_TYPES = {
    "S": dynamodb.AttributeType.STRING,
    "N": dynamodb.AttributeType.NUMBER,
    "B": dynamodb.AttributeType.BINARY,
}
_LAMBDA_LOG_LEVELS = {
    "DEBUG": lambda_.ApplicationLogLevel.DEBUG,
    "INFO": lambda_.ApplicationLogLevel.INFO,
    "WARNING": lambda_.ApplicationLogLevel.WARN,
    "ERROR": lambda_.ApplicationLogLevel.ERROR,
}


class ProductsApiStack(cdk.Stack):
    """Everything one stage of the products API needs."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: StackConfig,
        project_root: Path,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            scope,
            construct_id,
            description=f"products-api ({config.stage}): IAM-authorised REST API, Lambda, DynamoDB",
            **kwargs,
        )
        self.config = config
        # Data and everything needed to read it (logs, their keys) share one removal policy.
        self.data_removal = (
            cdk.RemovalPolicy.RETAIN if config.retain_table else cdk.RemovalPolicy.DESTROY
        )
        self.logs_key = self._logs_key() if config.log_encryption else None
        self.table = self._table()
        self.function, self.alias = self._function(project_root)
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
            function=self.function,
            alias=self.alias,
            api=self.api,
            table=self.table,
        )
        self.events = DomainEvents(
            self,
            "DomainEvents",
            table=self.table,
            code=self.code,
            layer=self.layer,
            runtime=RUNTIME,
            architecture=ARCHITECTURE,
            log_group=self._log_group("StreamFunctionLogs"),
            log_level=_LAMBDA_LOG_LEVELS[config.log_level],
            powertools_log_level=config.log_level,
            monitoring=self.monitoring,
            project_root=project_root,
            stage=config.stage,
        )
        self._safe_deployments()
        self.monitoring.build_dashboard()
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

    def _table(self) -> dynamodb.Table:
        key = (
            self._key("TableKey", "products table")
            if self.config.table_customer_managed_key
            else None
        )
        # No table_name: CloudFormation generates one, so stages and replacements never collide.
        table = dynamodb.Table(
            self,
            "ProductsTable",
            partition_key=dynamodb.Attribute(
                name=contract.PARTITION_KEY, type=_KEY_TYPES[contract.PARTITION_KEY_TYPE]
            ),
            billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
            encryption=(
                dynamodb.TableEncryption.CUSTOMER_MANAGED
                if key
                else dynamodb.TableEncryption.AWS_MANAGED
            ),
            encryption_key=key,
            point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
                point_in_time_recovery_enabled=True
            ),
            deletion_protection=self.config.deletion_protection,
            removal_policy=self.data_removal,
            # Change data capture for the domain events (infra/events.py).
            stream=dynamodb.StreamViewType.NEW_AND_OLD_IMAGES,
        )
        findings.table_findings(table, self.config)
        return table

    def _function(self, project_root: Path) -> tuple[lambda_.Function, lambda_.Alias]:
        config = self.config
        # One asset for both functions (the API and the stream function).
        self.code = lambda_.Code.from_asset(str(project_root), exclude=list(APP_ASSET_EXCLUDES))
        log_group = self._log_group("FunctionLogs")
        # A dedicated role instead of AWSLambdaBasicExecutionRole (which may write to any log
        # group): logs to its own group, exactly the adapter's DynamoDB actions on this table.
        role = iam.Role(
            self,
            "FunctionRole",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description=f"products-api ({config.stage}) function",
        )
        log_group.grant_write(role)
        role.add_to_policy(
            iam.PolicyStatement(
                sid="ProductsTableAccess",
                actions=list(contract.DYNAMODB_ACTIONS),
                resources=[self.table.table_arn],
            )
        )
        if self.table.encryption_key is not None:
            # DynamoDB uses a customer-managed key with the caller's permissions, and only for
            # requests it makes itself (ViaService); named actions, no wildcards.
            role.add_to_policy(
                iam.PolicyStatement(
                    sid="ProductsTableKey",
                    actions=[
                        "kms:Decrypt",
                        "kms:DescribeKey",
                        "kms:Encrypt",
                        "kms:GenerateDataKey",
                    ],
                    resources=[self.table.encryption_key.key_arn],
                    conditions={
                        "StringEquals": {
                            "kms:ViaService": f"dynamodb.{cdk.Aws.REGION}.amazonaws.com"
                        }
                    },
                )
            )
        self.layer = layer = dependencies_layer(
            self,
            "DependenciesLayer",
            project_root=project_root,
            runtime=RUNTIME,
            architecture=ARCHITECTURE,
        )
        function = lambda_.Function(
            self,
            "ApiFunction",
            description=f"products-api ({config.stage}) REST handler",
            runtime=RUNTIME,
            architecture=ARCHITECTURE,
            handler=contract.HANDLER,
            code=self.code,
            layers=[layer],
            memory_size=config.memory_size,
            timeout=TIMEOUT,
            # A ceiling per stage: a runaway caller cannot starve the account's other functions,
            # and DynamoDB on-demand never sees more than this many parallel writers.
            reserved_concurrent_executions=config.reserved_concurrency,
            role=role,
            tracing=lambda_.Tracing.ACTIVE,
            log_group=log_group,
            logging_format=lambda_.LoggingFormat.JSON,
            # Lambda's filter and Powertools' level come from one setting: Lambda's level would
            # override Powertools' (AWS_LAMBDA_LOG_LEVEL wins) if the two differed.
            application_log_level_v2=_LAMBDA_LOG_LEVELS[config.log_level],
            system_log_level_v2=lambda_.SystemLogLevel.WARN,
            environment={
                contract.ENV_TABLE_NAME: self.table.table_name,
                contract.ENV_CORS_ALLOW_ORIGIN: config.cors_allow_origin,
                "POWERTOOLS_SERVICE_NAME": contract.SERVICE_NAME,
                "POWERTOOLS_METRICS_NAMESPACE": contract.METRICS_NAMESPACE,
                "POWERTOOLS_LOG_LEVEL": config.log_level,
                # No payloads in logs or traces: product data stays out of CloudWatch and X-Ray.
                "POWERTOOLS_LOGGER_LOG_EVENT": "false",
                "POWERTOOLS_TRACER_CAPTURE_RESPONSE": "false",
            },
        )
        # CDK makes the function DependsOn its role *and* the role's policy, so the first call
        # never runs before the policy is attached. The role entry duplicates the Role GetAtt,
        # which cfn-lint reports as W3005; silence that one rule on this one resource only.
        cfn_function = function.node.default_child
        if isinstance(cfn_function, cdk.CfnResource):
            cfn_function.add_metadata("cfn-lint", {"config": {"ignore_checks": ["W3005"]}})
        findings.function_findings(function, role)
        # Every deploy publishes a version (current_version changes with code, layer and
        # configuration); API Gateway only ever calls the alias. Provisioned concurrency, the
        # cold-start setting, lives on the alias so it moves with the traffic.
        alias = lambda_.Alias(
            self,
            "LiveAlias",
            alias_name=ALIAS_NAME,
            version=function.current_version,
            description="The version API Gateway invokes; CodeDeploy shifts it on every deploy",
            provisioned_concurrent_executions=config.provisioned_concurrency or None,
        )
        return function, alias

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
        for output_id, (value, description) in outputs.items():
            cdk.CfnOutput(self, output_id, value=value, description=description)

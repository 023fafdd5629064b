"""The API's Lambda function: its role, its configuration, and the alias API Gateway invokes."""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct

from app import contract  # the dependency-free data sheet, never the app itself
from infra import findings
from infra.config import StackConfig
from infra.runtime import ARCHITECTURE, LAMBDA_LOG_LEVELS, RUNTIME

# Covers a cold start plus a DynamoDB call with SDK retries, and stays well under API Gateway's
# 29 s integration timeout so a stuck invocation ends as a logged Lambda timeout, not a bare 504.
TIMEOUT = cdk.Duration.seconds(10)
# The alias API Gateway invokes and CodeDeploy moves from one published version to the next.
ALIAS_NAME = "live"


class ApiFunction(Construct):
    """The REST handler (``function``) on the shared code and layer, with its own ``role``.

    With ``snapStart`` each published version (:func:`live_alias`) is initialised once and
    restored from its snapshot.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: StackConfig,
        table: dynamodb.ITable,
        code: lambda_.Code,
        layer: lambda_.ILayerVersion,
        log_group: logs.ILogGroup,
    ) -> None:
        super().__init__(scope, construct_id)
        self.role = self._role(config, table, log_group)
        # "Default": the function keeps the logical id it had before this construct existed.
        self.function = lambda_.Function(
            self,
            "Default",
            description=f"products-api ({config.stage}) REST handler",
            runtime=RUNTIME,
            architecture=ARCHITECTURE,
            handler=contract.HANDLER,
            code=code,
            layers=[layer],
            memory_size=config.memory_size,
            timeout=TIMEOUT,
            # A ceiling per stage: a runaway caller cannot starve the account's other functions,
            # and DynamoDB on-demand never sees more than this many parallel writers.
            reserved_concurrent_executions=config.reserved_concurrency,
            role=self.role,
            tracing=lambda_.Tracing.ACTIVE,
            log_group=log_group,
            logging_format=lambda_.LoggingFormat.JSON,
            # Lambda's filter and Powertools' level come from one setting: Lambda's level would
            # override Powertools' (AWS_LAMBDA_LOG_LEVEL wins) if the two differed.
            application_log_level_v2=LAMBDA_LOG_LEVELS[config.log_level],
            system_log_level_v2=lambda_.SystemLogLevel.WARN,
            snap_start=lambda_.SnapStartConf.ON_PUBLISHED_VERSIONS if config.snap_start else None,
            environment={
                contract.ENV_TABLE_NAME: table.table_name,
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
        cfn_function = self.function.node.default_child
        if isinstance(cfn_function, cdk.CfnResource):
            cfn_function.add_metadata("cfn-lint", {"config": {"ignore_checks": ["W3005"]}})
        findings.function_findings(self.function, self.role)

    def _role(
        self, config: StackConfig, table: dynamodb.ITable, log_group: logs.ILogGroup
    ) -> iam.Role:
        # A dedicated role instead of AWSLambdaBasicExecutionRole (which may write to any log
        # group): logs to its own group, exactly the adapter's DynamoDB actions on this table.
        role = iam.Role(
            self,
            "Role",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description=f"products-api ({config.stage}) function",
        )
        log_group.grant_write(role)
        role.add_to_policy(
            iam.PolicyStatement(
                sid="ProductsTableAccess",
                actions=list(contract.DYNAMODB_ACTIONS),
                resources=[table.table_arn],
            )
        )
        if table.encryption_key is not None:
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
                    resources=[table.encryption_key.key_arn],
                    conditions={
                        "StringEquals": {
                            "kms:ViaService": f"dynamodb.{cdk.Aws.REGION}.amazonaws.com"
                        }
                    },
                )
            )
        return role


def live_alias(scope: Construct, function: lambda_.Function, config: StackConfig) -> lambda_.Alias:
    """The alias API Gateway invokes, on the version this deploy publishes.

    Every deploy publishes a version (``current_version`` changes with code, layer and
    configuration); CodeDeploy moves the alias to it. Provisioned concurrency, the other
    cold-start setting, lives on the alias so it moves with the traffic. Created in the stack's
    scope (construct id ``LiveAlias``): a new logical id would make CloudFormation create a second
    alias named ``live`` before deleting the first, which Lambda refuses.
    """
    return lambda_.Alias(
        scope,
        "LiveAlias",
        alias_name=ALIAS_NAME,
        version=function.current_version,
        description="The version API Gateway invokes; CodeDeploy shifts it on every deploy",
        provisioned_concurrent_executions=config.provisioned_concurrency or None,
    )

"""The products-api stack: DynamoDB table, Lambda function + dependencies layer, IAM-authorised
REST API, and the monitoring that watches them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_wafv2 as wafv2
from constructs import Construct, IConstruct

from app import contract  # the dependency-free data sheet, never the app itself
from infra.config import StackConfig
from infra.layer import dependencies_layer
from infra.monitoring import Monitoring

# cdk-nag rule AwsSolutions-L1 keeps this on the newest Python runtime aws-cdk-lib knows; the layer
# is built for the same Python version and architecture (derived from these two, never repeated).
RUNTIME = lambda_.Runtime.PYTHON_3_14
ARCHITECTURE = lambda_.Architecture.ARM_64  # Graviton: ~20% cheaper per GB-second than x86_64

# Covers a cold start plus a DynamoDB call with SDK retries, and stays well under API Gateway's
# 29 s integration timeout so a stuck invocation ends as a logged Lambda timeout, not a bare 504.
TIMEOUT = cdk.Duration.seconds(10)

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

# Every method the API routes, in first-seen order (the CORS preflight allows these).
_ALL_METHODS = list(dict.fromkeys(m for methods in contract.ROUTES.values() for m in methods))
_KEY_TYPES = {
    "S": dynamodb.AttributeType.STRING,
    "N": dynamodb.AttributeType.NUMBER,
    "B": dynamodb.AttributeType.BINARY,
}
_RETENTION = {
    1: logs.RetentionDays.ONE_DAY,
    3: logs.RetentionDays.THREE_DAYS,
    5: logs.RetentionDays.FIVE_DAYS,
    7: logs.RetentionDays.ONE_WEEK,
    14: logs.RetentionDays.TWO_WEEKS,
    30: logs.RetentionDays.ONE_MONTH,
    60: logs.RetentionDays.TWO_MONTHS,
    90: logs.RetentionDays.THREE_MONTHS,
    120: logs.RetentionDays.FOUR_MONTHS,
    150: logs.RetentionDays.FIVE_MONTHS,
    180: logs.RetentionDays.SIX_MONTHS,
    365: logs.RetentionDays.ONE_YEAR,
    400: logs.RetentionDays.THIRTEEN_MONTHS,
    545: logs.RetentionDays.EIGHTEEN_MONTHS,
    731: logs.RetentionDays.TWO_YEARS,
    1096: logs.RetentionDays.THREE_YEARS,
    1827: logs.RetentionDays.FIVE_YEARS,
    2192: logs.RetentionDays.SIX_YEARS,
    2557: logs.RetentionDays.SEVEN_YEARS,
    2922: logs.RetentionDays.EIGHT_YEARS,
    3288: logs.RetentionDays.NINE_YEARS,
    3653: logs.RetentionDays.TEN_YEARS,
}
_LAMBDA_LOG_LEVELS = {
    "DEBUG": lambda_.ApplicationLogLevel.DEBUG,
    "INFO": lambda_.ApplicationLogLevel.INFO,
    "WARNING": lambda_.ApplicationLogLevel.WARN,
    "ERROR": lambda_.ApplicationLogLevel.ERROR,
}


def acknowledge(construct: IConstruct, rule: str, reason: str) -> None:
    """Record a reviewed cdk-nag finding on the narrowest construct it concerns."""
    cdk.Validations.of(construct).acknowledge(cdk.Acknowledgment(id=rule, reason=reason))


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
        data_removal = (
            cdk.RemovalPolicy.RETAIN if config.retain_table else cdk.RemovalPolicy.DESTROY
        )
        self.table = self._table(data_removal)
        self.function = self._function(project_root, data_removal)
        self.api = self._api(data_removal)
        self.monitoring = Monitoring(
            self,
            "Monitoring",
            config=config,
            function=self.function,
            api=self.api,
            table=self.table,
        )
        self._outputs()

    def _table(self, removal_policy: cdk.RemovalPolicy) -> dynamodb.Table:
        # No table_name: CloudFormation generates one, so stages and replacements never collide.
        return dynamodb.Table(
            self,
            "ProductsTable",
            partition_key=dynamodb.Attribute(
                name=contract.PARTITION_KEY, type=_KEY_TYPES[contract.PARTITION_KEY_TYPE]
            ),
            billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
            encryption=dynamodb.TableEncryption.AWS_MANAGED,
            point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
                point_in_time_recovery_enabled=True
            ),
            deletion_protection=self.config.table_deletion_protection,
            removal_policy=removal_policy,
        )

    def _function(self, project_root: Path, log_removal: cdk.RemovalPolicy) -> lambda_.Function:
        config = self.config
        log_group = logs.LogGroup(
            self,
            "FunctionLogs",
            retention=_RETENTION[config.log_retention_days],
            removal_policy=log_removal,
        )
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
        layer = dependencies_layer(
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
            code=lambda_.Code.from_asset(str(project_root), exclude=list(APP_ASSET_EXCLUDES)),
            layers=[layer],
            memory_size=config.memory_size,
            timeout=TIMEOUT,
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
        policy = role.node.try_find_child("DefaultPolicy")
        acknowledge(
            policy or role,
            "AwsSolutions-IAM5[Resource::*]",
            "Active X-Ray tracing needs xray:PutTraceSegments and xray:PutTelemetryRecords, "
            "which support no resource-level permissions (the X-Ray service authorization "
            "reference lists no resource types for them); CDK adds exactly these two actions.",
        )
        return function

    def _api(self, log_removal: cdk.RemovalPolicy) -> apigw.RestApi:
        config = self.config
        access_logs = logs.LogGroup(
            self,
            "ApiAccessLogs",
            retention=_RETENTION[config.log_retention_days],
            removal_policy=log_removal,
        )
        api = apigw.RestApi(
            self,
            "ProductsApi",
            rest_api_name=f"products-api-{config.stage}",
            description=f"products-api ({config.stage}); every method requires SigV4 (AWS_IAM)",
            endpoint_types=[apigw.EndpointType.REGIONAL],
            fail_on_warnings=True,
            # Execution logging (ERROR level below) needs the account-wide API Gateway logging
            # role; turn this off where the account baseline already sets one.
            cloud_watch_role=config.api_gateway_cloud_watch_role,
            # Retained: the account setting keeps pointing at it after this stack is gone.
            cloud_watch_role_removal_policy=(
                cdk.RemovalPolicy.RETAIN if config.api_gateway_cloud_watch_role else None
            ),
            default_method_options=apigw.MethodOptions(
                authorization_type=apigw.AuthorizationType.IAM
            ),
            deploy_options=apigw.StageOptions(
                stage_name=config.stage,
                tracing_enabled=True,
                metrics_enabled=True,
                logging_level=apigw.MethodLoggingLevel.ERROR,
                data_trace_enabled=False,  # never log request/response bodies
                throttling_rate_limit=config.throttling_rate_limit,
                throttling_burst_limit=config.throttling_burst_limit,
                access_log_destination=apigw.LogGroupLogDestination(access_logs),
                access_log_format=apigw.AccessLogFormat.custom(_access_log_format()),
            ),
        )
        preflight = apigw.CorsOptions(
            allow_origins=[config.cors_allow_origin],
            allow_methods=[*_ALL_METHODS, "OPTIONS"],
            allow_headers=list(contract.CORS_ALLOW_HEADERS),
            max_age=cdk.Duration.seconds(contract.CORS_MAX_AGE_SECONDS),
        )
        # One integration, one invoke permission per method (scoped to that method's ARN), and
        # no extra permission for the console's test-invoke: it would only widen the policy.
        integration = apigw.LambdaIntegration(self.function, allow_test_invoke=False)
        # Preflight on /products is inherited by every resource below it.
        api.root.add_resource("products", default_cors_preflight_options=preflight)
        for path, methods in contract.ROUTES.items():
            resource = api.root.resource_for_path(path)
            for method in methods:
                resource.add_method(method, integration)
        self._gateway_responses(api)
        if config.web_acl_arn:
            wafv2.CfnWebACLAssociation(
                self,
                "ApiWebAcl",
                resource_arn=api.deployment_stage.stage_arn,
                web_acl_arn=config.web_acl_arn,
            )
        self._acknowledge_api_findings(api)
        return api

    def _gateway_responses(self, api: apigw.RestApi) -> None:
        """CORS headers on API Gateway's own errors (bad signature, throttled...), so browsers
        see the real status instead of a CORS failure."""
        origin = self.config.cors_allow_origin
        headers = {"Access-Control-Allow-Origin": f"'{origin}'"}
        if origin != "*":
            headers["Vary"] = "'Origin'"
        api.add_gateway_response(
            "Default4xx", type=apigw.ResponseType.DEFAULT_4_XX, response_headers=headers
        )
        api.add_gateway_response(
            "Default5xx", type=apigw.ResponseType.DEFAULT_5_XX, response_headers=headers
        )

    def _acknowledge_api_findings(self, api: apigw.RestApi) -> None:
        acknowledge(
            api,
            "AwsSolutions-APIG2",
            "Requests are validated in the Lambda function by the domain rules and pydantic "
            "models, the single source of truth, which answer with the API's documented 400 body "
            "listing the offending fields; an API Gateway model would duplicate the schema and "
            "reply with a different error format.",
        )
        if not self.config.web_acl_arn:
            acknowledge(
                api.deployment_stage,
                "AwsSolutions-APIG3",
                "Every method requires SigV4 (AWS_IAM), so anonymous traffic is rejected by API "
                "Gateway before it reaches the function, and stage throttling caps the rate. A "
                "WAFv2 web ACL (billed per ACL and rule) is attached when the operator passes "
                "-c webAclArn=<arn>.",
            )
        for method in api.methods:
            if method.http_method != "OPTIONS":  # cdk-nag does not flag CORS preflight methods
                acknowledge(
                    method,
                    "AwsSolutions-COG4",
                    "The API is for AWS principals: every method uses AWS_IAM (SigV4) "
                    "authorisation, enforced by API Gateway against the caller's IAM policies; "
                    "there are no end users, so there is no Cognito user pool.",
                )
        if self.config.api_gateway_cloud_watch_role:
            role = api.node.try_find_child("CloudWatchRole")
            acknowledge(
                role or api,
                "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/"
                "AmazonAPIGatewayPushToCloudWatchLogs]",
                "The account-wide API Gateway logging role must let API Gateway create and write "
                "its execution log groups (API-Gateway-Execution-Logs_<api>/<stage>) for every "
                "API in the account and region; AWS maintains this managed policy for exactly "
                "that role. Set -c apiGatewayCloudWatchRole=false if the account baseline "
                "already configures one.",
            )

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
        }
        for output_id, (value, description) in outputs.items():
            cdk.CfnOutput(self, output_id, value=value, description=description)


def _access_log_format() -> str:
    """One JSON object per request: who called what, outcome and latency; never a payload."""
    field = apigw.AccessLogField
    fields = {
        "requestId": field.context_request_id(),
        "extendedRequestId": field.context_extended_request_id(),
        "requestTime": field.context_request_time(),
        "httpMethod": field.context_http_method(),
        "resourcePath": field.context_resource_path(),
        "path": field.context_path(),
        "protocol": field.context_protocol(),
        "status": field.context_status(),
        "responseLength": field.context_response_length(),
        "responseLatency": field.context_response_latency(),
        "integrationStatus": field.context_integration_status(),
        "integrationLatency": field.context_integration_latency(),
        "errorMessage": field.context_error_message(),
        "errorResponseType": field.context_error_response_type(),
        "sourceIp": field.context_identity_source_ip(),
        "userAgent": field.context_identity_user_agent(),
        "caller": field.context_identity_caller(),
        "userArn": field.context_identity_user_arn(),
        "xrayTraceId": field.context_xray_trace_id(),
    }
    # Every value quoted: API Gateway writes "-" for absent values, which is not a JSON number.
    return json.dumps(fields, separators=(",", ":"))

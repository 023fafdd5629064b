"""The IAM-authorised REST API in front of the function's alias, and its access-log format."""

from __future__ import annotations

import json

import aws_cdk as cdk
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_wafv2 as wafv2
from constructs import Construct

from app import contract  # the dependency-free data sheet, never the app itself
from infra import findings
from infra.config import StackConfig

# Every method the API routes, in first-seen order (the CORS preflight allows these).
_ALL_METHODS = list(dict.fromkeys(m for methods in contract.ROUTES.values() for m in methods))


def products_api(
    scope: Construct,
    construct_id: str,
    *,
    config: StackConfig,
    target: lambda_.IFunction,
    access_logs: logs.ILogGroup,
) -> apigw.RestApi:
    """The REST API with one Lambda proxy integration per route, all AWS_IAM, calling ``target``."""
    api = apigw.RestApi(
        scope,
        construct_id,
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
        default_method_options=apigw.MethodOptions(authorization_type=apigw.AuthorizationType.IAM),
        deploy_options=apigw.StageOptions(
            stage_name=config.stage,
            tracing_enabled=True,
            metrics_enabled=True,
            logging_level=apigw.MethodLoggingLevel.ERROR,
            data_trace_enabled=False,  # never log request/response bodies
            throttling_rate_limit=config.throttling_rate_limit,
            throttling_burst_limit=config.throttling_burst_limit,
            access_log_destination=apigw.LogGroupLogDestination(access_logs),
            access_log_format=apigw.AccessLogFormat.custom(access_log_format()),
        ),
    )
    # RestApi adds its own URL output ("Endpoint"); the stack's ApiUrl is the one output for it.
    api.node.try_remove_child("Endpoint")
    preflight = apigw.CorsOptions(
        allow_origins=[config.cors_allow_origin],
        allow_methods=[*_ALL_METHODS, "OPTIONS"],
        allow_headers=list(contract.CORS_ALLOW_HEADERS),
        max_age=cdk.Duration.seconds(contract.CORS_MAX_AGE_SECONDS),
    )
    # One integration, one invoke permission per method (scoped to that method's ARN), and
    # no extra permission for the console's test-invoke: it would only widen the policy.
    integration = apigw.LambdaIntegration(target, allow_test_invoke=False)
    # Preflight on /products is inherited by every resource below it.
    api.root.add_resource("products", default_cors_preflight_options=preflight)
    for path, methods in contract.ROUTES.items():
        resource = api.root.resource_for_path(path)
        for method in methods:
            resource.add_method(method, integration)
    _gateway_responses(api, config.cors_allow_origin)
    if config.web_acl_arn:
        wafv2.CfnWebACLAssociation(
            scope,
            "ApiWebAcl",
            resource_arn=api.deployment_stage.stage_arn,
            web_acl_arn=config.web_acl_arn,
        )
    findings.api_findings(api, config)
    return api


def _gateway_responses(api: apigw.RestApi, origin: str) -> None:
    """CORS headers on API Gateway's own errors (bad signature, throttled...), so browsers see
    the real status instead of a CORS failure."""
    headers = {"Access-Control-Allow-Origin": f"'{origin}'"}
    if origin != "*":
        headers["Vary"] = "'Origin'"
    api.add_gateway_response(
        "Default4xx", type=apigw.ResponseType.DEFAULT_4_XX, response_headers=headers
    )
    api.add_gateway_response(
        "Default5xx", type=apigw.ResponseType.DEFAULT_5_XX, response_headers=headers
    )


def access_log_format() -> str:
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

"""Reviewed scanner findings: cdk-nag acknowledgements and checkov skips, each with its reason.

Every exception lives here, next to the reason a reviewer reads, and is attached to the narrowest
construct it concerns. The README's table of acknowledged findings lists the same ones, and
``tests/infra/test_policy_checks.py`` proves each still answers a real finding.
"""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sqs as sqs
from constructs import IConstruct

from infra.config import StackConfig

CHECKOV_METADATA_KEY = "checkov"


def acknowledge(construct: IConstruct, rule: str, reason: str) -> None:
    """Record a reviewed cdk-nag finding on the narrowest construct it concerns."""
    cdk.Validations.of(construct).acknowledge(cdk.Acknowledgment(id=rule, reason=reason))


def skip_checkov(construct: IConstruct, check_id: str, reason: str) -> None:
    """Record a reviewed checkov finding in the resource's template metadata (checkov reads it)."""
    resource = construct if isinstance(construct, cdk.CfnResource) else construct.node.default_child
    if not isinstance(resource, cdk.CfnResource):
        raise TypeError(f"{construct.node.path} has no CloudFormation resource to annotate")
    existing = resource.get_metadata(CHECKOV_METADATA_KEY) or {"skip": []}
    existing["skip"].append({"id": check_id, "comment": reason})
    resource.add_metadata(CHECKOV_METADATA_KEY, existing)


def function_findings(function: lambda_.Function, role: iam.Role) -> None:
    """The function and its role: X-Ray wildcards, DLQ, VPC, environment encryption."""
    acknowledge(
        role.node.try_find_child("DefaultPolicy") or role,
        "AwsSolutions-IAM5[Resource::*]",
        "Active X-Ray tracing needs xray:PutTraceSegments and xray:PutTelemetryRecords, "
        "which support no resource-level permissions (the X-Ray service authorization "
        "reference lists no resource types for them); CDK adds exactly these two actions.",
    )
    skip_checkov(
        function,
        "CKV_AWS_116",
        "API Gateway invokes the function synchronously and returns its error to the caller, "
        "who retries; Lambda only sends asynchronous invocations to a dead-letter queue, so a "
        "DLQ here would stay empty forever.",
    )
    skip_checkov(
        function,
        "CKV_AWS_117",
        "The function reaches only DynamoDB, X-Ray and CloudWatch Logs through their public "
        "AWS endpoints with IAM; a VPC would add NAT gateways or endpoints, ENI cold starts and "
        "cost without guarding any private resource.",
    )
    skip_checkov(
        function,
        "CKV_AWS_173",
        "The environment holds no secrets, only the table name, CORS origin and logging "
        "switches; Lambda already encrypts it at rest with an AWS-managed key, and a "
        "customer-managed key would add a KMS call to every cold start for no gain.",
    )


def log_group_findings(log_group: logs.LogGroup, config: StackConfig) -> None:
    """A log group without the stage's optional customer-managed key."""
    if not config.log_encryption:
        skip_checkov(
            log_group,
            "CKV_AWS_158",
            "CloudWatch Logs encrypts every log group at rest with AWS-owned keys; this stage "
            "opts out of the customer-managed key (logEncryption=false in its stage file, to "
            "save the key's cost), which staging and prod switch on.",
        )


def table_findings(table: cdk.Resource, config: StackConfig) -> None:
    """A table without the stage's optional customer-managed key."""
    if not config.table_customer_managed_key:
        skip_checkov(
            table,
            "CKV_AWS_119",
            "The table is encrypted at rest with the AWS-managed DynamoDB key; this stage opts "
            "out of a customer-managed key (tableCustomerManagedKey=false in its stage file), "
            "which staging and prod switch on for key-policy control and audit.",
        )


def api_findings(api: apigw.RestApi, config: StackConfig) -> None:
    """The REST API: request validation, WAF, Cognito, the account logging role, caching."""
    acknowledge(
        api,
        "AwsSolutions-APIG2",
        "Requests are validated in the Lambda function by the domain rules and pydantic "
        "models, the single source of truth, which answer with the API's documented 400 body "
        "listing the offending fields; an API Gateway model would duplicate the schema and "
        "reply with a different error format.",
    )
    if not config.web_acl_arn:
        acknowledge(
            api.deployment_stage,
            "AwsSolutions-APIG3",
            "Every method requires SigV4 (AWS_IAM), so anonymous traffic is rejected by API "
            "Gateway before it reaches the function, and stage throttling caps the rate. A "
            "WAFv2 web ACL (billed per ACL and rule) is attached when the stage file or "
            "-c webAclArn=<arn> names one.",
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
    if config.api_gateway_cloud_watch_role:
        acknowledge(
            api.node.try_find_child("CloudWatchRole") or api,
            "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/"
            "AmazonAPIGatewayPushToCloudWatchLogs]",
            "The account-wide API Gateway logging role must let API Gateway create and write "
            "its execution log groups (API-Gateway-Execution-Logs_<api>/<stage>) for every "
            "API in the account and region; AWS maintains this managed policy for exactly "
            "that role. Set apiGatewayCloudWatchRole=false if the account baseline "
            "already configures one.",
        )
    skip_checkov(
        api.deployment_stage,
        "CKV_AWS_120",
        "Every response depends on the signed caller and on data that changes with each write "
        "(versions, ETags); an API Gateway cache keyed on the path would serve one caller's "
        "answer to another and stale versions to If-Match clients.",
    )


def deployment_findings(deployment_role: IConstruct) -> None:
    """The CodeDeploy service role."""
    acknowledge(
        deployment_role,
        "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/"
        "AWSCodeDeployRoleForLambdaLimited]",
        "CodeDeploy's service role needs to read the alias, shift its weights, invoke the "
        "(optional) hook functions and publish to SNS; AWS maintains this managed policy for "
        "exactly that role, in its limited form (no S3, no arbitrary invocations).",
    )


def stream_function_findings(function: lambda_.Function) -> None:
    """The events pipeline's stream function: DLQ, VPC, environment encryption."""
    skip_checkov(
        function,
        "CKV_AWS_116",
        "The function is invoked by a DynamoDB stream event source mapping, whose own on-failure "
        "destination (an encrypted SQS queue) receives the records that exhaust their retries; "
        "a function DLQ only serves asynchronous invocations and would stay empty.",
    )
    skip_checkov(
        function,
        "CKV_AWS_117",
        "The function reaches only the DynamoDB stream, EventBridge, SQS and CloudWatch Logs "
        "through their public AWS endpoints with IAM; a VPC would add NAT gateways or "
        "endpoints and cost without guarding any private resource.",
    )
    skip_checkov(
        function,
        "CKV_AWS_173",
        "The environment holds no secrets, only the event bus name and logging switches; "
        "Lambda already encrypts it at rest with an AWS-managed key.",
    )


def failure_queue_findings(queue: sqs.Queue) -> None:
    """The queue that receives stream records whose events could not be published."""
    acknowledge(
        queue,
        "AwsSolutions-SQS3",
        "This queue is itself the dead-letter destination (the stream event source mapping's "
        "on-failure destination); a dead-letter queue for it would only move the same records "
        "once more, and its depth already raises an alarm.",
    )


def access_policy_findings(policy: iam.ManagedPolicy, wildcard_resources: list[str]) -> None:
    """The callers' policies: each ``*`` in a path stands for a path parameter (the product id)."""
    for resource in wildcard_resources:
        acknowledge(
            policy,
            f"AwsSolutions-IAM5[Resource::{resource}]",
            "Each wildcard is a path parameter, such as the {id} of /products/{id}: API Gateway "
            "authorises the request's actual path, so a policy for a resource that takes any "
            "product id has * in that segment; action, API, stage and method are all named "
            "exactly.",
        )


def stream_lookup_findings(scope: IConstruct, role: iam.IRole) -> None:
    """The deploy-time function that reads a replica's stream ARN (aws-cdk-lib's
    AwsCustomResource provider, which runs with ``role``)."""
    stack = cdk.Stack.of(scope)
    functions = [
        child
        for child in stack.node.find_all()
        if isinstance(child, lambda_.CfnFunction) and child.role == role.role_arn
    ]
    if len(functions) != 1:
        raise LookupError(f"expected one function running as {role.node.path}")
    (function,) = functions
    # As on the stack's own functions: CDK's DependsOn on the role duplicates its GetAtt (W3005).
    function.add_metadata("cfn-lint", {"config": {"ignore_checks": ["W3005"]}})
    for check_id, reason in _STREAM_LOOKUP_SKIPS.items():
        skip_checkov(function, check_id, reason)


_STREAM_LOOKUP_SKIPS = {
    "CKV_AWS_115": "CloudFormation invokes this function once per deployment of the stack (a "
    "custom resource reading the replica's stream ARN); a concurrency limit would protect "
    "nothing and could only fail a deployment.",
    "CKV_AWS_116": "CloudFormation waits for this custom resource's answer and fails (and rolls "
    "back) the deployment when none comes within the resource's service timeout; a dead-letter "
    "queue would keep a deploy-time request nobody replays.",
    "CKV_AWS_117": "The function calls only DynamoDB's DescribeTable and CloudWatch Logs through "
    "their public AWS endpoints with IAM; a VPC would add NAT gateways or endpoints and cost "
    "without guarding any private resource.",
}

"""Who may call the API: the callers' IAM policies and the optional source-address restriction.

The policy documents come from ``app.contract`` (generated from the routes), the same documents the
local API evaluates; this module only turns them into CloudFormation resources and outputs.
"""

from __future__ import annotations

from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_iam as iam
from constructs import Construct

from app import contract  # the dependency-free data sheet, never the app itself
from infra import findings
from infra.config import StackConfig


def access_policies(
    scope: Construct, *, api: apigw.RestApi, config: StackConfig
) -> dict[str, iam.ManagedPolicy]:
    """One customer-managed policy per ``contract.ACCESS_POLICIES`` entry, its ARN an output;
    plus the API resource policy that denies calls from outside ``allowedSourceCidrs``, if set."""
    api_arn = cdk.Stack.of(scope).format_arn(
        service="execute-api", resource=api.rest_api_id, arn_format=cdk.ArnFormat.NO_RESOURCE_NAME
    )
    # The same ARN as cdk-nag spells it in a finding's id (a reference as <LogicalId>).
    nag_api_arn = _as_cdk_nag_writes_it(cdk.Stack.of(scope).resolve(api_arn))
    policies = {}
    for name, writes in contract.ACCESS_POLICIES.items():
        document = contract.access_policy_document(name, api_arn, config.stage)
        policy = iam.ManagedPolicy(
            scope,
            name,
            description=f"Calls to products-api ({config.stage}) allowed to {name}",
            document=iam.PolicyDocument.from_json(document),
        )
        nag_resources = contract.invoke_resources(nag_api_arn, config.stage, writes=writes)
        # A path parameter is a wildcard wherever it sits in the path (/products/*/archive too).
        findings.access_policy_findings(policy, [r for r in nag_resources if "*" in r])
        cdk.CfnOutput(
            scope,
            f"{name}PolicyArn",
            value=policy.managed_policy_arn,
            description=f"Attach to the callers' roles or users: {name} on this stage's API",
        )
        policies[name] = policy
    if config.allowed_source_cidrs:
        statement = contract.source_ip_deny_statement(config.allowed_source_cidrs)
        api.add_to_resource_policy(iam.PolicyStatement.from_json(statement))
    return policies


def _as_cdk_nag_writes_it(resolved: Any) -> str:
    """A resolved ARN (a string or an ``Fn::Join``) with each ``Ref`` written ``<Name>``."""
    if isinstance(resolved, str):
        return resolved
    separator, parts = resolved["Fn::Join"]
    return str(separator).join(
        part if isinstance(part, str) else f"<{part['Ref']}>" for part in parts
    )

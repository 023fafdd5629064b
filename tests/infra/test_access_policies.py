"""The callers' IAM policies, their outputs and the optional source-address resource policy."""

from __future__ import annotations

import re
from typing import Any

import pytest

from app import contract
from local_api.authorization import stack_policy_documents
from local_api.local_account import ACCOUNT_ID, API_ID
from tests.infra.conftest import Synthesised

pytestmark = pytest.mark.infra

LOCAL_REGION = "us-east-1"


def _policies(stack: Synthesised) -> dict[str, dict[str, Any]]:
    """Managed policy properties by the construct id (= the policy's name in the contract)."""
    found = stack.resources("AWS::IAM::ManagedPolicy")
    return {
        name: resource["Properties"]
        for name in contract.ACCESS_POLICIES
        for logical_id, resource in found.items()
        if logical_id.startswith(name)
    }


def _api_id(stack: Synthesised) -> str:
    (logical_id,) = stack.resources("AWS::ApiGateway::RestApi")
    return logical_id


def _substitute(value: Any, api_logical_id: str) -> Any:
    """The template's ARN with the deployment's values replaced by the local API's."""
    replacements = {
        "AWS::Partition": "aws",
        "AWS::Region": LOCAL_REGION,
        "AWS::AccountId": ACCOUNT_ID,
        api_logical_id: API_ID,
    }
    if isinstance(value, dict) and "Fn::Join" in value:
        separator, parts = value["Fn::Join"]
        return separator.join(_substitute(part, api_logical_id) for part in parts)
    if isinstance(value, dict) and "Ref" in value:
        return replacements[value["Ref"]]
    return value


def _normalised(document: dict[str, Any]) -> list[tuple[str, str, list[str]]]:
    statements = document["Statement"]
    return [
        (
            statement["Effect"],
            statement["Action"],
            sorted(
                [statement["Resource"]]
                if isinstance(statement["Resource"], str)
                else statement["Resource"]
            ),
        )
        for statement in (statements if isinstance(statements, list) else [statements])
    ]


def test_the_stack_has_a_read_only_and_a_full_access_policy(default_stack: Synthesised) -> None:
    policies = _policies(default_stack)
    assert set(policies) == {"ProductsReadOnly", "ProductsFullAccess"}


def test_the_local_api_evaluates_exactly_the_synthesised_documents(
    default_stack: Synthesised,
) -> None:
    api = _api_id(default_stack)
    local = stack_policy_documents(LOCAL_REGION, default_stack.stack.config.stage)
    for name, properties in _policies(default_stack).items():
        deployed = properties["PolicyDocument"]
        deployed = {
            **deployed,
            "Statement": [
                {**s, "Resource": [_substitute(r, api) for r in s["Resource"]]}
                for s in deployed["Statement"]
            ],
        }
        assert _normalised(deployed) == _normalised(local[name]), name


def test_read_only_allows_the_reading_operations_and_full_access_every_operation(
    default_stack: Synthesised,
) -> None:
    api = _api_id(default_stack)
    prefix = f"arn:aws:execute-api:{LOCAL_REGION}:{ACCOUNT_ID}:{API_ID}/dev/"
    resources = {
        name: sorted(
            _substitute(r, api).removeprefix(prefix)
            for statement in properties["PolicyDocument"]["Statement"]
            for r in statement["Resource"]
        )
        for name, properties in _policies(default_stack).items()
    }
    # Each operation as API Gateway names it: method, then the path with * for each parameter.
    invoked = {
        operation: operation.method + re.sub(r"\{[^}]+\}", "*", operation.resource)
        for operation in contract.OPERATIONS
    }
    assert resources["ProductsReadOnly"] == sorted(
        name for operation, name in invoked.items() if not operation.writes
    )
    assert resources["ProductsFullAccess"] == sorted(invoked.values())
    assert {"GET/products", "GET/products/*"} <= set(resources["ProductsReadOnly"])
    for properties in _policies(default_stack).values():
        for statement in properties["PolicyDocument"]["Statement"]:
            assert (statement["Effect"], statement["Action"]) == ("Allow", "execute-api:Invoke")


def test_each_policy_arn_is_a_stack_output(default_stack: Synthesised) -> None:
    outputs = default_stack.template_json["Outputs"]
    for name in contract.ACCESS_POLICIES:
        (logical_id,) = [
            i for i in default_stack.resources("AWS::IAM::ManagedPolicy") if i.startswith(name)
        ]
        assert outputs[f"{name}PolicyArn"]["Value"] == {"Ref": logical_id}


def test_no_resource_policy_unless_allowed_source_cidrs_is_set(default_stack: Synthesised) -> None:
    assert "Policy" not in default_stack.only("AWS::ApiGateway::RestApi")["Properties"]


def test_allowed_source_cidrs_deny_every_other_address(options_stack: Synthesised) -> None:
    policy = options_stack.only("AWS::ApiGateway::RestApi")["Properties"]["Policy"]
    assert policy["Statement"] == [
        {
            "Sid": "DenyOutsideAllowedSourceCidrs",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "execute-api:Invoke",
            "Resource": "execute-api:/*",
            "Condition": {"NotIpAddress": {"aws:SourceIp": ["203.0.113.0/24", "2001:db8::/32"]}},
        }
    ]

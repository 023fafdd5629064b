"""Policy evaluation over signed HTTP: several principals, refusals worded as API Gateway's."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from botocore.credentials import Credentials

from local_api.credentials import KeyPair
from local_api.principals import LocalAccess, load_local_access
from tests.local_api.conftest import CREDENTIALS, ServeFactory, StubGateway
from tests.support.signed_http import HttpResult, signed_request

ACCOUNT = "123456789012"
READER = Credentials("AKIAREADER0000000000", "reader-secret")
CREATOR = Credentials("AKIACREATOR000000000", "creator-secret")
NOBODY = Credentials("AKIANOBODY0000000000", "nobody-secret")
READER_ARN = f"arn:aws:iam::{ACCOUNT}:user/reader"
CREATOR_ARN = f"arn:aws:sts::{ACCOUNT}:assumed-role/creator/job-7"
RESOURCE = "arn:aws:execute-api:us-east-1:********9012:localapi00/local"


def principal(credentials: Credentials, arn: str, **fields: Any) -> dict[str, Any]:
    return {
        "accessKeyId": credentials.access_key,
        "secretAccessKey": credentials.secret_key,
        "arn": arn,
        **fields,
    }


PRINCIPALS = {
    "principals": [
        principal(READER, READER_ARN, policies=["ProductsReadOnly"]),
        principal(
            CREATOR,
            CREATOR_ARN,
            policies=["ProductsFullAccess"],
            policyDocuments=[
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Effect": "Deny",
                            "Action": "execute-api:Invoke",
                            "Resource": "arn:aws:execute-api:*:*:*/*/DELETE/*",
                        }
                    ],
                }
            ],
        ),
        principal(NOBODY, f"arn:aws:iam::{ACCOUNT}:user/nobody"),
    ]
}


def access(tmp_path: Path, data: dict[str, Any] = PRINCIPALS) -> LocalAccess:
    path = tmp_path / "principals.json"
    path.write_text(json.dumps(data))
    return load_local_access(path, KeyPair(CREDENTIALS.access_key, CREDENTIALS.secret_key))


@pytest.fixture
def gateway(serve: ServeFactory, tmp_path: Path) -> StubGateway:
    return serve(access=access(tmp_path))


def call(gateway: StubGateway, method: str, path: str, credentials: Credentials) -> HttpResult:
    body = {"name": "Lamp"} if method in ("POST", "PUT") else None
    return signed_request(method, gateway.url + path, credentials, json_body=body)


def assert_refused(result: HttpResult, message: str) -> None:
    assert result.status == 403
    assert result.header("x-amzn-ErrorType") == "AccessDeniedException"
    assert result.json() == {"Message": message}


def test_a_read_only_principal_may_read_but_not_write(gateway: StubGateway) -> None:
    assert call(gateway, "GET", "/products", READER).status == 200
    assert call(gateway, "GET", "/products/3f1c", READER).status == 200

    refused = call(gateway, "POST", "/products", READER)

    assert_refused(
        refused,
        f"User: {READER_ARN} is not authorized to perform: execute-api:Invoke on resource:"
        f" {RESOURCE}/POST/products",
    )
    assert len(gateway.function.invocations) == 2  # the refused call reached no handler


def test_an_explicit_deny_is_said_so(gateway: StubGateway) -> None:
    assert call(gateway, "POST", "/products", CREATOR).status == 200
    assert call(gateway, "PUT", "/products/3f1c", CREATOR).status == 200

    refused = call(gateway, "DELETE", "/products/3f1c", CREATOR)

    assert_refused(
        refused,
        f"User: {CREATOR_ARN} is not authorized to perform: execute-api:Invoke on resource:"
        f" {RESOURCE}/DELETE/products/3f1c with an explicit deny",
    )


def test_a_principal_without_policies_may_call_nothing(gateway: StubGateway) -> None:
    assert call(gateway, "GET", "/products", NOBODY).status == 403
    assert gateway.function.invocations == []


def test_the_environment_key_keeps_full_access(gateway: StubGateway) -> None:
    for method, path in [("POST", "/products"), ("DELETE", "/products/1"), ("GET", "/products")]:
        assert call(gateway, method, path, CREDENTIALS).status == 200


def test_the_signature_is_checked_before_the_policies(gateway: StubGateway) -> None:
    wrong_secret = Credentials(READER.access_key, "not-the-secret")
    result = call(gateway, "POST", "/products", wrong_secret)
    assert result.status == 403
    assert result.header("x-amzn-ErrorType") == "InvalidSignatureException"


def test_the_function_sees_who_called(gateway: StubGateway) -> None:
    call(gateway, "GET", "/products", READER)
    call(gateway, "POST", "/products", CREATOR)

    reader, creator = (event["requestContext"]["identity"] for event in gateway.function.events)
    assert reader["userArn"] == READER_ARN
    assert reader["accessKey"] == READER.access_key
    assert reader["caller"].startswith("AIDA") and reader["user"] == reader["caller"]
    assert creator["userArn"] == CREATOR_ARN
    assert creator["caller"].startswith("AROA") and creator["caller"].endswith(":job-7")
    assert reader["caller"] != creator["caller"].split(":")[0]


def test_allowed_source_cidrs_deny_every_other_address(serve: ServeFactory, tmp_path: Path) -> None:
    inside = serve(access=access(tmp_path, {**PRINCIPALS, "allowedSourceCidrs": ["127.0.0.0/8"]}))
    outside = serve(access=access(tmp_path, {**PRINCIPALS, "allowedSourceCidrs": ["10.0.0.0/8"]}))

    assert call(inside, "GET", "/products", READER).status == 200
    assert_refused(
        call(outside, "GET", "/products", READER),
        f"User: {READER_ARN} is not authorized to perform: execute-api:Invoke on resource:"
        f" {RESOURCE}/GET/products with an explicit deny",
    )
    assert call(outside, "GET", "/products", CREDENTIALS).status == 403  # full access too
    assert outside.function.invocations == []


def test_a_per_user_deny_with_a_policy_variable_refuses_that_users_own_resource(
    serve: ServeFactory, tmp_path: Path
) -> None:
    user_b = Credentials("AKIAUSERB00000000000", "b-secret")
    user_b_arn = f"arn:aws:iam::{ACCOUNT}:user/b"
    not_own = {
        "Version": "2012-10-17",
        "Statement": {
            "Effect": "Deny",
            "Action": "execute-api:Invoke",
            "Resource": "arn:aws:execute-api:*:*:*/*/DELETE/products/${aws:username}",
        },
    }
    data = {
        "principals": [
            principal(
                user_b, user_b_arn, policies=["ProductsFullAccess"], policyDocuments=[not_own]
            )
        ]
    }
    gateway = serve(access=access(tmp_path, data))

    refused = call(gateway, "DELETE", "/products/b", user_b)

    assert_refused(
        refused,
        f"User: {user_b_arn} is not authorized to perform: execute-api:Invoke on resource:"
        f" {RESOURCE}/DELETE/products/b with an explicit deny",
    )
    assert gateway.function.invocations == []
    assert call(gateway, "DELETE", "/products/c", user_b).status == 200

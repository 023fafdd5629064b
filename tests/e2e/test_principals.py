"""LOCAL_PRINCIPALS end to end: the real server process and handler, several signed callers."""

from __future__ import annotations

import json
import subprocess  # nosec B404
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from botocore.credentials import Credentials

from local_api.credentials import DEFAULT_ACCESS_KEY_ID, DEFAULT_SECRET_ACCESS_KEY
from tests.e2e.conftest import E2E_CREDENTIALS, REGION, running_local_api, server_environment
from tests.support.dynamodb_local import PROJECT_ROOT
from tests.support.signed_http import HttpResult, signed_request

pytestmark = pytest.mark.e2e

ACCOUNT = "123456789012"
READER = Credentials("AKIAE2EREADER0000000", "reader-secret")
CREATOR = Credentials("AKIAE2ECREATOR000000", "creator-secret")
READER_ARN = f"arn:aws:iam::{ACCOUNT}:user/reporting"
CREATOR_ARN = f"arn:aws:iam::{ACCOUNT}:user/importer"
NO_DELETE = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Deny", "Action": "execute-api:*", "Resource": "*/DELETE/*"}],
}
PRINCIPALS: dict[str, list[dict[str, Any]]] = {
    "principals": [
        {
            "accessKeyId": READER.access_key,
            "secretAccessKey": READER.secret_key,
            "arn": READER_ARN,
            "policies": ["ProductsReadOnly"],
        },
        {
            "accessKeyId": CREATOR.access_key,
            "secretAccessKey": CREATOR.secret_key,
            "arn": CREATOR_ARN,
            "policies": ["ProductsFullAccess"],
            "policyDocuments": [NO_DELETE],
        },
    ]
}


def env_with(principals_file: Path, **overrides: str) -> dict[str, str]:
    return server_environment(
        AWS_ACCESS_KEY_ID=E2E_CREDENTIALS.access_key,
        AWS_SECRET_ACCESS_KEY=E2E_CREDENTIALS.secret_key,
        AWS_DEFAULT_REGION=REGION,
        TABLE_NAME="products-principals",
        LOCAL_PRINCIPALS=str(principals_file),
        **overrides,
    )


@pytest.fixture(scope="module")
def url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    directory = tmp_path_factory.mktemp("principals")
    principals_file = directory / "principals.json"
    principals_file.write_text(json.dumps(PRINCIPALS))
    with running_local_api(directory / "server.log", env=env_with(principals_file)) as (url, _):
        yield url


def call(
    url: str,
    method: str,
    path: str,
    credentials: Credentials,
    body: Any = None,
    headers: dict[str, str] | None = None,
) -> HttpResult:
    return signed_request(method, url + path, credentials, json_body=body, headers=headers)


def refused_message(caller_arn: str, resource: str, explicit: bool = False) -> dict[str, str]:
    return {
        "Message": f"User: {caller_arn} is not authorized to perform: execute-api:Invoke on"
        f" resource: arn:aws:execute-api:{REGION}:********9012:localapi00/local/{resource}"
        + (" with an explicit deny" if explicit else "")
    }


def test_a_read_only_key_reads_but_its_writes_are_refused_and_change_nothing(url: str) -> None:
    name = f"refused-{uuid.uuid4()}"

    refused = call(url, "POST", "/products", READER, {"name": name})
    listed = call(url, "GET", "/products?limit=100", READER)

    assert refused.status == 403
    assert refused.header("x-amzn-ErrorType") == "AccessDeniedException"
    assert refused.json() == refused_message(READER_ARN, "POST/products")
    assert listed.status == 200
    assert name not in json.dumps(listed.json())


def test_an_explicit_deny_keeps_a_full_access_key_from_deleting(url: str) -> None:
    created = call(url, "POST", "/products", CREATOR, {"name": "Imported"})
    product_id = created.json()["id"]

    refused = call(url, "DELETE", f"/products/{product_id}", CREATOR)
    read_back = call(url, "GET", f"/products/{product_id}", READER)

    assert created.status == 201
    assert refused.status == 403
    assert refused.json() == refused_message(
        CREATOR_ARN, f"DELETE/products/{product_id}", explicit=True
    )
    assert read_back.status == 200


def test_the_servers_own_key_keeps_full_access(url: str) -> None:
    created = call(url, "POST", "/products", E2E_CREDENTIALS, {"name": "Owner's"})
    deleted = call(url, "DELETE", f"/products/{created.json()['id']}", E2E_CREDENTIALS)
    assert (created.status, deleted.status) == (201, 204)


def test_idempotency_keys_are_per_principal(url: str) -> None:
    key = {"Idempotency-Key": str(uuid.uuid4())}
    mine = call(url, "POST", "/products", E2E_CREDENTIALS, {"name": "Same"}, key)
    theirs = call(url, "POST", "/products", CREATOR, {"name": "Same"}, key)
    mine_again = call(url, "POST", "/products", E2E_CREDENTIALS, {"name": "Same"}, key)

    assert (mine.status, theirs.status) == (201, 201)
    assert mine.json()["id"] != theirs.json()["id"]
    assert mine_again.json()["id"] == mine.json()["id"]


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        ("{", "not JSON"),
        (
            '{"principals": [{"accessKeyId": "AKIAX", "arn": "arn:aws:iam::1:user/x"}]}',
            "missing secretAccessKey",
        ),
        (
            json.dumps(
                {
                    "principals": [
                        {**PRINCIPALS["principals"][0], "policies": ["ProductsEverything"]}
                    ]
                }
            ),
            "unknown policy 'ProductsEverything'",
        ),
        (json.dumps({"principals": PRINCIPALS["principals"] * 2}), "duplicate access key"),
        (
            json.dumps(
                {
                    "principals": [
                        {
                            **PRINCIPALS["principals"][0],
                            "policyDocuments": [
                                {
                                    "Statement": {
                                        "Effect": "Allow",
                                        "Action": "*",
                                        "Resource": "*",
                                        "Condition": {"StringEquals": {"aws:username": "x"}},
                                    }
                                }
                            ],
                        }
                    ]
                }
            ),
            "unsupported condition key 'aws:username'",
        ),
    ],
)
def test_a_bad_principals_file_stops_the_server_with_one_clear_line(
    tmp_path: Path, content: str, problem: str
) -> None:
    principals_file = tmp_path / "principals.json"
    principals_file.write_text(content)

    result = subprocess.run(  # nosec B603
        [sys.executable, "-m", "local_api", "--port", "0"],
        cwd=PROJECT_ROOT,
        env=env_with(principals_file),
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    [line] = result.stderr.strip().splitlines()
    assert line.startswith(f"error: LOCAL_PRINCIPALS file {principals_file}: ")
    assert problem in line


def test_a_session_token_set_alone_is_honoured_with_the_default_key_pair(tmp_path: Path) -> None:
    env = server_environment(
        AWS_SESSION_TOKEN="local-session-token",
        AWS_DEFAULT_REGION=REGION,
        TABLE_NAME="products-token",
    )
    defaults = Credentials(DEFAULT_ACCESS_KEY_ID, DEFAULT_SECRET_ACCESS_KEY)
    with_token = Credentials(
        DEFAULT_ACCESS_KEY_ID, DEFAULT_SECRET_ACCESS_KEY, "local-session-token"
    )
    with running_local_api(tmp_path / "server.log", env=env) as (url, _):
        accepted = call(url, "GET", "/products", with_token)
        refused = call(url, "GET", "/products", defaults)

    assert accepted.status == 200
    assert refused.status == 403

"""LOCAL_PRINCIPALS files: what they grant, and a clear one-line error for every bad one."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from app import contract
from local_api.credentials import EXAMPLE_KEY_PAIR
from local_api.principals import PrincipalsError, load_local_access

READER = {
    "accessKeyId": "AKIAREADER0000000000",
    "secretAccessKey": "reader-secret",
    "arn": "arn:aws:iam::123456789012:user/reader",
    "policies": ["ProductsReadOnly"],
}


def write(tmp_path: Path, data: Any) -> Path:
    path = tmp_path / "principals.json"
    path.write_text(data if isinstance(data, str) else json.dumps(data))
    return path


def test_the_environment_key_keeps_full_access_and_comes_first(tmp_path: Path) -> None:
    access = load_local_access(write(tmp_path, {"principals": [READER]}), EXAMPLE_KEY_PAIR)

    environment, reader = access.principals.values()
    assert environment.key_pair == EXAMPLE_KEY_PAIR
    assert environment.policies == ("ProductsFullAccess",)
    assert reader.arn == READER["arn"] and reader.policies == ("ProductsReadOnly",)
    assert access.allowed_source_cidrs is None


def test_without_a_file_only_the_environment_key_is_accepted() -> None:
    access = load_local_access(None, EXAMPLE_KEY_PAIR)
    assert list(access.principals) == [EXAMPLE_KEY_PAIR.access_key_id]


def test_allowed_source_cidrs_are_read_and_normalised(tmp_path: Path) -> None:
    data = {"principals": [], "allowedSourceCidrs": ["127.0.0.0/8", "2001:DB8::/32"]}
    access = load_local_access(write(tmp_path, data), EXAMPLE_KEY_PAIR)
    assert access.allowed_source_cidrs == ("127.0.0.0/8", "2001:db8::/32")


def test_the_named_policies_are_the_stacks_own() -> None:
    assert set(contract.ACCESS_POLICIES) == {"ProductsReadOnly", "ProductsFullAccess"}


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        ("{not json", "not JSON"),
        ({"people": []}, '{"principals": [...]}'),
        (
            {"principals": [{**READER, "secretAccessKey": ""}]},
            "principal 1: missing secretAccessKey",
        ),
        ({"principals": [{k: v for k, v in READER.items() if k != "arn"}]}, "missing arn"),
        (
            {"principals": [{**READER, "policies": ["ProductsAdmin"]}]},
            "unknown policy 'ProductsAdmin'",
        ),
        ({"principals": [READER, READER]}, "principal 2: duplicate access key"),
        (
            {"principals": [{**READER, "accessKeyId": EXAMPLE_KEY_PAIR.access_key_id}]},
            "duplicate access key",
        ),
        (
            {
                "principals": [
                    {
                        **READER,
                        "policyDocuments": [
                            {
                                "Version": "2012-10-17",
                                "Statement": {
                                    "Effect": "Allow",
                                    "Action": "*",
                                    "Resource": "*",
                                    "Condition": {"Bool": {"aws:SecureTransport": "true"}},
                                },
                            }
                        ],
                    }
                ]
            },
            "policy document 1: unsupported condition operator 'Bool'",
        ),
        ({"principals": [{**READER, "role": "x"}]}, "unknown key"),
        ({"principals": [], "allowedSourceCidrs": ["10.0.0.1/8"]}, "allowedSourceCidrs"),
    ],
)
def test_a_bad_file_is_one_clear_error_naming_the_file(
    tmp_path: Path, data: Any, problem: str
) -> None:
    path = write(tmp_path, data)
    with pytest.raises(PrincipalsError) as raised:
        load_local_access(path, EXAMPLE_KEY_PAIR)
    message = str(raised.value)
    assert message.startswith(f"LOCAL_PRINCIPALS file {path}: ")
    assert problem in message
    assert "\n" not in message


@pytest.mark.parametrize(
    ("text", "key"),
    [
        (
            '{"principals": [{"accessKeyId": "AKIAREADER0000000000", "secretAccessKey": "s",'
            ' "arn": "arn:aws:iam::123456789012:user/reader", "policyDocuments": [{"Version":'
            ' "2012-10-17", "Statement": {"Effect": "Deny", "Effect": "Allow", "Action": "*",'
            ' "Resource": "*"}}]}]}',
            "Effect",
        ),
        ('{"principals": [], "principals": []}', "principals"),
        (
            '{"principals": [{"accessKeyId": "AKIAREADER0000000000", "secretAccessKey": "s",'
            ' "arn": "arn:aws:iam::123456789012:user/reader", "arn": "arn:aws:iam::1:user/x"}]}',
            "arn",
        ),
    ],
)
def test_a_key_repeated_anywhere_in_the_file_is_refused_naming_it(
    tmp_path: Path, text: str, key: str
) -> None:
    path = write(tmp_path, text)
    with pytest.raises(PrincipalsError) as raised:
        load_local_access(path, EXAMPLE_KEY_PAIR)
    assert str(raised.value) == (
        f"LOCAL_PRINCIPALS file {path}: the key {key!r} appears twice in one JSON object"
        " (JSON parsers disagree on which one counts)"
    )


def documents(*statements: dict[str, Any]) -> list[dict[str, Any]]:
    return [{"Version": "2012-10-17", "Statement": list(statements)}]


def test_an_unsupported_policy_variable_stops_the_server_naming_it_and_the_file(
    tmp_path: Path,
) -> None:
    statement = {
        "Effect": "Allow",
        "Action": "*",
        "Resource": "arn:aws:s3:::b/${aws:PrincipalTag/team}",
    }
    path = write(tmp_path, {"principals": [{**READER, "policyDocuments": documents(statement)}]})

    with pytest.raises(PrincipalsError) as raised:
        load_local_access(path, EXAMPLE_KEY_PAIR)

    message = str(raised.value)
    assert message.startswith(f"LOCAL_PRINCIPALS file {path}: principal 1, policy document 1: ")
    assert "${aws:PrincipalTag/team}" in message and "\n" not in message


def test_a_deny_whose_variable_the_principal_lacks_stops_the_server(tmp_path: Path) -> None:
    statement = {"Effect": "Deny", "Action": "*", "Resource": "arn:aws:s3:::b/${aws:username}"}
    role_session = {
        **READER,
        "arn": "arn:aws:sts::123456789012:assumed-role/reader/job-1",
        "policyDocuments": documents(statement),
    }
    user = {
        **READER,
        "accessKeyId": "AKIAUSER000000000000",
        "policyDocuments": documents(statement),
    }

    load_local_access(write(tmp_path, {"principals": [user]}), EXAMPLE_KEY_PAIR)  # a user: fine
    path = write(tmp_path, {"principals": [user, role_session]})
    with pytest.raises(PrincipalsError) as raised:
        load_local_access(path, EXAMPLE_KEY_PAIR)

    message = str(raised.value)
    assert message.startswith(f"LOCAL_PRINCIPALS file {path}: principal 2, policy document 1: ")
    assert "${aws:username}" in message and "Deny" in message


def test_a_missing_file_is_one_clear_error(tmp_path: Path) -> None:
    with pytest.raises(PrincipalsError, match="cannot read it"):
        load_local_access(tmp_path / "absent.json", EXAMPLE_KEY_PAIR)

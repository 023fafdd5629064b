"""IAM identity-policy evaluation: explicit deny, allow, implicit deny, wildcards, conditions."""

from __future__ import annotations

from typing import Any

import pytest

from local_api import local_account
from local_api.iam_policy import Decision, PolicyError, RequestFacts, check_document, evaluate

API = "arn:aws:execute-api:us-east-1:123456789012:localapi00/local"
READER = "arn:aws:iam::123456789012:user/reader"


def facts(
    method: str = "GET",
    path: str = "products",
    *,
    action: str = "execute-api:Invoke",
    principal: str = READER,
    source_ip: str = "127.0.0.1",
) -> RequestFacts:
    return RequestFacts(action, f"{API}/{method}/{path}", principal, source_ip)


def policy(*statements: dict[str, Any]) -> dict[str, Any]:
    document = {"Version": "2012-10-17", "Statement": list(statements)}
    check_document(document)
    return document


def allow(**fields: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": "execute-api:Invoke", "Resource": f"{API}/*", **fields}


def deny(**fields: Any) -> dict[str, Any]:
    return {**allow(**fields), "Effect": "Deny"}


def test_an_allow_that_matches_allows() -> None:
    assert evaluate([policy(allow())], facts()) is Decision.ALLOW


def test_no_matching_statement_is_an_implicit_deny() -> None:
    document = policy(allow(Resource=f"{API}/GET/products"))
    assert evaluate([document], facts("DELETE", "products/1")) is Decision.IMPLICIT_DENY
    assert evaluate([], facts()) is Decision.IMPLICIT_DENY


def test_an_explicit_deny_wins_over_any_allow_in_any_document() -> None:
    documents = [policy(allow()), policy(deny(Resource=f"{API}/DELETE/*"))]
    assert evaluate(documents, facts("DELETE", "products/1")) is Decision.EXPLICIT_DENY
    assert evaluate(documents, facts("GET", "products/1")) is Decision.ALLOW


def test_not_action_matches_every_other_action() -> None:
    document = policy({"Effect": "Allow", "NotAction": "s3:*", "Resource": "*"})
    assert evaluate([document], facts()) is Decision.ALLOW
    assert evaluate([document], facts(action="s3:GetObject")) is Decision.IMPLICIT_DENY


def test_not_resource_matches_every_other_resource() -> None:
    not_get = {"Effect": "Deny", "Action": "execute-api:Invoke", "NotResource": [f"{API}/GET/*"]}
    document = policy(allow(), not_get)
    assert evaluate([document], facts("GET", "products")) is Decision.ALLOW
    assert evaluate([document], facts("POST", "products")) is Decision.EXPLICIT_DENY


def test_actions_match_case_insensitively_and_resources_case_sensitively() -> None:
    document = policy(allow(Action="EXECUTE-API:invoke", Resource=f"{API}/GET/products"))
    assert evaluate([document], facts("GET", "products")) is Decision.ALLOW
    assert evaluate([document], facts("GET", "Products")) is Decision.IMPLICIT_DENY


@pytest.mark.parametrize(
    ("pattern", "path", "matches"),
    [
        ("products/*", "products/3f1c", True),
        ("products/*", "products", False),
        ("products/????", "products/3f1c", True),
        ("products/????", "products/3f1", False),
        ("product?", "products", True),
        ("products/[ab]", "products/a", False),  # brackets are literal in IAM, not a class
        ("products/[ab]", "products/[ab]", True),
    ],
)
def test_star_and_question_mark_wildcards(pattern: str, path: str, matches: bool) -> None:
    document = policy(allow(Resource=f"{API}/GET/{pattern}"))
    expected = Decision.ALLOW if matches else Decision.IMPLICIT_DENY
    assert evaluate([document], facts("GET", path)) is expected


def test_action_and_resource_lists_are_alternatives() -> None:
    document = policy(
        allow(Action=["s3:GetObject", "execute-api:*"], Resource=[f"{API}/PUT/*", f"{API}/GET/*"])
    )
    assert evaluate([document], facts("GET")) is Decision.ALLOW
    assert evaluate([document], facts("POST")) is Decision.IMPLICIT_DENY


def test_source_ip_conditions() -> None:
    document = policy(allow(Condition={"IpAddress": {"aws:SourceIp": ["10.0.0.0/8", "::1/128"]}}))
    assert evaluate([document], facts(source_ip="10.1.2.3")) is Decision.ALLOW
    assert evaluate([document], facts(source_ip="::1")) is Decision.ALLOW
    assert evaluate([document], facts(source_ip="::ffff:10.0.0.1")) is Decision.ALLOW
    assert evaluate([document], facts(source_ip="192.0.2.1")) is Decision.IMPLICIT_DENY
    outside = policy(allow(), deny(Condition={"NotIpAddress": {"aws:SourceIp": "10.0.0.0/8"}}))
    assert evaluate([outside], facts(source_ip="10.9.9.9")) is Decision.ALLOW
    assert evaluate([outside], facts(source_ip="192.0.2.1")) is Decision.EXPLICIT_DENY


def test_principal_arn_conditions() -> None:
    equals = policy(allow(Condition={"StringEquals": {"aws:PrincipalArn": READER}}))
    assert evaluate([equals], facts()) is Decision.ALLOW
    assert evaluate([equals], facts(principal=READER + "2")) is Decision.IMPLICIT_DENY
    like = policy(allow(Condition={"StringLike": {"aws:PrincipalArn": "arn:aws:iam::*:user/r*"}}))
    assert evaluate([like], facts()) is Decision.ALLOW
    not_like = policy(allow(Condition={"StringNotLike": {"aws:PrincipalArn": "*:user/r*"}}))
    assert evaluate([not_like], facts()) is Decision.IMPLICIT_DENY
    not_equals = policy(allow(Condition={"StringNotEquals": {"AWS:PrincipalArn": "x"}}))
    assert evaluate([not_equals], facts()) is Decision.ALLOW


def test_every_condition_operator_must_hold() -> None:
    document = policy(
        allow(
            Condition={
                "StringEquals": {"aws:PrincipalArn": READER},
                "IpAddress": {"aws:SourceIp": "10.0.0.0/8"},
            }
        )
    )
    assert evaluate([document], facts(source_ip="10.0.0.1")) is Decision.ALLOW
    assert evaluate([document], facts(source_ip="192.0.2.1")) is Decision.IMPLICIT_DENY


@pytest.mark.parametrize(
    ("statement", "named"),
    [
        (
            allow(Condition={"DateGreaterThan": {"aws:CurrentTime": "2020-01-01"}}),
            "DateGreaterThan",
        ),
        (allow(Condition={"StringEquals": {"aws:SourceVpc": "vpc-1"}}), "aws:SourceVpc"),
        (allow(Condition={"IpAddress": {"aws:PrincipalArn": "x"}}), "aws:PrincipalArn"),
        (allow(Condition={"StringEqualsIfExists": {"aws:PrincipalArn": "x"}}), "IfExists"),
        (allow(Condition={"IpAddress": {"aws:SourceIp": "not-an-ip"}}), "not-an-ip"),
        (allow(Principal="*"), "Principal"),
        ({"Effect": "Allow", "Resource": "*"}, "Action"),
        ({**allow(), "NotResource": "*"}, "Resource"),
        ({**allow(), "Effect": "allow"}, "Effect"),
        (allow(Action=[]), "Action"),
    ],
)
def test_unsupported_or_malformed_statements_are_refused_naming_the_problem(
    statement: dict[str, Any], named: str
) -> None:
    with pytest.raises(PolicyError, match=named):
        check_document({"Version": "2012-10-17", "Statement": [statement]})


def test_a_single_statement_object_is_accepted() -> None:
    document = {"Version": "2012-10-17", "Statement": allow()}
    check_document(document)
    assert evaluate([document], facts()) is Decision.ALLOW


# --- policy variables ----------------------------------------------------------------------------

ROLE_SESSION = "arn:aws:sts::123456789012:assumed-role/creator/job-7"
ROLE = "arn:aws:iam::123456789012:role/creator"
FEDERATED = "arn:aws:sts::123456789012:federated-user/carol"
ROOT = "arn:aws:iam::123456789012:root"


def test_username_is_the_iam_users_name_so_a_per_user_deny_denies() -> None:
    own = deny(Resource=f"{API}/DELETE/products/${{aws:username}}")
    documents = [policy(allow(), own)]
    user_b = "arn:aws:iam::123456789012:user/b"

    assert evaluate(documents, facts("DELETE", "products/b", principal=user_b)) is (
        Decision.EXPLICIT_DENY
    )
    assert evaluate(documents, facts("DELETE", "products/c", principal=user_b)) is Decision.ALLOW
    # The name is the last part of a user ARN with a path; key names ignore case.
    team_user = "arn:aws:iam::123456789012:user/division/team/b"
    shouting = [policy(allow(), deny(Resource=f"{API}/DELETE/products/${{AWS:UserName}}"))]
    assert evaluate(shouting, facts("DELETE", "products/b", principal=team_user)) is (
        Decision.EXPLICIT_DENY
    )


@pytest.mark.parametrize(
    ("principal", "userid"),
    [
        (READER, local_account.caller_id(READER)),
        (ROLE_SESSION, local_account.caller_id(ROLE_SESSION)),
        (ROOT, "123456789012"),
        (FEDERATED, "123456789012:carol"),
    ],
)
def test_userid_is_the_callers_unique_id_as_iam_defines_it(principal: str, userid: str) -> None:
    document = policy(allow(Resource=f"{API}/GET/products/${{aws:userid}}"))

    assert evaluate([document], facts(path=f"products/{userid}", principal=principal)) is (
        Decision.ALLOW
    )
    assert evaluate([document], facts(path="products/other", principal=principal)) is (
        Decision.IMPLICIT_DENY
    )


def test_userid_of_a_user_and_of_a_role_session_look_like_iams() -> None:
    assert local_account.caller_id(READER).startswith("AIDA")
    assert local_account.caller_id(ROLE_SESSION).startswith("AROA")
    assert local_account.caller_id(ROLE_SESSION).endswith(":job-7")


@pytest.mark.parametrize(
    ("principal", "value"), [(READER, READER), (ROLE_SESSION, ROLE), (FEDERATED, FEDERATED)]
)
def test_principal_arn_is_the_role_for_a_role_session_as_in_iam(principal: str, value: str) -> None:
    in_resource = policy(allow(Resource=f"{API}/GET/products/${{aws:PrincipalArn}}"))
    in_condition = policy(allow(Condition={"StringEquals": {"aws:PrincipalArn": value}}))

    assert evaluate([in_resource], facts(path=f"products/{value}", principal=principal)) is (
        Decision.ALLOW
    )
    assert evaluate([in_condition], facts(principal=principal)) is Decision.ALLOW


def test_a_variable_in_a_condition_value_is_substituted() -> None:
    document = policy(
        allow(Condition={"StringLike": {"aws:PrincipalArn": "arn:aws:iam::*:user/${aws:username}"}})
    )
    assert evaluate([document], facts(principal=READER)) is Decision.ALLOW


def test_a_variable_without_a_value_matches_nothing_never_its_own_text() -> None:
    # IAM sets aws:username for IAM users only: for a role session the resource matches nothing.
    document = policy(allow(Resource=f"{API}/GET/products/${{aws:username}}"))
    for path in ("products/job-7", "products/creator", "products/${aws:username}", "products/"):
        assert evaluate([document], facts(path=path, principal=ROLE_SESSION)) is (
            Decision.IMPLICIT_DENY
        )


def test_a_variable_without_a_value_in_not_resource_excludes_nothing() -> None:
    document = policy(
        {
            "Effect": "Allow",
            "Action": "execute-api:Invoke",
            "NotResource": f"{API}/GET/products/${{aws:username}}",
        }
    )
    assert evaluate([document], facts(path="products/x", principal=ROLE_SESSION)) is (
        Decision.ALLOW
    )


def test_string_conditions_against_a_variable_without_a_value_follow_iam() -> None:
    # "No equal or like value": StringEquals/StringLike fail, StringNotEquals/StringNotLike hold.
    for operator, expected in [
        ("StringEquals", Decision.IMPLICIT_DENY),
        ("StringLike", Decision.IMPLICIT_DENY),
        ("StringNotEquals", Decision.ALLOW),
        ("StringNotLike", Decision.ALLOW),
    ]:
        document = policy(allow(Condition={operator: {"aws:PrincipalArn": "${aws:username}"}}))
        assert evaluate([document], facts(principal=ROLE_SESSION)) is expected, operator


def test_a_default_value_stands_in_for_a_variable_without_a_value() -> None:
    document = policy(allow(Resource=f"{API}/GET/products/${{aws:username, 'shared'}}"))

    assert evaluate([document], facts(path="products/shared", principal=ROLE_SESSION)) is (
        Decision.ALLOW
    )
    assert evaluate([document], facts(path="products/reader", principal=READER)) is (Decision.ALLOW)
    assert evaluate([document], facts(path="products/shared", principal=READER)) is (
        Decision.IMPLICIT_DENY
    )


@pytest.mark.parametrize(
    ("escape", "literal", "other"),
    [("${*}", "a*", "ab"), ("${?}", "a?", "ab"), ("${$}", "a$", "a")],
)
def test_special_character_variables_match_the_character_itself(
    escape: str, literal: str, other: str
) -> None:
    document = policy(allow(Resource=f"{API}/GET/products/a{escape}"))

    assert evaluate([document], facts(path=f"products/{literal}")) is Decision.ALLOW
    assert evaluate([document], facts(path=f"products/{other}")) is Decision.IMPLICIT_DENY


@pytest.mark.parametrize(
    ("statement", "version", "named"),
    [
        (
            allow(Resource=f"{API}/GET/${{aws:PrincipalTag/team}}"),
            "2012-10-17",
            "unsupported policy variable ${aws:PrincipalTag/team}",
        ),
        (allow(Resource=f"{API}/GET/${{aws:username"), "2012-10-17", "unterminated"),
        (allow(Resource=f"{API}/GET/${{aws:username, nobody}}"), "2012-10-17", "default"),
        (allow(Action="execute-api:${aws:username}"), "2012-10-17", "Action"),
        (allow(Resource="arn:aws:execute-api:${aws:username}:*:*/*"), "2012-10-17", "fifth colon"),
        (
            allow(Condition={"IpAddress": {"aws:SourceIp": "${aws:username}"}}),
            "2012-10-17",
            "IpAddress",
        ),
        (allow(Resource=f"{API}/GET/${{aws:username}}"), "2008-10-17", "2012-10-17"),
        (allow(Resource=f"{API}/GET/${{aws:username}}"), None, "2012-10-17"),
    ],
)
def test_a_variable_the_evaluator_cannot_substitute_as_iam_does_is_refused(
    statement: dict[str, Any], version: str | None, named: str
) -> None:
    document: dict[str, Any] = {"Statement": [statement]}
    if version is not None:
        document["Version"] = version
    with pytest.raises(PolicyError) as raised:
        check_document(document)
    assert named in str(raised.value)
    assert "\n" not in str(raised.value)


def test_a_deny_that_needs_a_value_its_principal_lacks_is_refused_for_that_principal() -> None:
    document = policy(allow(), deny(Resource=f"{API}/DELETE/products/${{aws:username}}"))

    check_document(document, principal_arn=READER)  # an IAM user has a name
    with pytest.raises(PolicyError) as raised:
        check_document(document, principal_arn=ROLE_SESSION)

    assert "${aws:username}" in str(raised.value) and "Deny" in str(raised.value)
    # An Allow that grants nothing to this principal is what IAM does too: no error.
    check_document(
        policy(allow(Resource=f"{API}/GET/${{aws:username}}")), principal_arn=ROLE_SESSION
    )
    check_document(
        policy(deny(Resource=f"{API}/DELETE/${{aws:username, 'x'}}")), principal_arn=ROLE_SESSION
    )

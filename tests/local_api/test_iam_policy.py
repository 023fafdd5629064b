"""IAM identity-policy evaluation: explicit deny, allow, implicit deny, wildcards, conditions."""

from __future__ import annotations

from typing import Any

import pytest

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

"""IAM identity-policy evaluation, the part API Gateway does for an IAM-authorised method.

The rules are IAM's: an explicit ``Deny`` wins, then any ``Allow``, else the request is implicitly
denied. ``Action``/``NotAction`` and ``Resource``/``NotResource`` take a string or a list, with
``*`` and ``?`` wildcards (actions match case-insensitively, resources case-sensitively). Of the
``Condition`` operators only those the local API can decide are accepted; anything else is a
``PolicyError`` when the document is checked, so a condition is never silently ignored. Resources
and string condition values may hold the policy variables of ``policy_variables``, substituted
for the caller as IAM does.
"""

from __future__ import annotations

import enum
import functools
import ipaddress
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from local_api import policy_variables

VERSIONS = ("2012-10-17", "2008-10-17")
STATEMENT_KEYS = frozenset(
    {"Sid", "Effect", "Action", "NotAction", "Resource", "NotResource", "Condition"}
)
SOURCE_IP = "aws:sourceip"
PRINCIPAL_ARN = policy_variables.PRINCIPAL_ARN
_ARN_PREFIX_COLONS = 5  # a variable may only stand in an ARN's resource part, after these


class PolicyError(ValueError):
    """A policy document the local evaluator cannot evaluate faithfully; the message says why."""


class Decision(enum.Enum):
    """The outcome of evaluating a request against a set of policies."""

    ALLOW = "allow"
    IMPLICIT_DENY = "implicit deny"
    EXPLICIT_DENY = "explicit deny"


@dataclass(frozen=True)
class RequestFacts:
    """What the policies are evaluated against."""

    action: str
    resource: str
    principal_arn: str
    source_ip: str


def _wildcard_body(pattern: str) -> str:
    return "".join(
        ".*" if char == "*" else "." if char == "?" else re.escape(char) for char in pattern
    )


@functools.lru_cache(maxsize=1024)
def _wildcard(pattern: str, ignore_case: bool) -> re.Pattern[str]:
    return re.compile(_wildcard_body(pattern), re.DOTALL | (re.IGNORECASE if ignore_case else 0))


def wildcard_match(pattern: str, value: str, *, ignore_case: bool = False) -> bool:
    """IAM's ``*`` (any run of characters) and ``?`` (one character) matching."""
    return _wildcard(pattern, ignore_case).fullmatch(value) is not None


@functools.lru_cache(maxsize=1024)
def _caller_pattern(pattern: str, principal_arn: str) -> re.Pattern[str] | None:
    segments = policy_variables.resolve(pattern, principal_arn)
    if segments is None:
        return None
    body = "".join(_wildcard_body(text) if wild else re.escape(text) for text, wild in segments)
    return re.compile(body, re.DOTALL)


def like(pattern: str, value: str, principal_arn: str) -> bool:
    """``pattern``, its variables substituted for the caller, matches ``value`` with wildcards
    (never when a variable in it has no value)."""
    compiled = _caller_pattern(pattern, principal_arn)
    return compiled is not None and compiled.fullmatch(value) is not None


def equals(text: str, value: str, principal_arn: str) -> bool:
    """``text``, its variables substituted for the caller, is exactly ``value``."""
    segments = policy_variables.resolve(text, principal_arn)
    return segments is not None and "".join(part for part, _ in segments) == value


def _strings(value: Any, where: str) -> list[str]:
    values = [value] if isinstance(value, str) else value
    if not isinstance(values, list) or not values or not all(isinstance(v, str) for v in values):
        raise PolicyError(f"{where} must be a string or a non-empty list of strings")
    return values


def _source_ip_in(values: list[str], facts: RequestFacts) -> bool:
    try:
        address = ipaddress.ip_address(facts.source_ip.split("%")[0])
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return any(address in ipaddress.ip_network(value, strict=False) for value in values)


def _principal_equals(values: list[str], facts: RequestFacts) -> bool:
    arn = policy_variables.principal_values(facts.principal_arn)[PRINCIPAL_ARN]
    return any(equals(value, arn, facts.principal_arn) for value in values)


def _principal_like(values: list[str], facts: RequestFacts) -> bool:
    arn = policy_variables.principal_values(facts.principal_arn)[PRINCIPAL_ARN]
    return any(like(value, arn, facts.principal_arn) for value in values)


Test = Callable[[list[str], RequestFacts], bool]
# operator -> (the condition key it may test, the test, whether the operator negates it)
OPERATORS: dict[str, tuple[str, Test, bool]] = {
    "IpAddress": (SOURCE_IP, _source_ip_in, False),
    "NotIpAddress": (SOURCE_IP, _source_ip_in, True),
    "StringEquals": (PRINCIPAL_ARN, _principal_equals, False),
    "StringNotEquals": (PRINCIPAL_ARN, _principal_equals, True),
    "StringLike": (PRINCIPAL_ARN, _principal_like, False),
    "StringNotLike": (PRINCIPAL_ARN, _principal_like, True),
}


def check_document(document: Any, principal_arn: str | None = None) -> None:
    """Raise PolicyError unless ``document`` is an identity policy this evaluator fully supports.

    With ``principal_arn`` (the caller the document is attached to), a ``Deny`` statement that
    uses a variable this caller has no value for is refused too: IAM would match nothing where
    the variable stands, so the ``Deny`` would silently not refuse what it names.
    """
    if not isinstance(document, dict):
        raise PolicyError("a policy document must be a JSON object")
    if document.get("Version", VERSIONS[0]) not in VERSIONS:
        raise PolicyError(f"unknown policy Version {document.get('Version')!r}")
    unknown = set(document) - {"Version", "Id", "Statement"}
    if unknown:
        raise PolicyError(f"unsupported policy element(s): {', '.join(sorted(unknown))}")
    for statement in _statements(document):
        _check_statement(statement)
        templates = _variable_texts(statement)
        if templates and document.get("Version") != policy_variables.VERSION:
            raise PolicyError(
                f"{templates[0]!r} uses a policy variable, which needs"
                f' "Version": "{policy_variables.VERSION}" (IAM reads ${{...}} as plain text in'
                " older or unversioned policies)"
            )
        if principal_arn is not None and statement["Effect"] == "Deny":
            _check_deny_variables(templates, principal_arn)


def _statements(document: Mapping[str, Any]) -> list[Any]:
    statements = document.get("Statement")
    if isinstance(statements, dict):
        return [statements]
    if not isinstance(statements, list) or not statements:
        raise PolicyError("Statement must be an object or a non-empty list of objects")
    return statements


def _check_statement(statement: Any) -> None:
    if not isinstance(statement, dict):
        raise PolicyError("every Statement must be a JSON object")
    unknown = set(statement) - STATEMENT_KEYS
    if unknown:  # Principal and NotPrincipal belong to resource policies, not identity ones
        raise PolicyError(f"unsupported statement element(s): {', '.join(sorted(unknown))}")
    if statement.get("Effect") not in ("Allow", "Deny"):
        raise PolicyError(f"Effect must be Allow or Deny, not {statement.get('Effect')!r}")
    for positive, negative in (("Action", "NotAction"), ("Resource", "NotResource")):
        if (positive in statement) == (negative in statement):
            raise PolicyError(f"a statement needs exactly one of {positive} and {negative}")
        element = positive if positive in statement else negative
        _strings(statement[element], element)
    conditions = statement.get("Condition", {})
    if not isinstance(conditions, dict):
        raise PolicyError("Condition must be a JSON object")
    for operator, tests in conditions.items():
        if operator not in OPERATORS:
            raise PolicyError(
                f"unsupported condition operator {operator!r} (supported: {', '.join(OPERATORS)})"
            )
        key, _, _ = OPERATORS[operator]
        if not isinstance(tests, dict) or not tests:
            raise PolicyError(f"Condition {operator} must map a condition key to values")
        for name, values in tests.items():
            if name.lower() != key:
                raise PolicyError(f"unsupported condition key {name!r} for {operator}")
            for value in _strings(values, f"Condition {operator} {name}"):
                if key == SOURCE_IP and "${" in value:
                    raise PolicyError(
                        f"policy variables are not allowed with {operator}: {value!r}"
                    )
                if key == SOURCE_IP:
                    try:
                        ipaddress.ip_network(value, strict=False)
                    except ValueError:
                        raise PolicyError(f"{operator} {name}: {value!r} is not a CIDR") from None


def _variable_texts(statement: Mapping[str, Any]) -> list[str]:
    """The statement's strings that use policy variables, each checked (PolicyError if one
    cannot be substituted as IAM does)."""
    found = []
    for element in ("Action", "NotAction"):
        for value in _strings(statement[element], element) if element in statement else []:
            if "${" in value:
                raise PolicyError(f"policy variables are not allowed in {element}: {value!r}")
    for element in ("Resource", "NotResource"):
        for value in _strings(statement[element], element) if element in statement else []:
            if "${" in value:
                if value[: value.index("${")].count(":") < _ARN_PREFIX_COLONS:
                    raise PolicyError(
                        f"{element} {value!r}: a policy variable may only stand after the ARN's"
                        " fifth colon (in its resource part)"
                    )
                found.append(value)
    for tests in statement.get("Condition", {}).values():
        for values in tests.values():
            found += [value for value in _strings(values, "Condition") if "${" in value]
    for text in found:
        try:
            policy_variables.parse(text)
        except policy_variables.VariableError as error:
            raise PolicyError(str(error)) from None
    return found


def _check_deny_variables(templates: list[str], principal_arn: str) -> None:
    for text in templates:
        for variable in policy_variables.without_value(text, principal_arn):
            name = policy_variables.SUPPORTED[variable.key]
            why = policy_variables.ABSENT_WHEN.get(variable.key)
            raise PolicyError(
                f"a Deny statement uses {variable.written}, which has no value for"
                f" {principal_arn}{f' ({why})' if why else ''}: in AWS it would match nothing in"
                f" {text!r}, so the Deny would not refuse what it names; use a variable this"
                f" caller has, or a default: ${{{name}, 'text'}}"
            )


def evaluate(documents: Iterable[Mapping[str, Any]], facts: RequestFacts) -> Decision:
    """IAM's decision for ``facts`` under ``documents`` (each already passed check_document)."""
    allowed = False
    for document in documents:
        for statement in _statements(document):
            if not _applies(statement, facts):
                continue
            if statement["Effect"] == "Deny":
                return Decision.EXPLICIT_DENY
            allowed = True
    return Decision.ALLOW if allowed else Decision.IMPLICIT_DENY


def _applies(statement: Mapping[str, Any], facts: RequestFacts) -> bool:
    if "Action" in statement:
        action_ok = _any_match(statement["Action"], facts.action, ignore_case=True)
    else:
        action_ok = not _any_match(statement["NotAction"], facts.action, ignore_case=True)
    if "Resource" in statement:
        resource_ok = _any_resource(statement["Resource"], facts)
    else:
        resource_ok = not _any_resource(statement["NotResource"], facts)
    return action_ok and resource_ok and _conditions_hold(statement.get("Condition", {}), facts)


def _any_match(patterns: str | list[str], value: str, *, ignore_case: bool = False) -> bool:
    return any(
        wildcard_match(pattern, value, ignore_case=ignore_case)
        for pattern in _strings(patterns, "pattern")
    )


def _any_resource(patterns: str | list[str], facts: RequestFacts) -> bool:
    return any(
        like(pattern, facts.resource, facts.principal_arn)
        for pattern in _strings(patterns, "pattern")
    )


def _conditions_hold(conditions: Mapping[str, Mapping[str, Any]], facts: RequestFacts) -> bool:
    """Every operator and key must hold (AND); the values of one key are alternatives (OR)."""
    for operator, tests in conditions.items():
        _, test, negated = OPERATORS[operator]
        for values in tests.values():
            if test(_strings(values, operator), facts) == negated:
                return False
    return True

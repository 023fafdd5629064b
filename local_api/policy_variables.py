"""IAM policy variables, substituted as IAM substitutes them for the callers the local API knows.

A variable is ``${key}`` or ``${key, 'default'}`` (key names ignore case). The keys a principal
defines are supported: ``aws:username`` (IAM users only), ``aws:userid`` and ``aws:PrincipalArn``;
so are ``${*}``, ``${?}`` and ``${$}``, which stand for the character itself (never a wildcard).
A variable without a value (``aws:username`` of a role session, with no default) is IAM's
"effectively null": the text it stands in matches nothing, not even itself. Anything else in
``${...}`` is an error when the policy is read, so no variable is ever matched as literal text.
"""

from __future__ import annotations

import functools
import types
from collections.abc import Mapping
from dataclasses import dataclass

from local_api import local_account

VERSION = (
    "2012-10-17"  # the policy language version that has variables (older ones read them literally)
)
USERNAME = "aws:username"
USERID = "aws:userid"
PRINCIPAL_ARN = "aws:principalarn"
# lower-case key -> the documented spelling, for messages
SUPPORTED = types.MappingProxyType(
    {USERNAME: "aws:username", USERID: "aws:userid", PRINCIPAL_ARN: "aws:PrincipalArn"}
)
SPECIAL_CHARACTERS = ("*", "?", "$")
# Why IAM leaves a supported key without a value (the only one that can be absent here).
ABSENT_WHEN = types.MappingProxyType({USERNAME: "IAM sets it for IAM users only"})


class VariableError(ValueError):
    """A ``${...}`` the local API cannot substitute as IAM does; the message names it."""


@dataclass(frozen=True)
class Variable:
    """A reference to a request value: its lower-case key, default (if any) and spelling."""

    key: str
    default: str | None
    written: str


@dataclass(frozen=True)
class Character:
    """``${*}``, ``${?}`` or ``${$}``: the character itself, never a wildcard."""

    text: str


Part = str | Variable | Character  # str: the policy's own text, where wildcards apply


def describe_supported() -> str:
    """The supported variables, as a policy writes them (for error messages and docs)."""
    keys = ", ".join(f"${{{name}}}" for name in SUPPORTED.values())
    return f"{keys} and {', '.join(f'${{{c}}}' for c in SPECIAL_CHARACTERS)}"


@functools.lru_cache(maxsize=1024)
def parse(text: str) -> tuple[Part, ...]:
    """Split a policy string into its own text and its variables; VariableError if one is not
    supported or not well formed."""
    parts: list[Part] = []
    position = 0
    while (start := text.find("${", position)) != -1:
        end = text.find("}", start)
        if end == -1:
            raise VariableError(f"unterminated policy variable in {text!r} (no closing brace)")
        parts += [text[position:start], _reference(text[start : end + 1])]
        position = end + 1
    parts.append(text[position:])
    return tuple(part for part in parts if part != "")


def _reference(written: str) -> Variable | Character:
    inner = written[2:-1]
    if inner in SPECIAL_CHARACTERS:
        return Character(inner)
    name, comma, default = inner.partition(",")
    key = name.strip().lower()
    if key not in SUPPORTED:
        supported = describe_supported()
        raise VariableError(
            f"unsupported policy variable {written} (the local API substitutes {supported})"
        )
    if not comma:
        return Variable(key, None, written)
    quoted = default.strip()
    value = quoted[1:-1]
    if len(quoted) < 2 or quoted[0] != "'" or quoted[-1] != "'" or any(c in value for c in "'*?$"):
        raise VariableError(
            f"policy variable {written}: write a default value as ${{{SUPPORTED[key]}, 'text'}},"
            " the text without quotes, *, ? or $"
        )
    return Variable(key, value, written)


@functools.lru_cache(maxsize=256)
def principal_values(principal_arn: str) -> Mapping[str, str]:
    """The supported keys' values for a caller, as IAM sets them (absent keys are left out)."""
    account = local_account.account_of(principal_arn)
    resource = principal_arn.split(":", 5)[-1]
    values = {USERID: local_account.caller_id(principal_arn), PRINCIPAL_ARN: principal_arn}
    if resource.startswith("user/"):
        values[USERNAME] = resource.rsplit("/", 1)[-1]  # the friendly name, without the path
    elif resource == "root":
        values[USERID] = account
    elif resource.startswith("assumed-role/"):
        # A role session's aws:PrincipalArn is its role's ARN, not the session's.
        role = resource.removeprefix("assumed-role/").partition("/")[0]
        values[PRINCIPAL_ARN] = f"arn:aws:iam::{account}:role/{role}"
    elif resource.startswith("federated-user/"):
        values[USERID] = f"{account}:{resource.removeprefix('federated-user/')}"
    return types.MappingProxyType(values)


def resolve(text: str, principal_arn: str) -> tuple[tuple[str, bool], ...] | None:
    """``text`` for this caller as (segment, wildcards apply) pairs; None when a variable in it
    has no value and no default (IAM: nothing is equal to or like it)."""
    values = principal_values(principal_arn)
    segments: list[tuple[str, bool]] = []
    for part in parse(text):
        if isinstance(part, str):
            segments.append((part, True))
        elif isinstance(part, Character):
            segments.append((part.text, False))
        else:
            value = values.get(part.key, part.default)
            if value is None:
                return None
            segments.append((value, False))
    return tuple(segments)


def without_value(text: str, principal_arn: str) -> list[Variable]:
    """The variables of ``text`` that have neither a value for this caller nor a default."""
    values = principal_values(principal_arn)
    return [
        part
        for part in parse(text)
        if isinstance(part, Variable) and part.default is None and part.key not in values
    ]

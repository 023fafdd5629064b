"""The callers the local API knows: the key pair from its environment and ``LOCAL_PRINCIPALS``.

The file (its path in the environment variable ``LOCAL_PRINCIPALS``) names each caller's key pair,
ARN and identity policies, as an account's IAM would::

    {"allowedSourceCidrs": ["127.0.0.0/8"],
     "principals": [{"accessKeyId": "...", "secretAccessKey": "...", "sessionToken": "...",
                     "arn": "arn:aws:iam::123456789012:user/reader",
                     "policies": ["ProductsReadOnly"], "policyDocuments": [{...}]}]}

``policies`` names the stack's policies (``app.contract.ACCESS_POLICIES``, the very documents the
stack deploys), ``policyDocuments`` holds any other identity policies; a principal with neither
may call nothing. ``allowedSourceCidrs`` plays the stage setting of the same name.
"""

from __future__ import annotations

import ipaddress
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from app import contract
from local_api import iam_policy, local_account
from local_api.credentials import KeyPair

ENV_VARIABLE = "LOCAL_PRINCIPALS"
FULL_ACCESS = "ProductsFullAccess"
_PRINCIPAL_KEYS = frozenset(
    {"accessKeyId", "secretAccessKey", "sessionToken", "arn", "policies", "policyDocuments"}
)


class PrincipalsError(ValueError):
    """The principals file cannot be used; the message names the file and the problem."""


def _object_without_repeated_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """A JSON object's members; a key given twice is refused (``json`` would keep the last)."""
    members: dict[str, Any] = {}
    for name, value in pairs:
        if name in members:
            raise PrincipalsError(
                f"the key {name!r} appears twice in one JSON object"
                " (JSON parsers disagree on which one counts)"
            )
        members[name] = value
    return members


@dataclass(frozen=True)
class Principal:
    """A caller: key pair, ARN and identity policies (the stack's, by name, and its own)."""

    key_pair: KeyPair
    arn: str
    policies: tuple[str, ...] = ()
    policy_documents: tuple[dict[str, Any], ...] = field(default=(), compare=False)


@dataclass(frozen=True)
class LocalAccess:
    """Everything the gateway authorises with: the principals by access key, the source CIDRs."""

    principals: dict[str, Principal]
    allowed_source_cidrs: tuple[str, ...] | None = None


def environment_principal(key_pair: KeyPair) -> Principal:
    """The server's own key pair: full access, as every key had before policies existed."""
    if key_pair.session_token:
        arn = f"arn:aws:sts::{local_account.ACCOUNT_ID}:assumed-role/local-developer/local-session"
    else:
        arn = f"arn:aws:iam::{local_account.ACCOUNT_ID}:user/local-developer"
    return Principal(key_pair, arn, (FULL_ACCESS,))


def full_access(*key_pairs: KeyPair) -> LocalAccess:
    """Access for these key pairs only, each with full access (no file, no source restriction)."""
    return LocalAccess({pair.access_key_id: environment_principal(pair) for pair in key_pairs})


def load_local_access(path: Path | None, environment_key: KeyPair) -> LocalAccess:
    """The environment's key pair plus the principals of the file at ``path`` (if any)."""
    access = full_access(environment_key)
    if path is None:
        return access
    try:
        data = json.loads(
            path.read_text(encoding="utf-8"), object_pairs_hook=_object_without_repeated_keys
        )
    except OSError as error:
        raise PrincipalsError(f"{ENV_VARIABLE} file {path}: cannot read it ({error})") from None
    except PrincipalsError as error:
        raise PrincipalsError(f"{ENV_VARIABLE} file {path}: {error}") from None
    except ValueError as error:
        raise PrincipalsError(f"{ENV_VARIABLE} file {path}: not JSON ({error})") from None
    try:
        return _parse(data, access)
    except (PrincipalsError, iam_policy.PolicyError) as error:
        raise PrincipalsError(f"{ENV_VARIABLE} file {path}: {error}") from None


def _parse(data: Any, access: LocalAccess) -> LocalAccess:
    if not isinstance(data, dict) or not isinstance(data.get("principals"), list):
        raise PrincipalsError('expected {"principals": [...]} at the top level')
    unknown = set(data) - {"principals", "allowedSourceCidrs"}
    if unknown:
        raise PrincipalsError(f"unknown top-level key(s): {', '.join(sorted(unknown))}")
    principals = dict(access.principals)
    for number, entry in enumerate(data["principals"], start=1):
        principal = _principal(entry, f"principal {number}")
        key = principal.key_pair.access_key_id
        if key in principals:
            raise PrincipalsError(f"principal {number}: duplicate access key {key!r}")
        principals[key] = principal
    return LocalAccess(principals, _cidrs(data.get("allowedSourceCidrs")))


def _principal(entry: Any, where: str) -> Principal:
    if not isinstance(entry, dict):
        raise PrincipalsError(f"{where}: expected a JSON object")
    unknown = set(entry) - _PRINCIPAL_KEYS
    if unknown:
        raise PrincipalsError(f"{where}: unknown key(s): {', '.join(sorted(unknown))}")
    for required in ("accessKeyId", "secretAccessKey", "arn"):
        if not isinstance(entry.get(required), str) or not entry[required]:
            raise PrincipalsError(f"{where}: missing {required}")
    if not entry["arn"].startswith(("arn:aws:iam::", "arn:aws:sts::")):
        raise PrincipalsError(f"{where}: arn must be an IAM or STS ARN, not {entry['arn']!r}")
    token = entry.get("sessionToken")
    if token is not None and (not isinstance(token, str) or not token):
        raise PrincipalsError(f"{where}: sessionToken must be a non-empty string")
    names = entry.get("policies", [])
    if not isinstance(names, list) or not all(isinstance(name, str) for name in names):
        raise PrincipalsError(f"{where}: policies must be a list of policy names")
    for name in names:
        if name not in contract.ACCESS_POLICIES:
            known = ", ".join(contract.ACCESS_POLICIES)
            raise PrincipalsError(f"{where}: unknown policy {name!r} (the stack's: {known})")
    documents = entry.get("policyDocuments", [])
    if not isinstance(documents, list):
        raise PrincipalsError(f"{where}: policyDocuments must be a list of policy documents")
    for position, document in enumerate(documents, start=1):
        try:
            iam_policy.check_document(document, principal_arn=entry["arn"])
        except iam_policy.PolicyError as error:
            raise PrincipalsError(f"{where}, policy document {position}: {error}") from None
    key_pair = KeyPair(entry["accessKeyId"], entry["secretAccessKey"], token)
    return Principal(key_pair, entry["arn"], tuple(names), tuple(documents))


def _cidrs(value: Any) -> tuple[str, ...] | None:
    if value is None:
        return None
    if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
        raise PrincipalsError("allowedSourceCidrs must be a non-empty list of CIDR blocks")
    try:
        return tuple(str(ipaddress.ip_network(cidr)) for cidr in value)
    except ValueError as error:
        raise PrincipalsError(f"allowedSourceCidrs: {error}") from None

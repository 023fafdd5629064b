"""The local stand-ins for what a deployment fixes: account id, API id, the caller identities."""

from __future__ import annotations

import hashlib

ACCOUNT_ID = "123456789012"  # requestContext.accountId, ARNs, the local event bus
API_ID = "localapi00"  # requestContext.apiId and the execute-api resource ARNs


def api_arn(region: str) -> str:
    """``arn:aws:execute-api:<region>:<account>:<api id>``: the base of every resource ARN."""
    return f"arn:aws:execute-api:{region}:{ACCOUNT_ID}:{API_ID}"


def invoke_resource_arn(region: str, stage: str, method: str, raw_path: str) -> str:
    """The resource API Gateway authorises: ``<api arn>/<stage>/<METHOD>/<path>``."""
    return f"{api_arn(region)}/{stage}/{method}/{raw_path.lstrip('/')}"


def masked(resource_arn: str) -> str:
    """The ARN with the account id masked but its last four digits, as API Gateway shows it."""
    parts = resource_arn.split(":", 5)
    if len(parts) == 6 and len(parts[4]) == 12:
        parts[4] = "*" * 8 + parts[4][-4:]
    return ":".join(parts)


def caller_id(principal_arn: str) -> str:
    """A stable IAM-shaped unique id for a principal, as ``requestContext.identity.caller`` holds
    it: ``AIDA...`` for a user, ``AROA...:<session name>`` for an assumed role."""
    resource = principal_arn.split(":", 5)[-1]
    if resource.startswith("assumed-role/"):
        role, _, session = resource.removeprefix("assumed-role/").partition("/")
        return f"AROA{_unique_suffix(role)}:{session}"
    return f"AIDA{_unique_suffix(principal_arn)}"


def _unique_suffix(name: str) -> str:
    return hashlib.sha256(name.encode()).hexdigest()[:17].upper()


def account_of(principal_arn: str) -> str:
    """The account id field of an IAM/STS ARN."""
    parts = principal_arn.split(":")
    return parts[4] if len(parts) > 4 and parts[4] else ACCOUNT_ID

"""API Gateway's second IAM check: may this signed caller invoke this method on this path?

The principal's identity policies (the stack's generated documents and its own) and, when
``allowedSourceCidrs`` is set, the API resource policy the stack would attach are evaluated with
IAM's rules; a refusal is worded as API Gateway words it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from app import contract
from local_api import iam_policy, local_account, rest_api
from local_api.principals import LocalAccess, Principal
from local_api.proxy_response import HttpResponse

ACCESS_DENIED = "AccessDeniedException"


@dataclass(frozen=True)
class Refusal:
    """Why a call was refused: the client's message and, for the log, the principal's ARN."""

    message: str
    principal_arn: str
    explicit: bool


def stack_policy_documents(region: str, stage: str) -> dict[str, dict[str, Any]]:
    """The stack's access policies as the local API evaluates them (this region and stage)."""
    api_arn = local_account.api_arn(region)
    return {
        name: contract.access_policy_document(name, api_arn, stage)
        for name in contract.ACCESS_POLICIES
    }


class Authorizer:
    """Evaluates every call of one local stage against the principals' policies."""

    def __init__(self, access: LocalAccess, region: str, stage: str) -> None:
        self._region = region
        self._stage = stage
        api_arn = local_account.api_arn(region)
        stack_policies = stack_policy_documents(region, stage)
        self._documents: dict[str, list[dict[str, Any]]] = {
            key: [*(stack_policies[name] for name in p.policies), *p.policy_documents]
            for key, p in access.principals.items()
        }
        self._resource_policy: list[dict[str, Any]] = []
        if access.allowed_source_cidrs:
            # The stack's statement, as API Gateway applies it to this API (Principal "*" and
            # the "execute-api:/*" shorthand stand for every caller and every resource).
            statement = dict(contract.source_ip_deny_statement(list(access.allowed_source_cidrs)))
            del statement["Principal"]
            statement["Resource"] = f"{api_arn}/*"
            self._resource_policy = [{"Version": "2012-10-17", "Statement": [statement]}]

    def refusal(
        self, principal: Principal, method: str, raw_path: str, source_ip: str
    ) -> Refusal | None:
        """None when ``principal`` may call ``method raw_path`` from ``source_ip``."""
        resource = local_account.invoke_resource_arn(self._region, self._stage, method, raw_path)
        facts = iam_policy.RequestFacts(contract.INVOKE_ACTION, resource, principal.arn, source_ip)
        documents = [*self._documents[principal.key_pair.access_key_id], *self._resource_policy]
        decision = iam_policy.evaluate(documents, facts)
        if decision is iam_policy.Decision.ALLOW:
            return None
        explicit = decision is iam_policy.Decision.EXPLICIT_DENY
        message = (
            f"User: {principal.arn} is not authorized to perform: {contract.INVOKE_ACTION}"
            f" on resource: {local_account.masked(resource)}"
            + (" with an explicit deny" if explicit else "")
        )
        return Refusal(message, principal.arn, explicit)


def refusal_response(refusal: Refusal, cors_origin: str) -> HttpResponse:
    """API Gateway's 403 for a caller its policies do not allow (note the capital ``Message``)."""
    return rest_api.gateway_error(
        403, refusal.message, ACCESS_DENIED, cors_origin, message_key="Message"
    )

"""Where the products API is: a deployed stack's URL from ``cdk-outputs/<stage>.json`` or from
CloudFormation, and the signing region an ``execute-api`` URL names."""

from __future__ import annotations

import json
import re
from pathlib import Path
from urllib.parse import urlsplit

from products_client.errors import ClientError

_EXECUTE_API_HOST = re.compile(r"^[a-z0-9]+\.execute-api\.([a-z0-9-]+)\.amazonaws\.com(\.cn)?$")


def region_from_endpoint(endpoint: str) -> str | None:
    """The region of a ``https://<id>.execute-api.<region>.amazonaws.com/...`` URL, else None."""
    match = _EXECUTE_API_HOST.match(urlsplit(endpoint).hostname or "")
    return match.group(1) if match else None


def endpoint_from_stack(stack_name: str, *, region: str | None, profile: str | None) -> str:
    """The API URL from a deployed stack's CloudFormation outputs (calls AWS)."""
    import boto3

    session = boto3.session.Session(profile_name=profile, region_name=region)
    stacks = session.client("cloudformation").describe_stacks(StackName=stack_name)["Stacks"]
    outputs = stacks[0].get("Outputs", []) if stacks else []
    candidates = [
        (output.get("OutputKey", ""), output.get("OutputValue", ""))
        for output in outputs
        if region_from_endpoint(output.get("OutputValue", ""))
    ]
    if not candidates:
        raise ClientError(f"stack {stack_name!r} has no execute-api URL among its outputs")
    # A stack may output several execute-api URLs; prefer the one whose key says it is the URL.
    candidates.sort(key=lambda candidate: "url" not in candidate[0].lower())
    return str(candidates[0][1])


CDK_OUTPUTS_DIR = Path("cdk-outputs")


def endpoint_from_stage(stage: str, outputs_dir: Path = CDK_OUTPUTS_DIR) -> str:
    """The ``ApiUrl`` that ``make deploy STAGE=<stage>`` saved in ``cdk-outputs/<stage>.json``.

    The file is the CDK CLI's ``--outputs-file`` format: ``{"<stack>": {"ApiUrl": ...}}``; reading
    it needs no AWS call.
    """
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_-]*", stage):
        raise ClientError(f"invalid stage name {stage!r}: use letters, digits, '-' and '_'")
    path = outputs_dir / f"{stage}.json"
    try:
        stacks = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ClientError(
            f"{path} not found: deploy the stage first with `make deploy STAGE={stage}`"
        ) from None
    except (OSError, ValueError) as error:
        raise ClientError(f"cannot read {path}: {error}") from error
    urls = [
        outputs["ApiUrl"]
        for outputs in (stacks.values() if isinstance(stacks, dict) else [])
        if isinstance(outputs, dict) and isinstance(outputs.get("ApiUrl"), str)
    ]
    if len(urls) != 1:
        found = "no" if not urls else f"{len(urls)}"
        raise ClientError(f"{path} has {found} ApiUrl outputs; expected exactly one stack's")
    return str(urls[0])

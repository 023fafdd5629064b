"""Where the products API is: one endpoint or several regions' endpoints, each with the region its
requests are signed for, given as ``[REGION=]URL`` or read from a deployed stage's outputs
(``cdk-outputs/<stage>.json``) or from CloudFormation."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from products_client.errors import ClientError

_EXECUTE_API_HOST = re.compile(r"^[a-z0-9]+\.execute-api\.([a-z0-9-]+)\.amazonaws\.com(\.cn)?$")
# us-east-1, eu-central-2, us-gov-west-1, cn-north-1, ...
_REGION_NAME = re.compile(r"[a-z]{2}(-[a-z]+)+-[0-9]+")
SYNTAX = "[REGION=]URL, e.g. us-west-2=http://127.0.0.1:3001"


@dataclass(frozen=True)
class Endpoint:
    """One regional API: its base URL (no trailing slash) and the region to sign for."""

    url: str
    region: str

    def __str__(self) -> str:
        return f"{self.region} ({self.url})"


def region_from_endpoint(endpoint: str) -> str | None:
    """The region of a ``https://<id>.execute-api.<region>.amazonaws.com/...`` URL, else None."""
    match = _EXECUTE_API_HOST.match(urlsplit(endpoint).hostname or "")
    return match.group(1) if match else None


def is_region_name(text: str) -> bool:
    """Whether ``text`` has the shape of an AWS region name (``us-west-2``)."""
    return _REGION_NAME.fullmatch(text) is not None


def split_endpoint_list(value: str) -> list[str]:
    """The endpoints of a comma-separated list (``PRODUCTS_API_URL``), blanks dropped."""
    return [part.strip() for part in value.split(",") if part.strip()]


def parse_endpoint(spec: str) -> tuple[str, str | None]:
    """``[REGION=]URL`` -> (URL without a trailing slash, the region it names or None).

    The region is the prefix, else the one an ``execute-api`` host name carries; a prefix that
    contradicts the host name is refused, since API Gateway would refuse every signature.
    """
    prefix, equals, rest = spec.strip().partition("=")
    url, explicit = (rest, prefix) if equals and "/" not in prefix else (spec.strip(), None)
    if explicit is not None and not is_region_name(explicit):
        raise ClientError(f"endpoint {spec!r}: {explicit!r} is not a region name ({SYNTAX})")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ClientError(f"endpoint {spec!r}: expected an http(s) URL ({SYNTAX})")
    named = region_from_endpoint(url)
    if explicit and named and explicit != named:
        raise ClientError(
            f"endpoint {spec!r}: the URL is in region {named}, not {explicit} (API Gateway accepts"
            " only signatures for its own region)"
        )
    return url.rstrip("/"), explicit or named


def resolve_endpoints(
    specs: Sequence[str], *, region: str | None, default_region: Callable[[], str]
) -> tuple[Endpoint, ...]:
    """The endpoints to call, in order of preference, each with its signing region.

    One endpoint that names no region is signed for ``region``, else ``default_region()``.
    Several endpoints must each name their region (``REGION=URL`` or an ``execute-api`` URL),
    and ``region`` then says which region to try first (the others keep their order). A region
    given for an endpoint that names another is refused: the signature would be.
    """
    parsed = [parse_endpoint(spec) for spec in specs]
    if not parsed:
        raise ClientError(f"no endpoint given ({SYNTAX})")
    urls = [url for url, _ in parsed]
    repeated = sorted({url for url in urls if urls.count(url) > 1})
    if repeated:
        raise ClientError(f"endpoint {repeated[0]} is listed more than once")
    if len(parsed) == 1 and parsed[0][1] is None:
        return (Endpoint(parsed[0][0], region or default_region()),)
    unnamed = [url for url, named in parsed if named is None]
    if unnamed:
        raise ClientError(
            f"endpoint {unnamed[0]} does not say its region: with several endpoints, write each"
            f" as REGION=URL ({SYNTAX})"
        )
    endpoints = [Endpoint(url, str(named)) for url, named in parsed]
    return tuple(prefer(endpoints, region))


def prefer(endpoints: Sequence[Endpoint], region: str | None) -> list[Endpoint]:
    """``endpoints`` with those of ``region`` first (None: unchanged); the region must be one of
    theirs."""
    if region is None:
        return list(endpoints)
    first = [endpoint for endpoint in endpoints if endpoint.region == region]
    if not first:
        regions = ", ".join(dict.fromkeys(endpoint.region for endpoint in endpoints))
        raise ClientError(f"region {region} is not the region of any endpoint ({regions})")
    return first + [endpoint for endpoint in endpoints if endpoint.region != region]


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


def endpoints_from_stage(stage: str, outputs_dir: Path = CDK_OUTPUTS_DIR) -> list[str]:
    """Every region's endpoint that ``make deploy STAGE=<stage>`` saved in
    ``cdk-outputs/<stage>.json``, as ``REGION=URL`` (plain ``URL`` when a stack names no
    region), in the file's order.

    The file is the CDK CLI's ``--outputs-file`` format, one object per stack: a single-region
    stage has one stack with ``ApiUrl``; a multi-region stage has one per region, each with
    ``ApiUrl`` and ``Region`` (and the table's stack, which has neither). No AWS call.
    """
    return [
        f"{region}={url}" if region else url for region, url in _stage_outputs(stage, outputs_dir)
    ]


def endpoint_from_stage(stage: str, outputs_dir: Path = CDK_OUTPUTS_DIR) -> str:
    """The one ``ApiUrl`` of a single-region stage's ``cdk-outputs/<stage>.json``; a
    multi-region stage's file has one per region (:func:`endpoints_from_stage`)."""
    found = _stage_outputs(stage, outputs_dir)
    if len(found) != 1:
        raise ClientError(
            f"{outputs_dir / (stage + '.json')} has {len(found)} ApiUrl outputs (one per region):"
            " read them with endpoints_from_stage"
        )
    return found[0][1]


def _stage_outputs(stage: str, outputs_dir: Path) -> list[tuple[str | None, str]]:
    """(Region or None, ApiUrl) of every stack in the stage's outputs file that has an ApiUrl."""
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
    found = []
    for outputs in stacks.values() if isinstance(stacks, dict) else []:
        if isinstance(outputs, dict) and isinstance(outputs.get("ApiUrl"), str):
            region = outputs.get("Region")
            found.append(
                (region if isinstance(region, str) and region else None, outputs["ApiUrl"])
            )
    if not found:
        raise ClientError(f"{path} has no ApiUrl outputs; expected a stack's ApiUrl")
    return found

"""What ``make run`` tells the developer: where the API is, who may call it, and the lines to
paste into another shell. With several regions (``make run REGIONS=...``), each region's URL and
how to stop one of them to watch a client fail over."""

from __future__ import annotations

import shlex
from collections.abc import Sequence

from local_api.credentials import EXAMPLE_KEY_PAIR, KeyPair
from local_api.principals import ENV_VARIABLE, LocalAccess
from local_api.regions import CONTROL_PATH, failover_lines, region_lines

# (region, base URL) of each local API, in order of preference.
Endpoints = Sequence[tuple[str, str]]


def try_it_lines(endpoints: Endpoints, key_pair: KeyPair) -> list[str]:
    """The lines to paste into another shell: the exports and the first signed calls; with
    several regions, also a failover to watch. The README's quick start (one region) and
    docs/multi-region.md (two) show the same lines for the defaults (tests hold them equal)."""
    defaults = key_pair.secret_access_key == EXAMPLE_KEY_PAIR.secret_access_key
    secret = key_pair.secret_access_key if defaults else "<the value of AWS_SECRET_ACCESS_KEY>"
    (region, url), several = endpoints[0], len(endpoints) > 1
    api_url = ",".join(f"{name}={base}" for name, base in endpoints) if several else url
    lines = [
        f"export PRODUCTS_API_URL={api_url}",
        f"export AWS_ACCESS_KEY_ID={key_pair.access_key_id}"
        f" AWS_SECRET_ACCESS_KEY={shlex.quote(secret)}",
    ]
    if key_pair.session_token:
        lines.append("export AWS_SESSION_TOKEN=<the value of AWS_SESSION_TOKEN>")
    lines += [
        "make products ARGS=\"create --name 'Desk lamp' --description 'Warm white'\"",
        'make products ARGS="list"',
        f".venv/bin/awscurl --service execute-api --region {region}"
        + (
            f' "{url}/products?pageSize=10"'
            if several
            else ' "$PRODUCTS_API_URL/products?pageSize=10"'
        ),
    ]
    return lines + (failover_lines(endpoints) if several else [])


def banner(endpoints: Endpoints, key_pair: KeyPair, storage: str, access: LocalAccess) -> str:
    """What a developer needs to call the API: URLs, credentials and signed example calls."""
    defaults = key_pair.secret_access_key == EXAMPLE_KEY_PAIR.secret_access_key
    persistence = (
        "Data lives in memory and is lost on exit; to keep it, run `make dynamodb-local` in"
        " another terminal and then `make run DYNAMODB_ENDPOINT=http://127.0.0.1:8000`."
        if storage.startswith("embedded")
        else "Data lives in that DynamoDB."
    )
    (region, url), several = endpoints[0], len(endpoints) > 1
    where = (
        [
            f"Local API in {len(endpoints)} regions, on one store (like the replicas of a"
            " global table with strong consistency):",
            *region_lines(endpoints),
            "  API Gateway (REST, Lambda proxy) with IAM auth in each region: every call must be",
            "  SigV4-signed for service execute-api in the region of the URL it goes to.",
        ]
        if several
        else [
            f"Local API listening on {url}",
            "  API Gateway (REST, Lambda proxy) with IAM auth: every call must be SigV4-signed",
            f"  for service execute-api in region {region}.",
        ]
    )
    return "\n".join(
        [
            *where,
            f"  Accepted credentials: AWS_ACCESS_KEY_ID={key_pair.access_key_id}"
            + (
                f" AWS_SECRET_ACCESS_KEY={key_pair.secret_access_key}"
                if defaults
                else " (from this environment)"
            ),
            *(
                [f"  Also accepted: {len(access.principals) - 1} principal(s) from {ENV_VARIABLE}"]
                if len(access.principals) > 1
                else []
            ),
            *(
                [f"  Calls only from: {', '.join(access.allowed_source_cidrs)}"]
                if access.allowed_source_cidrs
                else []
            ),
            f"  Storage: {storage}",
            f"  Docs: {url}/docs (OpenAPI document: {url}/openapi.json)"
            + (", and the same on each region's URL" if several else ""),
            "",
            "Try it from another shell in this folder:",
            *(f"  {line}" for line in try_it_lines(endpoints, key_pair)),
            *(_failover_help(endpoints) if several else []),
            "",
            persistence,
            "Press Ctrl-C to stop.",
        ]
    )


def _failover_help(endpoints: Endpoints) -> list[str]:
    """How the regions are stopped, stalled and started (from any running region's port)."""
    first_url = endpoints[0][1]
    return [
        "",
        f"To watch a client fail over, POST {CONTROL_PATH}/<region>/<action> on any running"
        " region's URL (from a loopback address):",
        "  stop   the region's port refuses connections and its bus stops reading",
        "  stall  requests reach its gateway but get no answer, then 504 after 29 s",
        "  start  serving again; its bus catches up with what it missed",
        f"GET {first_url}{CONTROL_PATH} lists the regions and their state.",
    ]

"""Before `make deploy`, `make diff` or `make bootstrap`: are there AWS credentials and a region?

The CDK CLI finds out only after synthesising (15 s or more), with a long message. This answers in
a second, in one line, and exits 2 when either is missing, so nothing is synthesised or written.
It reads the same sources the CLI does: `--profile` and `-c region=...` among the make target's
CDK_ARGS, the stage file's `region`, `AWS_REGION` / `AWS_DEFAULT_REGION`, the profile's region,
and botocore's standard credential chain (environment, profile, SSO, container or instance role).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

import botocore.session
from botocore.exceptions import BotoCoreError

STAGES_DIR = Path(__file__).resolve().parents[1] / "infra" / "stages"


def _context_region(context: list[str]) -> str | None:
    """The value of the last ``-c region=...`` (or ``-c regions=...``) override, if any."""
    region = None
    for item in context:
        key, _, value = item.partition("=")
        if key == "region" and value:
            region = value
        elif key == "regions" and value.strip(", "):  # a multi-region stage: its first region
            region = value.strip(", ").split(",")[0].strip()
    return region


def _stage_region(stage: str) -> str | None:
    """The stage file's ``region`` (a multi-region stage: the first of its ``regions``); a missing
    or unreadable file is the synth's to report."""
    try:
        settings = json.loads((STAGES_DIR / f"{stage}.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(settings, dict):
        return None
    region = settings.get("region")
    regions = settings.get("regions")
    if not region and isinstance(regions, list) and regions:
        region = regions[0]
    return region if isinstance(region, str) and region else None


def problems(stage: str, cdk_args: list[str]) -> list[str]:
    """What is missing for a deployment of ``stage`` with these CDK CLI arguments (empty: none)."""
    parser = argparse.ArgumentParser(add_help=False, allow_abbrev=False)
    parser.add_argument("-c", "--context", action="append", default=[])
    parser.add_argument("--profile")
    known, _ = parser.parse_known_args(cdk_args)
    try:
        session = botocore.session.Session(profile=known.profile)
        credentials = session.get_credentials()
        session_region = session.get_config_variable("region")
    except BotoCoreError as error:  # e.g. a profile that does not exist
        return [str(error)]
    found = []
    if credentials is None:
        found.append(
            "no AWS credentials (set AWS_PROFILE, run `aws sso login`, or export"
            " AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY)"
        )
    region = (
        _context_region(known.context)
        or _stage_region(stage)
        or os.environ.get("AWS_REGION")
        or session_region
    )
    if not region:
        found.append("no AWS region (set AWS_REGION, or a region in your AWS profile)")
    return found


def main(argv: list[str] | None = None) -> int:
    """Print one line and return 2 when credentials or a region are missing; else return 0."""
    parser = argparse.ArgumentParser(
        prog="tools/aws_target.py", description=__doc__, allow_abbrev=False
    )
    parser.add_argument("--stage", required=True)
    args, cdk_args = parser.parse_known_args(argv)
    missing = problems(args.stage, cdk_args)
    if missing:
        print(f"error: cannot reach AWS: {'; '.join(missing)}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())

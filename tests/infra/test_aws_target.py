"""make deploy / diff / bootstrap say in one line that AWS credentials or a region are missing,
before synthesising anything, and leave nothing behind."""

from __future__ import annotations

import os
import subprocess  # nosec B404 - runs make and the check script with fixed arguments
import sys
from pathlib import Path

import pytest

PROJECT_ROOT = Path(__file__).resolve().parents[2]
CHECK = PROJECT_ROOT / "tools" / "aws_target.py"


def _without_aws(home: Path, **extra: str) -> dict[str, str]:
    """This environment minus every AWS setting, with an empty home (no ~/.aws)."""
    kept = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("AWS_", "MAKE", "MFLAGS"))
    }
    # No instance metadata lookups: outside AWS they only add a timeout.
    return {**kept, "HOME": str(home), "AWS_EC2_METADATA_DISABLED": "true", **extra}


def _check(home: Path, *args: str, **extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # nosec B603 - a fixed command line
        [sys.executable, str(CHECK), *args],
        env=_without_aws(home, **extra),
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_without_credentials_or_region_both_are_named_in_one_line(tmp_path: Path) -> None:
    result = _check(tmp_path, "--stage", "dev", "--require-approval", "never")

    assert result.returncode == 2
    assert result.stdout == ""
    [line] = result.stderr.splitlines()
    assert line.startswith("error: cannot reach AWS: no AWS credentials")
    assert "no AWS region" in line


def test_a_region_from_a_context_override_and_keys_in_the_environment_pass(
    tmp_path: Path,
) -> None:
    keys = {"AWS_ACCESS_KEY_ID": "AKIDEXAMPLE", "AWS_SECRET_ACCESS_KEY": "secret"}
    without_region = _check(tmp_path, "--stage", "dev", **keys)
    with_region = _check(tmp_path, "--stage", "dev", "-c", "region=eu-west-1", **keys)

    assert without_region.returncode == 2
    assert without_region.stderr.strip() == (
        "error: cannot reach AWS: no AWS region (set AWS_REGION, or a region in your AWS profile)"
    )
    assert (with_region.returncode, with_region.stderr) == (0, "")


def test_an_unknown_profile_is_named(tmp_path: Path) -> None:
    result = _check(tmp_path, "--stage", "dev", "--profile", "nope")

    assert result.returncode == 2
    assert "nope" in result.stderr


@pytest.mark.parametrize("target", ["deploy", "diff", "bootstrap"])
def test_make_stops_before_synthesising_and_writes_no_outputs_folder(
    tmp_path: Path, target: str
) -> None:
    outputs = PROJECT_ROOT / "cdk-outputs"
    existed = outputs.exists()
    result = subprocess.run(  # nosec B603 B607 - the documented make target
        ["make", "--no-print-directory", target, "STAGE=dev"],
        cwd=PROJECT_ROOT,
        env=_without_aws(tmp_path),
        capture_output=True,
        text=True,
        timeout=300,
    )

    assert result.returncode != 0
    assert "error: cannot reach AWS: no AWS credentials" in result.stderr
    assert "cdk " not in result.stdout  # the CLI never started
    assert outputs.exists() == existed

"""The GitHub workflow can pass on a hosted runner as it is: no root, a supported Node.js, the
Lambda runtime's Python handed to make, and the same .ci/run."""

from __future__ import annotations

import re

# Lists the committed lock files.
import subprocess  # nosec B404
from typing import Any

# PyYAML comes with the dev tools (cfn-lint, schemathesis, moto); it ships no type hints.
import yaml  # type: ignore[import-untyped]

from tools.lambda_python import PYTHON_VERSION
from tools.releases.versions import PROJECT_ROOT

WORKFLOW = PROJECT_ROOT / ".github" / "workflows" / "ci.yml"


def steps() -> list[dict[str, Any]]:
    workflow = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))
    (job,) = workflow["jobs"].values()
    assert job["runs-on"] == "ubuntu-latest"
    found: list[dict[str, Any]] = job["steps"]
    return found


def uses(action: str) -> list[dict[str, Any]]:
    return [step for step in steps() if step.get("uses", "").startswith(f"{action}@")]


def test_it_runs_ci_run_with_the_runtime_python_and_never_as_root() -> None:
    run_steps = [step for step in steps() if "run" in step]
    assert [step["run"] for step in run_steps] == ["bash .ci/run"]
    assert not re.search(r"\bsudo\b|apt-get", WORKFLOW.read_text(encoding="utf-8"))
    (lambda_python,) = [s for s in uses("actions/setup-python") if s.get("id") == "lambda-python"]
    assert lambda_python["with"]["python-version"] == PYTHON_VERSION
    assert run_steps[0]["env"]["LAMBDA_PYTHON"] == (
        "${{ steps.lambda-python.outputs.python-path }}"
    )
    # The project's Python is the one set up last (python3 on PATH).
    assert uses("actions/setup-python")[-1]["with"]["python-version"] == "3.11"


def test_node_is_a_release_the_makefile_accepts_and_caches_follow_the_lock_files() -> None:
    makefile = (PROJECT_ROOT / "Makefile").read_text(encoding="utf-8")
    supported = re.search(r"^SUPPORTED_NODE := (.+)$", makefile, re.MULTILINE)
    assert supported
    (node,) = uses("actions/setup-node")
    assert node["with"]["node-version"] in supported.group(1).split()
    committed = subprocess.run(  # nosec B603 B607
        ["git", "ls-files", "package-lock.json", "*/package-lock.json"],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    locks = sorted(committed)
    assert len(locks) == 3
    assert sorted(node["with"]["cache-dependency-path"].split()) == locks
    (cache,) = uses("actions/cache")
    assert "hashFiles('poetry.lock')" in cache["with"]["key"]

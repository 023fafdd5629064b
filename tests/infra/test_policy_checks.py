"""cdk-nag (AwsSolutions), cfn-lint and checkov, as `make synth` and `make lint` run them."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from constructs import IConstruct

from infra.application import PROJECT_ROOT
from tests.infra.conftest import SKIP_BUNDLING, Synthesised, SynthFactory, cdk_json_context

pytestmark = pytest.mark.infra


def _violations(outdir: Path) -> list[tuple[str, str]]:
    """(rule id, construct path) for every finding in the assembly's validation report."""
    report = json.loads((outdir / "validation-report.json").read_text())
    return [
        (violation["ruleName"], construct["constructPath"])
        for plugin in report["pluginReports"]
        for violation in plugin["violations"]
        for construct in violation["violatingConstructs"]
    ]


def test_cdk_nag_leaves_no_unacknowledged_finding(
    default_stack: Synthesised, options_stack: Synthesised
) -> None:
    # Synthesis would have raised ValidationFailed; the reports confirm the plugin ran clean.
    assert _violations(default_stack.outdir) == []
    assert _violations(options_stack.outdir) == []


def test_every_acknowledgement_answers_a_real_finding_with_a_real_reason(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Synthesise without the acknowledgements: the findings must be exactly the acknowledged
    ones, so none is stale and none is hidden by an over-broad acknowledgement."""
    import infra.findings
    from infra.application import build_app

    acknowledged: list[tuple[str, str, str]] = []

    def record(construct: IConstruct, rule: str, reason: str) -> None:
        acknowledged.append((rule, construct.node.path, reason))

    monkeypatch.setattr(infra.findings, "acknowledge", record)
    monkeypatch.delenv("CDK_DEFAULT_ACCOUNT", raising=False)
    monkeypatch.delenv("CDK_DEFAULT_REGION", raising=False)
    app, _ = build_app({**cdk_json_context(), **SKIP_BUNDLING}, outdir=str(tmp_path))
    with pytest.raises(Exception, match="ValidationFailed"):
        app.synth()
    findings = _violations(tmp_path)

    def covers(ack: tuple[str, str, str], finding: tuple[str, str]) -> bool:
        rule, path, _ = ack
        return rule == finding[0] and (finding[1] == path or finding[1].startswith(path + "/"))

    assert findings, "expected the reviewed findings to reappear without acknowledgements"
    for finding in findings:
        assert any(covers(ack, finding) for ack in acknowledged), f"unacknowledged: {finding}"
    for ack in acknowledged:
        assert any(covers(ack, finding) for finding in findings), f"stale acknowledgement: {ack}"
        assert len(ack[2]) >= 80, f"reason too thin for {ack[0]} on {ack[1]}"


def test_cfn_lint_passes_on_the_synthesised_templates(
    default_stack: Synthesised, options_stack: Synthesised
) -> None:
    cfn_lint = Path(sys.executable).with_name("cfn-lint")
    templates = [str(default_stack.template_path), str(options_stack.template_path)]
    result = subprocess.run(
        [str(cfn_lint), *templates], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_cfn_lint_exception_is_limited_to_w3005_on_the_functions(
    default_stack: Synthesised,
) -> None:
    silenced: dict[str, Any] = {
        logical_id: resource["Metadata"]["cfn-lint"]
        for logical_id, resource in default_stack.template_json["Resources"].items()
        if "cfn-lint" in resource.get("Metadata", {})
    }
    functions = default_stack.resources("AWS::Lambda::Function")
    assert len(functions) == 2  # the API and the stream function
    assert set(silenced) == set(functions)
    assert all(value == {"config": {"ignore_checks": ["W3005"]}} for value in silenced.values())


# --- checkov ---------------------------------------------------------------------------------

CHECKOV = PROJECT_ROOT / ".venv-checkov" / "bin" / "checkov"


def _checkov(template: Path) -> dict[str, Any]:
    """checkov's JSON report on one template, offline (its pinned venv: make install-checkov)."""
    assert CHECKOV.is_file(), "checkov is missing: run `make install-checkov` (make test does)"
    result = subprocess.run(
        [str(CHECKOV), "-f", str(template), "--framework", "cloudformation"]
        + ["--skip-download", "--output", "json"],
        capture_output=True,
        text=True,
        check=False,
    )
    report: dict[str, Any] = json.loads(result.stdout)
    return report


def _checkov_skips(template: dict[str, Any]) -> set[tuple[str, str]]:
    """(check id, logical id) of every skip recorded in the template's metadata."""
    return {
        (skip["id"], logical_id)
        for logical_id, resource in template["Resources"].items()
        for skip in resource.get("Metadata", {}).get("checkov", {}).get("skip", [])
    }


def test_checkov_finds_no_failed_check(
    default_stack: Synthesised, options_stack: Synthesised, synth: SynthFactory
) -> None:
    for stack in (default_stack, options_stack, synth({"stage": "prod"})):
        report = _checkov(stack.template_path)
        failed = [(c["check_id"], c["resource"]) for c in report["results"]["failed_checks"]]
        assert failed == [], stack.stack.stack_name


def test_every_checkov_skip_answers_a_real_finding_with_a_reason_in_the_readme(
    default_stack: Synthesised, tmp_path: Path
) -> None:
    """Without the skips, checkov fails exactly the skipped checks on exactly those resources."""
    template = default_stack.template_json
    skips = _checkov_skips(template)
    assert skips, "expected reviewed checkov skips in the dev template"
    operations_page = (PROJECT_ROOT / "docs" / "operations.md").read_text()
    for logical_id, resource in template["Resources"].items():
        for skip in resource.get("Metadata", {}).get("checkov", {}).get("skip", []):
            assert len(skip["comment"]) >= 80, f"reason too thin for {skip['id']} on {logical_id}"
            assert (
                f"`{skip['id']}`" in operations_page
            ), f"{skip['id']} is not in the findings table of docs/operations.md"
    stripped = json.loads(json.dumps(template))
    for resource in stripped["Resources"].values():
        resource.get("Metadata", {}).pop("checkov", None)
    path = tmp_path / "unskipped.template.json"
    path.write_text(json.dumps(stripped))
    failed = {
        (c["check_id"], c["resource"].split(".", 1)[1])
        for c in _checkov(path)["results"]["failed_checks"]
    }
    assert failed == skips

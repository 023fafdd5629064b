"""A multi-region stage in the templates: the MRSC global table's stack, and in every replica
region the full API whose functions touch only that region's replica and its stream."""

from __future__ import annotations

import json
import subprocess  # nosec B404 - runs make -n with fixed arguments
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from app import contract
from infra.application import PROJECT_ROOT
from tests.infra.conftest import (
    SKIP_BUNDLING,
    StageSynthFactory,
    SynthesisedStage,
    cdk_json_context,
)

pytestmark = pytest.mark.infra

ACCOUNT = "123456789012"  # the committed example stage file's
TABLE_STACK = "products-api-global-table"
TABLE_NAME = "products-api-global"
REGIONS = ("us-east-1", "us-west-2")  # infra/stages/global.json, the first holds the table
WITNESS = "us-east-2"
THREE_REPLICAS = ("us-east-1", "us-east-2", "us-west-2")
GLOBAL_TABLE = "AWS::DynamoDB::GlobalTable"
STREAM_ARN_FIELD = "Table.LatestStreamArn"


def regional(region: str) -> str:
    return f"products-api-global-{region}"


@pytest.fixture(scope="module")
def global_stage(synth_stage: StageSynthFactory) -> SynthesisedStage:
    """The committed global stage, exactly as `make synth STAGE=global` builds it."""
    return synth_stage({"stage": "global"})


@pytest.fixture(scope="module")
def three_replicas(synth_stage: StageSynthFactory) -> SynthesisedStage:
    """Three full replicas, no witness, and a throwaway table (every -c override applied)."""
    return synth_stage(
        {
            "stage": "global",
            "regions": ",".join(THREE_REPLICAS),
            "witnessRegion": "",
            "tableRemovalPolicy": "destroy",
        }
    )


def _only(stage: SynthesisedStage, stack: str, resource_type: str) -> tuple[str, dict[str, Any]]:
    found = stage.resources(stack, resource_type)
    assert len(found) == 1, f"expected one {resource_type} in {stack}, found {sorted(found)}"
    return next(iter(found.items()))


def _statements(stage: SynthesisedStage, stack: str, role_id: str) -> list[dict[str, Any]]:
    """Every statement of the inline policies attached to ``role_id``."""
    return [
        statement
        for policy in stage.resources(stack, "AWS::IAM::Policy").values()
        if {"Ref": role_id} in policy["Properties"]["Roles"]
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
    ]


def _function(stage: SynthesisedStage, stack: str, handler: str) -> tuple[str, dict[str, Any]]:
    (found,) = [
        (logical_id, resource)
        for logical_id, resource in stage.resources(stack, "AWS::Lambda::Function").items()
        if resource["Properties"].get("Handler") == handler
    ]
    return found


def _replica_arn(region: str) -> str:
    return f"arn:aws:dynamodb:{region}:{ACCOUNT}:table/{TABLE_NAME}"


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


# --- stacks, regions and the order they deploy in ------------------------------------------------


def test_the_stage_is_the_table_stack_and_one_api_stack_per_replica_region(
    global_stage: SynthesisedStage,
) -> None:
    assert set(global_stage.templates) == {TABLE_STACK, *(regional(r) for r in REGIONS)}
    manifest = json.loads((global_stage.outdir / "manifest.json").read_text())
    artifacts = manifest["artifacts"]
    assert artifacts[TABLE_STACK]["environment"] == f"aws://{ACCOUNT}/{REGIONS[0]}"
    for region in REGIONS:
        stack = artifacts[regional(region)]
        assert stack["environment"] == f"aws://{ACCOUNT}/{region}"
        # Deployed after the table (make deploy runs `cdk deploy --all`, in dependency order).
        assert TABLE_STACK in stack["dependencies"]
    # The witness region takes part in the table only: no stack of ours runs there.
    assert not any(WITNESS in name for name in global_stage.templates)


def test_make_deploys_and_destroys_every_stack_of_the_stage() -> None:
    commands = {}
    for target in ("deploy", "destroy"):
        dry_run = subprocess.run(  # nosec B603 B607 - a fixed make command
            ["make", "--no-print-directory", "-n", target, "STAGE=global"],
            cwd=PROJECT_ROOT,
            capture_output=True,
            text=True,
            check=True,
        )
        (commands[target],) = [line for line in dry_run.stdout.splitlines() if " cdk " in line]
    assert " --all " in commands["deploy"] and " --all " in commands["destroy"]
    assert "--outputs-file cdk-outputs/global.json" in commands["deploy"]


# --- the global table --------------------------------------------------------------------------


def test_global_table_is_strongly_consistent_across_two_replicas_and_a_witness(
    global_stage: SynthesisedStage,
) -> None:
    _, table = _only(global_stage, TABLE_STACK, GLOBAL_TABLE)
    properties = table["Properties"]
    assert properties["MultiRegionConsistency"] == "STRONG"
    assert properties["GlobalTableWitnesses"] == [{"Region": WITNESS}]
    assert sorted(r["Region"] for r in properties["Replicas"]) == sorted(REGIONS)
    assert properties["TableName"] == TABLE_NAME
    assert properties["BillingMode"] == "PAY_PER_REQUEST"
    # The key schema is the contract's, as in a single-region stage.
    assert properties["KeySchema"] == [{"AttributeName": contract.PARTITION_KEY, "KeyType": "HASH"}]
    assert properties["AttributeDefinitions"] == [
        {"AttributeName": contract.PARTITION_KEY, "AttributeType": contract.PARTITION_KEY_TYPE}
    ]
    # Every replica streams every change with both images (the events pipeline needs them).
    assert properties["StreamSpecification"] == {"StreamViewType": "NEW_AND_OLD_IMAGES"}
    # Encrypted with the AWS-managed key (as dev), recoverable and protected in every region.
    assert properties["SSESpecification"] == {"SSEEnabled": True, "SSEType": "KMS"}
    for replica in properties["Replicas"]:
        assert replica["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
        assert replica["DeletionProtectionEnabled"] is True
    assert table["DeletionPolicy"] == "Retain" and table["UpdateReplacePolicy"] == "Retain"
    # What MRSC does not support is not used.
    for absent in ("TimeToLiveSpecification", "LocalSecondaryIndexes"):
        assert absent not in properties, absent
    assert global_stage.template_json(TABLE_STACK)["Outputs"]["TableName"]["Value"] == TABLE_NAME


def test_three_replicas_need_no_witness_and_a_throwaway_table_goes_with_its_stack(
    three_replicas: SynthesisedStage,
) -> None:
    assert set(three_replicas.templates) == {TABLE_STACK, *(regional(r) for r in THREE_REPLICAS)}
    _, table = _only(three_replicas, TABLE_STACK, GLOBAL_TABLE)
    properties = table["Properties"]
    assert properties["MultiRegionConsistency"] == "STRONG"
    assert "GlobalTableWitnesses" not in properties
    assert sorted(r["Region"] for r in properties["Replicas"]) == sorted(THREE_REPLICAS)
    assert table["DeletionPolicy"] == "Delete"
    assert all(r["DeletionProtectionEnabled"] is False for r in properties["Replicas"])


def test_the_api_never_uses_what_strong_consistency_across_regions_refuses() -> None:
    """MRSC tables take no transactions (and no TTL or local indexes: see the table test)."""
    assert not [action for action in contract.DYNAMODB_ACTIONS if "Transact" in action]


# --- each region: its own replica, its own stream ----------------------------------------------


@pytest.mark.parametrize("region", REGIONS)
def test_each_regional_stream_function_reads_its_own_regions_replica_stream(
    global_stage: SynthesisedStage, region: str
) -> None:
    stack = regional(region)
    lookup_id, lookup = _only(global_stage, stack, "Custom::AWS")
    for phase in ("Create", "Update"):
        call = json.loads(lookup["Properties"][phase])
        assert (call["service"], call["action"]) == ("DynamoDB", "describeTable")
        assert call["parameters"] == {"TableName": TABLE_NAME}
        # No "region": the call goes to the lookup function's own region, this stack's.
        assert "region" not in call and call["outputPaths"] == [STREAM_ARN_FIELD]
    stream_arn = {"Fn::GetAtt": [lookup_id, STREAM_ARN_FIELD]}
    _, mapping = _only(global_stage, stack, "AWS::Lambda::EventSourceMapping")
    stream_function_id, _ = _function(global_stage, stack, contract.STREAM_HANDLER)
    assert mapping["Properties"]["EventSourceArn"] == stream_arn
    assert mapping["Properties"]["FunctionName"] == {"Ref": stream_function_id}
    role_id = global_stage.resources(stack, "AWS::Lambda::Function")[stream_function_id][
        "Properties"
    ]["Role"]["Fn::GetAtt"][0]
    (read,) = [
        s
        for s in _statements(global_stage, stack, role_id)
        if "dynamodb:GetRecords" in _as_list(s["Action"])
    ]
    assert read["Resource"] == stream_arn  # exactly that stream, no wildcard


@pytest.mark.parametrize("region", REGIONS)
def test_the_stream_lookup_may_describe_this_regions_replica_only(
    global_stage: SynthesisedStage, region: str
) -> None:
    stack = regional(region)
    (lookup_function_id,) = [
        logical_id
        for logical_id, resource in global_stage.resources(stack, "AWS::Lambda::Function").items()
        if resource["Properties"].get("Handler") not in (contract.HANDLER, contract.STREAM_HANDLER)
    ]
    function = global_stage.resources(stack, "AWS::Lambda::Function")[lookup_function_id]
    role_id = function["Properties"]["Role"]["Fn::GetAtt"][0]
    role = global_stage.template_json(stack)["Resources"][role_id]["Properties"]
    assert "ManagedPolicyArns" not in role  # not AWSLambdaBasicExecutionRole
    actions = {
        (action, json.dumps(s["Resource"]))
        for s in _statements(global_stage, stack, role_id)
        for action in _as_list(s["Action"])
    }
    dynamodb = {(a, r) for a, r in actions if a.startswith("dynamodb:")}
    assert dynamodb == {("dynamodb:DescribeTable", json.dumps(_replica_arn(region)))}
    assert {a for a, _ in actions} == {
        "dynamodb:DescribeTable",
        "logs:CreateLogStream",
        "logs:PutLogEvents",
    }


@pytest.mark.parametrize("region", REGIONS)
def test_the_api_function_may_use_only_its_regions_replica(
    global_stage: SynthesisedStage, region: str
) -> None:
    stack = regional(region)
    function_id, function = _function(global_stage, stack, contract.HANDLER)
    assert function["Properties"]["Environment"]["Variables"][contract.ENV_TABLE_NAME] == (
        TABLE_NAME
    )
    role_id = function["Properties"]["Role"]["Fn::GetAtt"][0]
    (table_access,) = [
        s
        for s in _statements(global_stage, stack, role_id)
        if any(a.startswith("dynamodb:") for a in _as_list(s["Action"]))
    ]
    assert sorted(_as_list(table_access["Action"])) == sorted(contract.DYNAMODB_ACTIONS)
    assert _as_list(table_access["Resource"]) == [_replica_arn(region)]
    # No statement of the stack names another region's resources.
    policies = json.dumps(global_stage.resources(stack, "AWS::IAM::Policy"))
    others = [r for r in (*THREE_REPLICAS, "eu-west-1") if r != region and f":{r}:" in policies]
    assert others == []


@pytest.mark.parametrize("region", REGIONS)
def test_every_region_runs_the_full_api_with_its_own_dashboard_and_outputs(
    global_stage: SynthesisedStage, region: str
) -> None:
    stack = regional(region)
    template = global_stage.template_json(stack)
    types = {resource["Type"] for resource in template["Resources"].values()}
    assert {
        "AWS::ApiGateway::RestApi",
        "AWS::Lambda::LayerVersion",
        "AWS::Lambda::Alias",
        "AWS::CodeDeploy::DeploymentGroup",
        "AWS::Events::EventBus",
        "AWS::EventSchemas::Registry",
        "AWS::SQS::Queue",
        "AWS::SNS::Topic",
        "AWS::CloudWatch::Dashboard",
        "AWS::IAM::ManagedPolicy",
    } <= types
    assert not types & {"AWS::DynamoDB::Table", GLOBAL_TABLE}  # the table is the table stack's
    methods = {
        m["Properties"]["HttpMethod"]
        for m in global_stage.resources(stack, "AWS::ApiGateway::Method").values()
    }
    assert methods == {"GET", "POST", "PUT", "DELETE", "OPTIONS"}
    alarms = {
        a["Properties"]["AlarmName"]
        for a in global_stage.resources(stack, "AWS::CloudWatch::Alarm").values()
    }
    assert {"products-api-global-api-5xx", "products-api-global-events-iterator-age"} <= alarms
    # Dashboard names are account-wide: one per region.
    _, dashboard = _only(global_stage, stack, "AWS::CloudWatch::Dashboard")
    assert dashboard["Properties"]["DashboardName"] == stack
    outputs = template["Outputs"]
    assert outputs["Region"]["Value"] == region
    assert outputs["TableName"]["Value"] == TABLE_NAME
    assert outputs["DashboardName"]["Value"] == stack
    assert f".execute-api.{region}." in json.dumps(outputs["ApiUrl"]["Value"])
    for policy in contract.ACCESS_POLICIES:
        assert f"{policy}PolicyArn" in outputs, policy


def test_regional_stacks_hold_the_same_resources(global_stage: SynthesisedStage) -> None:
    """The same API in every region: as many resources of each type in each regional stack."""

    def shape(region: str) -> Counter[str]:
        resources = global_stage.template_json(regional(region))["Resources"].values()
        return Counter(resource["Type"] for resource in resources)

    first, *others = REGIONS
    for other in others:
        assert shape(other) == shape(first)


# --- the checks `make synth` and `make checkov` run, on every stack ---------------------------


def test_cdk_nag_checks_every_stack_and_each_acknowledgement_answers_a_finding(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without the acknowledgements cdk-nag fails exactly the acknowledged findings, in the
    regional stacks as in a single-region one (the global stage's synth passes with them)."""
    import infra.findings
    from infra.application import build_app

    acknowledged: set[tuple[str, str]] = set()
    monkeypatch.setattr(
        infra.findings,
        "acknowledge",
        lambda construct, rule, reason: acknowledged.add((rule, construct.node.path)),
    )
    monkeypatch.delenv("CDK_DEFAULT_ACCOUNT", raising=False)
    monkeypatch.delenv("CDK_DEFAULT_REGION", raising=False)
    context = {**cdk_json_context(), **SKIP_BUNDLING, "stage": "global"}
    app, _ = build_app(context, outdir=str(tmp_path))
    with pytest.raises(Exception, match="ValidationFailed"):
        app.synth()
    report = json.loads((tmp_path / "validation-report.json").read_text())
    findings = {
        (violation["ruleName"], construct["constructPath"])
        for plugin in report["pluginReports"]
        for violation in plugin["violations"]
        for construct in violation["violatingConstructs"]
        if not violation["ruleName"].startswith("Annotation::")
    }

    def covered(finding: tuple[str, str], ack: tuple[str, str]) -> bool:
        return finding[0] == ack[0] and (finding[1] + "/").startswith(ack[1] + "/")

    assert {path.split("/")[0] for _, path in findings} == {regional(r) for r in REGIONS}
    assert [f for f in findings if not any(covered(f, a) for a in acknowledged)] == []
    assert [a for a in acknowledged if not any(covered(f, a) for f in findings)] == []


def test_cfn_lint_passes_on_every_stack(
    global_stage: SynthesisedStage, three_replicas: SynthesisedStage
) -> None:
    cfn_lint = Path(sys.executable).with_name("cfn-lint")
    templates = [
        str(stage.template_path(name))
        for stage in (global_stage, three_replicas)
        for name in stage.templates
    ]
    result = subprocess.run(  # nosec B603 - the venv's cfn-lint on our templates
        [str(cfn_lint), *templates], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr


CHECKOV = PROJECT_ROOT / ".venv-checkov" / "bin" / "checkov"


def _checkov_failures(template: Path) -> set[tuple[str, str]]:
    assert CHECKOV.is_file(), "checkov is missing: run `make install-checkov` (make test does)"
    result = subprocess.run(  # nosec B603 - the pinned checkov on one template, offline
        [str(CHECKOV), "-f", str(template), "--framework", "cloudformation"]
        + ["--skip-download", "--output", "json"],
        capture_output=True,
        text=True,
        check=False,
    )
    report = json.loads(result.stdout)
    return {
        (c["check_id"], c["resource"].split(".", 1)[1]) for c in report["results"]["failed_checks"]
    }


def test_checkov_passes_every_stack_and_each_skip_answers_a_real_finding(
    global_stage: SynthesisedStage, tmp_path: Path
) -> None:
    operations_page = (PROJECT_ROOT / "docs" / "operations.md").read_text()
    for name in global_stage.templates:
        assert _checkov_failures(global_stage.template_path(name)) == set(), name
        template = global_stage.template_json(name)
        skips = {
            (skip["id"], logical_id)
            for logical_id, resource in template["Resources"].items()
            for skip in resource.get("Metadata", {}).get("checkov", {}).get("skip", [])
        }
        for check_id, _ in skips:
            assert f"`{check_id}`" in operations_page, check_id
        for resource in template["Resources"].values():
            resource.get("Metadata", {}).pop("checkov", None)
        unskipped = tmp_path / f"{name}.template.json"
        unskipped.write_text(json.dumps(template))
        assert _checkov_failures(unskipped) == skips, name

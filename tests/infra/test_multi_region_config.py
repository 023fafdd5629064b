"""A multi-region stage's settings: what multi-Region strong consistency accepts, refused in one
line each before anything is synthesised."""

from __future__ import annotations

import json
import os
import subprocess  # nosec B404 - runs the CDK app and the AWS target check with fixed arguments
import sys
from pathlib import Path
from typing import Any

import pytest

from infra.config import STAGES_DIR, ConfigError, StackConfig, context_keys, load_stage_file
from infra.mrsc import REGION_SETS

pytestmark = pytest.mark.infra

PROJECT_ROOT = STAGES_DIR.parent.parent
ACCOUNT = {"account": "123456789012"}
THREE = {**ACCOUNT, "regions": "us-east-1,us-east-2,us-west-2"}
TWO_AND_WITNESS = {**ACCOUNT, "regions": "us-east-1,us-west-2", "witnessRegion": "us-east-2"}


def _refusal(values: dict[str, Any]) -> str:
    with pytest.raises(ConfigError) as refused:
        StackConfig.from_mapping(values)
    message = str(refused.value)
    assert "\n" not in message
    return message.removeprefix("invalid configuration: ")


def test_the_committed_global_stage_is_two_replicas_and_a_witness_of_one_region_set() -> None:
    config = StackConfig.from_mapping(load_stage_file("global"))
    assert config.regions == ["us-east-1", "us-west-2"]
    assert config.witness_region == "us-east-2"
    assert config.account == "123456789012" and config.region is None
    assert config.table_stack_name == "products-api-global-table"
    assert config.regional_stack_name("us-west-2") == "products-api-global-us-west-2"
    assert {"regions", "witnessRegion"} <= set(context_keys())


def test_regions_come_as_a_list_or_a_comma_separated_option() -> None:
    assert StackConfig.from_mapping(THREE).regions == ["us-east-1", "us-east-2", "us-west-2"]
    spaced = {**ACCOUNT, "regions": " eu-west-1, eu-west-2 ,eu-central-1 "}
    assert StackConfig.from_mapping(spaced).regions == ["eu-west-1", "eu-west-2", "eu-central-1"]
    listed = {
        **ACCOUNT,
        "regions": ["ap-northeast-1", "ap-northeast-3"],
        "witnessRegion": "ap-northeast-2",
    }
    assert StackConfig.from_mapping(listed).witness_region == "ap-northeast-2"
    # Empty switches the option off: a single-region stage.
    assert StackConfig.from_mapping({"regions": "", "witnessRegion": ""}).regions is None


@pytest.mark.parametrize(
    ("values", "message"),
    [
        (
            {**ACCOUNT, "regions": "us-east-1,us-west-2"},
            "regions needs exactly 3 regions, not 2, or 2 with witnessRegion "
            "(MRSC spans three regions)",
        ),
        (
            {**ACCOUNT, "regions": "us-east-1"},
            "regions needs exactly 3 regions, not 1, or 2 with witnessRegion "
            "(MRSC spans three regions)",
        ),
        (
            {**THREE, "regions": "us-east-1,us-east-2,us-west-2,eu-west-1"},
            "regions needs exactly 3 regions, not 4, or 2 with witnessRegion "
            "(MRSC spans three regions)",
        ),
        (
            {**THREE, "witnessRegion": "eu-west-1"},
            "witnessRegion needs exactly 2 replica regions in regions, not 3 "
            "(MRSC takes 3 replicas, or 2 replicas and a witness)",
        ),
        (
            {**ACCOUNT, "regions": "us-east-1", "witnessRegion": "us-east-2"},
            "witnessRegion needs exactly 2 replica regions in regions, not 1 "
            "(MRSC takes 3 replicas, or 2 replicas and a witness)",
        ),
        (
            {"witnessRegion": "us-east-2"},
            "witnessRegion needs regions (the replica regions of a multi-region stage)",
        ),
        (
            {**ACCOUNT, "regions": "us-east-1,us-west-2", "witnessRegion": "us-west-2"},
            "witnessRegion us-west-2 is also in regions: the witness is a third region",
        ),
        (
            {**ACCOUNT, "regions": "us-east-1,us-east-1,us-west-2"},
            "regions lists us-east-1 more than once",
        ),
        (
            {**ACCOUNT, "regions": "us-east-1,eu-west-1,us-west-2"},
            "us-east-1, eu-west-1, us-west-2 are not in one MRSC region set (a table never "
            "spans two: US: us-east-1, us-east-2, us-west-2; EU: eu-west-1, eu-west-2, "
            "eu-west-3, eu-central-1; AP: ap-northeast-1, ap-northeast-2, ap-northeast-3)",
        ),
        (
            {**ACCOUNT, "regions": "us-east-1,us-west-2", "witnessRegion": "eu-west-1"},
            "us-east-1, us-west-2, eu-west-1 are not in one MRSC region set (a table never "
            "spans two: US: us-east-1, us-east-2, us-west-2; EU: eu-west-1, eu-west-2, "
            "eu-west-3, eu-central-1; AP: ap-northeast-1, ap-northeast-2, ap-northeast-3)",
        ),
        (
            {**ACCOUNT, "regions": "us-east-1,us-west-1,us-west-2"},
            "us-west-1 cannot take part in an MRSC global table (its region sets: US: "
            "us-east-1, us-east-2, us-west-2; EU: eu-west-1, eu-west-2, eu-west-3, "
            "eu-central-1; AP: ap-northeast-1, ap-northeast-2, ap-northeast-3)",
        ),
        (
            {"regions": "us-east-1,us-east-2,us-west-2"},
            "regions needs account (12 digits): the table and every regional stack are bound "
            "to one explicit account",
        ),
        (
            {**THREE, "region": "us-east-1"},
            "region=us-east-1 cannot be combined with regions: a multi-region stage deploys "
            "to every region in regions (the table's stack to the first, us-east-1)",
        ),
        (
            {**TWO_AND_WITNESS, "tableCustomerManagedKey": "true"},
            "tableCustomerManagedKey=true cannot be combined with regions: a global table needs "
            "its own customer-managed key in every replica region; multi-region stages encrypt "
            "the table with the AWS-managed key",
        ),
        (
            {**THREE, "webAclArn": "arn:aws:wafv2:us-east-1:123456789012:regional/webacl/a/b"},
            "webAclArn cannot be combined with regions: a regional web ACL protects APIs of its "
            "own region only",
        ),
    ],
)
def test_what_strong_consistency_across_regions_cannot_do_is_refused_in_one_line(
    values: dict[str, Any], message: str
) -> None:
    assert _refusal(values) == message


def test_a_malformed_region_names_its_place_in_the_list() -> None:
    assert _refusal({**ACCOUNT, "regions": "us-east-1,moon,us-west-2"}).startswith(
        "regions.1='moon': String should match pattern"
    )


def test_every_region_set_and_its_shapes_synthesise_as_settings() -> None:
    """Each set of three regions: three replicas, or any two plus the third as witness."""
    for regions in REGION_SETS.values():
        first, second, third = regions[:3]
        assert StackConfig.from_mapping({**ACCOUNT, "regions": [first, second, third]})
        witnessed = {**ACCOUNT, "regions": [third, first], "witnessRegion": second}
        assert StackConfig.from_mapping(witnessed).regions == [third, first]


def test_settings_that_work_per_region_are_accepted_with_regions() -> None:
    config = StackConfig.from_mapping(
        {
            **TWO_AND_WITNESS,
            "logEncryption": "true",
            "snapStart": "true",
            "deploymentStrategy": "canary-10-percent-5-minutes",
            "alarmEmail": "ops@example.com",
            "allowedSourceCidrs": "203.0.113.0/24",
            "tableRemovalPolicy": "destroy",
        }
    )
    assert config.log_encryption and config.snap_start and not config.deletion_protection


def test_a_multi_region_mistake_is_one_line_and_a_non_zero_exit_not_a_traceback() -> None:
    app_file = PROJECT_ROOT / "simple-crud-app.py"
    context = {"stage": "global", "witnessRegion": "us-west-2"}
    result = subprocess.run(  # nosec B603 - a fixed command line
        [sys.executable, str(app_file)],
        cwd=PROJECT_ROOT,
        env={**os.environ, "CDK_CONTEXT_JSON": json.dumps(context)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    ours = [line for line in result.stderr.splitlines() if not line.startswith("b'!!")]
    assert result.returncode != 0
    assert ours == [
        "error: invalid configuration: witnessRegion us-west-2 is also in regions: "
        "the witness is a third region"
    ]


@pytest.mark.parametrize(
    "arguments",
    [["--stage", "global"], ["--stage", "dev", "-c", "regions=eu-west-1,eu-west-2,eu-west-3"]],
)
def test_deploy_finds_a_multi_region_stages_region_without_one_in_the_environment(
    tmp_path: Path, arguments: list[str]
) -> None:
    kept = {
        name: value for name, value in os.environ.items() if not name.startswith(("AWS_", "MAKE"))
    }
    keys = {"AWS_ACCESS_KEY_ID": "AKIDEXAMPLE", "AWS_SECRET_ACCESS_KEY": "secret"}
    result = subprocess.run(  # nosec B603 - a fixed command line
        [sys.executable, str(PROJECT_ROOT / "tools" / "aws_target.py"), *arguments],
        env={**kept, "HOME": str(tmp_path), "AWS_EC2_METADATA_DISABLED": "true", **keys},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert (result.returncode, result.stderr) == (0, "")

"""Per-stage configuration: committed stage files, -c overrides, clear errors for anything else."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest

from infra.config import (
    DEPLOYMENT_STRATEGIES,
    RETENTION,
    STAGES_DIR,
    ConfigError,
    StackConfig,
    context_keys,
    load_stage_file,
)

pytestmark = pytest.mark.infra


def _from_context(context: dict[str, Any], stages_dir: Path = STAGES_DIR) -> StackConfig:
    return StackConfig.from_context(cdk.App(context=context).node, stages_dir)


def test_defaults_keep_data_and_protect_the_table() -> None:
    config = StackConfig.from_mapping({})
    assert config.stack_name == "products-api-dev"
    assert config.retain_table and config.deletion_protection
    assert config.cors_allow_origin == "*"
    assert config.log_level == "INFO"
    assert (config.account, config.region) == (None, None)


def test_every_committed_stage_file_is_valid_and_names_its_stage() -> None:
    files = sorted(STAGES_DIR.glob("*.json"))
    assert {f.stem for f in files} >= {"dev", "staging", "prod"}
    for path in files:
        config = StackConfig.from_mapping(load_stage_file(path.stem))
        assert config.stage == path.stem


def test_production_stages_encrypt_with_customer_keys_and_shift_traffic_gradually() -> None:
    dev = _from_context({})
    assert dev.stage == "dev" and dev.deployment_strategy == "all-at-once"
    assert not dev.table_customer_managed_key and not dev.log_encryption
    for stage in ("staging", "prod"):
        config = _from_context({"stage": stage})
        assert config.table_customer_managed_key and config.log_encryption, stage
        assert config.deployment_strategy.startswith(("canary-", "linear-")), stage


def test_context_flags_override_the_stage_file(tmp_path: Path) -> None:
    (tmp_path / "demo.json").write_text(
        json.dumps({"stage": "demo", "memorySize": 512, "alarmEmail": "team@example.com"})
    )
    config = _from_context({"stage": "demo", "memorySize": "1024"}, tmp_path)
    assert config.memory_size == 1024  # the flag wins
    assert config.alarm_email == "team@example.com"  # the file's value persists


def test_a_stage_without_a_committed_file_is_rejected() -> None:
    with pytest.raises(ConfigError, match="no configuration for stage 'nope'.*infra/stages"):
        _from_context({"stage": "nope"})


def test_a_stage_file_naming_another_stage_is_rejected(tmp_path: Path) -> None:
    (tmp_path / "demo.json").write_text(json.dumps({"stage": "prod"}))
    with pytest.raises(ConfigError, match="names stage 'prod'"):
        load_stage_file("demo", tmp_path)


def test_throwaway_stage_drops_deletion_protection_with_the_removal_policy() -> None:
    config = StackConfig.from_mapping({"stage": "pr-42", "tableRemovalPolicy": "destroy"})
    assert config.stack_name == "products-api-pr-42"
    assert not config.retain_table
    assert not config.deletion_protection


def test_retained_table_may_drop_deletion_protection_alone() -> None:
    config = StackConfig.from_mapping({"tableDeletionProtection": "false"})
    assert config.retain_table and not config.deletion_protection


def test_command_line_strings_are_converted() -> None:
    config = StackConfig.from_mapping(
        {
            "logLevel": "debug",
            "logRetentionDays": "365",
            "memorySize": "1024",
            "reservedConcurrency": "40",
            "apiGatewayCloudWatchRole": "no",
            "alarmEmail": " ",
            "tableCustomerManagedKey": "true",
        }
    )
    assert config.log_level == "DEBUG"
    assert config.log_retention_days == 365
    assert config.retention == RETENTION[365]
    assert config.memory_size == 1024
    assert config.reserved_concurrency == 40
    assert config.api_gateway_cloud_watch_role is False
    assert config.alarm_email is None
    assert config.table_customer_managed_key is True


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"stage": "Prod"}, "stage"),
        ({"stage": "a" * 21}, "stage"),
        ({"tableRemovalPolicy": "snapshot"}, "tableRemovalPolicy"),
        ({"tableRemovalPolicy": "destroy", "tableDeletionProtection": True}, "DeletionProtection"),
        ({"tableDeletionProtection": "maybe"}, "tableDeletionProtection"),
        ({"logRetentionDays": "45"}, "logRetentionDays"),
        ({"logLevel": "TRACE"}, "logLevel"),
        ({"corsAllowOrigin": "https://a.example.com,https://b.example.com"}, "corsAllowOrigin"),
        ({"corsAllowOrigin": "https://app.example.com/path"}, "corsAllowOrigin"),
        ({"throttlingRateLimit": "0"}, "throttlingRateLimit"),
        ({"memorySize": "64"}, "memorySize"),
        ({"memorySize": "20000"}, "memorySize"),
        ({"memorySize": "lots"}, "memorySize"),
        ({"reservedConcurrency": "0"}, "reservedConcurrency"),
        ({"reservedConcurrency": "5", "provisionedConcurrency": "6"}, "provisionedConcurrency"),
        ({"deploymentStrategy": "yolo"}, "deploymentStrategy"),
        ({"alarmEmail": "not-an-address"}, "alarmEmail"),
        ({"account": "12345"}, "account"),
        ({"region": "moon"}, "region"),
        ({"tableName": "x"}, "tableName"),
    ],
)
def test_invalid_values_are_rejected_with_the_key_named(
    values: dict[str, Any], message: str
) -> None:
    with pytest.raises(ConfigError, match=message):
        StackConfig.from_mapping(values)


def test_deployment_strategies_include_all_at_once_canary_and_linear() -> None:
    assert "all-at-once" in DEPLOYMENT_STRATEGIES
    assert "canary-10-percent-5-minutes" in DEPLOYMENT_STRATEGIES
    assert "linear-10-percent-every-1-minute" in DEPLOYMENT_STRATEGIES


def test_every_option_is_documented_in_the_operations_page() -> None:
    operations_page = (STAGES_DIR.parent.parent / "docs" / "operations.md").read_text()
    for key in context_keys():
        assert f"`{key}`" in operations_page, key


def test_allowed_source_cidrs_accept_a_list_or_a_comma_separated_option() -> None:
    assert StackConfig.from_mapping({}).allowed_source_cidrs is None
    assert StackConfig.from_mapping(load_stage_file("dev")).allowed_source_cidrs is None
    option = StackConfig.from_mapping({"allowedSourceCidrs": "203.0.113.0/24, 2001:DB8::/32"})
    assert option.allowed_source_cidrs == ["203.0.113.0/24", "2001:db8::/32"]
    assert StackConfig.from_mapping({"allowedSourceCidrs": ""}).allowed_source_cidrs is None
    assert "allowedSourceCidrs" in context_keys()


def test_a_bad_cidr_is_refused_naming_the_option() -> None:
    with pytest.raises(ConfigError, match="allowed_source_cidrs|allowedSourceCidrs"):
        StackConfig.from_mapping({"allowedSourceCidrs": ["10.0.0.1/8"]})


def test_snap_start_is_on_for_prod_and_off_for_dev() -> None:
    assert StackConfig.from_mapping(load_stage_file("prod")).snap_start is True
    assert StackConfig.from_mapping(load_stage_file("dev")).snap_start is False
    assert "snapStart" in context_keys()


def test_snap_start_with_provisioned_concurrency_is_refused() -> None:
    with pytest.raises(ConfigError, match="snapStart=true needs provisionedConcurrency=0"):
        StackConfig.from_mapping({"snapStart": "true", "provisionedConcurrency": "1"})


def test_mistyped_context_option_fails_instead_of_deploying_the_default() -> None:
    with pytest.raises(ConfigError, match="tableRemovalPolicyy"):
        _from_context({"tableRemovalPolicyy": "destroy", "@aws-cdk/core:flag": True})


def test_context_is_read_from_the_app() -> None:
    config = _from_context({"stage": "prod", "alarmEmail": "ops@example.com"})
    assert (config.stage, config.alarm_email) == ("prod", "ops@example.com")


def test_make_passes_the_stage_and_writes_outputs_where_the_cli_reads_them() -> None:
    """`make deploy STAGE=x` synthesises stage x and writes cdk-outputs/x.json (the products
    CLI's --stage reads ApiUrl from there); diff, bootstrap and destroy pass the same stage."""
    root = STAGES_DIR.parent.parent
    commands = {}
    for target in ("deploy", "diff", "bootstrap", "destroy", "synth"):
        dry_run = subprocess.run(
            ["make", "--no-print-directory", "-n", target, "STAGE=prod"],
            cwd=root,
            capture_output=True,
            text=True,
            check=True,
        )
        (commands[target],) = [line for line in dry_run.stdout.splitlines() if " cdk " in line]
    assert "--outputs-file cdk-outputs/prod.json" in commands["deploy"]
    for target, command in commands.items():
        assert "-c stage=prod" in command, target


def test_a_misspelt_stage_is_one_line_and_a_non_zero_exit_not_a_traceback() -> None:
    app_file = STAGES_DIR.parent.parent / "simple-crud-app.py"
    environment = {**os.environ, "CDK_CONTEXT_JSON": json.dumps({"stage": "Prod"})}
    result = subprocess.run(  # nosec B603 - a fixed command line
        [sys.executable, str(app_file)],
        cwd=app_file.parent,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )

    # jsii may add its own Node.js end-of-life banner (make silences it): look past that.
    ours = [line for line in result.stderr.splitlines() if not line.startswith("b'!!")]
    assert result.returncode != 0
    assert ours == [
        "error: stage='Prod': 1-20 lower-case letters, digits or '-', starting with a letter"
    ]

"""Context options: defaults that suit production, clear errors for anything else."""

from __future__ import annotations

from dataclasses import fields
from typing import Any

import pytest

from infra.config import CONTEXT_KEYS, RETENTION_DAYS, ConfigError, StackConfig

pytestmark = pytest.mark.infra


def test_defaults_keep_data_and_protect_the_table() -> None:
    config = StackConfig.from_mapping({})
    assert config == StackConfig()
    assert config.stack_name == "products-api-dev"
    assert config.retain_table and config.table_deletion_protection
    assert config.cors_allow_origin == "*"
    assert config.log_level == "INFO"


def test_throwaway_stage_drops_deletion_protection_with_the_removal_policy() -> None:
    config = StackConfig.from_mapping({"stage": "pr-42", "tableRemovalPolicy": "destroy"})
    assert config.stack_name == "products-api-pr-42"
    assert not config.retain_table
    assert not config.table_deletion_protection


def test_retained_table_may_drop_deletion_protection_alone() -> None:
    config = StackConfig.from_mapping({"tableDeletionProtection": "false"})
    assert config.retain_table and not config.table_deletion_protection


def test_command_line_strings_are_converted() -> None:
    config = StackConfig.from_mapping(
        {
            "logLevel": "debug",
            "logRetentionDays": "365",
            "memorySize": "1024",
            "apiGatewayCloudWatchRole": "no",
            "alarmEmail": " ",
        }
    )
    assert config.log_level == "DEBUG"
    assert config.log_retention_days == 365
    assert config.memory_size == 1024
    assert config.api_gateway_cloud_watch_role is False
    assert config.alarm_email is None


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
        ({"tableName": "x"}, "unknown context key"),
    ],
)
def test_invalid_values_are_rejected_with_the_key_named(
    values: dict[str, Any], message: str
) -> None:
    with pytest.raises(ConfigError, match=message):
        StackConfig.from_mapping(values)


def test_every_field_has_a_context_key() -> None:
    assert set(CONTEXT_KEYS.values()) == {field.name for field in fields(StackConfig)}


def test_every_accepted_retention_maps_to_a_cdk_value() -> None:
    from infra.stack import _RETENTION

    assert set(RETENTION_DAYS) == set(_RETENTION)


def test_mistyped_context_option_fails_instead_of_deploying_the_default() -> None:
    import aws_cdk as cdk

    app = cdk.App(context={"tableRemovalPolicyy": "destroy", "@aws-cdk/core:flag": True})
    with pytest.raises(ConfigError, match="tableRemovalPolicyy"):
        StackConfig.from_context(app.node)


def test_context_is_read_from_the_app() -> None:
    import aws_cdk as cdk

    app = cdk.App(context={"stage": "prod", "alarmEmail": "ops@example.com"})
    config = StackConfig.from_context(app.node)
    assert (config.stage, config.alarm_email) == ("prod", "ops@example.com")

"""Stack configuration, read from CDK context (``cdk.json`` or ``-c key=value``) and validated."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from constructs import Node

_STAGE_PATTERN = re.compile(r"^[a-z][a-z0-9-]{0,19}$")
_OPTION_LIKE = re.compile(r"^[a-z][A-Za-z0-9]*$")
_LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
# The retention periods CloudWatch Logs accepts (days); "never expire" is not offered on purpose.
RETENTION_DAYS: tuple[int, ...] = (
    *(1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731),
    *(1096, 1827, 2192, 2557, 2922, 3288, 3653),
)
_TRUE = ("true", "yes", "1", "on")
_FALSE = ("false", "no", "0", "off")


class ConfigError(ValueError):
    """A context value is invalid; the message names the key and what it accepts."""


@dataclass(frozen=True)
class StackConfig:
    """Everything an operator may choose per deployment; defaults suit a production stage."""

    stage: str = "dev"
    table_removal_policy: str = "retain"
    table_deletion_protection: bool = True
    log_level: str = "INFO"
    log_retention_days: int = 30
    cors_allow_origin: str = "*"
    throttling_rate_limit: int = 100
    throttling_burst_limit: int = 200
    # Cold start is import-bound, single-threaded CPU work (boto3, pydantic, Powertools: ~1 s of
    # CPU). Lambda allots CPU in proportion to memory and reaches one full vCPU at 1769 MB: the
    # fastest a single-threaded interpreter gets; more memory only adds vCPUs it cannot use.
    memory_size: int = 1769
    latency_p99_threshold_ms: int = 2000
    alarm_email: str | None = None
    web_acl_arn: str | None = None
    api_gateway_cloud_watch_role: bool = True

    @property
    def stack_name(self) -> str:
        return f"products-api-{self.stage}"

    @property
    def retain_table(self) -> bool:
        return self.table_removal_policy == "retain"

    @classmethod
    def from_context(cls, node: Node) -> StackConfig:
        """Read every key from the construct tree's context; invalid values raise ConfigError."""
        # A mistyped option (-c tableRemovalPolicyy=destroy) must fail, not silently deploy the
        # default. CDK's own keys contain ':' or '-' and are left alone.
        typos = [
            key
            for key in node.get_all_context()
            if _OPTION_LIKE.match(key) and key not in CONTEXT_KEYS
        ]
        if typos:
            raise ConfigError(f"unknown context key(s): {', '.join(sorted(typos))}")
        raw = {key: node.try_get_context(key) for key in CONTEXT_KEYS}
        return cls.from_mapping({key: value for key, value in raw.items() if value is not None})

    @classmethod
    def from_mapping(cls, values: dict[str, Any]) -> StackConfig:
        """Build from context-style keys (``tableRemovalPolicy``...) with string or typed values."""
        unknown = set(values) - set(CONTEXT_KEYS)
        if unknown:
            raise ConfigError(f"unknown context key(s): {', '.join(sorted(unknown))}")
        defaults = cls()
        removal = _choice(values, "tableRemovalPolicy", ("retain", "destroy"), "retain")
        protection = _boolean(values, "tableDeletionProtection", removal == "retain")
        if removal == "destroy" and protection:
            raise ConfigError(
                "tableRemovalPolicy=destroy needs tableDeletionProtection=false "
                "(CloudFormation cannot delete a protected table)"
            )
        stage = str(values.get("stage", defaults.stage))
        if not _STAGE_PATTERN.match(stage):
            raise ConfigError(
                f"stage={stage!r}: 1-20 lower-case letters, digits or '-', starting with a letter"
            )
        retention = _integer(values, "logRetentionDays", defaults.log_retention_days)
        if retention not in RETENTION_DAYS:
            raise ConfigError(f"logRetentionDays={retention}: one of {RETENTION_DAYS}")
        origin = str(values.get("corsAllowOrigin", defaults.cors_allow_origin))
        if origin != "*" and not re.match(r"^https?://[^/\s,*]+$", origin):
            raise ConfigError(
                f"corsAllowOrigin={origin!r}: '*' or one origin such as https://app.example.com"
            )
        config = cls(
            stage=stage,
            table_removal_policy=removal,
            table_deletion_protection=protection,
            log_level=_choice(values, "logLevel", _LOG_LEVELS, defaults.log_level),
            log_retention_days=retention,
            cors_allow_origin=origin,
            throttling_rate_limit=_integer(
                values, "throttlingRateLimit", defaults.throttling_rate_limit, minimum=1
            ),
            throttling_burst_limit=_integer(
                values, "throttlingBurstLimit", defaults.throttling_burst_limit, minimum=1
            ),
            memory_size=_integer(values, "memorySize", defaults.memory_size, minimum=128),
            latency_p99_threshold_ms=_integer(
                values, "latencyP99ThresholdMs", defaults.latency_p99_threshold_ms, minimum=1
            ),
            alarm_email=_optional(values, "alarmEmail"),
            web_acl_arn=_optional(values, "webAclArn"),
            api_gateway_cloud_watch_role=_boolean(
                values, "apiGatewayCloudWatchRole", defaults.api_gateway_cloud_watch_role
            ),
        )
        if config.memory_size > 10240:
            raise ConfigError("memorySize: at most 10240 (MB)")
        return config


# Context key -> dataclass field; the README's configuration table lists the same keys.
CONTEXT_KEYS: dict[str, str] = {
    "stage": "stage",
    "tableRemovalPolicy": "table_removal_policy",
    "tableDeletionProtection": "table_deletion_protection",
    "logLevel": "log_level",
    "logRetentionDays": "log_retention_days",
    "corsAllowOrigin": "cors_allow_origin",
    "throttlingRateLimit": "throttling_rate_limit",
    "throttlingBurstLimit": "throttling_burst_limit",
    "memorySize": "memory_size",
    "latencyP99ThresholdMs": "latency_p99_threshold_ms",
    "alarmEmail": "alarm_email",
    "webAclArn": "web_acl_arn",
    "apiGatewayCloudWatchRole": "api_gateway_cloud_watch_role",
}


def _choice(values: dict[str, Any], key: str, allowed: tuple[str, ...], default: str) -> str:
    value = str(values.get(key, default))
    normalised = value.upper() if allowed == _LOG_LEVELS else value.lower()
    if normalised not in allowed:
        raise ConfigError(f"{key}={value!r}: one of {', '.join(allowed)}")
    return normalised


def _boolean(values: dict[str, Any], key: str, default: bool) -> bool:
    value = values.get(key, default)
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ConfigError(f"{key}={value!r}: true or false")


def _integer(values: dict[str, Any], key: str, default: int, minimum: int = 0) -> int:
    value = values.get(key, default)
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise ConfigError(f"{key}={value!r}: a whole number") from None
    if isinstance(value, bool) or number < minimum:
        raise ConfigError(f"{key}={value!r}: a whole number >= {minimum}")
    return number


def _optional(values: dict[str, Any], key: str) -> str | None:
    value = values.get(key)
    text = "" if value is None else str(value).strip()
    return text or None

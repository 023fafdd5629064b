"""Stack configuration: a committed file per stage (``infra/stages/<stage>.json``), overridden by
``-c key=value`` flags, validated by one pydantic model before anything is synthesised."""

from __future__ import annotations

import ipaddress
import json
import re
from pathlib import Path
from typing import Annotated, Any, Literal

from aws_cdk import aws_codedeploy as codedeploy
from aws_cdk import aws_logs as logs
from constructs import Node
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator
from pydantic.alias_generators import to_camel

from infra import mrsc

STAGES_DIR = Path(__file__).resolve().parent / "stages"
DEFAULT_STAGE = "dev"

# The one retention table: the periods CloudWatch Logs accepts (days) and CDK's names for them.
# "Never expire" is not offered on purpose.
RETENTION: dict[int, logs.RetentionDays] = {
    1: logs.RetentionDays.ONE_DAY,
    3: logs.RetentionDays.THREE_DAYS,
    5: logs.RetentionDays.FIVE_DAYS,
    7: logs.RetentionDays.ONE_WEEK,
    14: logs.RetentionDays.TWO_WEEKS,
    30: logs.RetentionDays.ONE_MONTH,
    60: logs.RetentionDays.TWO_MONTHS,
    90: logs.RetentionDays.THREE_MONTHS,
    120: logs.RetentionDays.FOUR_MONTHS,
    150: logs.RetentionDays.FIVE_MONTHS,
    180: logs.RetentionDays.SIX_MONTHS,
    365: logs.RetentionDays.ONE_YEAR,
    400: logs.RetentionDays.THIRTEEN_MONTHS,
    545: logs.RetentionDays.EIGHTEEN_MONTHS,
    731: logs.RetentionDays.TWO_YEARS,
    1096: logs.RetentionDays.THREE_YEARS,
    1827: logs.RetentionDays.FIVE_YEARS,
    2192: logs.RetentionDays.SIX_YEARS,
    2557: logs.RetentionDays.SEVEN_YEARS,
    2922: logs.RetentionDays.EIGHT_YEARS,
    3288: logs.RetentionDays.NINE_YEARS,
    3653: logs.RetentionDays.TEN_YEARS,
}

# How CodeDeploy moves traffic from the old version to the new one: CDK's predefined Lambda
# configurations, named in kebab case ("all-at-once", "canary-10-percent-5-minutes", ...).
DEPLOYMENT_STRATEGIES: dict[str, codedeploy.ILambdaDeploymentConfig] = {
    name.lower().replace("_", "-"): getattr(codedeploy.LambdaDeploymentConfig, name)
    for name in dir(codedeploy.LambdaDeploymentConfig)
    if name.startswith(("ALL_AT_ONCE", "CANARY_", "LINEAR_"))
}

_STAGE = r"^[a-z][a-z0-9-]{0,19}$"
_REGION = r"^[a-z]{2}(-[a-z]+)+-\d$"
# A context key that looks like one of ours (CDK's own keys contain ':' or '-').
_OPTION_LIKE = re.compile(r"^[a-z][A-Za-z0-9]*$")


class ConfigError(ValueError):
    """The configuration is invalid; the message names the key(s) and what they accept."""


class StackConfig(BaseModel):
    """Everything an operator may choose per stage. Field ``foo_bar`` is context key ``fooBar``."""

    model_config = ConfigDict(
        frozen=True, extra="forbid", alias_generator=to_camel, populate_by_name=True
    )

    stage: str = Field(DEFAULT_STAGE, pattern=_STAGE)
    # Given: the stack is bound to that account/region; absent: environment-agnostic (the
    # template resolves both at deploy time from the credentials the CLI uses).
    account: str | None = Field(None, pattern=r"^\d{12}$")
    region: str | None = Field(None, pattern=_REGION)
    table_removal_policy: Literal["retain", "destroy"] = "retain"
    table_deletion_protection: bool | None = None  # None: on exactly when the table is retained
    table_customer_managed_key: bool = False
    log_encryption: bool = False
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    log_retention_days: int = 30
    cors_allow_origin: str = Field("*", pattern=r"^(\*|https?://[^/\s,*]+)$")
    throttling_rate_limit: int = Field(100, ge=1)
    throttling_burst_limit: int = Field(200, ge=1)
    # Cold start is import-bound, single-threaded CPU work (boto3, pydantic, Powertools: ~1 s of
    # CPU). Lambda allots CPU in proportion to memory and reaches one full vCPU at 1769 MB: the
    # fastest a single-threaded interpreter gets; more memory only adds vCPUs it cannot use.
    memory_size: int = Field(1769, ge=128, le=10240)
    reserved_concurrency: int = Field(10, ge=1)
    provisioned_concurrency: int = Field(0, ge=0)
    # Lambda SnapStart on the published versions: init runs once per version and is restored from
    # a snapshot afterwards (the handler then builds its whole object graph during init).
    snap_start: bool = False
    deployment_strategy: str = "all-at-once"
    latency_p99_threshold_ms: int = Field(2000, ge=1)
    client_error_rate_percent: int = Field(10, ge=1, le=100)
    alarm_email: str | None = Field(None, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
    web_acl_arn: str | None = Field(None, pattern=r"^arn:aws[a-z-]*:wafv2:")
    api_gateway_cloud_watch_role: bool = True
    # Set: an API resource policy denies calls from any other address (IPv4/IPv6 CIDR blocks).
    allowed_source_cidrs: list[str] | None = None
    # A stage other than dev refuses to synthesise Lambda assets without the runtime's bytecode
    # (every cold start would compile every module); true accepts that (infra/bytecode.py).
    allow_missing_bytecode: bool = False
    # Set: a multi-region stage (docs/multi-region.md): one global table with multi-Region strong
    # consistency, whose stack goes to the first region, and the whole API in every region listed.
    regions: list[Annotated[str, Field(pattern=_REGION)]] | None = None
    # The third region of a two-replica MRSC table: it takes part in every write, serves nothing.
    witness_region: str | None = Field(None, pattern=_REGION)

    @field_validator(
        "alarm_email", "web_acl_arn", "account", "region", "witness_region", mode="before"
    )
    @classmethod
    def _blank_is_none(cls, value: Any) -> Any:
        """`-c alarmEmail=` (empty) switches an option off instead of failing its pattern."""
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("allowed_source_cidrs", mode="before")
    @classmethod
    def _cidr_list(cls, value: Any) -> Any:
        """`-c allowedSourceCidrs=10.0.0.0/8,2001:db8::/32`; empty switches the option off."""
        if isinstance(value, str):
            value = [part.strip() for part in value.split(",") if part.strip()]
        return value or None

    @field_validator("allowed_source_cidrs")
    @classmethod
    def _valid_cidrs(cls, value: list[str] | None) -> list[str] | None:
        try:
            return None if value is None else [str(ipaddress.ip_network(c)) for c in value]
        except ValueError as error:
            raise ValueError(f"CIDR blocks such as 203.0.113.0/24 ({error})") from None

    @field_validator("regions", mode="before")
    @classmethod
    def _region_list(cls, value: Any) -> Any:
        """`-c regions=us-east-1,us-east-2,us-west-2`; empty switches the option off."""
        if isinstance(value, str):
            value = [part.strip() for part in value.split(",") if part.strip()]
        return value or None

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper(cls, value: Any) -> Any:
        return value.upper() if isinstance(value, str) else value

    @field_validator("table_removal_policy", mode="before")
    @classmethod
    def _lower(cls, value: Any) -> Any:
        return value.lower() if isinstance(value, str) else value

    @field_validator("log_retention_days")
    @classmethod
    def _known_retention(cls, value: int) -> int:
        if value not in RETENTION:
            raise ValueError(f"one of {', '.join(map(str, RETENTION))}")
        return value

    @field_validator("deployment_strategy")
    @classmethod
    def _known_strategy(cls, value: str) -> str:
        if value not in DEPLOYMENT_STRATEGIES:
            raise ValueError(f"one of {', '.join(DEPLOYMENT_STRATEGIES)}")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> StackConfig:
        if self.table_removal_policy == "destroy" and self.table_deletion_protection:
            raise ValueError(
                "tableRemovalPolicy=destroy needs tableDeletionProtection=false "
                "(CloudFormation cannot delete a protected table)"
            )
        if self.provisioned_concurrency > self.reserved_concurrency:
            raise ValueError("provisionedConcurrency cannot exceed reservedConcurrency")
        if self.snap_start and self.provisioned_concurrency:
            raise ValueError(
                "snapStart=true needs provisionedConcurrency=0 (Lambda does not support both "
                "on one version)"
            )
        multi_region_problem = mrsc.problem(self)
        if multi_region_problem:
            raise ValueError(multi_region_problem)
        return self

    @property
    def stack_name(self) -> str:
        return f"products-api-{self.stage}"

    @property
    def table_stack_name(self) -> str:
        """A multi-region stage's stack that owns the global table (in its first region)."""
        return f"{self.stack_name}-table"

    def regional_stack_name(self, region: str) -> str:
        """A multi-region stage's stack of the API in ``region``."""
        return f"{self.stack_name}-{region}"

    @property
    def retain_table(self) -> bool:
        return self.table_removal_policy == "retain"

    @property
    def deletion_protection(self) -> bool:
        """Explicit setting, else on exactly when the table outlives the stack."""
        if self.table_deletion_protection is None:
            return self.retain_table
        return self.table_deletion_protection

    @property
    def retention(self) -> logs.RetentionDays:
        return RETENTION[self.log_retention_days]

    @property
    def deployment_config(self) -> codedeploy.ILambdaDeploymentConfig:
        return DEPLOYMENT_STRATEGIES[self.deployment_strategy]

    @classmethod
    def from_mapping(cls, values: dict[str, Any]) -> StackConfig:
        """Validate context-style keys (``tableRemovalPolicy``...) with string or typed values."""
        try:
            return cls.model_validate(values)
        except ValidationError as error:
            problems = [
                (
                    f"{'.'.join(str(p) for p in e['loc'])}={e.get('input')!r}: {e['msg']}"
                    if e["loc"]
                    # A rule across settings: its message names them (not the whole input).
                    else str(e["msg"]).removeprefix("Value error, ")
                )
                for e in error.errors()
            ]
            raise ConfigError("invalid configuration: " + "; ".join(problems)) from None

    @classmethod
    def from_context(cls, node: Node, stages_dir: Path = STAGES_DIR) -> StackConfig:
        """The stage's committed file, then every ``-c`` option on top of it, validated."""
        overrides = {
            key: value
            for key, value in node.get_all_context().items()
            if _OPTION_LIKE.match(key) and value is not None
        }
        stage = str(overrides.get("stage", DEFAULT_STAGE))
        return cls.from_mapping({**load_stage_file(stage, stages_dir), **overrides})


def context_keys() -> list[str]:
    """Every option's context key, in declaration order (docs/operations.md lists the same)."""
    return [field.alias or name for name, field in StackConfig.model_fields.items()]


def load_stage_file(stage: str, stages_dir: Path = STAGES_DIR) -> dict[str, Any]:
    """The committed settings of ``stage``; a stage without a file is an error, not a default."""
    if not re.match(_STAGE, stage):
        raise ConfigError(
            f"stage={stage!r}: 1-20 lower-case letters, digits or '-', starting with a letter"
        )
    path = stages_dir / f"{stage}.json"
    if not path.is_file():
        known = ", ".join(sorted(p.stem for p in stages_dir.glob("*.json")))
        raise ConfigError(
            f"no configuration for stage {stage!r}: add infra/stages/{stage}.json "
            f"(known stages: {known})"
        )
    values: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    if values.get("stage", stage) != stage:
        raise ConfigError(f"{path.name} names stage {values['stage']!r}")
    return {**values, "stage": stage}

"""Synthesised stacks shared by the infra tests: each configuration is synthesised once per session.

Bundling is skipped (the layer build has its own test), cdk-nag runs as in `make synth`, and the
feature flags come from cdk.json so the tested template is the deployed one.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from aws_cdk.assertions import Template

from app import contract
from infra.application import PROJECT_ROOT, build_app
from infra.stack import ProductsApiStack

SKIP_BUNDLING: dict[str, Any] = {"aws:cdk:bundling-stacks": []}


@dataclass(frozen=True)
class Synthesised:
    """One synthesised stack: the construct, its template, and where the assembly was written."""

    stack: ProductsApiStack
    template: Template
    outdir: Path

    @property
    def template_json(self) -> dict[str, Any]:
        return dict(self.template.to_json())

    @property
    def template_path(self) -> Path:
        return self.outdir / f"{self.stack.stack_name}.template.json"

    def resources(self, resource_type: str) -> dict[str, dict[str, Any]]:
        found = self.template.find_resources(resource_type)
        return {logical_id: dict(resource) for logical_id, resource in found.items()}

    def routes(self) -> dict[tuple[str, str], dict[str, Any]]:
        """(HTTP method, path) -> API Gateway method properties, paths rebuilt from resources."""
        resources = self.template_json["Resources"]

        def path_of(ref: dict[str, Any]) -> str:
            if "Fn::GetAtt" in ref:  # the API's root resource
                assert ref["Fn::GetAtt"][1] == "RootResourceId"
                return ""
            resource = resources[ref["Ref"]]["Properties"]
            return f"{path_of(resource['ParentId'])}/{resource['PathPart']}"

        return {
            (m["Properties"]["HttpMethod"], path_of(m["Properties"]["ResourceId"]) or "/"): m[
                "Properties"
            ]
            for m in self.resources("AWS::ApiGateway::Method").values()
        }

    @property
    def api_function_id(self) -> str:
        """The logical id of the API's function (the stack also has the stream function)."""
        (logical_id,) = [
            logical_id
            for logical_id, resource in self.resources("AWS::Lambda::Function").items()
            if resource["Properties"]["Handler"] == contract.HANDLER
        ]
        return logical_id

    def api_function(self) -> dict[str, Any]:
        """The API's function resource."""
        return self.resources("AWS::Lambda::Function")[self.api_function_id]

    def only(self, resource_type: str) -> dict[str, Any]:
        """The single resource of a type (fails if there are zero or several)."""
        found = self.resources(resource_type)
        assert len(found) == 1, f"expected one {resource_type}, found {sorted(found)}"
        return next(iter(found.values()))


def cdk_json_context() -> dict[str, Any]:
    context: dict[str, Any] = json.loads((PROJECT_ROOT / "cdk.json").read_text())["context"]
    return context


SynthFactory = Callable[[dict[str, Any]], Synthesised]


@pytest.fixture(scope="session")
def synth(tmp_path_factory: pytest.TempPathFactory) -> SynthFactory:
    """Synthesise the app with extra context (as `-c key=value` would), cached per context."""
    cache: dict[str, Synthesised] = {}

    def synthesise(extra_context: dict[str, Any]) -> Synthesised:
        key = json.dumps(extra_context, sort_keys=True)
        if key not in cache:
            outdir = tmp_path_factory.mktemp("cdk.out")
            context = {**cdk_json_context(), **SKIP_BUNDLING, **extra_context}
            with pytest.MonkeyPatch.context() as patch:
                # Environment-agnostic like an offline `make synth`, whatever the shell exports.
                patch.delenv("CDK_DEFAULT_ACCOUNT", raising=False)
                patch.delenv("CDK_DEFAULT_REGION", raising=False)
                app, stack = build_app(context, outdir=str(outdir))
                # Runs cdk-nag: raises ValidationFailed on any unacknowledged finding.
                assembly = app.synth()
            template = assembly.get_stack_by_name(stack.stack_name).template
            cache[key] = Synthesised(
                stack=stack, template=Template.from_json(template), outdir=outdir
            )
        return cache[key]

    return synthesise


@pytest.fixture(scope="session")
def default_stack(synth: SynthFactory) -> Synthesised:
    """The stack exactly as `make synth` builds it with no -c options."""
    return synth({})


# The staging stage file (customer-managed keys on) with every other option overridden by -c.
ALL_OPTIONS: dict[str, Any] = {
    "stage": "staging",
    "tableDeletionProtection": "false",
    "tableRemovalPolicy": "destroy",
    "corsAllowOrigin": "https://app.example.com",
    "alarmEmail": "ops@example.com",
    "webAclArn": "arn:aws:wafv2:eu-west-1:111111111111:regional/webacl/products/abc",
    "logLevel": "DEBUG",
    "logRetentionDays": "90",
    "apiGatewayCloudWatchRole": "false",
    "throttlingRateLimit": "20",
    "throttlingBurstLimit": "40",
    "memorySize": "1024",
    "reservedConcurrency": "50",
    "provisionedConcurrency": "2",
    "allowedSourceCidrs": "203.0.113.0/24,2001:db8::/32",
    "snapStart": "false",  # Lambda refuses SnapStart together with provisioned concurrency
}


@pytest.fixture(scope="session")
def options_stack(synth: SynthFactory) -> Synthesised:
    return synth(ALL_OPTIONS)


@dataclass(frozen=True)
class SynthesisedStage:
    """Every stack of one synthesised stage (a multi-region stage has several), by stack name."""

    templates: dict[str, Template]
    outdir: Path

    def template_json(self, stack_name: str) -> dict[str, Any]:
        return dict(self.templates[stack_name].to_json())

    def template_path(self, stack_name: str) -> Path:
        return self.outdir / f"{stack_name}.template.json"

    def resources(self, stack_name: str, resource_type: str) -> dict[str, dict[str, Any]]:
        found = self.templates[stack_name].find_resources(resource_type)
        return {logical_id: dict(resource) for logical_id, resource in found.items()}


StageSynthFactory = Callable[[dict[str, Any]], SynthesisedStage]


@pytest.fixture(scope="session")
def synth_stage(tmp_path_factory: pytest.TempPathFactory) -> StageSynthFactory:
    """Synthesise every stack of a stage with extra context, cached per context (as ``synth``)."""
    cache: dict[str, SynthesisedStage] = {}

    def synthesise(extra_context: dict[str, Any]) -> SynthesisedStage:
        key = json.dumps(extra_context, sort_keys=True)
        if key not in cache:
            outdir = tmp_path_factory.mktemp("cdk.out")
            context = {**cdk_json_context(), **SKIP_BUNDLING, **extra_context}
            with pytest.MonkeyPatch.context() as patch:
                patch.delenv("CDK_DEFAULT_ACCOUNT", raising=False)
                patch.delenv("CDK_DEFAULT_REGION", raising=False)
                app, _ = build_app(context, outdir=str(outdir))
                assembly = app.synth()  # runs cdk-nag, as `make synth` does
            templates = {s.stack_name: Template.from_json(s.template) for s in assembly.stacks}
            cache[key] = SynthesisedStage(templates=templates, outdir=outdir)
        return cache[key]

    return synthesise

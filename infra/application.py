"""Builds the CDK app for the chosen stage, checked by cdk-nag: one products-api stack, or for a
multi-region stage the global table's stack and one API stack per region."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import aws_cdk as cdk
from cdk_nag import AwsSolutionsChecks

from infra.config import StackConfig
from infra.global_table import GlobalTableStack
from infra.stack import ProductsApiStack

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def build_app(
    context: dict[str, Any] | None = None, *, outdir: str | None = None
) -> tuple[cdk.App, ProductsApiStack]:
    """The app `cdk synth` runs; tests call it with their own context (e.g. no bundling).

    The stack returned is the stage's only one, or a multi-region stage's first regional stack
    (:func:`add_multi_region_stacks` lists them all).
    """
    app = cdk.App(context=context, outdir=outdir)
    config = StackConfig.from_context(app.node)
    stacks = add_multi_region_stacks(app, config) if config.regions else [_stack(app, config)]
    # Every finding fails the synth unless acknowledged (with its reason) next to its construct.
    cdk.Validations.of(app).add_plugins(AwsSolutionsChecks(app))
    return app, stacks[0]


def _stack(app: cdk.App, config: StackConfig) -> ProductsApiStack:
    """The stage's one stack (a single-region stage)."""
    # Bound to an account/region only when the stage file or -c account=/region= names them.
    # CDK_DEFAULT_ACCOUNT/REGION are deliberately ignored: the CDK CLI always sets the region
    # (to us-east-1 when no credentials or profile say otherwise), which would bake a region
    # into an offline synth. Without them the template uses AWS::Region/AWS::AccountId and
    # `cdk deploy` targets whatever account and region its credentials resolve to.
    environment = (
        cdk.Environment(account=config.account, region=config.region)
        if config.account or config.region
        else None
    )
    stack = ProductsApiStack(
        app, config.stack_name, config=config, project_root=PROJECT_ROOT, env=environment
    )
    _tag(stack, config)
    return stack


def add_multi_region_stacks(app: cdk.App, config: StackConfig) -> list[ProductsApiStack]:
    """A multi-region stage: the global table's stack in the first region, then one API stack in
    each replica region (the witness region serves nothing), each deployed after the table's."""
    regions = config.regions or []
    table_stack = GlobalTableStack(app, config.table_stack_name, config=config)
    _tag(table_stack, config)
    regional = []
    for region in regions:
        stack = ProductsApiStack(
            app,
            config.regional_stack_name(region),
            config=config,
            project_root=PROJECT_ROOT,
            global_table_name=table_stack.table_name,
            env=cdk.Environment(account=config.account, region=region),
        )
        # The table name is a literal, so CDK sees no reference: the order is declared here.
        stack.add_stack_dependency(table_stack, "the API reads the global table's replica")
        _tag(stack, config)
        regional.append(stack)
    return regional


def _tag(stack: cdk.Stack, config: StackConfig) -> None:
    cdk.Tags.of(stack).add("project", "products-api")
    cdk.Tags.of(stack).add("stage", config.stage)

"""Builds the CDK app: one products-api stack for the chosen stage, checked by cdk-nag."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import aws_cdk as cdk
from cdk_nag import AwsSolutionsChecks

from infra.config import StackConfig
from infra.stack import ProductsApiStack

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def build_app(
    context: dict[str, Any] | None = None, *, outdir: str | None = None
) -> tuple[cdk.App, ProductsApiStack]:
    """The app `cdk synth` runs; tests call it with their own context (e.g. no bundling)."""
    app = cdk.App(context=context, outdir=outdir)
    config = StackConfig.from_context(app.node)
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
    cdk.Tags.of(stack).add("project", "products-api")
    cdk.Tags.of(stack).add("stage", config.stage)
    # Every finding fails the synth unless acknowledged (with its reason) next to its construct.
    cdk.Validations.of(app).add_plugins(AwsSolutionsChecks(app))
    return app, stack

#!/usr/bin/env python3
"""CDK entry point (run by `cdk` through cdk.json): `make synth`, `make deploy`, `make destroy`."""

from infra.application import build_app

app, _ = build_app()
app.synth()

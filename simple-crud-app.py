#!/usr/bin/env python3
"""CDK entry point (run by `cdk` through cdk.json): `make synth`, `make deploy`, `make destroy`."""

import sys

from infra.application import build_app
from infra.bytecode import MissingBytecode
from infra.config import ConfigError

try:
    app, _ = build_app()
except (ConfigError, MissingBytecode) as error:
    # A misspelt stage or -c option, or a stage that would ship without bytecode: the message
    # names the fix; a traceback around it would bury it.
    sys.exit(f"error: {error}")
app.synth()

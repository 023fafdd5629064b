"""The Lambda runtime both functions and the layer are built for (one home for these facts)."""

from __future__ import annotations

from aws_cdk import aws_lambda as lambda_

# cdk-nag rule AwsSolutions-L1 keeps this on the newest Python runtime aws-cdk-lib knows; the layer
# and the bytecode are built for the same Python version and architecture (derived, never repeated).
RUNTIME = lambda_.Runtime.PYTHON_3_14
ARCHITECTURE = lambda_.Architecture.ARM_64  # Graviton: ~20% cheaper per GB-second than x86_64

# Powertools' log level names -> Lambda's application log filter.
LAMBDA_LOG_LEVELS = {
    "DEBUG": lambda_.ApplicationLogLevel.DEBUG,
    "INFO": lambda_.ApplicationLogLevel.INFO,
    "WARNING": lambda_.ApplicationLogLevel.WARN,
    "ERROR": lambda_.ApplicationLogLevel.ERROR,
}

"""What the stack assumes about the application in ``app/``.

``infra`` never imports ``app`` (dependency rule): it knows the application only as a folder to
package, a handler path and environment variable names. ``tests/infra/test_app_contract.py`` imports
both sides and fails when they drift apart.
"""

from __future__ import annotations

# Asset root = the project root filtered down to this package, so the handler path is importable.
APP_PACKAGE = "app"
HANDLER = "app.entrypoints.api.handler.handler"

# Environment variables the function reads.
ENV_TABLE_NAME = "TABLE_NAME"
ENV_CORS_ALLOW_ORIGIN = "CORS_ALLOW_ORIGIN"

POWERTOOLS_SERVICE_NAME = "products-api"
POWERTOOLS_METRICS_NAMESPACE = "ProductsApi"

# Table key schema the DynamoDB adapter expects: partition key only, no sort key, no indexes.
PARTITION_KEY = "id"
PARTITION_KEY_TYPE = "S"

# Exactly the DynamoDB actions the adapter calls; the function role gets these and nothing else.
DYNAMODB_ACTIONS: tuple[str, ...] = (
    "dynamodb:GetItem",
    "dynamodb:PutItem",
    "dynamodb:UpdateItem",
    "dynamodb:DeleteItem",
    "dynamodb:Scan",
)

# Request headers a browser may send on a signed request (CORS preflight answer).
CORS_ALLOW_HEADERS: tuple[str, ...] = (
    "Authorization",
    "Content-Type",
    "X-Amz-Date",
    "X-Amz-Security-Token",
    "X-Amz-Content-Sha256",
    "If-Match",
)

"""Facts the API shares with the outside world, in one place.

``app/``, ``infra/`` (the CDK stack) and ``local_api/`` (the local gateway) all read these. The
module is dependency-free on purpose (standard library only, nothing from ``app``), so the stack
and the local gateway can import it without importing the application: a data sheet, not code.
"""

from __future__ import annotations

# --- Packaging: what the stack deploys and which function Lambda calls ----------------------------
APP_PACKAGE = "app"
HANDLER = "app.entrypoints.api.handler.handler"

# --- The function's environment -----------------------------------------------------------------
ENV_TABLE_NAME = "TABLE_NAME"
ENV_CORS_ALLOW_ORIGIN = "CORS_ALLOW_ORIGIN"
SERVICE_NAME = "products-api"  # POWERTOOLS_SERVICE_NAME
METRICS_NAMESPACE = "ProductsApi"  # POWERTOOLS_METRICS_NAMESPACE

# --- HTTP: resources and methods as API Gateway declares them (OPTIONS is CORS preflight) ---------
PRODUCT_ID_PARAMETER = "id"
ROUTES: dict[str, tuple[str, ...]] = {
    "/products": ("GET", "POST"),
    f"/products/{{{PRODUCT_ID_PARAMETER}}}": ("GET", "PUT", "DELETE"),
}

# --- Headers of idempotent creation (POST /products) ----------------------------------------------
IDEMPOTENCY_KEY_HEADER = "Idempotency-Key"
IDEMPOTENT_REPLAYED_HEADER = "Idempotent-Replayed"

# --- CORS: the preflight answer (API Gateway's) and the headers a browser may read ---------------
CORS_ALLOW_HEADERS: tuple[str, ...] = (
    "Authorization",
    "Content-Type",
    "X-Amz-Date",
    "X-Amz-Security-Token",
    "X-Amz-Content-Sha256",
    "If-Match",
    IDEMPOTENCY_KEY_HEADER,
)
CORS_EXPOSE_HEADERS: tuple[str, ...] = ("ETag", "Location", IDEMPOTENT_REPLAYED_HEADER)
CORS_MAX_AGE_SECONDS = 3600

# --- DynamoDB: the table the adapter expects and the actions it calls ---------------------------
PARTITION_KEY = "id"
PARTITION_KEY_TYPE = "S"
DYNAMODB_ACTIONS: tuple[str, ...] = (
    "dynamodb:GetItem",
    "dynamodb:PutItem",
    "dynamodb:UpdateItem",
    "dynamodb:DeleteItem",
    "dynamodb:Scan",
)

# --- Domain events: the stream function and the bus it publishes to ------------------------------
STREAM_HANDLER = "app.entrypoints.stream.handler.handler"
ENV_EVENT_BUS_NAME = "EVENT_BUS_NAME"
EVENT_SOURCE = "products-api"  # the stable ``source`` of every event; consumers' rules match it
EVENT_DETAIL_TYPES: tuple[str, ...] = ("ProductCreated", "ProductUpdated", "ProductDeleted")
EVENTS_ACTIONS: tuple[str, ...] = ("events:PutEvents",)

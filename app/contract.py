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

# --- Who may call what: the stack's IAM policies for callers, generated from ROUTES -------------
# ``infra/`` deploys these documents as customer-managed policies and ``local_api`` evaluates the
# very same documents, so what a key may do locally is what it may do once deployed.
INVOKE_ACTION = "execute-api:Invoke"
ACCESS_POLICIES: dict[str, tuple[str, ...] | None] = {
    "ProductsReadOnly": ("GET",),  # methods allowed on every route; None: every method
    "ProductsFullAccess": None,
}


def invoke_resources(api_arn: str, stage: str, methods: tuple[str, ...] | None) -> list[str]:
    """``execute-api:Invoke`` resource ARNs of every route method in ``methods`` (None: all).

    ``api_arn`` is ``arn:<partition>:execute-api:<region>:<account>:<api id>``; a path parameter
    becomes ``*`` (API Gateway checks the request's actual path, e.g. ``.../GET/products/3f1c``).
    """
    resources: list[str] = []
    for resource, route_methods in ROUTES.items():
        path = "/".join(
            "*" if part.startswith("{") else part for part in resource.strip("/").split("/")
        )
        resources.extend(
            f"{api_arn}/{stage}/{method}/{path}"
            for method in route_methods
            if methods is None or method in methods
        )
    return resources


def access_policy_document(name: str, api_arn: str, stage: str) -> dict[str, object]:
    """The IAM policy document of the access policy ``name`` (a key of ACCESS_POLICIES)."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "InvokeProductsApi",
                "Effect": "Allow",
                "Action": INVOKE_ACTION,
                "Resource": invoke_resources(api_arn, stage, ACCESS_POLICIES[name]),
            }
        ],
    }


def source_ip_deny_statement(cidrs: list[str]) -> dict[str, object]:
    """The API resource policy statement that refuses calls from outside ``cidrs``."""
    return {
        "Sid": "DenyOutsideAllowedSourceCidrs",
        "Effect": "Deny",
        "Principal": "*",
        "Action": INVOKE_ACTION,
        "Resource": "execute-api:/*",
        "Condition": {"NotIpAddress": {"aws:SourceIp": list(cidrs)}},
    }

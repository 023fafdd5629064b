"""Facts the API shares with the outside world, in one place.

``app/``, ``infra/`` (the CDK stack) and ``local_api/`` (the local gateway) all read these. The
module is dependency-free on purpose (standard library only, nothing from ``app``), so the stack
and the local gateway can import it without importing the application: a data sheet, not code.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

# --- Packaging: what the stack deploys and which function Lambda calls ----------------------------
APP_PACKAGE = "app"
HANDLER = "app.entrypoints.api.handler.handler"

# --- The function's environment -----------------------------------------------------------------
ENV_TABLE_NAME = "TABLE_NAME"
ENV_CORS_ALLOW_ORIGIN = "CORS_ALLOW_ORIGIN"
SERVICE_NAME = "products-api"  # POWERTOOLS_SERVICE_NAME
METRICS_NAMESPACE = "ProductsApi"  # POWERTOOLS_METRICS_NAMESPACE

# --- The API's operations: one declaration each --------------------------------------------------
PRODUCT_ID_PARAMETER = "id"
PRODUCTS = "/products"
PRODUCT = f"{PRODUCTS}/{{{PRODUCT_ID_PARAMETER}}}"


@dataclass(frozen=True)
class Operation:
    """One operation of the API, declared once: the function's dispatch, the OpenAPI document,
    the stack's methods and the callers' IAM policies, the local API and the client all derive
    from it (``OPERATIONS``)."""

    operation_id: str  # OpenAPI's operationId, and the name the function's route is bound to
    command: str  # the client's method and the ``products`` command's sub-command
    method: str  # the HTTP method
    resource: str  # the API Gateway resource, e.g. "/products/{id}"
    summary: str
    status: int  # the success status
    response: Literal["product", "page", "none"]  # the success body: a product, a page, nothing
    errors: tuple[int, ...]  # every other status the function itself may answer
    body: Literal["create", "update", "none"] = "none"  # the request body: which fields it sets
    conditional: bool = False  # takes If-Match (optimistic locking)
    idempotent: bool = False  # takes Idempotency-Key (a repeat creates nothing)
    writes: bool = True  # changes products (False: read-only callers may call it)

    @property
    def path_parameters(self) -> tuple[str, ...]:
        """The names of the resource's path parameters, in order."""
        return tuple(part[1:-1] for part in self.resource.split("/") if part.startswith("{"))


OPERATIONS: tuple[Operation, ...] = (
    Operation(
        "listProducts",
        "list",
        "GET",
        PRODUCTS,
        "List products, one page at a time",
        200,
        "page",
        errors=(400, 503),
        writes=False,
    ),
    Operation(
        "createProduct",
        "create",
        "POST",
        PRODUCTS,
        "Create a product",
        201,
        "product",
        errors=(400, 415, 422, 503),
        body="create",
        idempotent=True,
    ),
    Operation(
        "getProduct",
        "get",
        "GET",
        PRODUCT,
        "Get a product",
        200,
        "product",
        errors=(404, 503),  # no input to reject: a malformed id is simply not found
        writes=False,
    ),
    Operation(
        "updateProduct",
        "update",
        "PUT",
        PRODUCT,
        "Update a product's fields",
        200,
        "product",
        errors=(400, 404, 412, 415, 503),
        body="update",
        conditional=True,
    ),
    Operation(
        "deleteProduct",
        "delete",
        "DELETE",
        PRODUCT,
        "Delete a product",
        204,
        "none",
        errors=(400, 404, 412, 503),
        conditional=True,
    ),
)

# The API's resources and methods as API Gateway declares them (OPTIONS is CORS preflight).
ROUTES: dict[str, tuple[str, ...]] = {}
for _operation in OPERATIONS:
    ROUTES[_operation.resource] = (*ROUTES.get(_operation.resource, ()), _operation.method)
del _operation

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

# --- Who may call what: the stack's IAM policies for callers, generated from OPERATIONS ---------
# ``infra/`` deploys these documents as customer-managed policies and ``local_api`` evaluates the
# very same documents, so what a key may do locally is what it may do once deployed.
INVOKE_ACTION = "execute-api:Invoke"
# Policy name -> whether it allows the operations that change products (reads: always).
ACCESS_POLICIES: dict[str, bool] = {"ProductsReadOnly": False, "ProductsFullAccess": True}


def invoke_resources(api_arn: str, stage: str, *, writes: bool) -> list[str]:
    """``execute-api:Invoke`` resource ARNs of every operation that reads (and with ``writes``,
    of every one that changes products).

    ``api_arn`` is ``arn:<partition>:execute-api:<region>:<account>:<api id>``; a path parameter
    becomes ``*`` (API Gateway checks the request's actual path, e.g. ``.../GET/products/3f1c``).
    """
    resources: list[str] = []
    for operation in OPERATIONS:
        if operation.writes and not writes:
            continue
        path = "/".join(
            "*" if part.startswith("{") else part
            for part in operation.resource.strip("/").split("/")
        )
        resources.append(f"{api_arn}/{stage}/{operation.method}/{path}")
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
                "Resource": invoke_resources(api_arn, stage, writes=ACCESS_POLICIES[name]),
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

"""Composition root and Lambda entry point: ``app.entrypoints.api.handler.handler``.

Everything expensive (settings, the DynamoDB client, the repository, the dispatcher) is built once
per Lambda container, on the first invocation, and reused. Tests and the local server build the
same graph with their own repository through :func:`build_handler`. botocore (about half of this
module's import time) is imported only when the first invocation creates the client, so importing
the handler stays cheap; what each request does is kept to one dispatch and one log line
(see ``benchmarks/PERFORMANCE.md`` for the figures).

Under Lambda SnapStart the opposite pays: init runs once per published version and every later
cold start is restored from its snapshot, so the module builds the whole graph (and warms the
DynamoDB client with :func:`warm_up_client`) during init. It runs only when Lambda says so
(``AWS_LAMBDA_INITIALIZATION_TYPE=snap-start``).
"""

from __future__ import annotations

import functools
import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.utilities.typing import LambdaContext

from app import contract
from app.adapters.dynamodb_deadline import deadline
from app.adapters.dynamodb_product_repository import DynamoDBProductRepository
from app.domain import command_handlers, model
from app.domain.ports import ProductRepository
from app.entrypoints.api import errors, responses, routes, telemetry
from app.entrypoints.api.proxy import Dispatcher, not_found_route
from app.entrypoints.standard_output import CURRENT_STDOUT

if TYPE_CHECKING:  # type stubs only
    from mypy_boto3_dynamodb.client import DynamoDBClient

# The API function: a REST proxy event and the Lambda context in, a proxy response out.
ApiHandler = Callable[[dict[str, Any], LambdaContext], dict[str, Any]]

SERVICE_NAME = contract.SERVICE_NAME
# Lambda's documented value of AWS_LAMBDA_INITIALIZATION_TYPE when it initialises for a snapshot.
SNAP_START = "snap-start"
METRICS_NAMESPACE = contract.METRICS_NAMESPACE

# Time budget of one invocation (the stack gives the function 10 s). One DynamoDB attempt takes at
# most CONNECT + READ = 3 s; botocore makes up to DYNAMODB_TOTAL_ATTEMPTS attempts, and starts one
# only if it can end by the deadline: the remaining time minus ANSWER_RESERVE, kept for answering
# (503 + Retry-After) before Lambda kills the function. With 10 s that is at most 2 attempts of a
# stalled DynamoDB and a 503 by ~9 s.
DYNAMODB_CONNECT_TIMEOUT_SECONDS = 1
DYNAMODB_READ_TIMEOUT_SECONDS = 2
# Every attempt, the first included (botocore's "total_max_attempts"; its "max_attempts" counts
# only the retries).
DYNAMODB_TOTAL_ATTEMPTS = 4
ANSWER_RESERVE_SECONDS = 1.0


@dataclass(frozen=True)
class Settings:
    """The function's configuration, read from (and checked against) its environment.

    A dataclass rather than a pydantic model: four strings do not justify pydantic's import
    (a quarter of this module's cold start, ``benchmarks/PERFORMANCE.md``).
    """

    table_name: str
    cors_allow_origin: str = "*"
    service_name: str = SERVICE_NAME
    metrics_namespace: str = METRICS_NAMESPACE

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Settings from ``environ`` (default ``os.environ``); a clear error names every missing
        or invalid variable."""
        environ = os.environ if environ is None else environ
        values: dict[str, str] = {}
        problems: list[str] = []
        for field, (variable, default, min_length, max_length) in SETTINGS_VARIABLES.items():
            value = environ.get(variable, default)
            if value is None:
                problems.append(f"{variable} is required")
            elif not min_length <= len(value) <= max_length:
                problems.append(f"{variable} must be {min_length} to {max_length} characters")
            else:
                values[field] = value
        if problems:
            raise RuntimeError(f"Invalid function configuration: {'; '.join(problems)}")
        return cls(**values)


# Settings field -> (environment variable, default (None: required), min and max length).
SETTINGS_VARIABLES: dict[str, tuple[str, str | None, int, int]] = {
    "table_name": (contract.ENV_TABLE_NAME, None, 3, 255),
    "cors_allow_origin": (contract.ENV_CORS_ALLOW_ORIGIN, "*", 1, 4096),
    "service_name": ("POWERTOOLS_SERVICE_NAME", SERVICE_NAME, 1, 1024),
    "metrics_namespace": ("POWERTOOLS_METRICS_NAMESPACE", METRICS_NAMESPACE, 1, 255),
}


def build_handler(
    repository: ProductRepository,
    *,
    cors_allow_origin: str = "*",
    service_name: str = SERVICE_NAME,
    metrics_namespace: str = METRICS_NAMESPACE,
    clock: command_handlers.Clock = model.utc_now,
    new_id: command_handlers.IdFactory = command_handlers.new_product_id,
) -> ApiHandler:
    """A Lambda handler serving the API on ``repository``, with logging, tracing and metrics.

    Per request it writes exactly one log line (the access entry with the command's metric in
    EMF, see ``telemetry``); Powertools' Logger still formats warnings and errors, which carry
    the request's correlation id. The X-Ray decorator is applied only when tracing is enabled.
    """
    # Warnings and errors go to the standard output of the moment, like the access line.
    logger = Logger(service=service_name, stream=CURRENT_STDOUT)
    powertools_metrics = Metrics(namespace=metrics_namespace, service=service_name)
    metrics = telemetry.RequestMetrics(powertools_metrics)
    tracer = Tracer(service=service_name)
    access_log = telemetry.AccessLog(metrics, service_name)
    dispatcher = Dispatcher(
        routes.build_routes(repository, count=metrics.count, clock=clock, new_id=new_id),
        on_error=errors.error_responder(logger),
        on_no_route=not_found_route,
    )
    cors = responses.cors_headers(cors_allow_origin)
    allow_origin = cors["Access-Control-Allow-Origin"]
    expose_headers = cors["Access-Control-Expose-Headers"]
    cold_start = True

    def handle(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
        nonlocal cold_start
        started = time.perf_counter()
        if cold_start:
            cold_start = False
            # Its own EMF line, once per container (the provider is Metrics' public attribute).
            powertools_metrics.provider.add_cold_start_metric(context)
        request_context = event.get("requestContext") or {}
        correlation_id = request_context.get("requestId")
        logger.set_correlation_id(correlation_id)
        metrics.take()  # nothing counted outside a request belongs to this one
        budget = context.get_remaining_time_in_millis() / 1000 - ANSWER_RESERVE_SECONDS
        with deadline(budget):
            response = dispatcher.dispatch(event)
        headers = response["multiValueHeaders"]
        headers["Access-Control-Allow-Origin"] = [allow_origin]
        headers["Access-Control-Expose-Headers"] = [expose_headers]
        # One access line per request; never headers, bodies or credentials.
        access_log.write(
            correlation_id,
            event.get("httpMethod"),
            event.get("resource"),
            response.get("statusCode"),
            (time.perf_counter() - started) * 1000,
        )
        return response

    if tracer.disabled:
        return handle
    return cast(ApiHandler, tracer.capture_lambda_handler(handle, capture_response=False))


def create_dynamodb_client() -> DynamoDBClient:
    """The one DynamoDB client of this container, configured for a latency-sensitive API.

    botocore directly rather than boto3: boto3 adds ~300 ms of imports and nothing we use.
    Region, credentials and ``AWS_ENDPOINT_URL_DYNAMODB`` come from the standard AWS chain.
    """
    # Imported here, on the first invocation: botocore is ~half of the handler's import time.
    import botocore.config
    import botocore.session

    config = botocore.config.Config(
        connect_timeout=DYNAMODB_CONNECT_TIMEOUT_SECONDS,
        read_timeout=DYNAMODB_READ_TIMEOUT_SECONDS,
        retries={"mode": "standard", "total_max_attempts": DYNAMODB_TOTAL_ATTEMPTS},
        tcp_keepalive=True,
    )
    client = botocore.session.get_session().create_client("dynamodb", config=config)
    return cast("DynamoDBClient", client)


def initialising_for_snapshot() -> bool:
    """Whether Lambda runs this init for a SnapStart snapshot (its documented variable)."""
    return os.environ.get("AWS_LAMBDA_INITIALIZATION_TYPE") == SNAP_START


@functools.cache
def build_handler_from_environment() -> ApiHandler:
    """The production object graph (built once per container): settings from the environment."""
    settings = Settings.from_environment()
    client = create_dynamodb_client()
    if initialising_for_snapshot():
        warm_up_client(client, settings.table_name)
    repository = DynamoDBProductRepository(client, settings.table_name)
    return build_handler(
        repository,
        cors_allow_origin=settings.cors_allow_origin,
        service_name=settings.service_name,
        metrics_namespace=settings.metrics_namespace,
    )


def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """The Lambda entry point: builds the object graph on the first call, then reuses it."""
    return build_handler_from_environment()(event, context)


class _EmptyBody:
    """The body of the warm-up call's answer: ``{}`` (GetItem found nothing)."""

    def stream(self, **_: Any) -> Any:
        yield b"{}"


def warm_up_client(client: DynamoDBClient, table_name: str) -> None:
    """Take the client's first-call path once (serialise, resolve the endpoint, sign, parse)
    without the network: a ``before-send`` handler answers the one GetItem locally."""
    from botocore.awsrequest import AWSResponse, HTTPHeaders

    def answer_locally(request: Any, **_: Any) -> Any:
        # A response returned from before-send replaces the HTTP call (botocore's event contract).
        return AWSResponse(request.url, 200, HTTPHeaders(), _EmptyBody())

    client.meta.events.register_first("before-send.dynamodb.GetItem", answer_locally)
    try:
        client.get_item(TableName=table_name, Key={contract.PARTITION_KEY: {"S": "snapshot"}})
    finally:
        client.meta.events.unregister("before-send.dynamodb.GetItem", answer_locally)


# SnapStart: init runs once per published version and later cold starts restore its snapshot, so
# the graph is built (and the client warmed) now. Ids stay unique after restores: they come from
# uuid4 (os.urandom), not from a seeded generator the snapshot would copy.
if initialising_for_snapshot():
    build_handler_from_environment()

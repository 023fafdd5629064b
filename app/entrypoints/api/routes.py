"""HTTP routes: requests -> domain commands and queries, domain results -> HTTP responses.

``build_routes`` binds one function per operation of ``contract.OPERATIONS`` (its method,
resource, statuses and headers are declared there) to a repository and the metrics the
composition root (``handler.py``) gives, keyed by the operation's ``(method, resource)``. Errors
the routes raise are answered by ``errors``; the OpenAPI document describes the same operations
(``tools/apidocs``, at build time).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from http import HTTPStatus

from app import contract
from app.domain import command_handlers, commands, model, queries, query_handlers
from app.domain.exceptions import ValidationFailed
from app.domain.ports import ProductRepository
from app.entrypoints.api import messages, request_bodies
from app.entrypoints.api.proxy import ProxyRequest, ProxyResponse, Route
from app.entrypoints.api.responses import json_response, no_content, product_response

# Counts one occurrence of a named metric (the composition root decides how it is written).
CountMetric = Callable[[str], None]


def _request_document(request: ProxyRequest) -> dict[str, object]:
    return request_bodies.read_json_object(request.headers, request.body, request.is_base64_encoded)


def _request_id(request: ProxyRequest) -> str:
    # API Gateway's id of this request: the same in every SDK retry of the request's write.
    given = request.request_context.get("requestId")
    return given if isinstance(given, str) and given else commands.new_request_id()


def build_routes(
    repository: ProductRepository,
    *,
    count: CountMetric,
    clock: command_handlers.Clock = model.utc_now,
    new_id: command_handlers.IdFactory = command_handlers.new_product_id,
) -> dict[tuple[str, str], Route]:
    """The API's routes by ``(method, resource)``, bound to ``repository``: one per operation of
    ``contract.OPERATIONS`` (a ``ValueError`` names any operation without a route, or the reverse).
    """

    def create(request: ProxyRequest) -> ProxyResponse:
        document = _request_document(request)
        # The body's errors answer before the header's (the order clients have always seen).
        command = request_bodies.read_create_body(document, request_id=_request_id(request))
        key = messages.parse_idempotency_key(request.header_values(messages.IDEMPOTENCY_KEY_HEADER))
        if key is not None:
            identity = request.request_context.get("identity") or {}
            idempotency = commands.IdempotencyKey(
                caller=messages.caller_of(identity),
                key=key,
                fingerprint=model.request_fingerprint(document),
            )
            command = dataclasses.replace(command, idempotency=idempotency)
        created = command_handlers.create_product(command, repository, clock, new_id)
        product = created.product
        headers = {"Location": f"/products/{product.product_id}"}
        if created.replayed:
            headers[messages.IDEMPOTENT_REPLAYED_HEADER] = "true"
        else:
            count("ProductCreated")
        return product_response(product, HTTPStatus.CREATED, headers)

    def list_products(request: ProxyRequest) -> ProxyResponse:
        page_size = messages.parse_page_size(request.query_value("pageSize"))
        # The page-size rule answers before the token is read (the order clients have always seen).
        if page_size_errors := model.page_size_errors(page_size):
            raise ValidationFailed(page_size_errors)
        next_token = request.query_value("nextToken")
        after_id = messages.decode_page_token(next_token) if next_token is not None else None
        page = query_handlers.list_products(
            queries.ListProducts(page_size=page_size, after_id=after_id), repository
        )
        count("ProductsListed")
        products = ",".join([messages.product_json(product) for product in page.products])
        next_page = ""
        if page.continue_after is not None:
            token = messages.encode_page_token(page.continue_after)
            next_page = f',"nextToken":{messages.encode_json_string(token)}'
        return json_response(HTTPStatus.OK, f'{{"products":[{products}]{next_page}}}')

    def get(request: ProxyRequest) -> ProxyResponse:
        product_id = request.path_parameter(contract.PRODUCT_ID_PARAMETER)
        product = query_handlers.get_product(queries.GetProduct(product_id), repository)
        count("ProductRead")
        return product_response(product)

    def update(request: ProxyRequest) -> ProxyResponse:
        command = request_bodies.read_update_body(
            _request_document(request),
            product_id=request.path_parameter(contract.PRODUCT_ID_PARAMETER),
            request_id=_request_id(request),
        )
        # The body's errors answer before the header's (the order clients have always seen).
        expected_version = messages.parse_if_match(request.headers.get("if-match"))
        if expected_version is not None:
            command = dataclasses.replace(command, expected_version=expected_version)
        product = command_handlers.update_product(command, repository, clock)
        count("ProductUpdated")
        return product_response(product)

    def delete(request: ProxyRequest) -> ProxyResponse:
        expected_version = messages.parse_if_match(request.headers.get("if-match"))
        command_handlers.delete_product(
            commands.DeleteProduct(
                request.path_parameter(contract.PRODUCT_ID_PARAMETER), expected_version
            ),
            repository,
        )
        count("ProductDeleted")
        return no_content()

    by_operation_id: dict[str, Route] = {
        "createProduct": create,
        "listProducts": list_products,
        "getProduct": get,
        "updateProduct": update,
        "deleteProduct": delete,
    }
    return routes_by_request(by_operation_id)


def routes_by_request(
    by_operation_id: Mapping[str, Route],
    operations: tuple[contract.Operation, ...] = contract.OPERATIONS,
) -> dict[tuple[str, str], Route]:
    """Each operation's route under its ``(method, resource)``; a ``ValueError`` names any
    operation without a route, and any route that is no operation."""
    declared = {operation.operation_id for operation in operations}
    if set(by_operation_id) != declared:
        raise ValueError(
            f"operations without a route: {sorted(declared - set(by_operation_id))}; "
            f"routes without an operation: {sorted(set(by_operation_id) - declared)}"
        )
    return {
        (operation.method, operation.resource): by_operation_id[operation.operation_id]
        for operation in operations
    }

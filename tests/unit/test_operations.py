"""Every operation of the route table does what its declaration says, through the real handler.

The tests iterate over ``contract.OPERATIONS``: an operation added there is checked here without a
line of this file changing (its success status and body, If-Match when it is conditional,
Idempotency-Key when it takes one, 404 for an unknown product, 415 for a body that is not JSON).
"""

from __future__ import annotations

from typing import Any

import pytest

from app import contract
from app.domain import model
from tests.support.lambda_api import ApiClient, ApiResponse
from tests.support.published_schemas import validator

OPERATIONS = {operation.operation_id: operation for operation in contract.OPERATIONS}
UNKNOWN_ID = "3f1c7c7e-4b7a-4e8b-9b1a-0c2d3e4f5a6b"
_BODY_FIELDS = {"create": model.CREATE_FIELDS, "update": model.UPDATE_FIELDS, "none": ()}


def example_body(operation: contract.Operation) -> dict[str, Any] | None:
    """A valid body for the operation, from the declared fields' examples."""
    if operation.body == "none":
        return None
    return {declared.json_name: declared.example for declared in _BODY_FIELDS[operation.body]}


def call(
    api: ApiClient,
    operation: contract.Operation,
    product_id: str,
    headers: dict[str, str] | None = None,
    **overrides: Any,
) -> ApiResponse:
    path = operation.resource.replace(f"{{{contract.PRODUCT_ID_PARAMETER}}}", product_id)
    body = overrides.pop("body", example_body(operation))
    return api.request(operation.method, path, body=body, headers=headers or {}, **overrides)


@pytest.mark.parametrize("operation_id", OPERATIONS)
def test_each_operation_answers_its_declared_success(api: ApiClient, operation_id: str) -> None:
    operation = OPERATIONS[operation_id]
    product = api.create()

    response = call(api, operation, product["id"])

    assert response.status == operation.status, response.raw_body
    if operation.response == "none":
        assert response.raw_body == ""
    else:
        schema = {"product": "ProductResponse", "page": "ProductPageResponse"}[operation.response]
        validator(schema).validate(response.json)


@pytest.mark.parametrize("operation_id", OPERATIONS)
def test_if_match_guards_exactly_the_conditional_operations(
    api: ApiClient, operation_id: str
) -> None:
    operation = OPERATIONS[operation_id]
    product = api.create()

    response = call(api, operation, product["id"], {"If-Match": '"7"'})

    if operation.conditional:
        assert response.status == 412 and 412 in operation.errors, response.raw_body
        assert response.headers["ETag"] == '"1"'
    else:
        assert response.status == operation.status, response.raw_body


@pytest.mark.parametrize(
    "operation_id", [o.operation_id for o in contract.OPERATIONS if o.path_parameters]
)
def test_operations_on_a_product_answer_404_for_an_unknown_one(
    api: ApiClient, operation_id: str
) -> None:
    operation = OPERATIONS[operation_id]

    response = call(api, operation, UNKNOWN_ID)

    assert response.status == 404 and 404 in operation.errors, response.raw_body


@pytest.mark.parametrize(
    "operation_id", [o.operation_id for o in contract.OPERATIONS if o.body != "none"]
)
def test_operations_with_a_body_refuse_one_that_is_not_json(
    api: ApiClient, operation_id: str
) -> None:
    operation = OPERATIONS[operation_id]
    product = api.create()

    response = call(api, operation, product["id"], {"Content-Type": "text/plain"})

    assert response.status == 415 and 415 in operation.errors, response.raw_body


@pytest.mark.parametrize(
    "operation_id", [o.operation_id for o in contract.OPERATIONS if o.idempotent]
)
def test_idempotent_operations_refuse_a_key_reused_for_another_request(
    api: ApiClient, operation_id: str
) -> None:
    operation = OPERATIONS[operation_id]
    product = api.create()
    key = {contract.IDEMPOTENCY_KEY_HEADER: "same-key"}

    first = call(api, operation, product["id"], key)
    repeat = call(api, operation, product["id"], key)
    other_body = {**(example_body(operation) or {}), "name": "Another"}
    reused = call(api, operation, product["id"], key, body=other_body)

    assert first.status == repeat.status == operation.status
    assert repeat.headers[contract.IDEMPOTENT_REPLAYED_HEADER] == "true"
    assert reused.status == 422 and 422 in operation.errors, reused.raw_body


def test_declared_errors_follow_from_what_each_operation_takes() -> None:
    # The declarations agree with themselves: what an operation takes implies statuses it answers.
    for operation in contract.OPERATIONS:
        implied = {503}
        if operation.body != "none":
            implied |= {400, 415}
        if operation.conditional:
            implied |= {400, 412}
        if operation.path_parameters:
            implied.add(404)
        if operation.idempotent:
            implied.add(422)
        if operation.response == "page":
            implied.add(400)
        assert implied <= set(operation.errors), operation.operation_id

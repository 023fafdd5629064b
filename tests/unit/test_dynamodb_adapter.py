"""DynamoDB adapter behaviour moto cannot show: answers shaped by botocore's Stubber, and the
parameters of the requests the adapter actually sends (botocore's public event hooks)."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, cast

import botocore.config
import botocore.session
import pytest
from botocore.exceptions import ClientError
from botocore.stub import Stubber

from app.adapters.dynamodb_product_repository import DynamoDBProductRepository
from app.domain.model import ProductChanges
from app.entrypoints.api.handler import build_handler
from tests.support.dynamodb_requests import SentRequests
from tests.support.lambda_api import ApiClient, ApiResponse, assert_error
from tests.support.rest_events import rest_event

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient

IDS = ["3f1c7c7e-4b7a-4e8b-9b1a-0c2d3e4f5a6b", "4f1c7c7e-4b7a-4e8b-9b1a-0c2d3e4f5a6b"]


def _item(product_id: str) -> dict[str, Any]:
    return {
        "id": {"S": product_id},
        "name": {"S": "n"},
        "createDate": {"S": "2026-11-22T10:00:00.000Z"},
        "lastUpdateDate": {"S": "2026-11-22T10:00:00.000Z"},
        "version": {"N": "1"},
    }


@pytest.fixture
def stubbed() -> tuple[DynamoDBProductRepository, Stubber]:
    client = botocore.session.get_session().create_client(
        "dynamodb", config=botocore.config.Config(retries={"max_attempts": 1})
    )
    return DynamoDBProductRepository(cast("DynamoDBClient", client), "t"), Stubber(client)


# DynamoDB stopped the Scan at its 1 MB limit before the requested page size + 1 items: whatever
# follows is unknown, so paging goes on from where it stopped, after a short or a full page.
@pytest.mark.parametrize("page_size", [5, 2], ids=["short page", "full page"])
def test_scan_cut_short_by_size_limit_continues_where_dynamodb_stopped(
    stubbed: tuple[DynamoDBProductRepository, Stubber], page_size: int
) -> None:
    repository, stubber = stubbed
    stubber.add_response(
        "scan",
        {"Items": [_item(IDS[0]), _item(IDS[1])], "LastEvaluatedKey": {"id": {"S": IDS[1]}}},
    )
    with stubber:
        page = repository.list_page(page_size, None)
    assert [p.product_id for p in page.products] == IDS and page.continue_after == IDS[1]


def test_unexpected_error_on_conditional_write_is_not_disguised(
    stubbed: tuple[DynamoDBProductRepository, Stubber],
) -> None:
    repository, stubber = stubbed
    stubber.add_client_error("update_item", service_error_code="ValidationException")
    with stubber, pytest.raises(ClientError):
        repository.update(
            IDS[0], ProductChanges({"name": "x"}), datetime.now(timezone.utc), None, "r"
        )


@pytest.mark.parametrize("operation", ["put_item", "delete_item"])
def test_unexpected_error_on_create_or_delete_is_not_disguised(
    stubbed: tuple[DynamoDBProductRepository, Stubber], operation: str
) -> None:
    repository, stubber = stubbed
    stubber.add_client_error(operation, service_error_code="ValidationException")
    api = ApiClient(build_handler(repository))
    with stubber:
        if operation == "put_item":
            response = api.request("POST", "/products", body={"name": "Lamp"})
        else:
            response = api.request("DELETE", f"/products/{IDS[0]}")
    assert_error(response, "internal")


# --- Which answers are worth a retry (503 + Retry-After) and which are bugs (500) ---------------

# Every error code DynamoDB's error reference (developer guide, "Error handling with DynamoDB")
# marks "OK to retry? Yes", and the codes botocore's retry rules for DynamoDB add (its
# ``_retry.json``): written out here, so dropping one from the adapter fails a test.
RETRYABLE_CODES = [
    "ProvisionedThroughputExceededException",
    "ThrottlingException",
    "RequestLimitExceeded",
    "LimitExceededException",
    "ItemCollectionSizeLimitExceededException",
    "UnrecognizedClientException",
    "InternalServerError",
    "ServiceUnavailable",
    "ReplicatedWriteConflictException",
    "TransactionInProgressException",
]
# Codes DynamoDB marks "OK to retry? No": the request itself is wrong, so ours is the bug.
NOT_RETRYABLE_CODES = [
    "AccessDeniedException",
    "ValidationException",
    "ResourceNotFoundException",
    "ResourceInUseException",
    "MissingAuthenticationTokenException",
    "IncompleteSignatureException",
]
HTTP_STATUS = {"InternalServerError": 500, "ServiceUnavailable": 503}


def _answer_with_error(
    code: str, operation: str, capsys: pytest.CaptureFixture[str]
) -> tuple[ApiResponse, list[dict[str, Any]]]:
    """The API's answer when DynamoDB answers ``operation`` with ``code``, and its log lines."""
    client = botocore.session.get_session().create_client(
        "dynamodb", config=botocore.config.Config(retries={"max_attempts": 1})
    )
    repository = DynamoDBProductRepository(cast("DynamoDBClient", client), "t")
    api = ApiClient(build_handler(repository, new_id=lambda: IDS[0]))
    stubber = Stubber(client)
    stubber.add_client_error(
        operation,
        service_error_code=code,
        service_message="detail for the operator only",
        http_status_code=HTTP_STATUS.get(code, 400),
    )
    path = f"/products/{IDS[0]}"
    event = {
        "put_item": rest_event("POST", "/products", body={"name": "Lamp"}),
        "get_item": rest_event("GET", path),
        "update_item": rest_event("PUT", path, body={"name": "Lamp"}),
        "delete_item": rest_event("DELETE", path),
        "scan": rest_event("GET", "/products"),
    }[operation]
    capsys.readouterr()
    with stubber:
        response = api.send(event)
    stubber.assert_no_pending_responses()
    logs = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    return response, logs


@pytest.mark.parametrize("code", RETRYABLE_CODES)
def test_each_retryable_dynamodb_error_is_a_503_with_retry_after(
    code: str, capsys: pytest.CaptureFixture[str]
) -> None:
    response, logs = _answer_with_error(code, "scan", capsys)
    assert_error(response, "unavailable")
    assert response.headers["Retry-After"] == "1"
    warnings = [line for line in logs if line.get("level") == "WARNING"]
    assert [(w["message"], w["reason"]) for w in warnings] == [("product store unavailable", code)]
    assert "detail for the operator only" not in response.raw_body


@pytest.mark.parametrize(
    "operation", ["put_item", "get_item", "update_item", "delete_item", "scan"]
)
def test_every_operation_answers_503_when_dynamodb_throttles(
    operation: str, capsys: pytest.CaptureFixture[str]
) -> None:
    response, _ = _answer_with_error("ThrottlingException", operation, capsys)
    assert_error(response, "unavailable")
    assert response.headers["Retry-After"] == "1"


@pytest.mark.parametrize("code", NOT_RETRYABLE_CODES)
def test_each_dynamodb_error_that_a_retry_cannot_fix_is_a_logged_500(
    code: str, capsys: pytest.CaptureFixture[str]
) -> None:
    response, logs = _answer_with_error(code, "get_item", capsys)
    assert_error(response, "internal")
    assert "Retry-After" not in response.headers
    errors = [line for line in logs if line.get("level") == "ERROR"]
    assert len(errors) == 1 and code in errors[0]["exception"]
    assert "detail for the operator only" not in response.raw_body


# --- The requests the adapter sends ------------------------------------------------------------


def test_reads_are_strongly_consistent(
    dynamodb_repository: DynamoDBProductRepository,
    dynamodb_table: str,
    sent_requests: SentRequests,
) -> None:
    # A client must see its own writes at once: no read may be served from a stale copy.
    ids = iter(IDS)
    api = ApiClient(build_handler(dynamodb_repository, new_id=lambda: next(ids)))
    api.create()
    api.create()
    sent_requests.sent.clear()

    api.request("GET", f"/products/{IDS[0]}")
    first = api.request("GET", "/products", query="pageSize=1").json
    api.request("GET", "/products", query=f"pageSize=1&nextToken={first['nextToken']}")

    last_of_first_page = first["products"][0]["id"]
    assert sent_requests.sent == [
        (
            "GetItem",
            {"TableName": dynamodb_table, "Key": {"id": {"S": IDS[0]}}, "ConsistentRead": True},
        ),
        ("Scan", {"TableName": dynamodb_table, "Limit": 2, "ConsistentRead": True}),
        (
            "Scan",
            {
                "TableName": dynamodb_table,
                "Limit": 2,
                "ConsistentRead": True,
                "ExclusiveStartKey": {"id": {"S": last_of_first_page}},
            },
        ),
    ]

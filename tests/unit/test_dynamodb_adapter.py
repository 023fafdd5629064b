"""DynamoDB adapter behaviour that moto cannot provoke: answers shaped by botocore's Stubber."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, cast

import botocore.config
import botocore.session
import pytest
from botocore.exceptions import ClientError
from botocore.stub import Stubber

from app.adapters.dynamodb_product_repository import DynamoDBProductRepository
from app.domain.model import ProductChanges

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


def test_scan_cut_short_by_size_limit_continues_where_dynamodb_stopped(
    stubbed: tuple[DynamoDBProductRepository, Stubber],
) -> None:
    repository, stubber = stubbed
    stubber.add_response(
        "scan",
        {"Items": [_item(IDS[0]), _item(IDS[1])], "LastEvaluatedKey": {"id": {"S": IDS[1]}}},
    )
    with stubber:
        page = repository.list_page(5, None)
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

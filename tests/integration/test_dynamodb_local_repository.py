"""The repository contract against AWS's own emulator, DynamoDB Local (started by the test)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

from app.adapters.dynamodb_product_repository import DynamoDBProductRepository, table_definition
from app.entrypoints.api.handler import create_dynamodb_client
from tests.contract import ProductRepositoryContract
from tests.support.dynamodb_local import dynamodb_local
from tests.support.lambda_api import TEST_ENVIRONMENT

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def dynamodb_local_client() -> Iterator[DynamoDBClient]:
    """A client of the production kind, pointed at DynamoDB Local via the standard env variable."""
    with dynamodb_local() as endpoint_url, pytest.MonkeyPatch.context() as patch:
        for name, value in TEST_ENVIRONMENT.items():
            patch.setenv(name, value)
        patch.setenv("AWS_ENDPOINT_URL_DYNAMODB", endpoint_url)
        yield create_dynamodb_client()


class TestDynamoDBLocalRepository(ProductRepositoryContract):
    """Same contract as the fake and moto; here concurrency is checked against real item locking."""

    @pytest.fixture
    def repository(
        self, dynamodb_local_client: DynamoDBClient
    ) -> Iterator[DynamoDBProductRepository]:
        table_name = f"products-{uuid.uuid4().hex[:12]}"
        dynamodb_local_client.create_table(**table_definition(table_name))
        yield DynamoDBProductRepository(dynamodb_local_client, table_name)
        dynamodb_local_client.delete_table(TableName=table_name)

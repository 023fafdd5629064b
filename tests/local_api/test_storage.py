"""Table provisioning for the local API: safe when several servers start on one fresh DynamoDB."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import boto3
import pytest
from botocore.stub import Stubber
from moto import mock_aws

from app.adapters.dynamodb_product_repository import table_definition
from local_api.storage import StorageError, ensure_table

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient


@pytest.fixture
def table() -> str:
    """A table name no other test uses (a session-wide moto mock keeps its tables)."""
    return f"products-race-{uuid.uuid4().hex[:12]}"


@pytest.fixture
def client(monkeypatch: pytest.MonkeyPatch) -> Iterator[DynamoDBClient]:
    """A moto-backed DynamoDB client with throwaway credentials."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    with mock_aws():
        yield boto3.client("dynamodb", region_name="us-east-1")


def test_a_missing_table_is_created_and_active(client: DynamoDBClient, table: str) -> None:
    ensure_table(client, table)

    assert client.describe_table(TableName=table)["Table"]["TableStatus"] == "ACTIVE"


def test_a_table_created_concurrently_by_another_server_is_used(
    client: DynamoDBClient, table: str
) -> None:
    other_server = boto3.client("dynamodb", region_name="us-east-1")

    def create_first(**_: Any) -> None:  # the other server wins the race, after our describe
        other_server.create_table(**table_definition(table))

    client.meta.events.register_first("before-call.dynamodb.CreateTable", create_first)

    ensure_table(client, table)

    assert client.list_tables()["TableNames"].count(table) == 1
    assert client.describe_table(TableName=table)["Table"]["TableStatus"] == "ACTIVE"


def test_a_table_still_being_created_is_waited_for_until_active(table: str) -> None:
    client = boto3.client(
        "dynamodb", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x"
    )
    stubber = Stubber(client)
    for status in ("CREATING", "CREATING", "ACTIVE"):
        stubber.add_response(
            "describe_table", {"Table": {"TableName": table, "TableStatus": status}}
        )

    with stubber:
        ensure_table(client, table, poll_seconds=0)

    stubber.assert_no_pending_responses()  # it kept asking until ACTIVE, then stopped


def test_a_missing_table_is_never_created_where_creation_is_not_allowed(
    client: DynamoDBClient,
    table: str,
) -> None:
    with pytest.raises(StorageError, match="does not exist"):
        ensure_table(client, table, create=False)

    assert table not in client.list_tables()["TableNames"]

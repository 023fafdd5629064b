"""The ProductRepository port on Amazon DynamoDB: exactly one request per operation.

Items are marshalled by hand with the low-level client (the resource layer costs cold-start time and
only converts numbers to Decimal). Existence and version checks are condition expressions on the
write itself, and ``ReturnValuesOnConditionCheckFailure`` tells "absent" from "stale" without a
second read, so concurrent updates of different fields never overwrite each other.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from datetime import datetime
from typing import TYPE_CHECKING, Any, NoReturn

from botocore.exceptions import BotoCoreError, ClientError

from app import contract
from app.domain.exceptions import ProductNotFound, RepositoryUnavailable, VersionConflict
from app.domain.model import (
    UNCHANGED,
    Page,
    Product,
    ProductChanges,
    format_timestamp,
    parse_timestamp,
)

if TYPE_CHECKING:  # type stubs only; never imported at run time
    from mypy_boto3_dynamodb.client import DynamoDBClient

PARTITION_KEY = contract.PARTITION_KEY
# The actions this adapter calls: the CDK stack grants exactly these (a test checks they agree).
DYNAMODB_ACTIONS = contract.DYNAMODB_ACTIONS

# Throttling and server-side failures are worth retrying later (503); anything else is our bug.
_UNAVAILABLE_ERROR_CODES = frozenset(
    {
        "ProvisionedThroughputExceededException",
        "ThrottlingException",
        "RequestLimitExceeded",
        "InternalServerError",
        "ServiceUnavailable",
        "LimitExceededException",
    }
)


def table_definition(table_name: str) -> dict[str, Any]:
    """``create_table`` arguments for the table this adapter expects (local runs and tests)."""
    return {
        "TableName": table_name,
        "KeySchema": [{"AttributeName": PARTITION_KEY, "KeyType": "HASH"}],
        "AttributeDefinitions": [
            {"AttributeName": PARTITION_KEY, "AttributeType": contract.PARTITION_KEY_TYPE}
        ],
        "BillingMode": "PAY_PER_REQUEST",
    }


class DynamoDBProductRepository:
    """Stores products as items keyed by ``id``; see the module docstring for the guarantees."""

    def __init__(self, client: DynamoDBClient, table_name: str) -> None:
        self._client = client
        self._table_name = table_name

    def add(self, product: Product) -> None:
        """Put the new item; the condition guards against an (astronomically unlikely) id clash."""
        with _translated_errors():
            self._client.put_item(
                TableName=self._table_name,
                Item=_to_item(product),
                ConditionExpression="attribute_not_exists(#id)",
                ExpressionAttributeNames={"#id": PARTITION_KEY},
            )

    def get(self, product_id: str) -> Product:
        """Strongly consistent read, so a client sees its own writes."""
        with _translated_errors():
            response = self._client.get_item(
                TableName=self._table_name, Key=_key(product_id), ConsistentRead=True
            )
        if "Item" not in response:
            raise ProductNotFound(product_id)
        return _from_item(response["Item"])

    def update(
        self,
        product_id: str,
        changes: ProductChanges,
        updated_at: datetime,
        expected_version: int | None,
    ) -> Product:
        """One UpdateItem that applies ``changes.applied_to`` in DynamoDB's own terms.

        It sets only the changed attributes and adds one to the stored version inside the
        request (never a version computed from an earlier read), so the rule holds under
        concurrent updates; the repository contract suite checks the result against the domain's.
        """
        names = {"#id": PARTITION_KEY, "#version": "version", "#lastUpdateDate": "lastUpdateDate"}
        values: dict[str, Any] = {
            ":one": {"N": "1"},
            ":now": {"S": format_timestamp(updated_at)},
        }
        assignments = ["#version = #version + :one", "#lastUpdateDate = :now"]
        removals = []
        for attribute, value in _changed_attributes(changes).items():
            names[f"#{attribute}"] = attribute
            if value is None:
                removals.append(f"#{attribute}")
            else:
                values[f":{attribute}"] = {"S": value}
                assignments.append(f"#{attribute} = :{attribute}")
        expression = "SET " + ", ".join(assignments)
        if removals:
            expression += " REMOVE " + ", ".join(removals)
        condition = "attribute_exists(#id)"
        if expected_version is not None:
            condition += " AND #version = :expected"
            values[":expected"] = {"N": str(expected_version)}
        try:
            with _translated_errors():
                response = self._client.update_item(
                    TableName=self._table_name,
                    Key=_key(product_id),
                    UpdateExpression=expression,
                    ConditionExpression=condition,
                    ExpressionAttributeNames=names,
                    ExpressionAttributeValues=values,
                    ReturnValues="ALL_NEW",
                    ReturnValuesOnConditionCheckFailure="ALL_OLD",
                )
        except ClientError as error:
            _raise_condition_failure(product_id, expected_version, error)
        return _from_item(response["Attributes"])

    def delete(self, product_id: str, expected_version: int | None) -> None:
        """One conditional DeleteItem."""
        condition = "attribute_exists(#id)"
        names = {"#id": PARTITION_KEY}
        values: dict[str, Any] = {}
        if expected_version is not None:
            condition += " AND #version = :expected"
            names["#version"] = "version"
            values[":expected"] = {"N": str(expected_version)}
        optional: dict[str, Any] = {"ExpressionAttributeValues": values} if values else {}
        try:
            with _translated_errors():
                self._client.delete_item(
                    TableName=self._table_name,
                    Key=_key(product_id),
                    ConditionExpression=condition,
                    ExpressionAttributeNames=names,
                    ReturnValuesOnConditionCheckFailure="ALL_OLD",
                    **optional,
                )
        except ClientError as error:
            _raise_condition_failure(product_id, expected_version, error)

    def list_page(self, page_size: int, after_id: str | None) -> Page:
        """One Scan for ``page_size + 1`` items: the extra item only tells that more follow.

        Asking for one more than the page means a page that ends exactly at the end of the table
        gets no token, so clients never fetch an empty trailing page. The last returned product
        (not the extra one) is where the next page starts, so nothing is skipped or repeated.
        Items are at most ~9 KB (the field limits), so 101 of them stay under Scan's 1 MB cap.
        """
        arguments: dict[str, Any] = {
            "TableName": self._table_name,
            "Limit": page_size + 1,
            "ConsistentRead": True,
        }
        if after_id is not None:
            arguments["ExclusiveStartKey"] = _key(after_id)
        with _translated_errors():
            response = self._client.scan(**arguments)
        products = [_from_item(item) for item in response.get("Items", [])]
        if len(products) > page_size:
            products = products[:page_size]
            return Page(products, continue_after=products[-1].product_id)
        last_key = response.get("LastEvaluatedKey")
        if last_key and len(products) < page_size:
            # Only reachable if DynamoDB cut the scan short (1 MB): continue where it stopped.
            return Page(products, continue_after=last_key[PARTITION_KEY]["S"])
        return Page(products, continue_after=None)


@contextlib.contextmanager
def _translated_errors() -> Iterator[None]:
    """DynamoDB throttling or outage -> RepositoryUnavailable; anything else propagates."""
    try:
        yield
    except ClientError as error:
        code = error.response.get("Error", {}).get("Code", "")
        if code in _UNAVAILABLE_ERROR_CODES:
            raise RepositoryUnavailable(code) from error
        raise
    except BotoCoreError as error:  # connection and read timeouts, endpoint errors
        raise RepositoryUnavailable(type(error).__name__) from error


def _raise_condition_failure(
    product_id: str, expected_version: int | None, error: ClientError
) -> NoReturn:
    """Tell 404 from 412 using the old item DynamoDB returns with a failed condition."""
    if error.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
        raise error
    old_item: Any = error.response.get("Item")
    if not old_item:
        raise ProductNotFound(product_id) from error
    actual = int(old_item["version"]["N"])
    raise VersionConflict(product_id, expected_version or 0, actual) from error


def _changed_attributes(changes: ProductChanges) -> dict[str, str | None]:
    """Item attribute -> new value (None removes it) for each field ``changes`` touches."""
    attributes: dict[str, str | None] = {}
    if changes.name is not UNCHANGED:
        attributes["name"] = changes.name
    if changes.description is not UNCHANGED:
        attributes["description"] = changes.description
    return attributes


def _key(product_id: str) -> dict[str, Any]:
    return {PARTITION_KEY: {"S": product_id}}


def _to_item(product: Product) -> dict[str, Any]:
    item: dict[str, Any] = {
        PARTITION_KEY: {"S": product.product_id},
        "name": {"S": product.name},
        "createDate": {"S": format_timestamp(product.create_date)},
        "lastUpdateDate": {"S": format_timestamp(product.last_update_date)},
        "version": {"N": str(product.version)},
    }
    if product.description is not None:
        item["description"] = {"S": product.description}
    return item


def _from_item(item: dict[str, Any]) -> Product:
    return Product(
        product_id=item[PARTITION_KEY]["S"],
        name=item["name"]["S"],
        description=item["description"]["S"] if "description" in item else None,
        create_date=parse_timestamp(item["createDate"]["S"]),
        last_update_date=parse_timestamp(item["lastUpdateDate"]["S"]),
        version=int(item["version"]["N"]),
    )


def product_from_item(item: dict[str, Any]) -> Product:
    """The product an item (or a DynamoDB Streams image of one) holds; other attributes ignored."""
    return _from_item(item)

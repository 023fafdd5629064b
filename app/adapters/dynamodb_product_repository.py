"""The ProductRepository port on Amazon DynamoDB: exactly one request per operation.

Items are marshalled by hand with the low-level client (the resource layer costs cold-start time and
only converts numbers to Decimal). Existence and version checks are condition expressions on the
write itself, and ``ReturnValuesOnConditionCheckFailure`` tells "absent" from "stale" without a
second read, so concurrent updates of different fields never overwrite each other.

Exactly once under botocore's retries: when a write was applied but its answer lost, botocore
sends it again and the retry's condition fails. Each item remembers the request that created it
(``createRequestId``) and the one that last updated it (``lastRequestId``), and the old item that
the failed condition returns shows whether the write was this request's own; a delete that finds
nothing after a retried attempt was applied by that attempt. Each DynamoDB attempt starts only if
it can finish before the invocation's deadline (:func:`deadline`).
"""

from __future__ import annotations

import functools
from datetime import datetime
from typing import TYPE_CHECKING, Any, NoReturn

from botocore.exceptions import BotoCoreError, ClientError

from app import contract
from app.adapters import dynamodb_deadline
from app.adapters import dynamodb_items as items
from app.adapters.dynamodb_items import table_definition
from app.domain.exceptions import ProductNotFound, RepositoryUnavailable, VersionConflict
from app.domain.model import (
    Origin,
    Page,
    Product,
    ProductChanges,
    StoredProduct,
    format_timestamp,
)

__all__ = ["DYNAMODB_ACTIONS", "DynamoDBProductRepository", "table_definition"]

if TYPE_CHECKING:  # type stubs only; never imported at run time
    from mypy_boto3_dynamodb.client import DynamoDBClient

# The actions this adapter calls: the CDK stack grants exactly these (a test checks they agree).
DYNAMODB_ACTIONS = contract.DYNAMODB_ACTIONS

# Answers worth retrying later (503): every code DynamoDB's error reference marks "OK to retry",
# plus those botocore's retry rules for DynamoDB name; anything else is our bug (500). A global
# table with multi-Region strong consistency refuses a write while another region is writing the
# same item (ReplicatedWriteConflictException): botocore's standard retry mode retries it like any
# transient error (the service model marks it retryable), every attempt within the invocation's
# deadline; one still refused after the last attempt is answered as a busy store.
_UNAVAILABLE_ERROR_CODES = frozenset(
    {
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
    }
)


class DynamoDBProductRepository:
    """Stores products as items keyed by ``id``; see the module docstring for the guarantees."""

    def __init__(self, client: DynamoDBClient, table_name: str) -> None:
        self._client = client
        self._table_name = table_name
        # An attempt can take the connect plus the read timeout; the hook goes first so that an
        # attempt past the deadline is refused before anything sends it.
        config: Any = client.meta.config  # the stubs do not declare the timeouts
        attempt_seconds = (config.connect_timeout or 0) + (config.read_timeout or 0)
        client.meta.events.register_first(
            "before-send.dynamodb",
            functools.partial(dynamodb_deadline.refuse_attempt_past_deadline, attempt_seconds),
            unique_id="products-deadline",
        )

    def add(self, product: Product, origin: Origin) -> StoredProduct:
        """Put the item unless its id exists; a failed condition returns the existing item."""
        item = items.to_item(product)
        item[items.CREATE_REQUEST_ID] = {"S": origin.request_id}
        if origin.fingerprint is not None:
            item[items.REQUEST_FINGERPRINT] = {"S": origin.fingerprint}
        try:
            with _TRANSLATED_ERRORS:
                self._client.put_item(
                    TableName=self._table_name,
                    Item=item,
                    ConditionExpression="attribute_not_exists(#id)",
                    ExpressionAttributeNames={"#id": items.PARTITION_KEY},
                    ReturnValuesOnConditionCheckFailure="ALL_OLD",
                )
        except ClientError as error:
            existing: Any = error.response.get("Item")
            if not _is_condition_failure(error) or not existing:
                raise
            return items.stored_from_item(existing)
        return StoredProduct(product, origin)

    def get(self, product_id: str) -> Product:
        """Strongly consistent read, so a client sees its own writes."""
        with _TRANSLATED_ERRORS:
            response = self._client.get_item(
                TableName=self._table_name, Key=items.key(product_id), ConsistentRead=True
            )
        if "Item" not in response:
            raise ProductNotFound(product_id)
        return items.product_from_item(response["Item"])

    def update(
        self,
        product_id: str,
        changes: ProductChanges,
        updated_at: datetime,
        expected_version: int | None,
        request_id: str,
    ) -> Product:
        """One UpdateItem that applies ``changes.applied_to`` in DynamoDB's own terms.

        It sets only the changed attributes and adds one to the stored version inside the
        request (never a version computed from an earlier read), so the rule holds under
        concurrent updates; the repository contract suite checks the result against the domain's.
        The condition refuses an item this request already updated (a retry after a lost answer),
        and the old item it returns is then this update's result.
        """
        names = {
            "#id": items.PARTITION_KEY,
            "#version": "version",
            "#lastUpdateDate": "lastUpdateDate",
            "#request": items.LAST_REQUEST_ID,
        }
        values: dict[str, Any] = {
            ":one": {"N": "1"},
            ":now": {"S": format_timestamp(updated_at)},
            ":request": {"S": request_id},
        }
        assignments = [
            "#version = #version + :one",
            "#lastUpdateDate = :now",
            "#request = :request",
        ]
        removals = []
        for attribute, value in items.changed_attributes(changes).items():
            names[f"#{attribute}"] = attribute
            if value is None:
                removals.append(f"#{attribute}")
            else:
                values[f":{attribute}"] = value
                assignments.append(f"#{attribute} = :{attribute}")
        expression = "SET " + ", ".join(assignments)
        if removals:
            expression += " REMOVE " + ", ".join(removals)
        # Items written before requests were remembered have no lastRequestId, hence the first test.
        condition = (
            "attribute_exists(#id) AND (attribute_not_exists(#request) OR #request <> :request)"
        )
        if expected_version is not None:
            condition += " AND #version = :expected"
            values[":expected"] = {"N": str(expected_version)}
        try:
            with _TRANSLATED_ERRORS:
                response = self._client.update_item(
                    TableName=self._table_name,
                    Key=items.key(product_id),
                    UpdateExpression=expression,
                    ConditionExpression=condition,
                    ExpressionAttributeNames=names,
                    ExpressionAttributeValues=values,
                    ReturnValues="ALL_NEW",
                    ReturnValuesOnConditionCheckFailure="ALL_OLD",
                )
        except ClientError as error:
            old_item: Any = error.response.get("Item")
            if (
                _is_condition_failure(error)
                and old_item
                and old_item.get(items.LAST_REQUEST_ID) == {"S": request_id}
            ):
                # Applied by an attempt whose answer was lost.
                return items.product_from_item(old_item)
            _raise_condition_failure(product_id, expected_version, error)
        return items.product_from_item(response["Attributes"])

    def delete(self, product_id: str, expected_version: int | None) -> None:
        """One conditional DeleteItem.

        When botocore had to retry it and the retry finds no item, the earlier attempt deleted it
        (its answer was lost): that is success, not a 404. The one case this misreads is a delete
        of an absent product whose first attempt never reached DynamoDB: 204 instead of 404,
        which leaves the client with the state it asked for.
        """
        condition = "attribute_exists(#id)"
        names = {"#id": items.PARTITION_KEY}
        values: dict[str, Any] = {}
        if expected_version is not None:
            condition += " AND #version = :expected"
            names["#version"] = "version"
            values[":expected"] = {"N": str(expected_version)}
        optional: dict[str, Any] = {"ExpressionAttributeValues": values} if values else {}
        try:
            with _TRANSLATED_ERRORS:
                self._client.delete_item(
                    TableName=self._table_name,
                    Key=items.key(product_id),
                    ConditionExpression=condition,
                    ExpressionAttributeNames=names,
                    ReturnValuesOnConditionCheckFailure="ALL_OLD",
                    **optional,
                )
        except ClientError as error:
            retried = error.response.get("ResponseMetadata", {}).get("RetryAttempts", 0) > 0
            if retried and not error.response.get("Item") and _is_condition_failure(error):
                return
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
            arguments["ExclusiveStartKey"] = items.key(after_id)
        with _TRANSLATED_ERRORS:
            response = self._client.scan(**arguments)
        products = [items.product_from_item(item) for item in response.get("Items", [])]
        if len(products) > page_size:
            products = products[:page_size]
            return Page(products, continue_after=products[-1].product_id)
        last_key = response.get("LastEvaluatedKey")
        if last_key:
            # Only reachable if DynamoDB cut the scan short (1 MB): continue where it stopped,
            # even after a full page (what follows is unknown, so it is not the last page).
            return Page(products, continue_after=last_key[items.PARTITION_KEY]["S"])
        return Page(products, continue_after=None)


def _error_code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


def _is_condition_failure(error: ClientError) -> bool:
    return _error_code(error) == "ConditionalCheckFailedException"


class _TranslatedErrors:
    """DynamoDB throttling or outage -> RepositoryUnavailable; anything else propagates.

    One shared instance (it keeps no state), used as ``with _TRANSLATED_ERRORS:`` around each
    DynamoDB call.
    """

    def __enter__(self) -> None:
        return None

    def __exit__(
        self, error_type: type[BaseException] | None, error: BaseException | None, _: object
    ) -> None:
        if isinstance(error, ClientError):
            code = error.response.get("Error", {}).get("Code", "")
            if code in _UNAVAILABLE_ERROR_CODES:
                raise RepositoryUnavailable(code) from error
        elif isinstance(error, BotoCoreError):  # connection and read timeouts, endpoint errors
            raise RepositoryUnavailable(type(error).__name__) from error


_TRANSLATED_ERRORS = _TranslatedErrors()


def _raise_condition_failure(
    product_id: str, expected_version: int | None, error: ClientError
) -> NoReturn:
    """Tell 404 from 412 using the old item DynamoDB returns with a failed condition."""
    if not _is_condition_failure(error):
        raise error
    old_item: Any = error.response.get("Item")
    if not old_item:
        raise ProductNotFound(product_id) from error
    actual = int(old_item["version"]["N"])
    raise VersionConflict(product_id, expected_version or 0, actual) from error

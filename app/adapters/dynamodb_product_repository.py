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

import contextvars
import functools
import time
from datetime import datetime
from typing import TYPE_CHECKING, Any, NoReturn

from botocore.exceptions import BotoCoreError, ClientError

from app import contract
from app.domain.exceptions import ProductNotFound, RepositoryUnavailable, VersionConflict
from app.domain.model import (
    UNCHANGED,
    Origin,
    Page,
    Product,
    ProductChanges,
    StoredProduct,
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


# Item attributes that remember requests (never part of the product the API returns).
CREATE_REQUEST_ID = "createRequestId"
LAST_REQUEST_ID = "lastRequestId"
REQUEST_FINGERPRINT = "requestFingerprint"

# The monotonic time by which the current invocation needs DynamoDB's last answer (None: no limit).
# A context variable, so concurrent requests on threads (the local server) each keep their own.
_deadline: contextvars.ContextVar[float | None] = contextvars.ContextVar(
    "dynamodb_deadline", default=None
)


class DeadlineExceeded(BotoCoreError):
    """Another attempt could not finish before the invocation's deadline (not retried)."""

    fmt = "No time left for another DynamoDB attempt before the deadline"


class deadline:  # noqa: N801 - used like a function: ``with deadline(seconds):``
    """Within this block, DynamoDB attempts start only if they can end ``seconds`` from now.

    A class rather than ``contextlib.contextmanager``: it wraps every request, and a generator
    costs several times more to enter and leave.
    """

    def __init__(self, seconds: float) -> None:
        self._limit = time.monotonic() + seconds

    def __enter__(self) -> None:
        self._token = _deadline.set(self._limit)

    def __exit__(self, *exc_info: object) -> None:
        _deadline.reset(self._token)


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
        # An attempt can take the connect plus the read timeout; the hook goes first so that an
        # attempt past the deadline is refused before anything sends it.
        config: Any = client.meta.config  # the stubs do not declare the timeouts
        attempt_seconds = (config.connect_timeout or 0) + (config.read_timeout or 0)
        client.meta.events.register_first(
            "before-send.dynamodb",
            functools.partial(_refuse_attempt_past_deadline, attempt_seconds),
            unique_id="products-deadline",
        )

    def add(self, product: Product, origin: Origin) -> StoredProduct:
        """Put the item unless its id exists; a failed condition returns the existing item."""
        item = _to_item(product)
        item[CREATE_REQUEST_ID] = {"S": origin.request_id}
        if origin.fingerprint is not None:
            item[REQUEST_FINGERPRINT] = {"S": origin.fingerprint}
        try:
            with _TRANSLATED_ERRORS:
                self._client.put_item(
                    TableName=self._table_name,
                    Item=item,
                    ConditionExpression="attribute_not_exists(#id)",
                    ExpressionAttributeNames={"#id": PARTITION_KEY},
                    ReturnValuesOnConditionCheckFailure="ALL_OLD",
                )
        except ClientError as error:
            existing: Any = error.response.get("Item")
            if not _is_condition_failure(error) or not existing:
                raise
            return _stored_from_item(existing)
        return StoredProduct(product, origin)

    def get(self, product_id: str) -> Product:
        """Strongly consistent read, so a client sees its own writes."""
        with _TRANSLATED_ERRORS:
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
            "#id": PARTITION_KEY,
            "#version": "version",
            "#lastUpdateDate": "lastUpdateDate",
            "#request": LAST_REQUEST_ID,
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
                    Key=_key(product_id),
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
                and old_item.get(LAST_REQUEST_ID) == {"S": request_id}
            ):
                return _from_item(old_item)  # applied by an attempt whose answer was lost
            _raise_condition_failure(product_id, expected_version, error)
        return _from_item(response["Attributes"])

    def delete(self, product_id: str, expected_version: int | None) -> None:
        """One conditional DeleteItem.

        When botocore had to retry it and the retry finds no item, the earlier attempt deleted it
        (its answer was lost): that is success, not a 404. The one case this misreads is a delete
        of an absent product whose first attempt never reached DynamoDB: 204 instead of 404,
        which leaves the client with the state it asked for.
        """
        condition = "attribute_exists(#id)"
        names = {"#id": PARTITION_KEY}
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
                    Key=_key(product_id),
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
            arguments["ExclusiveStartKey"] = _key(after_id)
        with _TRANSLATED_ERRORS:
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


def _refuse_attempt_past_deadline(attempt_seconds: float, **_: Any) -> None:
    """botocore ``before-send`` hook: refuse an attempt that could outlive the deadline, so the
    function answers 503 in time instead of being killed by Lambda's timeout."""
    limit = _deadline.get()
    if limit is not None and time.monotonic() + attempt_seconds > limit:
        raise DeadlineExceeded()


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


def _stored_from_item(item: dict[str, Any]) -> StoredProduct:
    # Items written before requests were remembered have no createRequestId: "" matches no request.
    fingerprint = item.get(REQUEST_FINGERPRINT)
    origin = Origin(
        request_id=item.get(CREATE_REQUEST_ID, {}).get("S", ""),
        fingerprint=fingerprint["S"] if fingerprint else None,
    )
    return StoredProduct(_from_item(item), origin)


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

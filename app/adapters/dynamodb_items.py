"""DynamoDB items <-> products: the table's key and attributes, and their marshalling.

Used by the repository and by the stream handler (stream images are items), and the table's
definition for local runs and tests (the CDK stack declares the same key, ``app.contract``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from app import contract
from app.domain.fields import Kind
from app.domain.model import (
    PRODUCT_FIELDS,
    Origin,
    Product,
    ProductChanges,
    StoredProduct,
    format_timestamp,
    parse_timestamp,
)

PARTITION_KEY = contract.PARTITION_KEY
# Item attributes that remember requests (never part of the product the API returns).
CREATE_REQUEST_ID = "createRequestId"
LAST_REQUEST_ID = "lastRequestId"
REQUEST_FINGERPRINT = "requestFingerprint"


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


# Per kind of field: its DynamoDB type, value -> attribute value text, and back.
_MARSHALLING: dict[Kind, tuple[str, Callable[[Any], str], Callable[[str], Any]]] = {
    Kind.ID: ("S", str, str),
    Kind.TEXT: ("S", str, str),
    Kind.TIMESTAMP: ("S", format_timestamp, parse_timestamp),
    Kind.VERSION: ("N", str, int),
}


@dataclass(frozen=True)
class _ItemAttribute:
    """How one product field is stored: a field whose value is None is no attribute at all."""

    field: str  # the ``Product`` attribute
    name: str  # the item attribute: the field's JSON name (the id's is the partition key)
    dynamodb_type: str
    to_text: Callable[[Any], str]
    from_text: Callable[[str], Any]
    nullable: bool


_ATTRIBUTES = tuple(
    _ItemAttribute(
        declared.attribute,
        PARTITION_KEY if declared.kind is Kind.ID else declared.json_name,
        *_MARSHALLING[declared.kind],
        nullable=declared.nullable,
    )
    for declared in PRODUCT_FIELDS
)
_BY_FIELD = {stored.field: stored for stored in _ATTRIBUTES}


def changed_attributes(changes: ProductChanges) -> dict[str, dict[str, str] | None]:
    """Item attribute -> its new attribute value (None removes it) for each field ``changes``
    sets."""
    attributes: dict[str, dict[str, str] | None] = {}
    for field, value in changes.values.items():
        stored = _BY_FIELD[field]
        attributes[stored.name] = (
            None if value is None else {stored.dynamodb_type: stored.to_text(value)}
        )
    return attributes


def key(product_id: str) -> dict[str, Any]:
    """The item key of a product."""
    return {PARTITION_KEY: {"S": product_id}}


def to_item(product: Product) -> dict[str, Any]:
    """The item of a product (without the request attributes)."""
    item: dict[str, Any] = {}
    for stored in _ATTRIBUTES:
        value = getattr(product, stored.field)
        if value is not None:
            item[stored.name] = {stored.dynamodb_type: stored.to_text(value)}
    return item


def stored_from_item(item: dict[str, Any]) -> StoredProduct:
    """The product an item holds, with the request that created it."""
    # Items written before requests were remembered have no createRequestId: "" matches no request.
    fingerprint = item.get(REQUEST_FINGERPRINT)
    origin = Origin(
        request_id=item.get(CREATE_REQUEST_ID, {}).get("S", ""),
        fingerprint=fingerprint["S"] if fingerprint else None,
    )
    return StoredProduct(product_from_item(item), origin)


def product_from_item(item: dict[str, Any]) -> Product:
    """The product an item (or a DynamoDB Streams image of one) holds; other attributes ignored."""
    values: dict[str, Any] = {}
    for stored in _ATTRIBUTES:
        # A missing attribute is null for a nullable field and a KeyError (no product) otherwise.
        value = item.get(stored.name) if stored.nullable else item[stored.name]
        values[stored.field] = (
            None if value is None else stored.from_text(value[stored.dynamodb_type])
        )
    return Product(**values)

"""DynamoDB items <-> products: the table's key and attributes, and their marshalling.

Used by the repository and by the stream handler (stream images are items), and the table's
definition for local runs and tests (the CDK stack declares the same key, ``app.contract``).
"""

from __future__ import annotations

from typing import Any

from app import contract
from app.domain.model import (
    UNCHANGED,
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


def changed_attributes(changes: ProductChanges) -> dict[str, str | None]:
    """Item attribute -> new value (None removes it) for each field ``changes`` touches."""
    attributes: dict[str, str | None] = {}
    if changes.name is not UNCHANGED:
        attributes["name"] = changes.name
    if changes.description is not UNCHANGED:
        attributes["description"] = changes.description
    return attributes


def key(product_id: str) -> dict[str, Any]:
    """The item key of a product."""
    return {PARTITION_KEY: {"S": product_id}}


def to_item(product: Product) -> dict[str, Any]:
    """The item of a product (without the request attributes)."""
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
    return Product(
        product_id=item[PARTITION_KEY]["S"],
        name=item["name"]["S"],
        description=item["description"]["S"] if "description" in item else None,
        create_date=parse_timestamp(item["createDate"]["S"]),
        last_update_date=parse_timestamp(item["lastUpdateDate"]["S"]),
        version=int(item["version"]["N"]),
    )

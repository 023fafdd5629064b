"""Domain events: what consumers learn about every committed product change.

Plain dataclasses whose field names are the published JSON names, so one definition is both the
code's model and the contract: ``docs/events/*.schema.json`` is generated from these classes (a
test fails when the committed files are stale). The event ``detail-type`` is the class name.

Which event a change is, and what it carries, is a domain rule (:func:`event_for_change`); how a
change is observed (DynamoDB Streams) and where events go (EventBridge) belong to adapters.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from app.domain import model
from app.domain.model import Product, StoredProduct, format_timestamp

# Event ids are UUIDv5 names in this namespace; fixed forever (golden tests pin the ids).
EVENT_ID_NAMESPACE = uuid.UUID("5d0b7f0e-2c4e-4d8e-9c61-7a3f0d6f4b21")
# What consumers are told about detail.eventId (the published schemas carry this text).
EVENT_ID_DESCRIPTION = (
    "The id of this change, the same on every delivery and in every region: deduplicate on it."
    " A UUIDv5 (namespace 5d0b7f0e-2c4e-4d8e-9c61-7a3f0d6f4b21) of"
    " '<detail-type>/<productId>/<version>/<creating request id>', where the creating request"
    " is the API request that created this product, so a product deleted and created again"
    " with the same id gets new ids for all its changes. Products created before that request"
    " was stored keep the earlier name '<detail-type>/<productId>/<version>'."
)
# What consumers are told about detail.occurredAt (the published schemas carry this text).
OCCURRED_AT_DESCRIPTION = (
    "When the change was made, ISO 8601 UTC with milliseconds, the same in every region: the"
    " product's lastUpdateDate after a create or an update; for a delete, the deleted state's"
    " lastUpdateDate (the store keeps no time of the delete itself, so this is the time of the"
    " product's last write before it). The envelope's time says when this region's pipeline"
    " published the event."
)
# changedFields leaves out the fields every update changes (the version and the last update's
# time, which ProductChanges.applied_to sets): listing them would tell consumers nothing.
_LISTED_FIELDS = tuple(
    declared.json_name
    for declared in model.PRODUCT_FIELDS
    if declared.attribute not in ("version", "last_update_date")
)


# The public product JSON, exactly as ``GET /products/{id}`` returns it (:func:`model.json_values`):
# each field under its JSON name. Its published schema is derived from the field declarations.
ProductSnapshot = dict[str, object]


@dataclass(frozen=True)
class ProductCreated:
    """A product was created; ``product`` is its first state (``version`` 1)."""

    eventId: str  # see EVENT_ID_DESCRIPTION and event_id: deduplicate on it
    productId: str
    version: int
    occurredAt: str  # see OCCURRED_AT_DESCRIPTION
    product: ProductSnapshot


@dataclass(frozen=True)
class ProductUpdated:
    """A product was changed; ``product`` is its state after the change."""

    eventId: str
    productId: str
    version: int
    occurredAt: str
    product: ProductSnapshot
    changedFields: list[str]  # public fields whose values changed, sorted


@dataclass(frozen=True)
class ProductDeleted:
    """A product was deleted; ``product`` is its last state and ``version`` its last version."""

    eventId: str
    productId: str
    version: int
    occurredAt: str
    product: ProductSnapshot


ProductEvent = ProductCreated | ProductUpdated | ProductDeleted
EVENT_TYPES: tuple[type[ProductCreated], type[ProductUpdated], type[ProductDeleted]] = (
    ProductCreated,
    ProductUpdated,
    ProductDeleted,
)


def detail_type(event: ProductEvent) -> str:
    """The event's ``detail-type`` (its class name)."""
    return type(event).__name__


def event_id(detail_type_name: str, product_id: str, version: int, creating_request: str) -> str:
    """The id of one change: the same whoever derives it from the change (every delivery, every
    region's stream), different for any other change.

    ``creating_request`` (the id of the request that created the product, see
    :class:`app.domain.model.Origin`) tells a product's lifetimes apart: deleted and created
    again, a product has the same id and versions but another creating request. Products
    stored before it was remembered have none (""); their ids keep the earlier formula.
    """
    name = f"{detail_type_name}/{product_id}/{version}"
    if creating_request:
        name += f"/{creating_request}"
    return str(uuid.uuid5(EVENT_ID_NAMESPACE, name))


def event_for_change(
    before: StoredProduct | None, after: StoredProduct | None
) -> ProductEvent | None:
    """The event for one committed change of a product, or None if consumers can see no change.

    ``before``/``after`` are the product's states around the change (None: it did not exist),
    with the origin of the request that created it. The event depends on nothing else (not on
    when or where the change was observed), so every region's stream of a global table yields
    the same event: ``occurredAt`` is the product's ``lastUpdateDate`` (set by the domain,
    exact), for a delete the deleted state's, since a delete leaves no timestamp of its own
    (see OCCURRED_AT_DESCRIPTION). A rewrite that changes neither a public field nor the
    version (e.g. a store attribute that is not part of the product) is no product change and
    yields None.
    """
    if after is not None and before is None:
        return _created(after)
    if after is not None and before is not None:
        return _updated(before.product, after)
    if before is not None:
        return _deleted(before)
    return None


def _created(after: StoredProduct) -> ProductCreated:
    product = after.product
    return ProductCreated(
        eventId=event_id(
            "ProductCreated", product.product_id, product.version, after.origin.request_id
        ),
        productId=product.product_id,
        version=product.version,
        occurredAt=format_timestamp(product.last_update_date),
        product=model.json_values(product),
    )


def _updated(before: Product, after: StoredProduct) -> ProductUpdated | None:
    product = after.product
    old, new = model.json_values(before), model.json_values(product)
    if old == new:
        return None
    return ProductUpdated(
        eventId=event_id(
            "ProductUpdated", product.product_id, product.version, after.origin.request_id
        ),
        productId=product.product_id,
        version=product.version,
        occurredAt=format_timestamp(product.last_update_date),
        product=new,
        changedFields=sorted(name for name in _LISTED_FIELDS if old[name] != new[name]),
    )


def _deleted(before: StoredProduct) -> ProductDeleted:
    product = before.product
    return ProductDeleted(
        eventId=event_id(
            "ProductDeleted", product.product_id, product.version, before.origin.request_id
        ),
        productId=product.product_id,
        version=product.version,
        occurredAt=format_timestamp(product.last_update_date),
        product=model.json_values(product),
    )

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
from datetime import datetime

from app.domain import model
from app.domain.model import Product, format_timestamp

# Event ids are UUIDv5 names in this namespace, so anyone can recompute them (tests pin them).
EVENT_ID_NAMESPACE = uuid.UUID("5d0b7f0e-2c4e-4d8e-9c61-7a3f0d6f4b21")
# changedFields lists the fields clients set: the server's change on every update (version, last
# update) or never (id, creation date), so listing them would tell consumers nothing.
_CLIENT_FIELDS = tuple(
    declared.json_name for declared in model.PRODUCT_FIELDS if declared.client_sets
)


# The public product JSON, exactly as ``GET /products/{id}`` returns it (:func:`model.json_values`):
# each field under its JSON name. Its published schema is derived from the field declarations.
ProductSnapshot = dict[str, object]


@dataclass(frozen=True)
class ProductCreated:
    """A product was created; ``product`` is its first state (``version`` 1)."""

    eventId: str  # stable across redeliveries: deduplicate on it
    productId: str
    version: int
    occurredAt: str  # ISO 8601 UTC, millisecond precision
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


def event_id(detail_type_name: str, product_id: str, version: int) -> str:
    """The id of the change: the same change always gets the same id, whoever derives it."""
    return str(uuid.uuid5(EVENT_ID_NAMESPACE, f"{detail_type_name}/{product_id}/{version}"))


def event_for_change(
    before: Product | None, after: Product | None, observed_at: datetime
) -> ProductEvent | None:
    """The event for one committed change of a product, or None if consumers can see no change.

    ``before``/``after`` are the product's states around the change (None: it did not exist).
    A create or update happened at the product's ``lastUpdateDate`` (set by the domain, exact);
    a delete leaves no timestamp of its own, so it happened at ``observed_at`` (when the store
    recorded it), or at the last update if the store's coarser clock says earlier. A rewrite
    that changes neither a public field nor the version (e.g. a store attribute that is not
    part of the product) is no product change and yields None.
    """
    if after is not None and before is None:
        return ProductCreated(
            eventId=event_id("ProductCreated", after.product_id, after.version),
            productId=after.product_id,
            version=after.version,
            occurredAt=format_timestamp(after.last_update_date),
            product=model.json_values(after),
        )
    if after is not None and before is not None:
        old, new = model.json_values(before), model.json_values(after)
        if old == new:
            return None
        changed = sorted(name for name in _CLIENT_FIELDS if old[name] != new[name])
        return ProductUpdated(
            eventId=event_id("ProductUpdated", after.product_id, after.version),
            productId=after.product_id,
            version=after.version,
            occurredAt=format_timestamp(after.last_update_date),
            product=new,
            changedFields=changed,
        )
    if before is not None:
        return ProductDeleted(
            eventId=event_id("ProductDeleted", before.product_id, before.version),
            productId=before.product_id,
            version=before.version,
            # Never before the last update: the store's clock may only keep whole seconds.
            occurredAt=format_timestamp(max(observed_at, before.last_update_date)),
            product=model.json_values(before),
        )
    return None

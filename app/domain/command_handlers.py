"""Use cases that change products: each enforces the product rules, then makes one call to the
repository (reads: ``query_handlers``)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from app.domain import commands, model
from app.domain.exceptions import (
    FieldError,
    IdempotencyKeyReused,
    ProductIdTaken,
    ProductNotFound,
    ValidationFailed,
)
from app.domain.ports import ProductRepository

Clock = Callable[[], datetime]
IdFactory = Callable[[], str]


def new_product_id() -> str:
    """A fresh product id (random UUID, canonical form)."""
    return str(uuid.uuid4())


@dataclass(frozen=True)
class Created:
    """The outcome of a create: the product, and whether it was created by an earlier request
    with the same idempotency key (a replay, nothing written now)."""

    product: model.Product
    replayed: bool = False


def create_product(
    command: commands.CreateProduct,
    repository: ProductRepository,
    clock: Clock = model.utc_now,
    new_id: IdFactory = new_product_id,
) -> Created:
    """Validate and store a new product at version 1, exactly once per request and per key.

    The product's own conditional write is the idempotency record: a keyed create's id is derived
    from (caller, key), so a repeat meets the product the first request stored, and its origin
    tells a repeat of the same request (replay) from another request (``IdempotencyKeyReused``).
    Invalid requests raise before any write, so they never spend a key.
    """
    values, errors = model.checked_values(model.CREATE_FIELDS, command.values)
    errors += model.missing_required(command.values)
    if errors:
        raise ValidationFailed(errors)
    key = command.idempotency
    now = clock()
    optional = {declared.attribute: None for declared in model.CREATE_FIELDS}
    product = model.Product(
        product_id=new_id() if key is None else model.idempotent_product_id(key.caller, key.key),
        create_date=now,
        last_update_date=now,
        version=model.FIRST_VERSION,
        **{**optional, **values},  # type: ignore[arg-type]  # checked by the declarations
    )
    origin = model.Origin(command.request_id, None if key is None else key.fingerprint)
    stored = repository.add(product, origin)
    if stored.origin.request_id == origin.request_id:
        # Stored by this request: now, or by an attempt whose answer the SDK lost and retried.
        return Created(stored.product)
    if key is None:
        raise ProductIdTaken(product.product_id)
    if stored.origin.fingerprint != key.fingerprint:
        raise IdempotencyKeyReused(product.product_id)
    return Created(stored.product, replayed=True)


def update_product(
    command: commands.UpdateProduct,
    repository: ProductRepository,
    clock: Clock = model.utc_now,
) -> model.Product:
    """Apply a partial update atomically; only the fields sent change."""
    values, errors = model.checked_values(model.UPDATE_FIELDS, command.changes)
    if not command.changes:
        errors.append(FieldError(model.CHANGES_FIELD, model.NO_CHANGES))
    if errors:
        raise ValidationFailed(errors)
    require_known_id(command.product_id)
    return repository.update(
        command.product_id,
        model.ProductChanges(values),
        clock(),
        command.expected_version,
        command.request_id,
    )


def delete_product(command: commands.DeleteProduct, repository: ProductRepository) -> None:
    """Delete a product (optionally only at the expected version)."""
    require_known_id(command.product_id)
    repository.delete(command.product_id, command.expected_version)


def require_known_id(product_id: str) -> None:
    # Ids that we can never have issued are absent by definition: answer without a store request
    # (and keep oversized or odd keys away from DynamoDB, which would reject them as invalid).
    if not model.is_product_id(product_id):
        raise ProductNotFound(product_id)

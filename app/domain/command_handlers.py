"""Use cases: each function enforces the product rules, then makes one call to the repository."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime

from app.domain import commands, model
from app.domain.exceptions import FieldError, ProductNotFound, ValidationFailed
from app.domain.ports import ProductRepository

Clock = Callable[[], datetime]
IdFactory = Callable[[], str]


def new_product_id() -> str:
    """A fresh product id (random UUID, canonical form)."""
    return str(uuid.uuid4())


def create_product(
    command: commands.CreateProduct,
    repository: ProductRepository,
    clock: Clock = model.utc_now,
    new_id: IdFactory = new_product_id,
) -> model.Product:
    """Validate and store a new product at version 1."""
    name, errors = model.normalise_name(command.name)
    errors += model.description_errors(command.description)
    if errors or name is None:
        raise ValidationFailed(errors)
    now = clock()
    product = model.Product(
        product_id=new_id(),
        name=name,
        description=command.description,
        create_date=now,
        last_update_date=now,
        version=model.FIRST_VERSION,
    )
    repository.add(product)
    return product


def update_product(
    command: commands.UpdateProduct,
    repository: ProductRepository,
    clock: Clock = model.utc_now,
) -> model.Product:
    """Apply a partial update atomically; only the fields sent change."""
    name: str | model.Unchanged = model.UNCHANGED
    errors: list[FieldError] = []
    if command.name is not model.UNCHANGED:
        trimmed, name_errors = model.normalise_name(command.name)
        errors += name_errors
        if trimmed is not None:
            name = trimmed
    if command.description is not model.UNCHANGED:
        errors += model.description_errors(command.description)
    if command.name is model.UNCHANGED and command.description is model.UNCHANGED:
        errors.append(
            FieldError(model.CHANGES_FIELD, "an update must change name and/or description")
        )
    if errors:
        raise ValidationFailed(errors)
    _require_known_id(command.product_id)
    changes = model.ProductChanges(name=name, description=command.description)
    return repository.update(command.product_id, changes, clock(), command.expected_version)


def delete_product(command: commands.DeleteProduct, repository: ProductRepository) -> None:
    """Delete a product (optionally only at the expected version)."""
    _require_known_id(command.product_id)
    repository.delete(command.product_id, command.expected_version)


def get_product(query: commands.GetProduct, repository: ProductRepository) -> model.Product:
    """Read one product."""
    _require_known_id(query.product_id)
    return repository.get(query.product_id)


def list_products(query: commands.ListProducts, repository: ProductRepository) -> model.Page:
    """One page of products; ``Page.continue_after`` is None on the last page."""
    errors = model.page_size_errors(query.page_size)
    if errors:
        raise ValidationFailed(errors)
    return repository.list_page(query.page_size, query.after_id)


def _require_known_id(product_id: str) -> None:
    # Ids that we can never have issued are absent by definition: answer without a store request
    # (and keep oversized or odd keys away from DynamoDB, which would reject them as invalid).
    if not model.is_product_id(product_id):
        raise ProductNotFound(product_id)

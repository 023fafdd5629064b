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
    name, errors = model.name_errors(command.name)
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
        version=1,
    )
    repository.add(product)
    return product


def update_product(
    command: commands.UpdateProduct,
    repository: ProductRepository,
    clock: Clock = model.utc_now,
) -> model.Product:
    """Apply a partial update atomically; only the fields sent change."""
    changes: dict[str, str | None] = {}
    errors: list[FieldError] = []
    if command.name is not commands.UNCHANGED:
        name, name_errors = model.name_errors(command.name)
        errors += name_errors
        if name is not None:
            changes["name"] = name
    if command.description is not commands.UNCHANGED:
        errors += model.description_errors(command.description)
        changes["description"] = command.description
    if command.name is commands.UNCHANGED and command.description is commands.UNCHANGED:
        errors.append(FieldError("body", "an update must change name and/or description"))
    if errors:
        raise ValidationFailed(errors)
    _require_known_id(command.product_id)
    return repository.update(command.product_id, changes, clock(), command.expected_version)


def delete_product(command: commands.DeleteProduct, repository: ProductRepository) -> None:
    """Delete a product (optionally only at the expected version)."""
    _require_known_id(command.product_id)
    repository.delete(command.product_id, command.expected_version)


def get_product(query: commands.GetProduct, repository: ProductRepository) -> model.Product:
    """Read one product."""
    _require_known_id(query.product_id)
    return repository.get(query.product_id)


def list_products(
    query: commands.ListProducts, repository: ProductRepository
) -> tuple[list[model.Product], str | None]:
    """One page of products and the token for the next page (None on the last page)."""
    if not model.PAGE_SIZE_MIN <= query.page_size <= model.PAGE_SIZE_MAX:
        raise ValidationFailed(
            [
                FieldError(
                    "pageSize",
                    f"must be between {model.PAGE_SIZE_MIN} and {model.PAGE_SIZE_MAX}",
                )
            ]
        )
    after_id = model.decode_page_token(query.page_token) if query.page_token is not None else None
    page = repository.list_page(query.page_size, after_id)
    next_token = model.encode_page_token(page.last_evaluated_id) if page.last_evaluated_id else None
    return page.products, next_token


def _require_known_id(product_id: str) -> None:
    # Ids that we can never have issued are absent by definition: answer without a store request
    # (and keep oversized or odd keys away from DynamoDB, which would reject them as invalid).
    if not model.is_product_id(product_id):
        raise ProductNotFound(product_id)

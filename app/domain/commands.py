"""Immutable requests to change or read products, as the domain understands them."""

from __future__ import annotations

from dataclasses import dataclass

from app.domain.model import UNCHANGED, Unchanged

__all__ = [
    "UNCHANGED",
    "CreateProduct",
    "DeleteProduct",
    "GetProduct",
    "ListProducts",
    "Unchanged",
    "UpdateProduct",
]


@dataclass(frozen=True)
class CreateProduct:
    """Create a product; the id, dates and version are assigned by the domain."""

    name: str
    description: str | None = None


@dataclass(frozen=True)
class UpdateProduct:
    """Change the name and/or description; ``expected_version`` enables optimistic locking."""

    product_id: str
    name: str | Unchanged = UNCHANGED
    description: str | None | Unchanged = UNCHANGED
    expected_version: int | None = None


@dataclass(frozen=True)
class DeleteProduct:
    """Delete a product, optionally only if it is still at ``expected_version``."""

    product_id: str
    expected_version: int | None = None


@dataclass(frozen=True)
class GetProduct:
    """Read one product."""

    product_id: str


@dataclass(frozen=True)
class ListProducts:
    """Read one page of products; ``after_id`` continues where a previous page ended."""

    page_size: int
    after_id: str | None = None

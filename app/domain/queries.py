"""Immutable requests to read products, as the domain understands them."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class GetProduct:
    """Read one product."""

    product_id: str


@dataclass(frozen=True)
class ListProducts:
    """Read one page of products; ``after_id`` continues where a previous page ended."""

    page_size: int
    after_id: str | None = None

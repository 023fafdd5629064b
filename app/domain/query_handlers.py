"""Use cases that read products: each checks the query, then makes one call to the repository."""

from __future__ import annotations

from app.domain import model, queries
from app.domain.command_handlers import require_known_id
from app.domain.exceptions import ValidationFailed
from app.domain.ports import ProductRepository


def get_product(query: queries.GetProduct, repository: ProductRepository) -> model.Product:
    """Read one product."""
    require_known_id(query.product_id)
    return repository.get(query.product_id)


def list_products(query: queries.ListProducts, repository: ProductRepository) -> model.Page:
    """One page of products; ``Page.continue_after`` is None on the last page."""
    errors = model.page_size_errors(query.page_size)
    if errors:
        raise ValidationFailed(errors)
    return repository.list_page(query.page_size, query.after_id)

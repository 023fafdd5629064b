"""The ports the domain needs (storage, event delivery); adapters implement them structurally."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

from app.domain.model import Origin, Page, Product, ProductChanges, StoredProduct

if TYPE_CHECKING:  # the API function's import path stays as it was (cold start)
    from app.domain.events import ProductEvent


class ProductRepository(Protocol):
    """Product storage. Each method is one atomic operation on the store.

    ``update`` and ``delete`` raise ``ProductNotFound`` or ``VersionConflict`` (when
    ``expected_version`` is given and differs) and must decide both atomically with the write.
    Any method may raise ``RepositoryUnavailable``.

    Writes happen exactly once even when the store's client re-sends a request whose answer was
    lost: a repeat recognises its own earlier success (by ``request_id``) and answers as the first
    attempt would have.
    """

    def add(self, product: Product, origin: Origin) -> StoredProduct:
        """Store ``product`` unless its id is taken (never overwrite), and return what the id
        holds afterwards, decided in the same atomic request: ``product`` with ``origin``, or the
        product stored earlier with its own origin (as it is now)."""

    def get(self, product_id: str) -> Product:
        """The stored product, or ``ProductNotFound``."""

    def update(
        self,
        product_id: str,
        changes: ProductChanges,
        updated_at: datetime,
        expected_version: int | None,
        request_id: str,
    ) -> Product:
        """Store ``changes.applied_to(current, updated_at)`` in the same atomic request that reads
        the current product (see :class:`ProductChanges` for why the store applies the rule), and
        return the product as stored afterwards.

        If the product's last update carried ``request_id``, that update was this one (an SDK
        retry): return the product unchanged, with no version check and no second version bump.
        """

    def delete(self, product_id: str, expected_version: int | None) -> None:
        """Remove the product (a retry of an applied delete is not a ``ProductNotFound``)."""

    def list_page(self, page_size: int, after_id: str | None) -> Page:
        """Up to ``page_size`` products after ``after_id``; a full page unless it is the last.

        ``Page.continue_after`` is None exactly when no product follows."""


class EventPublisher(Protocol):
    """Delivers domain events to their consumers (at least once)."""

    def publish(self, events: Sequence[ProductEvent]) -> set[str]:
        """Deliver ``events``; return the ``eventId`` of each one that could not be delivered.

        Never raises for a delivery failure: the caller decides what to retry, event by event."""

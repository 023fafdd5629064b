"""Hand-written test doubles for the domain's ports (kept honest by the repository contract)."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from datetime import datetime

from app.domain.events import ProductEvent
from app.domain.exceptions import ProductNotFound, RepositoryUnavailable, VersionConflict
from app.domain.model import Origin, Page, Product, ProductChanges, StoredProduct


class InMemoryProductRepository:
    """ProductRepository in a dict, with the same atomicity and paging guarantees as DynamoDB."""

    def __init__(self) -> None:
        self._products: dict[str, Product] = {}
        self._origins: dict[str, Origin] = {}
        self._last_update_request: dict[str, str] = {}  # DynamoDB's lastRequestId attribute
        self._lock = threading.Lock()
        self.requests = 0  # store round trips, so tests can check "one request per operation"
        self.unavailable = False  # simulate throttling / an outage

    def _request(self) -> None:
        self.requests += 1
        if self.unavailable:
            raise RepositoryUnavailable("ThrottlingException")

    def add(self, product: Product, origin: Origin) -> StoredProduct:
        with self._lock:
            self._request()
            product_id = product.product_id
            if product_id not in self._products:
                self._products[product_id] = product
                self._origins[product_id] = origin
            return StoredProduct(self._products[product_id], self._origins[product_id])

    def get(self, product_id: str) -> Product:
        with self._lock:
            self._request()
            if product_id not in self._products:
                raise ProductNotFound(product_id)
            return self._products[product_id]

    def _current(self, product_id: str, expected_version: int | None) -> Product:
        current = self._products.get(product_id)
        if current is None:
            raise ProductNotFound(product_id)
        if expected_version is not None and current.version != expected_version:
            raise VersionConflict(product_id, expected_version, current.version)
        return current

    def update(
        self,
        product_id: str,
        changes: ProductChanges,
        updated_at: datetime,
        expected_version: int | None,
        request_id: str,
    ) -> Product:
        with self._lock:
            self._request()
            if product_id in self._products and self._last_update_request.get(product_id) == (
                request_id
            ):
                return self._products[product_id]  # this very update, already applied
            # Read and write under one lock: the fake's equivalent of DynamoDB's atomic UpdateItem.
            updated = changes.applied_to(self._current(product_id, expected_version), updated_at)
            self._products[product_id] = updated
            self._last_update_request[product_id] = request_id
            return updated

    def delete(self, product_id: str, expected_version: int | None) -> None:
        with self._lock:
            self._request()
            self._current(product_id, expected_version)
            del self._products[product_id]
            del self._origins[product_id]
            self._last_update_request.pop(product_id, None)

    def list_page(self, page_size: int, after_id: str | None) -> Page:
        with self._lock:
            self._request()
            ids = sorted(i for i in self._products if after_id is None or i > after_id)
            page = [self._products[i] for i in ids[:page_size]]
            more = len(ids) > page_size
            return Page(page, continue_after=page[-1].product_id if more else None)


class InMemoryEventPublisher:
    """EventPublisher that keeps what it delivered; events of ``failing_products`` never arrive."""

    def __init__(self) -> None:
        self.published: list[ProductEvent] = []
        self.failing_products: set[str] = set()

    def publish(self, events: Sequence[ProductEvent]) -> set[str]:
        undelivered = set()
        for event in events:
            if event.productId in self.failing_products:
                undelivered.add(event.eventId)
            else:
                self.published.append(event)
        return undelivered

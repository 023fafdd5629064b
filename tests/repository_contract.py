"""The ProductRepository contract: one suite for every implementation of the port.

Subclasses provide a ``repository`` fixture; the fake, the DynamoDB adapter on moto and the same
adapter on DynamoDB Local all have to pass it, so the fake cannot drift from the real store.
"""

from __future__ import annotations

import dataclasses
import functools
import threading
import uuid
from datetime import datetime, timedelta, timezone

import pytest

from app.domain.commands import new_request_id
from app.domain.exceptions import ProductNotFound, VersionConflict
from app.domain.model import Origin, Product, ProductChanges, StoredProduct
from app.domain.ports import ProductRepository

T0 = datetime(2026, 11, 22, 10, 0, 0, 123000, tzinfo=timezone.utc)


def make_product(name: str = "Widget", description: str | None = "A widget") -> Product:
    return Product(
        product_id=str(uuid.uuid4()),
        name=name,
        description=description,
        create_date=T0,
        last_update_date=T0,
        version=1,
    )


def new_origin(fingerprint: str | None = None) -> Origin:
    """The origin of a create request of its own."""
    return Origin(new_request_id(), fingerprint)


def all_pages(repository: ProductRepository, page_size: int) -> list[list[Product]]:
    pages = []
    after: str | None = None
    while True:
        page = repository.list_page(page_size, after)
        pages.append(page.products)
        if page.continue_after is None:
            return pages
        after = page.continue_after
        assert len(pages) < 1000, "paging does not terminate"


class ProductRepositoryContract:
    """Behaviour every ProductRepository must have."""

    @pytest.fixture
    def store_is_atomic_per_item(self) -> bool:
        """Whether the store applies concurrent writes to one item one after the other."""
        return True

    def test_added_product_reads_back_identically(self, repository: ProductRepository) -> None:
        product = make_product("Ünïcode ☕ 名前", "line one\nline two\ttabbed")
        repository.add(product, new_origin())
        assert repository.get(product.product_id) == product

    def test_product_without_description_reads_back_with_none(
        self, repository: ProductRepository
    ) -> None:
        product = make_product(description=None)
        repository.add(product, new_origin())
        assert repository.get(product.product_id).description is None

    def test_get_of_absent_product_raises_not_found(self, repository: ProductRepository) -> None:
        missing = str(uuid.uuid4())
        with pytest.raises(ProductNotFound) as failure:
            repository.get(missing)
        assert failure.value.product_id == missing

    @pytest.mark.parametrize(
        "changes",
        [
            ProductChanges({"name": "Gadget"}),
            ProductChanges({"description": "New words"}),
            ProductChanges({"description": None}),
            ProductChanges({"name": "Gadget", "description": None}),
        ],
    )
    def test_update_stores_exactly_what_the_domain_rule_says(
        self, repository: ProductRepository, changes: ProductChanges
    ) -> None:
        # The domain states the rule (ProductChanges.applied_to: changed fields, new date, one
        # version later); each store applies it in its own atomic request and must agree.
        product = make_product()
        repository.add(product, new_origin())
        later = T0 + timedelta(seconds=5)
        expected = changes.applied_to(product, later)
        assert (
            repository.update(product.product_id, changes, later, None, new_request_id())
            == expected
        )
        assert repository.get(product.product_id) == expected
        again = repository.update(
            product.product_id, changes, later, expected.version, new_request_id()
        )
        assert again == changes.applied_to(expected, later)

    def test_update_changes_only_given_fields_and_bumps_version(
        self, repository: ProductRepository
    ) -> None:
        product = make_product()
        repository.add(product, new_origin())
        later = T0 + timedelta(seconds=5)
        updated = repository.update(
            product.product_id, ProductChanges({"name": "Gadget"}), later, None, new_request_id()
        )
        expected = dataclasses.replace(product, name="Gadget", last_update_date=later, version=2)
        assert updated == expected
        assert repository.get(product.product_id) == expected

    def test_update_with_null_description_clears_it(self, repository: ProductRepository) -> None:
        product = make_product()
        repository.add(product, new_origin())
        updated = repository.update(
            product.product_id, ProductChanges({"description": None}), T0, None, new_request_id()
        )
        assert updated.description is None and updated.name == product.name
        assert repository.get(product.product_id).description is None

    def test_update_with_matching_version_succeeds(self, repository: ProductRepository) -> None:
        product = make_product()
        repository.add(product, new_origin())
        update = functools.partial(repository.update, product.product_id)
        assert update(ProductChanges({"description": "x"}), T0, 1, new_request_id()).version == 2
        assert update(ProductChanges({"description": "y"}), T0, 2, new_request_id()).version == 3

    def test_update_with_stale_version_raises_conflict_and_changes_nothing(
        self, repository: ProductRepository
    ) -> None:
        product = make_product()
        repository.add(product, new_origin())
        repository.update(
            product.product_id, ProductChanges({"name": "v2"}), T0, None, new_request_id()
        )
        with pytest.raises(VersionConflict) as conflict:
            repository.update(
                product.product_id, ProductChanges({"name": "stale"}), T0, 1, new_request_id()
            )
        assert (conflict.value.product_id, conflict.value.expected, conflict.value.actual) == (
            product.product_id,
            1,
            2,
        )
        assert repository.get(product.product_id).name == "v2"

    def test_update_of_absent_product_raises_not_found_and_creates_nothing(
        self, repository: ProductRepository
    ) -> None:
        missing = str(uuid.uuid4())
        for expected_version in (None, 1):
            with pytest.raises(ProductNotFound) as failure:
                repository.update(
                    missing,
                    ProductChanges({"name": "ghost"}),
                    T0,
                    expected_version,
                    new_request_id(),
                )
            assert failure.value.product_id == missing
        with pytest.raises(ProductNotFound):
            repository.get(missing)

    def test_delete_removes_the_product(self, repository: ProductRepository) -> None:
        product = make_product()
        repository.add(product, new_origin())
        repository.delete(product.product_id, None)
        with pytest.raises(ProductNotFound):
            repository.get(product.product_id)
        with pytest.raises(ProductNotFound) as failure:
            repository.delete(product.product_id, None)
        assert failure.value.product_id == product.product_id

    def test_delete_with_stale_version_raises_conflict_and_keeps_product(
        self, repository: ProductRepository
    ) -> None:
        product = make_product()
        repository.add(product, new_origin())
        with pytest.raises(VersionConflict) as conflict:
            repository.delete(product.product_id, 7)
        assert (conflict.value.product_id, conflict.value.expected, conflict.value.actual) == (
            product.product_id,
            7,
            1,
        )
        assert repository.get(product.product_id) == product
        repository.delete(product.product_id, 1)
        with pytest.raises(ProductNotFound):
            repository.get(product.product_id)

    def test_list_of_empty_store_is_one_empty_last_page(
        self, repository: ProductRepository
    ) -> None:
        page = repository.list_page(20, None)
        assert page.products == [] and page.continue_after is None

    @pytest.mark.parametrize("page_size", [1, 3, 4, 6, 12, 13, 100])
    def test_paging_returns_every_product_once_in_full_pages(
        self, repository: ProductRepository, page_size: int
    ) -> None:
        products = {p.product_id: p for p in (make_product(f"p{i}") for i in range(12))}
        for product in products.values():
            repository.add(product, new_origin())
        pages = all_pages(repository, page_size)
        seen = [p.product_id for page in pages for p in page]
        assert sorted(seen) == sorted(products)  # every product, exactly once
        assert all(len(page) == page_size for page in pages[:-1])  # all but the last are full
        assert 1 <= len(pages[-1]) <= page_size  # no empty trailing page
        assert len(pages) == -(-len(products) // page_size)

    def test_concurrent_updates_of_different_fields_both_persist(
        self, repository: ProductRepository, store_is_atomic_per_item: bool
    ) -> None:
        """Two updates of different fields at once: neither undoes the other, two versions later.

        A store without item-level atomicity (moto) cannot even be called from two threads at
        once (its UpdateItem copies the item while the other thread changes it), so there the
        two updates run one after the other: the fields must still both persist.
        """
        for round_number in range(10):
            product = make_product()
            repository.add(product, new_origin())
            all_changes = [
                ProductChanges({"name": f"name {round_number}"}),
                ProductChanges({"description": f"desc {round_number}"}),
            ]
            barrier = threading.Barrier(len(all_changes))

            def change(changes: ProductChanges) -> None:
                barrier.wait()
                repository.update(product.product_id, changes, T0, None, new_request_id())

            if store_is_atomic_per_item:
                threads = [threading.Thread(target=change, args=(c,)) for c in all_changes]
                for thread in threads:
                    thread.start()
                for thread in threads:
                    thread.join()
            else:
                for changes in all_changes:
                    repository.update(product.product_id, changes, T0, None, new_request_id())
            stored = repository.get(product.product_id)
            # Neither write may undo the other (a read-modify-write adapter would lose one field).
            assert (stored.name, stored.description) == (
                f"name {round_number}",
                f"desc {round_number}",
            )
            assert stored.version == 3

    # --- Exactly once: a store recognises its own earlier write ------------------------------

    def test_add_returns_the_new_product_with_its_origin(
        self, repository: ProductRepository
    ) -> None:
        product, origin = make_product(), new_origin("fingerprint-1")
        assert repository.add(product, origin) == StoredProduct(product, origin)

    def test_add_of_a_taken_id_returns_what_is_stored_and_overwrites_nothing(
        self, repository: ProductRepository
    ) -> None:
        first, first_origin = make_product("First"), new_origin("fingerprint-1")
        repository.add(first, first_origin)
        updated = repository.update(
            first.product_id, ProductChanges({"name": "Renamed"}), T0, None, new_request_id()
        )
        intruder = dataclasses.replace(first, name="Intruder")
        # The product as it is now (after the update), with the origin of the request that made it.
        assert repository.add(intruder, new_origin("fingerprint-2")) == StoredProduct(
            updated, first_origin
        )
        assert repository.get(first.product_id) == updated

    def test_repeated_update_of_one_request_applies_once(
        self, repository: ProductRepository
    ) -> None:
        # What botocore does when an applied UpdateItem's answer is lost: the same request again.
        product = make_product()
        repository.add(product, new_origin())
        request_id = new_request_id()
        changes = ProductChanges({"name": "Once"})
        first = repository.update(product.product_id, changes, T0, None, request_id)
        assert repository.update(product.product_id, changes, T0, None, request_id) == first
        assert repository.get(product.product_id).version == 2

    def test_repeated_conditional_update_of_one_request_is_not_a_conflict(
        self, repository: ProductRepository
    ) -> None:
        product = make_product()
        repository.add(product, new_origin())
        request_id = new_request_id()
        changes = ProductChanges({"description": "Once"})
        first = repository.update(product.product_id, changes, T0, 1, request_id)
        assert repository.update(product.product_id, changes, T0, 1, request_id) == first
        with pytest.raises(VersionConflict):  # another request with the same If-Match: stale
            repository.update(product.product_id, changes, T0, 1, new_request_id())
        assert repository.get(product.product_id).version == 2

"""Command handlers and product rules, driven with the in-memory fake (no AWS, no HTTP)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from app.domain import command_handlers, commands, model
from app.domain.exceptions import ProductNotFound, ValidationFailed, VersionConflict
from tests.fakes import InMemoryProductRepository

T0 = datetime(2026, 11, 22, 10, 0, 0, 123000, tzinfo=timezone.utc)
FIXED_ID = "3f1c7c7e-4b7a-4e8b-9b1a-0c2d3e4f5a6b"


@pytest.fixture
def repository() -> InMemoryProductRepository:
    return InMemoryProductRepository()


def create(repository: InMemoryProductRepository, name: str = "Lamp") -> model.Product:
    return command_handlers.create_product(
        commands.CreateProduct(name=name), repository, clock=lambda: T0
    ).product


def test_create_uses_injected_clock_and_id_and_trims_name(
    repository: InMemoryProductRepository,
) -> None:
    product = command_handlers.create_product(
        commands.CreateProduct(name="  Lamp ", description="Warm\nlight"),
        repository,
        clock=lambda: T0,
        new_id=lambda: FIXED_ID,
    ).product
    assert product == model.Product(FIXED_ID, "Lamp", "Warm\nlight", T0, T0, 1)
    assert repository.get(FIXED_ID) == product


def test_default_ids_are_canonical_uuids(repository: InMemoryProductRepository) -> None:
    ids = {create(repository).product_id for _ in range(50)}
    assert len(ids) == 50 and all(model.is_product_id(i) for i in ids)


@pytest.mark.parametrize(
    "name, description, fields",
    [
        ("", None, {"name"}),
        ("x" * 201, "ok", {"name"}),
        ("tab\tname", None, {"name"}),
        ("ok", "x" * 2001, {"description"}),
        ("ok", "escape\x1b[31m", {"description"}),
        ("\x7f", "\x00", {"name", "description"}),
    ],
)
def test_create_rejects_rule_violations_without_storing(
    repository: InMemoryProductRepository, name: str, description: str | None, fields: set[str]
) -> None:
    with pytest.raises(ValidationFailed) as failure:
        command_handlers.create_product(commands.CreateProduct(name, description), repository)
    assert {error.field for error in failure.value.errors} == fields
    assert repository.requests == 0


def test_name_of_exactly_200_characters_after_trimming_is_valid() -> None:
    assert model.normalise_name("  " + "é" * 200 + "\n") == ("é" * 200, [])


def test_update_without_changes_is_rejected(repository: InMemoryProductRepository) -> None:
    product = create(repository)
    with pytest.raises(ValidationFailed) as failure:
        command_handlers.update_product(commands.UpdateProduct(product.product_id), repository)
    assert [e.field for e in failure.value.errors] == [model.CHANGES_FIELD]


def test_update_keeps_create_date_and_moves_last_update_date(
    repository: InMemoryProductRepository,
) -> None:
    product = create(repository)
    later = T0 + timedelta(minutes=5)
    updated = command_handlers.update_product(
        commands.UpdateProduct(product.product_id, description=None, expected_version=1),
        repository,
        clock=lambda: later,
    )
    assert (updated.create_date, updated.last_update_date, updated.version) == (T0, later, 2)


def test_update_with_stale_version_raises_conflict(repository: InMemoryProductRepository) -> None:
    product = create(repository)
    with pytest.raises(VersionConflict):
        command_handlers.update_product(
            commands.UpdateProduct(product.product_id, name="x", expected_version=2), repository
        )


@pytest.mark.parametrize("bad_id", ["", "42", FIXED_ID.upper(), FIXED_ID + "0", "../etc"])
def test_ids_we_never_issue_are_not_found_without_asking_the_store(
    repository: InMemoryProductRepository, bad_id: str
) -> None:
    for action in (
        lambda: command_handlers.get_product(commands.GetProduct(bad_id), repository),
        lambda: command_handlers.delete_product(commands.DeleteProduct(bad_id), repository),
        lambda: command_handlers.update_product(
            commands.UpdateProduct(bad_id, name="x"), repository
        ),
    ):
        with pytest.raises(ProductNotFound):
            action()
    assert repository.requests == 0


@pytest.mark.parametrize("page_size", [0, 101, -5])
def test_list_rejects_page_size_out_of_range(
    repository: InMemoryProductRepository, page_size: int
) -> None:
    with pytest.raises(ValidationFailed):
        command_handlers.list_products(commands.ListProducts(page_size), repository)


def test_list_page_continues_after_last_product(repository: InMemoryProductRepository) -> None:
    ids = sorted(create(repository).product_id for _ in range(3))
    first = command_handlers.list_products(commands.ListProducts(2), repository)
    assert [p.product_id for p in first.products] == ids[:2]
    assert first.continue_after == ids[1]
    second = command_handlers.list_products(
        commands.ListProducts(2, first.continue_after), repository
    )
    assert [p.product_id for p in second.products] == ids[2:] and second.continue_after is None


def test_timestamps_have_millisecond_precision_and_round_trip() -> None:
    moment = datetime(2026, 1, 2, 3, 4, 5, 678999, tzinfo=timezone.utc)
    assert model.format_timestamp(moment) == "2026-01-02T03:04:05.678Z"
    assert model.parse_timestamp("2026-01-02T03:04:05.678Z") == moment.replace(microsecond=678000)
    assert model.utc_now().microsecond % 1000 == 0
    offset = datetime(2026, 1, 2, 4, 4, 5, tzinfo=timezone(timedelta(hours=1)))
    assert model.format_timestamp(offset) == "2026-01-02T03:04:05.000Z"


@pytest.mark.parametrize("name, description", [(42, None), ("ok", 7), (None, None)])
def test_domain_rejects_wrong_types_even_past_the_http_schema(
    repository: InMemoryProductRepository, name: object, description: object
) -> None:
    command = commands.CreateProduct(name=name, description=description)  # type: ignore[arg-type]
    with pytest.raises(ValidationFailed):
        command_handlers.create_product(command, repository)

"""Command handlers and product rules, driven with the in-memory fake (no AWS, no HTTP)."""

from __future__ import annotations

import json
import time
import unicodedata
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.domain import command_handlers, commands, fields, model, queries, query_handlers
from app.domain.exceptions import (
    FieldError,
    IdempotencyKeyReused,
    ProductIdTaken,
    ProductNotFound,
    RepositoryUnavailable,
    ValidationFailed,
    VersionConflict,
)
from tests.fakes import InMemoryProductRepository

T0 = datetime(2026, 11, 22, 10, 0, 0, 123000, tzinfo=timezone.utc)
FIXED_ID = "3f1c7c7e-4b7a-4e8b-9b1a-0c2d3e4f5a6b"


@pytest.fixture
def repository() -> InMemoryProductRepository:
    return InMemoryProductRepository()


def create(repository: InMemoryProductRepository, name: str = "Lamp") -> model.Product:
    return command_handlers.create_product(
        commands.CreateProduct({"name": name}), repository, clock=lambda: T0
    ).product


def test_create_uses_injected_clock_and_id_and_trims_name(
    repository: InMemoryProductRepository,
) -> None:
    product = command_handlers.create_product(
        commands.CreateProduct({"name": "  Lamp ", "description": "Warm\nlight"}),
        repository,
        clock=lambda: T0,
        new_id=lambda: FIXED_ID,
    ).product
    assert product == model.Product(
        product_id=FIXED_ID,
        name="Lamp",
        description="Warm\nlight",
        create_date=T0,
        last_update_date=T0,
        version=1,
    )
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
        command_handlers.create_product(
            commands.CreateProduct({"name": name, "description": description}), repository
        )
    assert {error.field for error in failure.value.errors} == fields
    assert repository.requests == 0


def test_name_of_exactly_200_characters_after_trimming_is_valid() -> None:
    values, errors = model.checked_values(model.CREATE_FIELDS, {"name": "  " + "é" * 200 + "\n"})
    assert (values, errors) == ({"name": "é" * 200}, [])


def test_update_without_changes_is_rejected(repository: InMemoryProductRepository) -> None:
    product = create(repository)
    with pytest.raises(ValidationFailed) as failure:
        command_handlers.update_product(commands.UpdateProduct(product.product_id, {}), repository)
    assert [e.field for e in failure.value.errors] == [model.CHANGES_FIELD]


def test_update_keeps_create_date_and_moves_last_update_date(
    repository: InMemoryProductRepository,
) -> None:
    product = create(repository)
    later = T0 + timedelta(minutes=5)
    updated = command_handlers.update_product(
        commands.UpdateProduct(product.product_id, {"description": None}, expected_version=1),
        repository,
        clock=lambda: later,
    )
    assert (updated.create_date, updated.last_update_date, updated.version) == (T0, later, 2)


def test_update_with_stale_version_raises_conflict(repository: InMemoryProductRepository) -> None:
    product = create(repository)
    with pytest.raises(VersionConflict):
        command_handlers.update_product(
            commands.UpdateProduct(product.product_id, {"name": "x"}, expected_version=2),
            repository,
        )


@pytest.mark.parametrize("bad_id", ["", "42", FIXED_ID.upper(), FIXED_ID + "0", "../etc"])
def test_ids_we_never_issue_are_not_found_without_asking_the_store(
    repository: InMemoryProductRepository, bad_id: str
) -> None:
    for action in (
        lambda: query_handlers.get_product(queries.GetProduct(bad_id), repository),
        lambda: command_handlers.delete_product(commands.DeleteProduct(bad_id), repository),
        lambda: command_handlers.update_product(
            commands.UpdateProduct(bad_id, {"name": "x"}), repository
        ),
    ):
        with pytest.raises(ProductNotFound) as failure:
            action()
        assert failure.value.product_id == bad_id
    assert repository.requests == 0


@pytest.mark.parametrize("page_size", [0, 101, -5])
def test_list_rejects_page_size_out_of_range(
    repository: InMemoryProductRepository, page_size: int
) -> None:
    with pytest.raises(ValidationFailed):
        query_handlers.list_products(queries.ListProducts(page_size), repository)


def test_list_page_continues_after_last_product(repository: InMemoryProductRepository) -> None:
    ids = sorted(create(repository).product_id for _ in range(3))
    first = query_handlers.list_products(queries.ListProducts(2), repository)
    assert [p.product_id for p in first.products] == ids[:2]
    assert first.continue_after == ids[1]
    second = query_handlers.list_products(queries.ListProducts(2, first.continue_after), repository)
    assert [p.product_id for p in second.products] == ids[2:] and second.continue_after is None


@pytest.fixture
def local_time_zone_east_of_utc(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The process's local time zone is UTC+05:30 (a POSIX TZ string: no tz database needed),
    so a conversion to local time instead of UTC shows."""
    monkeypatch.setenv("TZ", "UTC-05:30")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def test_timestamps_have_millisecond_precision_and_round_trip(
    local_time_zone_east_of_utc: None,
) -> None:
    moment = datetime(2026, 1, 2, 3, 4, 5, 678999, tzinfo=timezone.utc)
    assert model.format_timestamp(moment) == "2026-01-02T03:04:05.678Z"
    assert model.parse_timestamp("2026-01-02T03:04:05.678Z") == moment.replace(microsecond=678000)
    offset = datetime(2026, 1, 2, 4, 4, 5, tzinfo=timezone(timedelta(hours=1)))
    assert model.format_timestamp(offset) == "2026-01-02T03:04:05.000Z"


@pytest.mark.parametrize("text", ["2026-01-02T03:04:05.678Z", "2026-01-02T04:04:05.678+01:00"])
def test_a_parsed_timestamp_is_in_utc(text: str, local_time_zone_east_of_utc: None) -> None:
    # Stored values all end in Z; whatever offset a value carries, the domain works in UTC.
    parsed = model.parse_timestamp(text)
    assert parsed.tzinfo is timezone.utc
    assert (parsed.day, parsed.hour) == (2, 3)
    assert parsed == datetime(2026, 1, 2, 3, 4, 5, 678000, tzinfo=timezone.utc)


def test_utc_now_is_the_current_utc_time_cut_to_milliseconds() -> None:
    for _ in range(200):
        before = datetime.now(timezone.utc)
        now = model.utc_now()
        after = datetime.now(timezone.utc)
        assert now.tzinfo is timezone.utc and now.microsecond % 1000 == 0
        assert before.replace(microsecond=before.microsecond // 1000 * 1000) <= now <= after


@pytest.mark.parametrize(
    "name, description, errors",
    [
        (42, None, [FieldError("name", "must be a string")]),
        ("ok", 7, [FieldError("description", "must be a string or null")]),
        (None, None, [FieldError("name", "must be a string")]),
        (
            b"x",
            ["y"],
            [
                FieldError("name", "must be a string"),
                FieldError("description", "must be a string or null"),
            ],
        ),
    ],
)
def test_domain_rejects_wrong_types_even_past_the_http_schema(
    repository: InMemoryProductRepository,
    name: object,
    description: object,
    errors: list[FieldError],
) -> None:
    command = commands.CreateProduct({"name": name, "description": description})
    with pytest.raises(ValidationFailed) as failure:
        command_handlers.create_product(command, repository)
    assert failure.value.errors == errors


def test_an_update_reports_every_broken_rule(repository: InMemoryProductRepository) -> None:
    product = create(repository)
    command = commands.UpdateProduct(product.product_id, {"name": " ", "description": "\x00"})
    with pytest.raises(ValidationFailed) as failure:
        command_handlers.update_product(command, repository)
    assert failure.value.errors == [
        FieldError("name", "must not be empty or only whitespace"),
        FieldError(
            "description", "must not contain control characters other than newlines and tabs"
        ),
    ]
    assert str(failure.value) == (
        "name: must not be empty or only whitespace; description: must not contain control"
        " characters other than newlines and tabs"
    )


def test_domain_errors_carry_the_product_and_say_what_happened() -> None:
    not_found = ProductNotFound(FIXED_ID)
    assert (str(not_found), not_found.product_id) == (f"Product '{FIXED_ID}' not found", FIXED_ID)
    conflict = VersionConflict(FIXED_ID, 1, 2)
    assert str(conflict) == f"Product '{FIXED_ID}' is at version 2, not 1"
    assert (conflict.product_id, conflict.expected, conflict.actual) == (FIXED_ID, 1, 2)
    reused = IdempotencyKeyReused(FIXED_ID)
    assert str(reused) == f"Idempotency key of product '{FIXED_ID}' was used for another request"
    assert reused.product_id == FIXED_ID
    taken = ProductIdTaken(FIXED_ID)
    assert (str(taken), taken.product_id) == (f"Product id '{FIXED_ID}' is already taken", FIXED_ID)
    unavailable = RepositoryUnavailable("ThrottlingException")
    assert str(unavailable) == "Product store unavailable: ThrottlingException"
    assert unavailable.reason == "ThrottlingException"


# --- Idempotent creation and exactly-once writes ---------------------------------------------


def keyed(
    name: str = "Lamp", caller: str = "arn:aws:iam::1:user/a", key: str = "k-1", **request: object
) -> commands.CreateProduct:
    """A create with an Idempotency-Key whose fingerprint covers the request's JSON value."""
    fingerprint = model.request_fingerprint({"name": name, **request})
    return commands.CreateProduct(
        {"name": name}, idempotency=commands.IdempotencyKey(caller, key, fingerprint)
    )


def test_repeat_of_a_keyed_create_replays_the_product_without_writing(
    repository: InMemoryProductRepository,
) -> None:
    first = command_handlers.create_product(keyed(), repository)
    later = commands.UpdateProduct(first.product.product_id, {"description": "changed since"})
    updated = command_handlers.update_product(later, repository)
    repeat = command_handlers.create_product(keyed(), repository)
    assert not first.replayed and repeat == command_handlers.Created(updated, replayed=True)
    assert len(repository.list_page(100, None).products) == 1


def test_keyed_create_id_is_a_uuid5_of_caller_and_key(
    repository: InMemoryProductRepository,
) -> None:
    product = command_handlers.create_product(keyed(), repository).product
    assert product.product_id == model.idempotent_product_id("arn:aws:iam::1:user/a", "k-1")
    assert model.is_product_id(product.product_id)
    assert uuid.UUID(product.product_id).version == 5


def test_same_key_with_another_request_is_refused_and_writes_nothing(
    repository: InMemoryProductRepository,
) -> None:
    first = command_handlers.create_product(keyed("Lamp"), repository).product
    with pytest.raises(IdempotencyKeyReused) as failure:
        command_handlers.create_product(keyed("Chair"), repository)
    assert failure.value.product_id == first.product_id
    assert repository.list_page(100, None).products == [first]


def test_same_key_from_another_caller_creates_another_product(
    repository: InMemoryProductRepository,
) -> None:
    one = command_handlers.create_product(keyed(caller="alice"), repository)
    two = command_handlers.create_product(keyed(caller="bob"), repository)
    assert one.product.product_id != two.product.product_id
    assert not one.replayed and not two.replayed


def test_rejected_keyed_create_does_not_spend_the_key(
    repository: InMemoryProductRepository,
) -> None:
    with pytest.raises(ValidationFailed):
        command_handlers.create_product(keyed(""), repository)
    created = command_handlers.create_product(keyed("Lamp"), repository)
    assert not created.replayed and created.product.name == "Lamp"


def test_fingerprint_ignores_key_order_and_spacing_but_not_values() -> None:
    same = model.request_fingerprint(json.loads('{ "name": "a",\n "description": null }'))
    assert same == model.request_fingerprint({"description": None, "name": "a"})
    assert same != model.request_fingerprint({"name": "a"})
    assert same != model.request_fingerprint({"name": "b", "description": None})
    assert model.request_fingerprint({"name": "\ud800"})  # lone surrogates cannot break it


def test_store_retry_of_a_create_answers_as_the_first_attempt(
    repository: InMemoryProductRepository,
) -> None:
    # The first attempt was stored; the retry of the same request (same request id) meets it.
    command = commands.CreateProduct({"name": "Lamp"}, request_id="request-1")
    first = command_handlers.create_product(command, repository, new_id=lambda: FIXED_ID)
    again = command_handlers.create_product(command, repository, new_id=lambda: FIXED_ID)
    assert again == first == command_handlers.Created(repository.get(FIXED_ID))


def test_clash_of_a_generated_id_is_an_error_and_overwrites_nothing(
    repository: InMemoryProductRepository,
) -> None:
    original = command_handlers.create_product(
        commands.CreateProduct({"name": "Original"}), repository, new_id=lambda: FIXED_ID
    ).product
    with pytest.raises(ProductIdTaken) as failure:
        command_handlers.create_product(
            commands.CreateProduct({"name": "Other"}), repository, new_id=lambda: FIXED_ID
        )
    assert failure.value.product_id == FIXED_ID
    assert repository.get(FIXED_ID) == original


def test_keyed_create_after_its_product_was_deleted_creates_it_again(
    repository: InMemoryProductRepository,
) -> None:
    first = command_handlers.create_product(keyed(), repository).product
    command_handlers.delete_product(commands.DeleteProduct(first.product_id), repository)
    again = command_handlers.create_product(keyed(), repository)
    assert not again.replayed and again.product.product_id == first.product_id


@pytest.mark.slow  # seconds, not milliseconds: `make test` runs it, `make test-unit` skips it
def test_the_character_rules_are_exactly_control_characters_and_surrogates() -> None:
    # The rules search with regular expressions (fast); the Unicode categories are what they mean:
    # control characters (Cc) and surrogates (Cs), with line breaks and tabs allowed in multi-line
    # text; and a trimmed text loses exactly what str.strip() removes.
    name = fields.TextRule(max_length=5, characters=fields.NO_CONTROL_CHARACTERS)
    text = fields.TextRule(
        max_length=5, characters=fields.NO_CONTROL_CHARACTERS_BUT_LINE_BREAKS_AND_TABS
    )
    whitespace = fields.TextRule(max_length=5, characters=fields.Characters(fields.WHITESPACE, "w"))
    for code_point in range(0x110000):
        char = chr(code_point)
        forbidden = unicodedata.category(char) in {"Cc", "Cs"}
        assert (name.problem(f"a{char}a") is None) is not forbidden, hex(code_point)
        allowed_in_text = not forbidden or char in "\n\r\t"
        assert (text.problem(char) is None) is allowed_in_text, hex(code_point)
        assert (whitespace.problem(char) is None) is not char.isspace(), hex(code_point)


@settings(max_examples=300, deadline=None)
@given(
    st.datetimes(
        min_value=datetime(1, 1, 2),
        max_value=datetime(9999, 12, 30),
        timezones=st.sampled_from([timezone.utc, timezone(timedelta(hours=5, minutes=30))]),
    )
)
def test_timestamps_are_iso_8601_utc_milliseconds_and_read_back(moment: datetime) -> None:
    text = model.format_timestamp(moment)
    expected = moment.astimezone(timezone.utc).isoformat(timespec="milliseconds")
    assert text == expected.removesuffix("+00:00") + "Z"
    assert model.parse_timestamp(text) == moment.replace(
        microsecond=moment.microsecond // 1000 * 1000
    )


def test_a_create_without_a_required_field_or_with_a_server_field_is_refused(
    repository: InMemoryProductRepository,
) -> None:
    with pytest.raises(ValidationFailed) as failure:
        command_handlers.create_product(
            commands.CreateProduct({"description": "x", "version": 3}), repository
        )
    assert failure.value.errors == [
        FieldError("version", "cannot be set by a client"),
        FieldError("name", "is required"),
    ]
    assert repository.requests == 0


@pytest.mark.parametrize(
    "names, text",
    [(["name"], "name"), (["a", "b"], "a and/or b"), (["a", "b", "c"], "a, b and/or c")],
)
def test_alternatives_are_named_as_a_sentence(names: list[str], text: str) -> None:
    assert model.alternatives(names) == text

"""Every keyword of the published product schemas says exactly what the API accepts.

The bodies' JSON Schemas in ``docs/openapi.json`` (what clients read) are compared, keyword for
keyword (types, required, lengths, patterns), with the API's real verdict: the body reader and then
the domain's rules, as a request runs them. Boundary texts come from the field declarations (each
length limit, with and without surrounding whitespace, every kind of forbidden character), plus
random texts; and each keyword, changed in a copy of the document, is caught by these examples.
"""

from __future__ import annotations

import copy
import itertools
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.domain import command_handlers, commands, model
from app.domain.exceptions import ValidationFailed
from app.domain.fields import FieldDeclaration
from app.entrypoints.api import messages, request_bodies
from tests.fakes import InMemoryProductRepository
from tests.support.published_schemas import SCHEMAS, validator

CREATE, UPDATE = "CreateProductRequest", "UpdateProductRequest"
EXISTING = "3f1c7c7e-4b7a-4e8b-9b1a-0c2d3e4f5a6b"


def api_accepts(schema_name: str, document: dict[str, Any]) -> bool:
    """Whether the API accepts ``document`` as this body: read, then checked by the domain."""
    repository = InMemoryProductRepository()
    try:
        if schema_name == CREATE:
            command = request_bodies.read_create_body(document, request_id="r")
            command_handlers.create_product(command, repository)
        else:
            seed = next(d for d in model.CREATE_FIELDS if d.required)
            command_handlers.create_product(
                commands.CreateProduct({seed.attribute: "x"}), repository, new_id=lambda: EXISTING
            )
            update = request_bodies.read_update_body(document, product_id=EXISTING, request_id="r")
            command_handlers.update_product(update, repository)
    except (messages.BadRequest, ValidationFailed):
        return False
    return True


# Characters that each text rule treats differently: plain, wide, whitespace of every kind,
# line breaks and tabs, other controls, a lone surrogate, an astral character.
SPECIAL = ["a", "é", " ", "\t", "\n", "\r", "\x0b", "\x1c", "\x00", "\x1b", "\x7f", "\x85", "\xa0"]
SPECIAL += ["\u2003", "\u3000", "\ufeff", "\ud800", "\U0001f600"]


def boundary_texts(declared: FieldDeclaration) -> Iterator[str]:
    """Texts at each of the field's limits, bare and wrapped in whitespace, and one of each
    special character alone, between letters and at either end."""
    rule = declared.text
    assert rule is not None
    for length in {0, 1, 2, rule.min_length - 1, rule.min_length, rule.max_length - 1}:
        for size in (length, length + 1, length + 2):
            if size >= 0:
                yield "a" * size
                yield " " + "a" * size + "\n"
    yield " " * (rule.max_length + 1)
    for char in SPECIAL:
        yield from (char, f"a{char}a", f"{char}a", f"a{char}", "a" * (rule.max_length - 1) + char)


def boundary_documents(schema_name: str) -> Iterator[dict[str, Any]]:
    """Bodies with each boundary text in each field (the other fields valid), plus null, a
    wrong type, an empty body and an unknown key."""
    declared = model.CREATE_FIELDS if schema_name == CREATE else model.UPDATE_FIELDS
    valid = {d.json_name: d.example for d in declared if schema_name == CREATE and d.required}
    for field in declared:
        for value in itertools.chain(boundary_texts(field), [None, 5, True, ["a"]]):
            yield {**valid, field.json_name: value}
    yield {}
    yield {**valid, "unknown": "x"}


@pytest.mark.parametrize("schema_name", [CREATE, UPDATE])
def test_the_published_body_schema_accepts_exactly_what_the_api_accepts(schema_name: str) -> None:
    check = validator(schema_name)
    disagreements = [
        (document, check.is_valid(document))
        for document in boundary_documents(schema_name)
        if check.is_valid(document) != api_accepts(schema_name, document)
    ]
    assert disagreements == [], "(body, what the published schema says) where the API differs"


@pytest.mark.parametrize("schema_name", [CREATE, UPDATE])
@settings(max_examples=300, deadline=None)
@given(data=st.data())
def test_random_texts_get_the_same_verdict_from_schema_and_api(
    schema_name: str, data: st.DataObject
) -> None:
    pieces = st.sampled_from([*SPECIAL, "a" * 99, "a" * 199, "a" * 999])
    text = st.lists(pieces, max_size=6).map("".join)
    declared = model.CREATE_FIELDS if schema_name == CREATE else model.UPDATE_FIELDS
    document = data.draw(
        st.fixed_dictionaries(
            {},
            optional={d.json_name: st.none() | text for d in declared},
        )
    )
    assert validator(schema_name).is_valid(document) == api_accepts(schema_name, document)


def _keyword_changes(schema: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """Copies of a body schema with one content keyword of one property changed."""
    for name, property_schema in schema["properties"].items():
        for keyword, changed in (
            ("maxLength", lambda n: n - 1),
            ("maxLength", lambda n: n + 1),
            ("minLength", lambda n: n + 1),
            ("minLength", lambda n: max(n - 1, 0)),
            ("pattern", lambda p: "^.*$"),
            ("pattern", lambda p: p.replace("\\u0000", "\\u0001", 1)),
        ):
            if keyword in property_schema and changed(property_schema[keyword]) != (
                property_schema[keyword]
            ):
                mutated = copy.deepcopy(schema)
                mutated["properties"][name][keyword] = changed(property_schema[keyword])
                yield f"{name}.{keyword}", mutated


@pytest.mark.parametrize("schema_name", [CREATE, UPDATE])
def test_each_published_length_and_pattern_is_held_to_the_api(schema_name: str) -> None:
    # The check above cannot pass by accident: a schema whose keyword says another length or
    # character rule than the API enforces disagrees with the API on some boundary body.
    for change, mutated in _keyword_changes(SCHEMAS[schema_name]):
        check = validator(schema_name, schemas={**SCHEMAS, schema_name: mutated})
        assert any(
            check.is_valid(document) != api_accepts(schema_name, document)
            for document in boundary_documents(schema_name)
        ), f"changing {change} went unnoticed"

"""The hand-written body readers (``messages``) agree with the published JSON Schema.

The function reads request bodies without pydantic or a schema validator (their import is cold
start); the OpenAPI document (``docs/openapi.json``) publishes the bodies' JSON Schema. These
properties hold the two to each other: every body the schema accepts is read with the values sent,
every body it refuses is refused by the reader with one error per offending field, in the API's
own words (``request_rules``), and a product is written exactly as ``ProductResponse`` describes.

What a field's text may hold (lengths, characters, trimming) is the domain's rule and is checked
after reading (``tests/unit/test_domain.py``), so the readers are compared with the schema's
structure: types, required and unknown fields, null.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any

import jsonschema  # type: ignore[import-untyped]  # no stubs installed; used in tests only
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.domain import model
from app.domain.exceptions import FieldError
from app.entrypoints.api import messages, request_bodies
from app.entrypoints.api import request_rules as rules
from tests.support.dynamodb_local import PROJECT_ROOT

PUBLISHED = json.loads((PROJECT_ROOT / "docs" / "openapi.json").read_text(encoding="utf-8"))
SCHEMAS: dict[str, Any] = PUBLISHED["components"]["schemas"]
# The domain's content rules (checked after reading), left out of the structural comparison.
CONTENT_KEYWORDS = {"minLength", "maxLength", "pattern", "minProperties"}

# Keys near the real ones (case, spacing) as well as the real ones and strangers.
KEYS = st.sampled_from(["name", "description", "Name", "name ", "id", "version", "", "é"])
SCALARS = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text()
# Each kind of JSON value about as likely (strings twice: they are what bodies mostly carry).
JSON_VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=False),
    st.text(),
    st.text(),
    st.lists(SCALARS, max_size=2),
    st.dictionaries(st.text(max_size=3), SCALARS, max_size=2),
)
BODIES = st.dictionaries(KEYS, JSON_VALUES, max_size=5)


def _structure(schema: Any) -> Any:
    """``schema`` without the content keywords (recursively)."""
    if isinstance(schema, dict):
        return {k: _structure(v) for k, v in schema.items() if k not in CONTENT_KEYWORDS}
    if isinstance(schema, list):
        return [_structure(item) for item in schema]
    return schema


def _schema_errors(schema_name: str, document: dict[str, Any]) -> list[FieldError]:
    """The published schema's verdict on ``document``, as the field errors the API words."""
    validator = jsonschema.Draft202012Validator(_structure(SCHEMAS[schema_name]))
    errors: list[FieldError] = []
    for error in validator.iter_errors(document):
        if error.validator == "required":
            missing = [n for n in error.validator_value if n not in document]
            errors += [FieldError(n, rules.FIELD_REQUIRED) for n in missing]
        elif error.validator == "additionalProperties":
            known = SCHEMAS[schema_name]["properties"]
            errors += [FieldError(n, rules.NOT_A_CLIENT_FIELD) for n in document if n not in known]
        else:  # a property of the wrong type
            field = str(error.absolute_path[0])
            null_name = field == "name" and document[field] is None and schema_name.startswith("U")
            errors.append(
                FieldError(field, rules.NAME_IS_NULL if null_name else rules.NOT_A_STRING)
            )
    return sorted(errors, key=lambda e: (e.field, e.message))


READERS = {
    # body -> (published schema, reader, what a field left out reads as)
    "create": ("CreateProductRequest", request_bodies.read_create_body, None),
    "update": ("UpdateProductRequest", request_bodies.read_update_body, model.UNCHANGED),
}


@pytest.mark.parametrize("body", sorted(READERS))
@settings(max_examples=400, deadline=None)
@given(document=BODIES)
def test_body_reader_agrees_with_the_published_schema(body: str, document: dict[str, Any]) -> None:
    schema_name, read, unsent = READERS[body]
    by_schema = _schema_errors(schema_name, document)
    try:
        values = read(document)
    except messages.BadRequest as error:
        assert error.message == "Request body is invalid"
        assert sorted(error.errors, key=lambda e: (e.field, e.message)) == by_schema
    else:
        assert by_schema == []
        assert values == (document.get("name", unsent), document.get("description", unsent))


def test_a_body_of_known_fields_is_read_as_sent() -> None:
    assert request_bodies.read_create_body({"name": "Lamp"}) == ("Lamp", None)
    assert request_bodies.read_update_body({"description": None}) == (model.UNCHANGED, None)


PRODUCT_TEXT = st.text(max_size=30)  # any character, escapes and astral planes included


@settings(max_examples=200, deadline=None)
@given(
    name=PRODUCT_TEXT,
    description=st.none() | PRODUCT_TEXT,
    version=st.integers(min_value=1, max_value=10**12),
    moment=st.datetimes(
        min_value=datetime(1970, 1, 1),
        max_value=datetime(9999, 1, 1),
        timezones=st.just(timezone.utc),
    ),
)
def test_product_representation_is_exactly_the_documented_response(
    name: str, description: str | None, version: int, moment: datetime
) -> None:
    moment = moment.replace(microsecond=moment.microsecond // 1000 * 1000)
    product = model.Product(
        "3f1c7c7e-4b7a-4e8b-9b1a-0c2d3e4f5a6b", name, description, moment, moment, version
    )

    text = messages.product_json(product)

    document = json.loads(text)
    jsonschema.Draft202012Validator(SCHEMAS["ProductResponse"]).validate(document)
    assert document == {
        "id": product.product_id,
        "name": name,
        "description": description,
        "createDate": model.format_timestamp(moment),
        "lastUpdateDate": model.format_timestamp(moment),
        "version": version,
    }
    # The same bytes the standard encoder writes: ASCII only, no spaces.
    assert text == json.dumps(document, separators=(",", ":"))

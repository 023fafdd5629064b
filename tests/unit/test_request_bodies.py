"""The body readers (``request_bodies``) agree with the published JSON Schema's structure.

The function reads request bodies without a schema validator (its import is cold start); the
OpenAPI document (``docs/openapi.json``) publishes the bodies' JSON Schema, generated from the
product's field declarations. These properties hold the readers to the schema's structure: every
body it accepts is read with the values sent, every body it refuses is refused by the reader with
one error per offending field, in the API's own words (``request_rules``), and a product is written
exactly as ``ProductResponse`` describes. That every keyword (lengths and patterns included) says
exactly what the API accepts, domain rules and all, is ``tests/apidocs/test_product_schemas.py``.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any

import jsonschema  # type: ignore[import-untyped]  # no stubs installed; used in tests only
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.domain import commands, model
from app.domain.exceptions import FieldError
from app.entrypoints.api import messages, request_bodies
from app.entrypoints.api import request_rules as rules
from tests.support.published_schemas import SCHEMAS, validator

# The domain's content rules (checked after reading), left out of the structural comparison.
CONTENT_KEYWORDS = {"minLength", "maxLength", "pattern", "minProperties"}
FIELD_NAMES = [declared.json_name for declared in model.PRODUCT_FIELDS]

# Keys near the real ones (case, spacing) as well as the real ones and strangers.
KEYS = st.sampled_from([*FIELD_NAMES, "Name", "name ", "", "é"])
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
        else:  # a property of the wrong type; null in an update says so
            field = str(error.absolute_path[0])
            null_in_update = document[field] is None and schema_name.startswith("U")
            message = "must be a string, not null" if null_in_update else "must be a string"
            errors.append(FieldError(field, message))
    return sorted(errors, key=lambda e: (e.field, e.message))


def _read(body: str, document: dict[str, Any]) -> dict[str, object]:
    """The field values (by JSON name) the reader of ``body`` finds in ``document``."""
    if body == "create":
        created = request_bodies.read_create_body(document, request_id="r")
        values = created.values
    else:
        values = request_bodies.read_update_body(document, product_id="p", request_id="r").changes
    json_names = {declared.attribute: declared.json_name for declared in model.PRODUCT_FIELDS}
    return {json_names[attribute]: value for attribute, value in values.items()}


READERS = {"create": "CreateProductRequest", "update": "UpdateProductRequest"}


@pytest.mark.parametrize("body", sorted(READERS))
@settings(max_examples=400, deadline=None)
@given(document=BODIES)
def test_body_reader_agrees_with_the_published_schema(body: str, document: dict[str, Any]) -> None:
    by_schema = _schema_errors(READERS[body], document)
    try:
        values = _read(body, document)
    except messages.BadRequest as error:
        assert error.message == "Request body is invalid"
        assert sorted(error.errors, key=lambda e: (e.field, e.message)) == by_schema
    else:
        assert by_schema == []
        assert values == document  # every field sent, as sent; nothing added


def test_a_body_of_known_fields_is_read_as_the_command_it_asks_for() -> None:
    assert request_bodies.read_create_body({"name": "Lamp"}, request_id="r") == (
        commands.CreateProduct({"name": "Lamp"}, request_id="r")
    )
    assert request_bodies.read_update_body(
        {"description": None}, product_id="p", request_id="r"
    ) == commands.UpdateProduct("p", {"description": None}, request_id="r")


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
        product_id="3f1c7c7e-4b7a-4e8b-9b1a-0c2d3e4f5a6b",
        name=name,
        description=description,
        create_date=moment,
        last_update_date=moment,
        version=version,
    )

    text = messages.product_json(product)

    document = json.loads(text)
    assert document == model.json_values(product)
    assert list(document) == FIELD_NAMES
    # The documented response accepts it exactly when the domain could have stored it.
    storable = not model.checked_values(model.CREATE_FIELDS, {"name": name})[1] and (
        name == name.strip()
    )
    storable &= not model.checked_values(model.UPDATE_FIELDS, {"description": description})[1]
    assert validator("ProductResponse").is_valid(document) is storable
    # The same bytes the standard encoder writes: ASCII only, no spaces.
    assert text == json.dumps(document, separators=(",", ":"))

"""The hand-written body readers (``messages``) agree with the documented pydantic models.

The function reads request bodies without pydantic (its import is a quarter of the cold start);
the OpenAPI document shows the ``schemas`` models. These properties keep the two the same: every
body is accepted by both with the same values, or refused by both with the same field errors, and
a product is written exactly as ``ProductResponse`` describes it.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, ValidationError

from app.domain import model
from app.domain.exceptions import FieldError
from app.entrypoints.api import messages
from tools.apidocs import schemas

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


def _read_with_model(
    body_model: type[BaseModel], document: dict[str, Any]
) -> BaseModel | list[FieldError]:
    """What the model makes of a body: the model, or the field errors as the API words them
    (unknown keys are reported by the API without asking pydantic, after the field errors)."""
    fields = body_model.model_fields
    unknown = [FieldError(k, messages.NOT_A_CLIENT_FIELD) for k in document if k not in fields]
    try:
        parsed = body_model.model_validate({k: v for k, v in document.items() if k in fields})
    except ValidationError as error:
        errors = [
            FieldError(
                ".".join(str(part) for part in e["loc"]), e["msg"].removeprefix("Value error, ")
            )
            for e in error.errors(include_url=False, include_input=False)
        ]
        return errors + unknown
    return unknown or parsed


def _fields_sent(parsed: BaseModel, unsent: Any) -> tuple[Any, Any]:
    """(name, description) as the model read them; ``unsent`` for a field the body left out."""
    sent = parsed.model_fields_set
    return (
        getattr(parsed, "name") if "name" in sent else unsent,
        getattr(parsed, "description") if "description" in sent else unsent,
    )


READERS = {
    # body -> (documented model, reader, what a field left out reads as)
    "create": (schemas.CreateProductRequest, messages.read_create_body, None),
    "update": (schemas.UpdateProductRequest, messages.read_update_body, model.UNCHANGED),
}


@pytest.mark.parametrize("body", sorted(READERS))
@settings(max_examples=400, deadline=None)
@given(document=BODIES)
def test_body_reader_agrees_with_the_documented_model(body: str, document: dict[str, Any]) -> None:
    body_model, read, unsent = READERS[body]
    by_model = _read_with_model(body_model, document)
    try:
        values = read(document)
    except messages.BadRequest as error:
        assert error.message == "Request body is invalid"
        assert error.errors == by_model
    else:
        assert isinstance(by_model, BaseModel), by_model
        assert values == _fields_sent(by_model, unsent)


def test_a_body_of_known_fields_is_read_as_sent() -> None:
    assert messages.read_create_body({"name": "Lamp"}) == ("Lamp", None)
    assert messages.read_update_body({"description": None}) == (model.UNCHANGED, None)


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
    schemas.ProductResponse.model_validate(document, strict=True)
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

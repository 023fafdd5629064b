"""Request bodies -> the values the domain needs, checked in the order clients rely on.

Read here rather than by Powertools' body validation because the order of checks is part of the
contract (415 before 400, base64 and UTF-8 decoded strictly, deep nesting caught) and because
Powertools would also accept form and multipart bodies. Checked by hand, not by pydantic, whose
import alone costs a quarter of the handler's cold start (``benchmarks/PERFORMANCE.md``); a
property test (``tests/unit/test_request_bodies.py``) holds these readers to the JSON Schema
published in the OpenAPI document.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from app.domain import commands, model
from app.domain.exceptions import FieldError
from app.domain.fields import FieldDeclaration
from app.entrypoints.api.messages import BadRequest, UnsupportedMediaType
from app.entrypoints.api.request_rules import (
    FIELD_REQUIRED,
    JSON_TYPES,
    NOT_A_CLIENT_FIELD,
    NOT_NULL,
)


def _is_json_media_type(content_type: str) -> bool:
    media_type, _, parameters = content_type.partition(";")
    media_type = media_type.strip().lower()
    if media_type != "application/json" and not (
        media_type.startswith("application/") and media_type.endswith("+json")
    ):
        return False
    for parameter in parameters.split(";"):
        key, _, value = parameter.partition("=")
        if key.strip().lower() == "charset" and value.strip().strip('"').lower() not in (
            "utf-8",
            "utf8",
        ):
            return False
    return True


def _object_without_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    # {"name": "a", "name": "b"} is ambiguous (parsers disagree on which wins): refuse it.
    document = dict(pairs)
    if len(document) != len(pairs):
        raise ValueError("duplicate key in JSON object")
    return document


# Made once: ``json.loads`` with a hook builds a new decoder on every call.
_decode_json = json.JSONDecoder(object_pairs_hook=_object_without_duplicate_keys).decode


def _json_loads(text: str) -> Any:
    try:
        return _decode_json(text)
    except RecursionError as error:  # absurdly deep nesting: still the client's fault
        raise BadRequest("Request body is nested too deeply") from error
    except ValueError as error:
        raise BadRequest(f"Request body is not valid JSON: {error}") from error


def read_json_object(
    headers: dict[str, str], body: str | None, is_base64_encoded: bool
) -> dict[str, Any]:
    """The request body as a JSON object, checking media type, encoding and syntax in that order.

    ``headers`` are keyed by lower-case names.
    """
    content_type = headers.get("content-type")
    if content_type is not None and not _is_json_media_type(content_type):
        raise UnsupportedMediaType(f"Content-Type must be application/json, not {content_type!r}")
    if not body:
        raise BadRequest("Request body is required (a JSON object)")
    if is_base64_encoded:
        try:
            body = base64.b64decode(body, validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError) as error:
            raise BadRequest("Request body is not valid UTF-8 JSON") from error
    document = _json_loads(body)
    if not isinstance(document, dict):
        raise BadRequest("Request body must be a JSON object")
    return document


def read_create_body(document: dict[str, Any], *, request_id: str) -> commands.CreateProduct:
    """The command a ``POST /products`` body asks for; a 400 lists every broken rule.

    JSON types only (from the field declarations): the product rules (lengths, characters,
    trimming) are the domain's.
    """
    values = _field_values(document, model.CREATE_FIELDS, creating=True)
    return commands.CreateProduct(values, request_id=request_id)


def read_update_body(
    document: dict[str, Any], *, product_id: str, request_id: str
) -> commands.UpdateProduct:
    """The command a ``PUT /products/{id}`` body asks for; a field not sent stays unchanged.

    ``null`` clears a nullable field and is refused (a 400) for any other.
    """
    changes = _field_values(document, model.UPDATE_FIELDS, creating=False)
    return commands.UpdateProduct(product_id, changes, request_id=request_id)


def _field_values(
    document: dict[str, Any], declared: tuple[FieldDeclaration, ...], *, creating: bool
) -> dict[str, object]:
    """The values ``document`` sends for the ``declared`` fields, by attribute; raises the 400
    for every wrong JSON type, missing required field and unknown key (in that order)."""
    values: dict[str, object] = {}
    errors: list[FieldError] = []
    for declaration in declared:
        name = declaration.json_name
        if name not in document:
            if creating and declaration.required:
                errors.append(FieldError(name, FIELD_REQUIRED))
            continue
        value = document[name]
        expected_type, type_problem = JSON_TYPES[declaration.kind]
        if type(value) is expected_type or (value is None and declaration.nullable):
            values[declaration.attribute] = value
        elif value is None and not creating:
            errors.append(FieldError(name, type_problem + NOT_NULL))
        else:
            errors.append(FieldError(name, type_problem))
    known = {declaration.json_name for declaration in declared}
    errors += [FieldError(name, NOT_A_CLIENT_FIELD) for name in document if name not in known]
    if errors:
        raise BadRequest("Request body is invalid", errors)
    return values

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

from app.domain import model
from app.domain.exceptions import FieldError
from app.entrypoints.api.messages import BadRequest, UnsupportedMediaType
from app.entrypoints.api.request_rules import (
    CREATE_FIELDS,
    FIELD_REQUIRED,
    NAME_IS_NULL,
    NOT_A_CLIENT_FIELD,
    NOT_A_STRING,
    UPDATE_FIELDS,
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


def read_create_body(document: dict[str, Any]) -> tuple[str, str | None]:
    """The name and description of a ``POST /products`` body; a 400 lists every broken rule.

    Types only: the product rules (length, characters, trimming) are the domain's.
    """
    errors: list[FieldError] = []
    name = document.get("name")
    if "name" not in document:
        errors.append(FieldError("name", FIELD_REQUIRED))
    elif type(name) is not str:
        errors.append(FieldError("name", NOT_A_STRING))
    description = document.get("description")
    if description is not None and type(description) is not str:
        errors.append(FieldError("description", NOT_A_STRING))
    _raise_if_invalid(document, CREATE_FIELDS, errors)
    return name, description  # type: ignore[return-value]  # both checked above


def read_update_body(
    document: dict[str, Any],
) -> tuple[str | model.Unchanged, str | None | model.Unchanged]:
    """The changes a ``PUT /products/{id}`` body asks for; a field not sent stays unchanged.

    ``description: null`` clears the description; ``name: null`` is refused (a 400).
    """
    errors: list[FieldError] = []
    name: Any = document.get("name", model.UNCHANGED)
    if name is None:
        errors.append(FieldError("name", NAME_IS_NULL))
    elif name is not model.UNCHANGED and type(name) is not str:
        errors.append(FieldError("name", NOT_A_STRING))
    description: Any = document.get("description", model.UNCHANGED)
    if description is not model.UNCHANGED and description is not None:
        if type(description) is not str:
            errors.append(FieldError("description", NOT_A_STRING))
    _raise_if_invalid(document, UPDATE_FIELDS, errors)
    return name, description


def _raise_if_invalid(
    document: dict[str, Any], fields: tuple[str, ...], errors: list[FieldError]
) -> None:
    """Raise the 400 for ``errors`` plus one per unknown key (after the fields' own errors)."""
    errors += [FieldError(name, NOT_A_CLIENT_FIELD) for name in document if name not in fields]
    if errors:
        raise BadRequest("Request body is invalid", errors)

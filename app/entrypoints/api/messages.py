"""HTTP messages: reading requests into domain values, and products into JSON representations.

Request bodies are read here rather than by Powertools' body validation because the order of
checks is part of the contract (415 before 400, base64 and UTF-8 decoded strictly, deep nesting
caught) and because Powertools would also accept form and multipart bodies.

This module is on every request's path and on the function's import path, so it uses only the
standard library: the two request bodies are checked by hand (``read_create_body`` and
``read_update_body``) instead of by pydantic, whose import alone costs a quarter of the handler's
cold start (``benchmarks/PERFORMANCE.md``). The rules themselves (patterns, lengths, bounds, field
names, error texts) are defined once in ``request_rules``; a property test holds the readers to
the JSON Schema published in the OpenAPI document.
"""

from __future__ import annotations

import base64
import binascii
import json
from json.encoder import encode_basestring_ascii
from typing import Any

from app.domain import model
from app.domain.exceptions import FieldError
from app.entrypoints.api import request_rules as rules
from app.entrypoints.api.request_rules import (
    CREATE_FIELDS,
    FIELD_REQUIRED,
    NAME_IS_NULL,
    NOT_A_CLIENT_FIELD,
    NOT_A_STRING,
    UPDATE_FIELDS,
)

# The domain names its rules in its own words; clients know these query/body names instead.
CLIENT_FIELD_NAMES = {
    model.PAGE_SIZE_FIELD: rules.PAGE_SIZE_PARAMETER,
    model.CHANGES_FIELD: "body",
}

# Error bodies stay small whatever the request: at most this many field errors are listed (the
# rest are counted), and each text is cut to at most MAX_ERROR_TEXT characters.
MAX_FIELD_ERRORS = 20
MAX_ERROR_TEXT = 200

IDEMPOTENCY_KEY_HEADER = rules.IDEMPOTENCY_KEY_HEADER
IDEMPOTENT_REPLAYED_HEADER = rules.IDEMPOTENT_REPLAYED_HEADER

# Encoders made once: ``json.dumps`` with any option builds a new encoder on every call.
encode_json = json.JSONEncoder(separators=(",", ":")).encode
encode_json_string = encode_basestring_ascii


class BadRequest(Exception):
    """The request is unreadable or malformed (HTTP 400)."""

    def __init__(self, message: str, errors: list[FieldError] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.errors = errors or []


class UnsupportedMediaType(Exception):
    """The request body is not declared as JSON (HTTP 415)."""


# --- Responses ---------------------------------------------------------------------------------
def product_json(product: model.Product) -> str:
    """The API representation of a product (matches ``schemas.ProductResponse``), encoded.

    Assembled from encoded pieces: this runs for every product of every answer (50 per page).
    """
    description = product.description
    created = model.format_timestamp(product.create_date)
    updated = (
        created
        if product.last_update_date == product.create_date
        else model.format_timestamp(product.last_update_date)
    )
    return (
        f'{{"id":{encode_json_string(product.product_id)},'
        f'"name":{encode_json_string(product.name)},'
        f'"description":{"null" if description is None else encode_json_string(description)},'
        f'"createDate":"{created}","lastUpdateDate":"{updated}",'
        f'"version":{product.version:d}}}'
    )


def etag(version: int) -> str:
    """The strong entity tag of a product version."""
    return f'"{version}"'


def client_field_errors(errors: list[FieldError]) -> list[FieldError]:
    """The domain's field errors under the names clients use (product fields keep theirs)."""
    return [FieldError(CLIENT_FIELD_NAMES.get(e.field, e.field), e.message) for e in errors]


# --- Headers and query parameters --------------------------------------------------------------
def _broken(
    name: str, rule: rules.TextRule, message: str = "Invalid request parameters"
) -> BadRequest:
    return BadRequest(message, [FieldError(name, rule.problem)])


def parse_if_match(header: str | None) -> int | None:
    """The version an ``If-Match`` header requires; None when absent or ``*`` (any version)."""
    if header is None:
        return None
    value = header.strip()
    if not rules.IF_MATCH.accepts(value):
        raise _broken(
            rules.IF_MATCH_HEADER,
            rules.IF_MATCH,
            f"{rules.IF_MATCH_HEADER} {rules.IF_MATCH.problem}",
        )
    return None if value == "*" else int(value[1:-1])


def parse_idempotency_key(values: list[str]) -> str | None:
    """The ``Idempotency-Key`` from the header's values (``rules.IDEMPOTENCY_KEY``)."""
    if not values:
        return None
    if len(values) > 1 or not rules.IDEMPOTENCY_KEY.accepts(values[0]):
        raise _broken(
            IDEMPOTENCY_KEY_HEADER,
            rules.IDEMPOTENCY_KEY,
            f"{IDEMPOTENCY_KEY_HEADER} {rules.IDEMPOTENCY_KEY.problem}",
        )
    return values[0]


def caller_of(identity: dict[str, Any]) -> str:
    """Who signed the request, as API Gateway's ``requestContext.identity`` names them: the IAM
    ARN, else the caller id, else the access key ("" if API Gateway passed none of them)."""
    for name in ("userArn", "caller", "accessKey"):
        value = identity.get(name)
        if isinstance(value, str) and value:
            return value
    return ""


def parse_page_size(raw: str | None) -> int:
    """The ``pageSize`` query parameter as an int (the domain checks its range)."""
    if raw is None:
        return rules.PAGE_SIZE_DEFAULT
    if not rules.PAGE_SIZE_DIGITS.accepts(raw):
        raise _broken(rules.PAGE_SIZE_PARAMETER, rules.PAGE_SIZE_DIGITS)
    return int(raw)


# Tokens are not signed: any well-formed token names a position to continue from (see README).
_MALFORMED_NEXT_PAGE = f"{rules.PAGE_TOKEN_PARAMETER} {rules.PAGE_TOKEN.problem}"


def encode_page_token(after_id: str) -> str:
    """An opaque, URL-safe (base64url, unpadded) ``nextToken`` for the page after ``after_id``."""
    payload = encode_json({"v": 1, "after": after_id})
    return base64.urlsafe_b64encode(payload.encode()).rstrip(b"=").decode("ascii")


def decode_page_token(token: str) -> str:
    """The product id a ``nextToken`` continues after; a 400 unless the token is well-formed.

    Well-formed means exactly what ``encode_page_token`` produces for some canonical product id.
    Tokens are not signed, so a client can build one: it only chooses where the scan resumes,
    among products that caller may list anyway.
    """
    if not rules.PAGE_TOKEN.accepts(token) or len(token) % 4 == 1:
        raise _invalid_token()
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        payload: Any = json.loads(raw.decode("utf-8"))
    except (binascii.Error, UnicodeDecodeError, ValueError) as error:
        raise _invalid_token() from error
    if (
        not isinstance(payload, dict)
        or set(payload) != {"v", "after"}
        or payload["v"] != 1
        or not isinstance(payload["after"], str)
        or not model.is_product_id(payload["after"])
    ):
        raise _invalid_token()
    # Re-encoding must give back the same text: rejects non-canonical spellings of a valid token.
    if encode_page_token(payload["after"]) != token:
        raise _invalid_token()
    after: str = payload["after"]
    return after


def _invalid_token() -> BadRequest:
    return BadRequest(
        _MALFORMED_NEXT_PAGE, [FieldError(rules.PAGE_TOKEN_PARAMETER, _MALFORMED_NEXT_PAGE)]
    )


# --- Request bodies ----------------------------------------------------------------------------
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

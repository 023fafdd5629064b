"""HTTP messages: headers and query parameters -> domain values, products -> JSON representations.

On every request's path, so standard library only. The rules themselves (patterns, lengths,
bounds, names, error texts) are defined once in ``request_rules``; bodies are read by
``request_bodies``.
"""

from __future__ import annotations

import base64
import binascii
import json
import operator
from collections.abc import Callable
from json.encoder import encode_basestring_ascii
from typing import Any

from app.domain import model
from app.domain.exceptions import FieldError
from app.domain.fields import Kind
from app.entrypoints.api import request_rules as rules

# The domain names fields and rules in its own words (attributes, ``page_size``); clients know
# these JSON, query and body names instead.
CLIENT_FIELD_NAMES = {
    **{declared.attribute: declared.json_name for declared in model.PRODUCT_FIELDS},
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
def _timestamp_json(moment: Any) -> str:
    return f'"{model.format_timestamp(moment)}"'


# How each kind of field's value is written in JSON (None is always ``null``).
_JSON_ENCODERS: dict[Kind, Callable[[Any], str]] = {
    Kind.ID: encode_json_string,
    Kind.TEXT: encode_json_string,
    Kind.TIMESTAMP: _timestamp_json,
    Kind.VERSION: int.__repr__,
}
# Per field, in declaration order: its JSON key (encoded, with the colon), getter and encoder.
_PRODUCT_MEMBERS = tuple(
    (
        f"{encode_json_string(declared.json_name)}:",
        operator.attrgetter(declared.attribute),
        _JSON_ENCODERS[declared.kind],
    )
    for declared in model.PRODUCT_FIELDS
)


def product_json(product: model.Product) -> str:
    """The API representation of a product (``model.json_values``), encoded.

    Written member by member from the field declarations, without building a dict first: this runs
    for every product of every answer (50 per page).
    """
    members = []
    for key, value_of, encode in _PRODUCT_MEMBERS:
        value = value_of(product)
        members.append(key + ("null" if value is None else encode(value)))
    return "{" + ",".join(members) + "}"


def etag(version: int) -> str:
    """The strong entity tag of a product version."""
    return f'"{version}"'


def client_field_errors(errors: list[FieldError]) -> list[FieldError]:
    """The domain's field errors under the names clients use."""
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


# Tokens are not signed: any well-formed token names a position to continue from (docs/api.md).
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

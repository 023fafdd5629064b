"""The product entity and its rules: what a valid name, description, id and paging token are."""

from __future__ import annotations

import base64
import binascii
import json
import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from app.domain.exceptions import FieldError, InvalidPageToken

NAME_MAX_LENGTH = 200
DESCRIPTION_MAX_LENGTH = 2000
PAGE_SIZE_MIN = 1
PAGE_SIZE_MAX = 100
PAGE_SIZE_DEFAULT = 20

# Control characters (Cc) break logs and UIs; lone surrogates (Cs) cannot even be stored as UTF-8.
_FORBIDDEN_CATEGORIES = frozenset({"Cc", "Cs"})
_DESCRIPTION_ALLOWED_CONTROLS = frozenset("\n\r\t")
_CANONICAL_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


@dataclass(frozen=True)
class Product:
    """A product as stored; ``version`` starts at 1 and grows by one per update."""

    product_id: str  # "id" in the API; not named id so it never shadows the builtin
    name: str
    description: str | None
    create_date: datetime
    last_update_date: datetime
    version: int


@dataclass(frozen=True)
class Page:
    """One page of products and, unless it is the last page, the id to continue after."""

    products: list[Product]
    last_evaluated_id: str | None


def utc_now() -> datetime:
    """The current UTC time at the millisecond precision the API exposes and stores."""
    now = datetime.now(timezone.utc)
    return now.replace(microsecond=now.microsecond // 1000 * 1000)


def format_timestamp(moment: datetime) -> str:
    """ISO 8601 UTC with fixed millisecond precision, e.g. ``2026-11-22T10:00:00.123Z``."""
    # isoformat: ~2x faster than strftime; this runs twice per product in every response.
    return moment.astimezone(timezone.utc).isoformat(timespec="milliseconds")[:-6] + "Z"


def parse_timestamp(text: str) -> datetime:
    """Inverse of :func:`format_timestamp` (stored values, so no need for strptime's strictness).

    fromisoformat is ~50x faster than strptime (0.2 vs 11 us): a page of 50 products parses 100.
    """
    return datetime.fromisoformat(text).astimezone(timezone.utc)


def is_product_id(candidate: str) -> bool:
    """True for ids this API can have issued (canonical lower-case UUID strings)."""
    return _CANONICAL_UUID.fullmatch(candidate) is not None


def _has_forbidden_character(text: str, allowed: frozenset[str] = frozenset()) -> bool:
    return any(
        unicodedata.category(char) in _FORBIDDEN_CATEGORIES and char not in allowed for char in text
    )


def name_errors(name: object) -> tuple[str | None, list[FieldError]]:
    """Normalise a candidate name (trim) and list the rules it breaks."""
    if not isinstance(name, str):
        return None, [FieldError("name", "must be a string")]
    trimmed = name.strip()
    if not trimmed:
        return None, [FieldError("name", "must not be empty or only whitespace")]
    # Too long is reason enough; scanning megabytes character by character would only burn CPU.
    if len(trimmed) > NAME_MAX_LENGTH:
        return trimmed, [FieldError("name", f"must be at most {NAME_MAX_LENGTH} characters")]
    if _has_forbidden_character(trimmed):
        return trimmed, [FieldError("name", "must not contain control characters")]
    return trimmed, []


def description_errors(description: object) -> list[FieldError]:
    """List the rules a candidate description (a string or None) breaks."""
    if description is None:
        return []
    if not isinstance(description, str):
        return [FieldError("description", "must be a string or null")]
    if len(description) > DESCRIPTION_MAX_LENGTH:
        return [FieldError("description", f"must be at most {DESCRIPTION_MAX_LENGTH} characters")]
    if _has_forbidden_character(description, _DESCRIPTION_ALLOWED_CONTROLS):
        return [
            FieldError(
                "description", "must not contain control characters other than newlines and tabs"
            )
        ]
    return []


def encode_page_token(last_evaluated_id: str) -> str:
    """An opaque, URL-safe (base64url, unpadded) token for the page after ``last_evaluated_id``."""
    payload = json.dumps({"v": 1, "after": last_evaluated_id}, separators=(",", ":"))
    return base64.urlsafe_b64encode(payload.encode()).rstrip(b"=").decode("ascii")


_TOKEN_ALPHABET = re.compile(r"[A-Za-z0-9_-]{1,200}")


def decode_page_token(token: str) -> str:
    """The product id a token continues after; :class:`InvalidPageToken` unless we issued it."""
    if not _TOKEN_ALPHABET.fullmatch(token) or len(token) % 4 == 1:
        raise InvalidPageToken()
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        payload: Any = json.loads(raw.decode("utf-8"))
    except (binascii.Error, UnicodeDecodeError, ValueError) as error:
        raise InvalidPageToken() from error
    if (
        not isinstance(payload, dict)
        or set(payload) != {"v", "after"}
        or payload["v"] != 1
        or not isinstance(payload["after"], str)
        or not is_product_id(payload["after"])
    ):
        raise InvalidPageToken()
    # Re-encoding must give back the same text: rejects non-canonical spellings of a valid token.
    if encode_page_token(payload["after"]) != token:
        raise InvalidPageToken()
    after: str = payload["after"]
    return after

"""The product entity and its rules: what a valid name, description and id are, how a product
changes, and how many products a page may hold."""

from __future__ import annotations

import dataclasses
import enum
import hashlib
import json
import re
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone

from app.domain.exceptions import FieldError

NAME_MAX_LENGTH = 200
DESCRIPTION_MAX_LENGTH = 2000
PAGE_SIZE_MIN = 1
PAGE_SIZE_MAX = 100
PAGE_SIZE_DEFAULT = 20
FIRST_VERSION = 1

# Names of the rules that are not one product field (``FieldError.field`` for them).
PAGE_SIZE_FIELD = "page_size"
CHANGES_FIELD = "changes"

# Control characters (Cc) break logs and UIs; lone surrogates (Cs) cannot even be stored as UTF-8.
# Both categories are fixed ranges (Unicode's stability policy freezes Cc; Cs is the surrogate
# block), so a regular expression finds them in C instead of a category lookup per character.
# A test checks these classes against ``unicodedata`` for every code point.
FORBIDDEN_CATEGORIES = frozenset({"Cc", "Cs"})
DESCRIPTION_ALLOWED_CONTROLS = frozenset("\n\r\t")
_FORBIDDEN_IN_NAME = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff]")
_FORBIDDEN_IN_DESCRIPTION = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")
_CANONICAL_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
# Fixed forever: ids of products created with an Idempotency-Key are UUIDv5 names under it, so a
# changed namespace would make every earlier key create a second product.
IDEMPOTENT_ID_NAMESPACE = uuid.UUID("2d02898d-f47c-4a8d-95d4-8652fbd77f73")


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
class Origin:
    """The create request a stored product remembers, so that a repeat of it is recognised.

    ``request_id`` is unique per API request and the same in every SDK retry of its write, so a
    store that finds its own ``request_id`` knows the write already happened; it also names this
    life of the product (a product deleted and created again has another), which event ids are
    derived from. ``fingerprint`` is set when the client sent an ``Idempotency-Key``: it
    identifies the client's request body.
    """

    request_id: str
    fingerprint: str | None = None


@dataclass(frozen=True)
class StoredProduct:
    """A product as a store holds it, with the origin of the request that created it."""

    product: Product
    origin: Origin


class Unchanged(enum.Enum):
    """Marks a field a change leaves alone (distinct from an explicit null description)."""

    UNCHANGED = "UNCHANGED"


UNCHANGED = Unchanged.UNCHANGED


@dataclass(frozen=True)
class ProductChanges:
    """What one update changes: each field is the new value or :data:`UNCHANGED`.

    The version rule lives here, in :meth:`applied_to`, because it is a product rule (every
    successful update is exactly one version later). The store still has to *apply* it: only the
    store can read the current version and write the next one in the same atomic request, which
    is what keeps concurrent updates of different fields from undoing each other. So the in-memory
    fake calls :meth:`applied_to` under its lock, the DynamoDB adapter spells the same rule as one
    ``UpdateItem`` expression, and the repository contract suite checks that every store returns
    and keeps exactly ``changes.applied_to(before, updated_at)``.
    """

    name: str | Unchanged = UNCHANGED
    description: str | None | Unchanged = UNCHANGED

    def applied_to(self, product: Product, updated_at: datetime) -> Product:
        """``product`` after this change at ``updated_at``: one version later."""
        return dataclasses.replace(
            product,
            name=product.name if self.name is UNCHANGED else self.name,
            description=(
                product.description if self.description is UNCHANGED else self.description
            ),
            last_update_date=updated_at,
            version=product.version + 1,
        )


@dataclass(frozen=True)
class Page:
    """One page of products and, unless it is the last page, the id of the product to continue
    after (the last one of this page, or wherever the store stopped reading)."""

    products: list[Product]
    continue_after: str | None


def utc_now() -> datetime:
    """The current UTC time at the millisecond precision the API exposes and stores."""
    now = datetime.now(timezone.utc)
    return now.replace(microsecond=now.microsecond // 1000 * 1000)


def format_timestamp(moment: datetime) -> str:
    """ISO 8601 UTC with fixed millisecond precision, e.g. ``2026-11-22T10:00:00.123Z``."""
    # %-formatting the fields: 0.8 us against 1.2 for isoformat(timespec=...) and ~4 for strftime;
    # this runs twice per product in every response (100 times for a page of 50).
    if moment.tzinfo is not timezone.utc:
        moment = moment.astimezone(timezone.utc)
    return "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ" % (
        moment.year,
        moment.month,
        moment.day,
        moment.hour,
        moment.minute,
        moment.second,
        moment.microsecond // 1000,
    )


def parse_timestamp(text: str) -> datetime:
    """Inverse of :func:`format_timestamp` (stored values, so no need for strptime's strictness).

    fromisoformat is ~50x faster than strptime (0.2 vs 11 us): a page of 50 products parses 100.
    """
    moment = datetime.fromisoformat(text)  # "...Z" already gives timezone.utc
    return moment if moment.tzinfo is timezone.utc else moment.astimezone(timezone.utc)


def is_product_id(candidate: str) -> bool:
    """True for ids this API can have issued (canonical lower-case UUID strings)."""
    return _CANONICAL_UUID.fullmatch(candidate) is not None


def idempotent_product_id(caller: str, key: str) -> str:
    """The product id a caller's ``Idempotency-Key`` creates (a UUIDv5: the same for every repeat,
    different for another caller or key)."""
    # JSON keeps the two parts apart whatever characters the caller's name contains.
    return str(uuid.uuid5(IDEMPOTENT_ID_NAMESPACE, json.dumps([caller, key])))


def request_fingerprint(request: object) -> str:
    """A digest of a request's JSON value: equal for equal values, whatever key order or spacing
    the client used."""
    canonical = json.dumps(request, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(canonical.encode("ascii")).hexdigest()


def normalise_name(name: object) -> tuple[str | None, list[FieldError]]:
    """A candidate name trimmed (None if it is not a usable string) and the rules it breaks."""
    if not isinstance(name, str):
        return None, [FieldError("name", "must be a string")]
    trimmed = name.strip()
    if not trimmed:
        return None, [FieldError("name", "must not be empty or only whitespace")]
    # Too long is reason enough; scanning megabytes character by character would only burn CPU.
    if len(trimmed) > NAME_MAX_LENGTH:
        return trimmed, [FieldError("name", f"must be at most {NAME_MAX_LENGTH} characters")]
    if _FORBIDDEN_IN_NAME.search(trimmed):
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
    if _FORBIDDEN_IN_DESCRIPTION.search(description):
        return [
            FieldError(
                "description", "must not contain control characters other than newlines and tabs"
            )
        ]
    return []


def page_size_errors(page_size: int) -> list[FieldError]:
    """The rule a requested page size breaks, if any."""
    if PAGE_SIZE_MIN <= page_size <= PAGE_SIZE_MAX:
        return []
    return [FieldError(PAGE_SIZE_FIELD, f"must be between {PAGE_SIZE_MIN} and {PAGE_SIZE_MAX}")]

"""Each rule a request must follow, written once.

The readers (``messages``), the OpenAPI document (``tools/apidocs``) and the error texts are all
derived from these definitions: a pattern, a length or a bound changes here and nowhere else.
Patterns are written in the subset that Python's ``re`` and JSON Schema (ECMA 262) read the same
way, anchored, so the published schema accepts exactly what the function does.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from app import contract
from app.domain import model
from app.domain.fields import Kind

IF_MATCH_HEADER = "If-Match"
IDEMPOTENCY_KEY_HEADER = contract.IDEMPOTENCY_KEY_HEADER
IDEMPOTENT_REPLAYED_HEADER = contract.IDEMPOTENT_REPLAYED_HEADER
PAGE_SIZE_PARAMETER = "pageSize"
# A query parameter's name, not a secret (bandit takes "token" names for passwords).
PAGE_TOKEN_PARAMETER = "nextToken"  # nosec B105


@dataclass(frozen=True)
class TextRule:
    """A header or query value: a pattern (anchored) and, where the pattern has none, lengths."""

    pattern: str
    problem: str  # what the value must be, in the API's words (the error text)
    min_length: int | None = None
    max_length: int | None = None
    _compiled: re.Pattern[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # Matched whole (``fullmatch``) without the anchors: Python's ``$`` would also accept a
        # trailing newline, which JSON Schema's does not.
        unanchored = self.pattern.removeprefix("^").removesuffix("$")
        object.__setattr__(self, "_compiled", re.compile(unanchored))

    def accepts(self, value: str) -> bool:
        """Whether ``value`` follows the rule (as the JSON Schema of :meth:`schema` would say)."""
        if self.min_length is not None and len(value) < self.min_length:
            return False
        if self.max_length is not None and len(value) > self.max_length:
            return False
        return self._compiled.fullmatch(value) is not None

    def schema(self) -> dict[str, Any]:
        """The rule as a JSON Schema (OpenAPI 3.1) string schema."""
        schema: dict[str, Any] = {"type": "string", "pattern": self.pattern}
        if self.min_length is not None:
            schema["minLength"] = self.min_length
        if self.max_length is not None:
            schema["maxLength"] = self.max_length
        return schema


# ``*`` (any version) or one quoted version number, e.g. "3" with the quotes: a strong ETag.
IF_MATCH = TextRule(
    pattern='^(\\*|"[1-9][0-9]{0,17}")$',
    problem='must be "*" or one quoted product version such as "3"',
)
IDEMPOTENCY_KEY = TextRule(
    pattern="^[!-~]+$",  # visible ASCII: no spaces or control characters
    problem="must be one value of 1 to 255 visible ASCII characters",
    min_length=1,
    max_length=255,
)
# URL-safe base64 without padding (what ``messages.encode_page_token`` writes); bounded, so a
# client cannot make the function decode megabytes.
PAGE_TOKEN = TextRule(
    pattern="^[A-Za-z0-9_-]+$",
    problem="is not a well-formed page token; pass back a previous page's nextToken unchanged",
    min_length=1,
    max_length=200,
)
# A whole number first (``PAGE_SIZE_DIGITS``), then within the domain's bounds.
PAGE_SIZE_DIGITS = TextRule(pattern="^[0-9]{1,6}$", problem="must be a whole number")
PAGE_SIZE_MIN = model.PAGE_SIZE_MIN
PAGE_SIZE_MAX = model.PAGE_SIZE_MAX
PAGE_SIZE_DEFAULT = model.PAGE_SIZE_DEFAULT


def page_size_schema() -> dict[str, Any]:
    """The ``pageSize`` query parameter as a JSON Schema."""
    return {
        "type": "integer",
        "minimum": PAGE_SIZE_MIN,
        "maximum": PAGE_SIZE_MAX,
        "default": PAGE_SIZE_DEFAULT,
    }


# The texts of the type rules the body readers check; the fields each body may carry, their types
# and the product rules come from the field declarations (``app.domain.model.Product``).
FIELD_REQUIRED = model.REQUIRED
NOT_A_CLIENT_FIELD = "is not a field clients may set"
# A JSON value's Python type per kind of client field, and the error text when it is another
# (a null sent in an update for a field that cannot be null adds NOT_NULL).
JSON_TYPES: dict[Kind, tuple[type, str]] = {Kind.TEXT: (str, "must be a string")}
NOT_NULL = ", not null"

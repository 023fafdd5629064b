"""How a product field is declared, once: its JSON type, bounds, characters, null, who sets it.

:class:`app.domain.model.Product` declares each of its fields with :func:`client_field` or
:func:`server_field`; everything else reads the declarations through :func:`declared_fields`:
the domain's validation and its error texts (:func:`check`), the API's body readers and product
JSON, the store's item mapping, the event snapshot, the published JSON Schemas, the client and the
command line. A field's bounds and character rules are written here and nowhere else.

Standard library only: this is the domain.
"""

from __future__ import annotations

import dataclasses
import enum
import re
from dataclasses import dataclass
from typing import Any

# The key of a field's declaration in its ``dataclasses.field`` metadata.
DECLARATION = "products.declaration"


class Kind(enum.Enum):
    """What a field's values are, in JSON and in the domain."""

    ID = "id"  # a canonical lower-case UUID string that the server assigns
    TEXT = "text"  # a string under a :class:`TextRule`
    TIMESTAMP = "timestamp"  # a UTC datetime; JSON: ISO 8601 with milliseconds and ``Z``
    VERSION = "version"  # a whole number from 1, one more per update


def _code_point_class(ranges: tuple[tuple[int, int], ...]) -> str:
    # ``\uXXXX`` escapes read the same in Python's ``re`` and in JSON Schema's (ECMA 262) patterns.
    return "".join(
        f"\\u{first:04x}" if first == last else f"\\u{first:04x}-\\u{last:04x}"
        for first, last in ranges
    )


@dataclass(frozen=True)
class Characters:
    """The characters a text may not contain (inclusive code point ranges) and the error text."""

    forbidden: tuple[tuple[int, int], ...]
    problem: str  # the broken rule in the API's words, e.g. "must not contain control characters"

    @property
    def forbidden_class(self) -> str:
        """The body of a regular-expression character class that matches a forbidden character."""
        return _code_point_class(self.forbidden)


# Control characters (Unicode category Cc, frozen by Unicode's stability policy) break logs and
# UIs; lone surrogates (Cs, a fixed block) cannot even be stored as UTF-8. A test checks these
# ranges against ``unicodedata`` for every code point.
CONTROL_CHARACTERS = ((0x00, 0x1F), (0x7F, 0x9F))
SURROGATES = ((0xD800, 0xDFFF),)
NO_CONTROL_CHARACTERS = Characters(
    forbidden=(*CONTROL_CHARACTERS, *SURROGATES),
    problem="must not contain control characters",
)
# Multi-line text: line breaks (LF, CR) and tabs are the control characters a description may hold.
NO_CONTROL_CHARACTERS_BUT_LINE_BREAKS_AND_TABS = Characters(
    forbidden=((0x00, 0x08), (0x0B, 0x0C), (0x0E, 0x1F), (0x7F, 0x9F), *SURROGATES),
    problem="must not contain control characters other than newlines and tabs",
)

# What ``str.strip()`` removes (``str.isspace()``), spelt out so that a published pattern can say
# exactly which surrounding characters a trimmed field ignores. A test checks it against Python's.
WHITESPACE = (
    (0x09, 0x0D),
    (0x1C, 0x20),
    (0x85, 0x85),
    (0xA0, 0xA0),
    (0x1680, 0x1680),
    (0x2000, 0x200A),
    (0x2028, 0x2029),
    (0x202F, 0x202F),
    (0x205F, 0x205F),
    (0x3000, 0x3000),
)


@dataclass(frozen=True)
class TextRule:
    """The rule of a text field: lengths in characters (code points), forbidden characters, and
    whether surrounding whitespace is trimmed first (then the trimmed text is what is stored and
    what the lengths and characters apply to)."""

    max_length: int
    characters: Characters
    min_length: int = 0
    trimmed: bool = False
    _forbidden: re.Pattern[str] = dataclasses.field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.trimmed and self.min_length < 1:
            # Trimming exists to refuse blank text: an empty trimmed text would be a silent "".
            object.__setattr__(self, "min_length", 1)
        if not 0 <= self.min_length <= self.max_length:
            raise ValueError(f"lengths {self.min_length}..{self.max_length} are not a range")
        object.__setattr__(self, "_forbidden", re.compile(f"[{self.characters.forbidden_class}]"))

    def problem(self, text: str) -> str | None:
        """The rule ``text`` (already trimmed if the rule trims) breaks, or None."""
        if len(text) < self.min_length:
            if self.trimmed and not text:
                return "must not be empty or only whitespace"
            if self.min_length == 1:
                return "must not be empty"
            return f"must be at least {self.min_length} characters"
        # Too long is reason enough; scanning megabytes for characters would only burn CPU.
        if len(text) > self.max_length:
            return f"must be at most {self.max_length} characters"
        if self._forbidden.search(text):
            return self.characters.problem
        return None

    def pattern(self, *, as_sent: bool) -> str:
        """A JSON Schema ``pattern`` (anchored) that accepts exactly the texts this rule accepts.

        ``as_sent``: the text as a client sends it (surrounding whitespace still there when the
        rule trims); otherwise the text as stored. For a trimmed rule the sent text's length is not
        bounded (only the trimmed part is), so the pattern itself carries the bounds.
        """
        allowed = f"[^{self.characters.forbidden_class}]"
        if not self.trimmed:
            return f"^{allowed}*$"
        # First and last characters of the trimmed text are neither whitespace nor forbidden.
        edge = f"[^{self.characters.forbidden_class}{_code_point_class(WHITESPACE)}]"
        core = edge
        if self.max_length > 1:
            core += f"(?:{allowed}{{0,{self.max_length - 2}}}{edge})?"
        if not as_sent:
            return f"^{core}$"
        space = f"[{_code_point_class(WHITESPACE)}]*"
        return f"^{space}{core}{space}$"


@dataclass(frozen=True)
class FieldDeclaration:
    """One product field: what it holds and who sets it. See :func:`client_field`."""

    kind: Kind
    summary: str  # one sentence for the published documents
    example: Any
    text: TextRule | None = None
    on_create: bool = False  # the client may send it when creating a product
    on_update: bool = False  # the client may change it in an update
    required: bool = False  # a create must send it
    nullable: bool = False  # null is a value (absent, or cleared by an update)
    json_name: str = ""  # the name in JSON, items and events ("" until bound: the attribute name)
    attribute: str = ""  # the Python attribute of ``Product`` (set by :func:`declared_fields`)

    @property
    def client_sets(self) -> bool:
        """Whether clients send this field (on create or update) rather than the server."""
        return self.on_create or self.on_update


def client_field(
    text: TextRule,
    *,
    summary: str,
    example: str,
    required: bool = False,
    nullable: bool = False,
    on_create: bool = True,
    on_update: bool = True,
) -> dict[str, FieldDeclaration]:
    """``dataclasses.field`` metadata of a text field that clients set.

    A field a create may leave out must be nullable (leaving it out means null).
    """
    if on_create and not required and not nullable:
        raise ValueError("a field a create may leave out must be nullable")
    return {
        DECLARATION: FieldDeclaration(
            Kind.TEXT,
            summary,
            example,
            text=text,
            on_create=on_create,
            on_update=on_update,
            required=required,
            nullable=nullable,
        )
    }


def server_field(
    kind: Kind, *, summary: str, example: Any, json_name: str = "", nullable: bool = False
) -> dict[str, FieldDeclaration]:
    """``dataclasses.field`` metadata of a field the server sets (id, timestamps, version)."""
    return {
        DECLARATION: FieldDeclaration(
            kind, summary, example, json_name=json_name, nullable=nullable
        )
    }


def declared_fields(entity: type) -> tuple[FieldDeclaration, ...]:
    """The declarations of a dataclass's fields, in order, with their attribute and JSON names."""
    declarations = []
    for field in dataclasses.fields(entity):
        declaration: FieldDeclaration = field.metadata[DECLARATION]
        if declaration.nullable and field.default is not None:
            raise TypeError(f"{field.name} may be null: declare it with field(default=None, ...)")
        declarations.append(
            dataclasses.replace(
                declaration, attribute=field.name, json_name=declaration.json_name or field.name
            )
        )
    return tuple(declarations)


def check(declaration: FieldDeclaration, value: object) -> tuple[object, str | None]:
    """A client's value for a field: the value to store (trimmed if the rule trims) and the
    broken rule's text (None when the value is valid)."""
    if value is None and declaration.nullable:
        return None, None
    if not isinstance(value, str):
        return None, "must be a string or null" if declaration.nullable else "must be a string"
    rule = declaration.text
    if rule is None:  # client_field declares only text fields
        raise TypeError(f"{declaration.json_name} is not a text field")
    text = value.strip() if rule.trimmed else value
    return text, rule.problem(text)

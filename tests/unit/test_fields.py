"""The field declaration vocabulary: what a declared rule accepts, its error texts, its published
pattern, and the declarations it refuses (mistakes an adopter would otherwise ship)."""

from __future__ import annotations

import dataclasses
import re
from datetime import datetime

import pytest

from app.domain import fields
from app.domain.fields import Kind, TextRule

PLAIN = fields.NO_CONTROL_CHARACTERS


def accepts(pattern: str, text: str) -> bool:
    """JSON Schema's verdict on an anchored pattern (a whole-string match, as ECMA 262 reads it)."""
    return re.fullmatch(pattern[1:-1], text) is not None


@pytest.mark.parametrize(
    "rule, text, problem",
    [
        (TextRule(max_length=5, characters=PLAIN, min_length=1), "", "must not be empty"),
        (
            TextRule(max_length=5, characters=PLAIN, min_length=3),
            "ab",
            "must be at least 3 characters",
        ),
        (TextRule(max_length=5, characters=PLAIN, min_length=3), "abc", None),
        (TextRule(max_length=5, characters=PLAIN), "", None),
        (TextRule(max_length=5, characters=PLAIN), "abcdef", "must be at most 5 characters"),
        (TextRule(max_length=5, characters=PLAIN), "a\tb", "must not contain control characters"),
        (
            TextRule(max_length=5, characters=PLAIN, trimmed=True),
            "",
            "must not be empty or only whitespace",
        ),
        (
            TextRule(max_length=5, characters=PLAIN, min_length=2, trimmed=True),
            "a",
            "must be at least 2 characters",
        ),
    ],
)
def test_a_text_rule_names_the_first_rule_a_text_breaks(
    rule: TextRule, text: str, problem: str | None
) -> None:
    assert rule.problem(text) == problem


def test_a_trimmed_rule_needs_at_least_one_character() -> None:
    assert TextRule(max_length=3, characters=PLAIN, trimmed=True).min_length == 1


@pytest.mark.parametrize("min_length, max_length", [(4, 3), (-1, 3)])
def test_lengths_that_are_no_range_are_refused(min_length: int, max_length: int) -> None:
    with pytest.raises(ValueError, match="not a range"):
        TextRule(max_length=max_length, characters=PLAIN, min_length=min_length)


@pytest.mark.parametrize("max_length", [1, 2, 3])
@pytest.mark.parametrize("as_sent", [False, True])
def test_the_pattern_of_a_trimmed_rule_accepts_exactly_what_the_rule_does(
    max_length: int, as_sent: bool
) -> None:
    rule = TextRule(max_length=max_length, characters=PLAIN, trimmed=True)
    pattern = rule.pattern(as_sent=as_sent)
    for text in ["", "a", "ab", "abc", "abcd", " a ", "a b", " ab", "\ta", "a\tb", "\x00", "\xa0a"]:
        stored = text.strip()
        verdict = rule.problem(stored) is None and (as_sent or stored == text)
        assert accepts(pattern, text) is verdict, (text, pattern)


def test_a_field_a_create_may_leave_out_must_be_nullable() -> None:
    rule = TextRule(max_length=3, characters=PLAIN)
    with pytest.raises(ValueError, match="must be nullable"):
        fields.client_field(rule, summary="s", example="e")
    assert fields.client_field(rule, summary="s", example="e", on_create=False)


def test_a_nullable_field_must_default_to_none() -> None:
    @dataclasses.dataclass
    class Entity:
        note: str | None = dataclasses.field(
            metadata=fields.client_field(
                TextRule(max_length=3, characters=PLAIN), nullable=True, summary="s", example="e"
            )
        )

    with pytest.raises(TypeError, match="note may be null"):
        fields.declared_fields(Entity)


def test_declarations_are_bound_to_their_attribute_and_json_name() -> None:
    @dataclasses.dataclass
    class Entity:
        created_at: datetime = dataclasses.field(
            metadata=fields.server_field(
                Kind.TIMESTAMP, json_name="createdAt", summary="s", example="e"
            )
        )
        note: str | None = dataclasses.field(
            default=None,
            metadata=fields.client_field(
                TextRule(max_length=3, characters=PLAIN), nullable=True, summary="s", example="e"
            ),
        )

    created, note = fields.declared_fields(Entity)
    assert (created.attribute, created.json_name, created.client_sets) == (
        "created_at",
        "createdAt",
        False,
    )
    assert (note.attribute, note.json_name, note.client_sets) == ("note", "note", True)


def test_check_trims_keeps_null_where_allowed_and_words_wrong_types() -> None:
    rule = TextRule(max_length=3, characters=PLAIN, trimmed=True)
    name = fields.client_field(rule, summary="s", example="e", required=True)[fields.DECLARATION]
    note = fields.client_field(rule, summary="s", example="e", nullable=True)[fields.DECLARATION]

    assert fields.check(name, " ab ") == ("ab", None)
    assert fields.check(name, None) == (None, "must be a string")
    assert fields.check(note, None) == (None, None)
    assert fields.check(note, 5) == (None, "must be a string or null")


def test_check_refuses_a_field_that_is_no_text() -> None:
    version = fields.server_field(Kind.VERSION, summary="s", example=1)[fields.DECLARATION]
    with pytest.raises(TypeError, match="not a text field"):
        fields.check(version, "3")


def test_a_trimmed_pattern_treats_exactly_pythons_whitespace_as_surrounding() -> None:
    rule = TextRule(max_length=3, characters=PLAIN, trimmed=True)
    pattern = rule.pattern(as_sent=True)
    for code_point in range(0x3100):
        text = f"{chr(code_point)}a{chr(code_point)}"
        verdict = rule.problem(text.strip()) is None
        assert accepts(pattern, text) is verdict, hex(code_point)


def test_a_one_character_trimmed_pattern_has_no_middle() -> None:
    pattern = TextRule(max_length=1, characters=PLAIN, trimmed=True).pattern(as_sent=False)
    assert [text for text in ("a", "ab", "ab{0,-1}c", "") if accepts(pattern, text)] == ["a"]


def test_a_text_that_is_not_trimmed_keeps_its_surrounding_whitespace() -> None:
    rule = TextRule(max_length=5, characters=PLAIN)
    note = fields.client_field(rule, summary="s", example="e", nullable=True)
    assert fields.check(note[fields.DECLARATION], " ab ") == (" ab ", None)


def test_client_and_server_fields_declare_what_they_are_given() -> None:
    rule = TextRule(max_length=5, characters=PLAIN)
    declared = fields.client_field(rule, summary="Summary", example="Example", required=True)
    assert declared == {
        fields.DECLARATION: fields.FieldDeclaration(
            Kind.TEXT,
            "Summary",
            "Example",
            text=rule,
            on_create=True,
            on_update=True,
            required=True,
            nullable=False,
        )
    }
    server = fields.server_field(Kind.TIMESTAMP, summary="When", example="2026", nullable=True)
    assert server == {
        fields.DECLARATION: fields.FieldDeclaration(Kind.TIMESTAMP, "When", "2026", nullable=True)
    }
    assert server[fields.DECLARATION].json_name == ""  # bound to the attribute's name


def test_an_optional_client_field_that_cannot_be_null_is_refused_in_words() -> None:
    rule = TextRule(max_length=3, characters=PLAIN)
    with pytest.raises(ValueError, match="^a field a create may leave out must be nullable$"):
        fields.client_field(rule, summary="s", example="e")

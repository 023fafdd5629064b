"""The entry point's own translations: the ``nextToken`` codec and client-facing field names."""

from __future__ import annotations

import base64

import pytest

from app.domain import model
from app.domain.exceptions import FieldError
from app.entrypoints.api import messages
from app.entrypoints.api import request_rules as rules

FIXED_ID = "3f1c7c7e-4b7a-4e8b-9b1a-0c2d3e4f5a6b"


def test_page_token_round_trips_and_is_url_safe_without_padding() -> None:
    token = messages.encode_page_token(FIXED_ID)
    assert token.isascii() and "=" not in token and "+" not in token and "/" not in token
    assert messages.decode_page_token(token) == FIXED_ID


@pytest.mark.parametrize(
    "token",
    [
        "",
        "a",
        "####",
        base64.urlsafe_b64encode(b'{"v":true,"after":"' + FIXED_ID.encode() + b'"}')
        .decode()
        .rstrip("="),
        base64.urlsafe_b64encode(b'{"after":"' + FIXED_ID.encode() + b'","v":1}')
        .decode()
        .rstrip("="),
        base64.urlsafe_b64encode(b'{"v":1,"after":null}').decode().rstrip("="),
    ],
)
def test_page_token_decoding_is_strict_and_names_the_query_parameter(token: str) -> None:
    with pytest.raises(messages.BadRequest) as failure:
        messages.decode_page_token(token)
    message = (
        "nextToken is not a well-formed page token; pass back a previous page's nextToken unchanged"
    )
    assert failure.value.message == message
    assert failure.value.errors == [FieldError("nextToken", message)]


def test_a_well_formed_token_is_accepted_whoever_built_it() -> None:
    # Tokens are not signed (docs/api.md, paging): a client-built token for any id decodes.
    other_id = "00000000-0000-4000-8000-000000000000"
    forged = base64.urlsafe_b64encode(b'{"v":1,"after":"' + other_id.encode() + b'"}')

    assert messages.decode_page_token(forged.decode().rstrip("=")) == other_id


def test_domain_rule_names_become_client_names_and_product_fields_keep_theirs() -> None:
    errors = [
        FieldError(model.PAGE_SIZE_FIELD, "a"),
        FieldError(model.CHANGES_FIELD, "b"),
        FieldError("name", "c"),
        FieldError("last_update_date", "d"),
        FieldError("unknown", "e"),
    ]
    assert messages.client_field_errors(errors) == [
        FieldError("pageSize", "a"),
        FieldError("body", "b"),
        FieldError("name", "c"),
        FieldError("lastUpdateDate", "d"),  # a product attribute under its JSON name
        FieldError("unknown", "e"),  # any other name as the domain wrote it
    ]


def test_a_bad_requests_text_is_its_message() -> None:
    error = messages.BadRequest("Request body is invalid", [FieldError("name", "is required")])
    assert (str(error), error.message) == ("Request body is invalid", "Request body is invalid")
    assert messages.BadRequest("no fields").errors == []


# --- The request rules, as written once in request_rules ----------------------------------------


def test_a_text_rule_matches_the_whole_value_and_its_lengths() -> None:
    rule = rules.TextRule(pattern="^[a-c]+$", problem="p", min_length=2, max_length=3)
    assert [rule.accepts(v) for v in ("ab", "abc", "a", "abcc", "abd", "ab\n", "xab")] == [
        True,
        True,
        False,
        False,
        False,
        False,
        False,
    ]
    unbounded = rules.TextRule(pattern="^x*$", problem="p")
    assert unbounded.accepts("") and unbounded.accepts("x" * 1000)


def test_a_text_rule_without_anchors_still_matches_the_whole_value() -> None:
    rule = rules.TextRule(pattern="[0-9]", problem="p")
    assert rule.accepts("7") and not rule.accepts("77") and not rule.accepts("a7")


@pytest.mark.parametrize(
    "rule, schema",
    [
        (
            rules.IF_MATCH,
            {"type": "string", "pattern": '^(\\*|"[1-9][0-9]{0,17}")$'},
        ),
        (
            rules.IDEMPOTENCY_KEY,
            {"type": "string", "pattern": "^[!-~]+$", "minLength": 1, "maxLength": 255},
        ),
        (
            rules.PAGE_TOKEN,
            {"type": "string", "pattern": "^[A-Za-z0-9_-]+$", "minLength": 1, "maxLength": 200},
        ),
        (rules.PAGE_SIZE_DIGITS, {"type": "string", "pattern": "^[0-9]{1,6}$"}),
    ],
    ids=["If-Match", "Idempotency-Key", "nextToken", "pageSize digits"],
)
def test_each_rule_publishes_the_json_schema_it_enforces(
    rule: rules.TextRule, schema: dict[str, object]
) -> None:
    assert rule.schema() == schema


def test_the_page_size_schema_states_the_domains_bounds() -> None:
    assert rules.page_size_schema() == {
        "type": "integer",
        "minimum": 1,
        "maximum": 100,
        "default": 20,
    }

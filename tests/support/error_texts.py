"""Every error the API answers, in the words its clients read: the tests' one table of texts.

The texts are part of the API's contract (docs/api.md shows them), so each is written here in
full, as a literal, and the tests compare answers with this table, never with the code's own
constants: a changed constant must fail a test, not move the expectation along with it.

Entries are of two kinds, both keyed by a short name that tests use:

- an :class:`Answer`: the status and the top-level ``message`` of one kind of error answer;
  ``{name}`` fields are filled from the request (``Product is at version {actual}, ...``);
- a ``str``: the ``message`` of one item of the answer's ``errors`` list; the test names the
  item's ``field`` (the body field, header or query parameter the client sent).

``assert_error`` (``tests/support/lambda_api.py``) compares status, ``Content-Type`` and the whole
body with an entry exactly.
"""

from __future__ import annotations

from dataclasses import dataclass

from app.domain import model


def _either(names: list[str]) -> str:
    """``a``, ``a and/or b``, ``a, b and/or c``, as the API lists fields in a sentence."""
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and/or " + names[-1]


# The fields an update may change, by their JSON names (from the declarations: a field added
# there is named in the text too, which is the API's behaviour, not a change of its wording).
_UPDATABLE = [declared.json_name for declared in model.UPDATE_FIELDS]


@dataclass(frozen=True)
class Answer:
    """One kind of error answer: its status and top-level message (a ``str.format`` template)."""

    status: int
    message: str


IF_MATCH_RULE = 'must be "*" or one quoted product version such as "3"'
IDEMPOTENCY_KEY_RULE = "must be one value of 1 to 255 visible ASCII characters"
NEXT_TOKEN_RULE = (
    "nextToken is not a well-formed page token; pass back a previous page's nextToken unchanged"
)

ERROR_TEXTS: dict[str, Answer | str] = {
    # --- 400: the body ------------------------------------------------------------------------
    "body required": Answer(400, "Request body is required (a JSON object)"),
    "body not json": Answer(400, "Request body is not valid JSON: {reason}"),
    "body too deep": Answer(400, "Request body is nested too deeply"),
    "body not object": Answer(400, "Request body must be a JSON object"),
    "body not utf-8": Answer(400, "Request body is not valid UTF-8 JSON"),
    "body invalid": Answer(400, "Request body is invalid"),
    "rules broken": Answer(400, "Request breaks product rules"),
    # --- 400: headers and query parameters ----------------------------------------------------
    "parameters invalid": Answer(400, "Invalid request parameters"),
    "if-match invalid": Answer(400, f"If-Match {IF_MATCH_RULE}"),
    "idempotency-key invalid": Answer(400, f"Idempotency-Key {IDEMPOTENCY_KEY_RULE}"),
    "next-token invalid": Answer(400, NEXT_TOKEN_RULE),
    # --- other statuses -----------------------------------------------------------------------
    "not found": Answer(404, "Product not found"),
    "no route": Answer(404, "No such route"),
    "stale version": Answer(412, "Product is at version {actual}, not {expected}"),
    "not json media type": Answer(415, "Content-Type must be application/json, not {given!r}"),
    "idempotency-key reused": Answer(
        422,
        "Idempotency-Key was already used for another request; send a new key with a new request",
    ),
    "internal": Answer(500, "Internal server error"),
    "unavailable": Answer(503, "Service temporarily unavailable, retry later"),
    # --- items of ``errors``: the body's types and fields -------------------------------------
    "required": "is required",
    "not a string": "must be a string",
    "null name": "must be a string, not null",
    "not a client field": "is not a field clients may set",
    # --- items of ``errors``: the product rules -----------------------------------------------
    "blank name": "must not be empty or only whitespace",
    "name too long": "must be at most 200 characters",
    "control character in name": "must not contain control characters",
    "description too long": "must be at most 2000 characters",
    "control character in description": (
        "must not contain control characters other than newlines and tabs"
    ),
    # Names every field an update may change (today "name and/or description").
    "no change": f"an update must change {_either(_UPDATABLE)}",
    "page size out of range": "must be between 1 and 100",
    # --- items of ``errors``: headers and query parameters ------------------------------------
    "not a whole number": "must be a whole number",
    "if-match rule": IF_MATCH_RULE,
    "idempotency-key rule": IDEMPOTENCY_KEY_RULE,
    "next-token rule": NEXT_TOKEN_RULE,
    "key used for another request": "was used for another request",
}


def answer(name: str) -> Answer:
    """The table's answer ``name`` (a KeyError or TypeError names a typo in a test)."""
    entry = ERROR_TEXTS[name]
    if not isinstance(entry, Answer):
        raise TypeError(f"{name!r} is an item of errors, not an answer")
    return entry


def field_text(name: str) -> str:
    """The table's text of an ``errors`` item ``name``."""
    entry = ERROR_TEXTS[name]
    if not isinstance(entry, str):
        raise TypeError(f"{name!r} is an answer, not an item of errors")
    return entry


def error_body(
    name: str, *errors: tuple[str, str], omitted: int | None = None, **values: object
) -> dict[str, object]:
    """The whole JSON body of answer ``name`` with ``errors`` as (field, table name) pairs."""
    body: dict[str, object] = {"message": answer(name).message.format(**values)}
    if errors:
        body["errors"] = [{"field": field, "message": field_text(text)} for field, text in errors]
    if omitted is not None:
        body["omittedErrors"] = omitted
    return body

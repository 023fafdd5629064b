"""The tables of ``docs/api.md`` that state the contract: derived, never written by hand.

``python -m tools.apidocs.doc_tables [PATH]`` rewrites each table between its markers
(``<!-- generated: NAME -->`` ... ``<!-- end generated -->``) from the product's field
declarations, ``app.contract.OPERATIONS`` and the request rules (``make openapi`` runs it);
``--check`` exits 1 when the file is stale instead.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Callable
from pathlib import Path

from app import contract
from app.domain import fields, model
from app.domain.fields import FieldDeclaration, Kind
from app.entrypoints.api import request_rules as rules
from tools.apidocs.operations import ERROR_DESCRIPTIONS

DEFAULT_PATH = Path("docs/api.md")
_TYPES = {
    Kind.ID: "string (UUID)",
    Kind.TEXT: "string",
    Kind.TIMESTAMP: "string (ISO 8601 UTC, milliseconds)",
    Kind.VERSION: "integer",
}


def _who_sets(declared: FieldDeclaration) -> str:
    if not declared.client_sets:
        return "the server"
    when = []
    if declared.on_create:
        when.append("create" + (" (required)" if declared.required else ""))
    if declared.on_update:
        when.append("update" + (" (`null` clears it)" if declared.nullable else ""))
    return "you: " + ", ".join(when)


def _rules(declared: FieldDeclaration) -> str:
    rule = declared.text
    if rule is None:
        return declared.summary
    parts = []
    if rule.trimmed:
        parts.append("surrounding whitespace is removed first")
    lengths = f"{rule.min_length} to {rule.max_length}" if rule.min_length else "at most"
    if not rule.min_length:
        lengths += f" {rule.max_length}"
    parts.append(f"{lengths} characters")
    parts.append(rule.characters.problem)
    return "; ".join(parts)


def fields_table() -> str:
    """One row per product field: JSON name, type, who sets it, its rules."""
    rows = ["| field | type | set by | rules |", "|---|---|---|---|"]
    for declared in model.PRODUCT_FIELDS:
        kind = _TYPES[declared.kind] + (" or `null`" if declared.nullable else "")
        rows.append(
            f"| `{declared.json_name}` | {kind} | {_who_sets(declared)} | {_rules(declared)} |"
        )
    return "\n".join(rows)


def example_product() -> str:
    """A product as the API answers it, from each field's declared example."""
    product = {declared.json_name: declared.example for declared in model.PRODUCT_FIELDS}
    return "```json\n" + json.dumps(product, indent=2, ensure_ascii=False) + "\n```"


def _request(operation: contract.Operation) -> str:
    text = f"`{operation.method} {operation.resource}`"
    if operation.response == "page":
        text = text[:-1] + f"?{rules.PAGE_SIZE_PARAMETER}=&{rules.PAGE_TOKEN_PARAMETER}=`"
    if operation.body == "create":
        names = [f'"{d.json_name}"' + ("" if d.required else "?") for d in model.CREATE_FIELDS]
        text += " `{" + ", ".join(names) + "}`"
    elif operation.body == "update":
        names = [d.json_name for d in model.UPDATE_FIELDS]
        text += " `{" + ", ".join(f'"{n}"?' for n in names) + "}` (at least one)"
    if operation.conditional:
        text += f", optional `{rules.IF_MATCH_HEADER}`"
    if operation.idempotent:
        text += f", optional `{contract.IDEMPOTENCY_KEY_HEADER}`"
    return text


def _success(operation: contract.Operation) -> str:
    answer = {"product": "the product", "page": '`{"products": [...], "nextToken"?}`'}
    text = f"{operation.status}, {answer.get(operation.response, 'empty body')}"
    if operation.status == 201:
        text += f", `Location: {contract.PRODUCT}`"
    if operation.idempotent:
        text += f" (`{contract.IDEMPOTENT_REPLAYED_HEADER}: true` on a replay)"
    return text


def operations_table() -> str:
    """One row per operation: the request, its success, the other statuses it answers."""
    rows = ["| request | success | errors |", "|---|---|---|"]
    for operation in contract.OPERATIONS:
        errors = ", ".join(
            f"{status} ({ERROR_DESCRIPTIONS[status]})" for status in operation.errors
        )
        rows.append(f"| {_request(operation)} | {_success(operation)} | {errors} |")
    return "\n".join(rows)


def error_texts_table() -> str:
    """The field errors' texts, the same for every field they apply to."""
    text_rules = [(d.json_name, d.text) for d in model.PRODUCT_FIELDS if d.text is not None]
    trimmed_name, trimmed = next((name, rule) for name, rule in text_rules if rule.trimmed)
    first_name, first = text_rules[0]
    too_long = first.problem("a" * (first.max_length + 1))
    type_problem = rules.JSON_TYPES[Kind.TEXT][1]
    examples = [
        ("a required field is missing", model.REQUIRED),
        ("a field of the wrong JSON type (`42` for a string)", type_problem),
        ("`null` in an update, for a field that cannot be null", type_problem + rules.NOT_NULL),
        ("a field clients may not set (unknown, or set by the server)", rules.NOT_A_CLIENT_FIELD),
        (f"a blank `{trimmed_name}` (after trimming)", trimmed.problem("")),
        (f"a `{first_name}` over its limit (each field has its own)", too_long),
        (
            "a forbidden character (the field's rule says which)",
            fields.NO_CONTROL_CHARACTERS.problem,
        ),
        ("an update that sends no field", model.NO_CHANGES),
        (f"a malformed `{rules.IF_MATCH_HEADER}`", rules.IF_MATCH.problem),
        (f"a malformed `{contract.IDEMPOTENCY_KEY_HEADER}`", rules.IDEMPOTENCY_KEY.problem),
        (
            f"`{rules.PAGE_SIZE_PARAMETER}` that is not a whole number",
            rules.PAGE_SIZE_DIGITS.problem,
        ),
        (f"`{rules.PAGE_SIZE_PARAMETER}` out of range", model.page_size_errors(0)[0].message),
        (f"a malformed or foreign `{rules.PAGE_TOKEN_PARAMETER}`", rules.PAGE_TOKEN.problem),
    ]
    rows = ["| problem | `errors[].message` |", "|---|---|"]
    rows += [f"| {problem} | `{text}` |" for problem, text in examples]
    return "\n".join(rows)


TABLES: dict[str, Callable[[], str]] = {
    "example-product": example_product,
    "fields": fields_table,
    "operations": operations_table,
    "error-texts": error_texts_table,
}
_BLOCK = re.compile(
    r"^(<!-- generated: ([a-z-]+) -->\n)(?:.*?\n)??(<!-- end generated -->)$", re.DOTALL | re.M
)


def render(text: str) -> str:
    """``text`` with every generated table replaced by its current content."""

    def table(match: re.Match[str]) -> str:
        return match.group(1) + TABLES[match.group(2)]() + "\n" + match.group(3)

    return _BLOCK.sub(table, text)


def main(argv: list[str] | None = None) -> int:
    """Rewrite (or with --check, verify) the generated tables of the file."""
    parser = argparse.ArgumentParser(prog="python -m tools.apidocs.doc_tables", description=__doc__)
    parser.add_argument("path", nargs="?", type=Path, default=DEFAULT_PATH)
    parser.add_argument("--check", action="store_true", help="fail if a table is stale")
    args = parser.parse_args(argv)
    current = args.path.read_text(encoding="utf-8")
    rendered = render(current)
    if args.check:
        if rendered != current:
            print(f"{args.path} has stale tables: run `make openapi`", file=sys.stderr)
            return 1
        return 0
    args.path.write_text(rendered, encoding="utf-8")
    print(f"wrote the tables of {args.path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

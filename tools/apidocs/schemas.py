"""The JSON Schemas of the API's bodies and of the product in events (build time only).

The product's schemas are derived from its field declarations (``app.domain.model.Product``):
types, lengths, patterns, null, required and settable fields are never written here. Every keyword
states a rule the API enforces; ``tests/unit/test_request_bodies.py`` and
``tests/apidocs/test_product_schemas.py`` check each against what the readers and the domain
accept. The other bodies (a page, an error) are the API's own and are written out below.
"""

from __future__ import annotations

from typing import Any

from app.domain import model
from app.domain.fields import FieldDeclaration, Kind, TextRule
from app.entrypoints.api import request_rules as rules
from app.entrypoints.api.messages import MAX_FIELD_ERRORS, encode_page_token

REFERENCE_PREFIX = "#/components/schemas/"
PRODUCT = "ProductResponse"
PAGE = "ProductPageResponse"
ERROR = "ErrorResponse"
FIELD_ERROR = "FieldErrorResponse"
# The request body schema of each kind of body an operation takes (``contract.Operation.body``).
REQUEST_BODIES = {"create": "CreateProductRequest", "update": "UpdateProductRequest"}

# What the API answers after a page ending at the example product.
_EXAMPLE_PAGE_TOKEN = encode_page_token(model.PRODUCT_FIELDS[0].example)


def _text_words(rule: TextRule) -> str:
    """The rule in words, for a field's description."""
    lengths = (
        f"{rule.min_length} to {rule.max_length}"
        if rule.min_length
        else f"at most {rule.max_length}"
    )
    words = f"{lengths} characters; {rule.characters.problem}."
    if rule.trimmed:
        return f"Surrounding whitespace is removed, then {words}"
    return words[0].upper() + words[1:]


def field_schema(
    declared: FieldDeclaration, *, as_sent: bool = False, examples: bool = True
) -> dict[str, Any]:
    """The JSON Schema of one product field: as stored and returned, or ``as_sent`` by a client
    (then a trimmed text's length is bounded by its pattern alone, since surrounding whitespace
    does not count). ``examples=False`` for JSON Schema draft 4, which has no such keyword."""
    schema: dict[str, Any]
    if declared.kind is Kind.ID:
        schema = {"type": "string", "format": "uuid"}
    elif declared.kind is Kind.TIMESTAMP:
        schema = {"type": "string", "format": "date-time"}
    elif declared.kind is Kind.VERSION:
        schema = {"type": "integer", "minimum": model.FIRST_VERSION}
    else:
        rule = declared.text
        if rule is None:
            raise TypeError(f"text field {declared.json_name} has no rule")
        schema = {"type": "string", "pattern": rule.pattern(as_sent=as_sent)}
        # Sent with surrounding whitespace, a trimmed text's lengths are its pattern's alone.
        if not (as_sent and rule.trimmed):
            schema["maxLength"] = rule.max_length
            if rule.min_length:
                schema["minLength"] = rule.min_length
        schema["description"] = f"{declared.summary}. {_text_words(rule)}"
    schema.setdefault("description", declared.summary)
    if declared.nullable:
        schema["type"] = [schema["type"], "null"]
    if examples:
        schema["examples"] = [declared.example]
    return schema


def product_schema(*, examples: bool = True) -> dict[str, Any]:
    """A product as the API returns it (and as events carry it): every declared field."""
    return {
        "type": "object",
        "description": "A product as the API returns it.",
        "properties": {
            declared.json_name: field_schema(declared, examples=examples)
            for declared in model.PRODUCT_FIELDS
        },
        "required": [declared.json_name for declared in model.PRODUCT_FIELDS],
    }


def create_request_schema() -> dict[str, Any]:
    """Body of a create: the fields a client sets on create; the required ones required."""
    fields = model.CREATE_FIELDS
    properties = {}
    for declared in fields:
        schema = field_schema(declared, as_sent=True)
        if not declared.required:
            schema["description"] += " Omitted or null: none."
        properties[declared.json_name] = schema
    return {
        "type": "object",
        "description": "Body of a create: the fields a client sets.",
        "properties": properties,
        "required": [declared.json_name for declared in fields if declared.required],
        "additionalProperties": False,
        "examples": [{declared.json_name: declared.example for declared in fields}],
    }


def update_request_schema() -> dict[str, Any]:
    """Body of an update: any of the fields a client may change, at least one; null clears a
    field that may be null and is refused for any other."""
    fields = model.UPDATE_FIELDS
    properties = {}
    for declared in fields:
        schema = field_schema(declared, as_sent=True)
        schema["description"] += " null clears it." if declared.nullable else " Never null."
        properties[declared.json_name] = schema
    clearable = [declared.json_name for declared in fields if declared.nullable]
    example = {clearable[0]: None} if clearable else {fields[0].json_name: fields[0].example}
    return {
        "type": "object",
        "description": "Body of an update: only the fields sent change.",
        "properties": properties,
        "minProperties": 1,
        "additionalProperties": False,
        "examples": [example],
    }


def page_schema() -> dict[str, Any]:
    """One page of a listing; ``nextToken`` is absent on the last page."""
    return {
        "type": "object",
        "description": "One page of products; nextToken is absent on the last page.",
        "properties": {
            "products": {"type": "array", "items": {"$ref": REFERENCE_PREFIX + PRODUCT}},
            rules.PAGE_TOKEN_PARAMETER: {
                **rules.PAGE_TOKEN.schema(),
                "description": (
                    "Opaque; pass back as ?nextToken= for the next page. Absent on the last page."
                ),
                "examples": [_EXAMPLE_PAGE_TOKEN],
            },
        },
        "required": ["products"],
    }


def error_schemas() -> dict[str, dict[str, Any]]:
    """The body of every 4xx/5xx response, and of one field error in it."""
    return {
        ERROR: {
            "type": "object",
            "description": "Body of every 4xx/5xx response.",
            "properties": {
                "message": {"type": "string", "examples": ["Request body is invalid"]},
                "errors": {
                    "type": "array",
                    "items": {"$ref": REFERENCE_PREFIX + FIELD_ERROR},
                    "description": (
                        f"On validation errors: the offending fields, at most {MAX_FIELD_ERRORS}"
                    ),
                },
                "omittedErrors": {
                    "type": "integer",
                    "minimum": 1,
                    "description": "How many more field errors were found but not listed",
                },
            },
            "required": ["message"],
        },
        FIELD_ERROR: {
            "type": "object",
            "description": "One offending field.",
            "properties": {
                "field": {"type": "string", "examples": ["name"]},
                "message": {"type": "string", "examples": ["must not be empty or only whitespace"]},
            },
            "required": ["field", "message"],
        },
    }


def components() -> dict[str, dict[str, Any]]:
    """Every body schema of the OpenAPI document, by name."""
    return {
        PRODUCT: product_schema(),
        PAGE: page_schema(),
        REQUEST_BODIES["create"]: create_request_schema(),
        REQUEST_BODIES["update"]: update_request_schema(),
        **error_schemas(),
    }

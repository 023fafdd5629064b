"""The published JSON Schemas (the committed OpenAPI document), validated as JSON Schema means.

JSON Schema's ``pattern`` is an ECMA 262 regular expression; Python's ``$`` also matches before a
final newline, which ECMA's does not. The validators here read anchored patterns (``^...$``) as
a whole-string match, so they say what a client's ECMA-based validator says.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import jsonschema  # type: ignore[import-untyped]  # no stubs installed; used in tests only

from tests.support.dynamodb_local import PROJECT_ROOT

PUBLISHED: dict[str, Any] = json.loads(
    (PROJECT_ROOT / "docs" / "openapi.json").read_text(encoding="utf-8")
)
SCHEMAS: dict[str, Any] = PUBLISHED["components"]["schemas"]


def _ecma_pattern(validator: Any, pattern: str, instance: Any, schema: Any) -> Iterator[Any]:
    if not isinstance(instance, str):
        return
    anchored = pattern.startswith("^") and pattern.endswith("$")
    body = pattern[1:-1] if anchored else pattern
    matched = re.fullmatch(body, instance) if anchored else re.search(body, instance)
    if matched is None:
        yield jsonschema.ValidationError(f"{instance!r} does not match {pattern!r}")


EcmaValidator = jsonschema.validators.extend(
    jsonschema.Draft202012Validator, {"pattern": _ecma_pattern}
)


def validator(schema_name: str, *, schemas: dict[str, Any] | None = None) -> Any:
    """A validator of the component ``schema_name`` (references resolve within the document)."""
    components = SCHEMAS if schemas is None else schemas
    root = {"$ref": f"#/components/schemas/{schema_name}", "components": {"schemas": components}}
    return EcmaValidator(root)

"""Breaking changes between two versions of a JSON Schema, in the direction the data flows.

A **request** schema describes what clients send: the new version must still accept everything
the old one accepted (widening is fine, narrowing breaks clients). A **response** schema (API
answers, published events) describes what clients receive: the new version must promise nothing
the old one did not (narrowing is fine, widening breaks clients). Object properties are the one
exception, as tolerant readers expect: a response may gain properties (required or not) and a
request may gain optional ones. The rules, as docs/releases.md lists them:

- ``type``: a request may not lose a type (``integer`` is narrower than ``number``); a response
  may not gain one. ``anyOf``/``oneOf`` and type lists are alternatives, compared as sets.
- ``enum``/``const``: a request may not lose a value; a response may not gain one.
- bounds (``minLength``/``maxLength``, ``minimum``/``maximum``, ``exclusiveMinimum``/
  ``exclusiveMaximum``, ``minItems``/``maxItems``, ``minProperties``/``maxProperties``): a request
  may not tighten one; a response may not loosen (or drop) one.
- ``pattern``, ``format``, ``multipleOf``: a request may not add or change one; a response may not
  change or drop one.
- objects: a removed property breaks both directions; a request may not make a property required
  nor start refusing unknown properties (``additionalProperties: false``); a response may not make
  a required property optional.
- arrays: ``items`` compared in the same direction.

``$ref`` is resolved within each document (``#/...``). Keywords not listed (descriptions,
examples, titles, defaults) never break anything.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Literal

Direction = Literal["request", "response"]
Schema = dict[str, Any]

_LOWER_BOUNDS = ("minLength", "minimum", "exclusiveMinimum", "minItems", "minProperties")
_UPPER_BOUNDS = ("maxLength", "maximum", "exclusiveMaximum", "maxItems", "maxProperties")
_EXACT = ("pattern", "format", "multipleOf")
_ANY = "any value"


def _pointer(document: Schema, reference: str) -> Schema:
    """The schema a local ``$ref`` (``#/a/b``) points at."""
    if not reference.startswith("#/"):
        raise ValueError(f"only local references are supported: {reference}")
    node: Any = document
    for part in reference[2:].split("/"):
        node = node[part.replace("~1", "/").replace("~0", "~")]
    if not isinstance(node, dict):
        raise ValueError(f"{reference} is not a schema")
    return node


def _type_name(schema: Schema) -> str:
    kind = schema.get("type")
    return kind if isinstance(kind, str) else _ANY


def _values(schema: Schema) -> list[Any] | None:
    """The values ``enum``/``const`` allow; None when unrestricted."""
    if "const" in schema:
        return [schema["const"]]
    enum = schema.get("enum")
    return list(enum) if isinstance(enum, list) else None


def _missing(values: list[Any], others: list[Any]) -> list[Any]:
    return [value for value in values if value not in others]


class SchemaComparison:
    """Compares schemas of an old and a new document (each resolves its own ``$ref``s)."""

    def __init__(self, old_document: Schema, new_document: Schema) -> None:
        self._old_document = old_document
        self._new_document = new_document
        # The pairs of references being compared on the current path: a recursive schema stops
        # where it repeats.
        self._active: set[tuple[str, str, Direction]] = set()

    def breaking(self, old: Schema, new: Schema, where: str, direction: Direction) -> list[str]:
        """Each breaking change, as ``where: what``; empty when the new schema is compatible."""
        # dict.fromkeys: a rule broken in several alternatives (a type list) is one change.
        return list(dict.fromkeys(self._compare(old, new, where, direction)))

    def _resolve(self, schema: Schema, document: Schema) -> Schema:
        seen: set[str] = set()
        while "$ref" in schema:
            reference = schema["$ref"]
            if reference in seen:
                raise ValueError(f"circular reference {reference}")
            seen.add(reference)
            schema = {
                **_pointer(document, reference),
                **{k: v for k, v in schema.items() if k != "$ref"},
            }
        return schema

    def _alternatives(self, schema: Schema, document: Schema) -> list[Schema]:
        """``anyOf``/``oneOf`` branches and type lists as separate single-type schemas."""
        schema = self._resolve(schema, document)
        for keyword in ("anyOf", "oneOf"):
            if isinstance(schema.get(keyword), list):
                rest = {k: v for k, v in schema.items() if k != keyword}
                return [
                    alternative
                    for branch in schema[keyword]
                    for alternative in self._alternatives({**rest, **branch}, document)
                ]
        kind = schema.get("type")
        if isinstance(kind, list):
            return [{**schema, "type": single} for single in kind]
        return [schema]

    def _compare(self, old: Schema, new: Schema, where: str, direction: Direction) -> Iterator[str]:
        key = (str(old.get("$ref")), str(new.get("$ref")), direction)
        if "$ref" in old and "$ref" in new:
            if key in self._active:
                return
            self._active.add(key)
        try:
            yield from self._compare_resolved(old, new, where, direction)
        finally:
            self._active.discard(key)

    def _compare_resolved(
        self, old: Schema, new: Schema, where: str, direction: Direction
    ) -> Iterator[str]:
        olds = self._alternatives(old, self._old_document)
        news = self._alternatives(new, self._new_document)
        if len(olds) == 1 and len(news) == 1:
            yield from self._compare_single(olds[0], news[0], where, direction)
            return
        # Request: every old alternative still accepted by a new one. Response: every new
        # alternative already promised by an old one.
        covered, covering = (olds, news) if direction == "request" else (news, olds)
        for alternative in covered:
            if any(
                not list(self._pair(alternative, other, where, direction)) for other in covering
            ):
                continue
            same_type = [o for o in covering if _type_name(o) == _type_name(alternative)]
            if same_type:
                yield from self._pair(alternative, same_type[0], where, direction)
            elif direction == "request":
                yield f"{where}: type narrowed, {_type_name(alternative)} no longer accepted"
            else:
                yield f"{where}: type widened, may now be {_type_name(alternative)}"

    def _pair(self, first: Schema, second: Schema, where: str, direction: Direction) -> list[str]:
        """``first``/``second`` are (old, new) for a request, (new, old) for a response."""
        old, new = (first, second) if direction == "request" else (second, first)
        return list(self._compare_single(old, new, where, direction))

    def _compare_single(
        self, old: Schema, new: Schema, where: str, direction: Direction
    ) -> Iterator[str]:
        yield from _compare_type(old, new, where, direction)
        yield from _compare_values(old, new, where, direction)
        yield from _compare_bounds(old, new, where, direction)
        yield from self._compare_object(old, new, where, direction)
        if isinstance(old.get("items"), dict) and isinstance(new.get("items"), dict):
            yield from self._compare(old["items"], new["items"], f"{where}[]", direction)
        elif isinstance(old.get("items"), dict) and direction == "response":
            yield f"{where}[]: items no longer described"
        elif isinstance(new.get("items"), dict) and direction == "request":
            yield f"{where}[]: items now restricted"

    def _compare_object(
        self, old: Schema, new: Schema, where: str, direction: Direction
    ) -> Iterator[str]:
        old_properties: Schema = old.get("properties", {})
        new_properties: Schema = new.get("properties", {})
        old_required = set(old.get("required", []))
        new_required = set(new.get("required", []))
        for name in sorted(old_properties):
            field = f"{where}.{name}"
            if name not in new_properties:
                yield f"{field}: removed"
                continue
            if direction == "request" and name in new_required - old_required:
                yield f"{field}: now required"
            if direction == "response" and name in old_required - new_required:
                yield f"{field}: no longer required (may be missing)"
            yield from self._compare(old_properties[name], new_properties[name], field, direction)
        if direction == "request":
            for name in sorted((new_required - old_required) - set(old_properties)):
                yield f"{where}.{name}: new required field"
            if old.get("additionalProperties") is not False and (
                new.get("additionalProperties") is False
            ):
                yield f"{where}: unknown properties now refused"


def _compare_type(old: Schema, new: Schema, where: str, direction: Direction) -> Iterator[str]:
    old_type, new_type = _type_name(old), _type_name(new)
    if old_type == new_type:
        return
    narrower = new_type != _ANY and (
        old_type == _ANY or (old_type, new_type) == ("number", "integer")
    )
    wider = old_type != _ANY and (new_type == _ANY or (old_type, new_type) == ("integer", "number"))
    if direction == "request" and not wider:
        yield f"{where}: type narrowed from {old_type} to {new_type}"
    elif direction == "response" and not narrower:
        yield f"{where}: type widened from {old_type} to {new_type}"


def _compare_values(old: Schema, new: Schema, where: str, direction: Direction) -> Iterator[str]:
    old_values, new_values = _values(old), _values(new)
    if direction == "request" and new_values is not None:
        lost = _missing(old_values, new_values) if old_values is not None else None
        if lost is None or lost:
            shown = "any value" if lost is None else ", ".join(map(repr, lost))
            yield f"{where}: allowed values narrowed ({shown} no longer accepted)"
    if direction == "response" and old_values is not None:
        gained = _missing(new_values, old_values) if new_values is not None else None
        if gained is None or gained:
            shown = "any value" if gained is None else ", ".join(map(repr, gained))
            yield f"{where}: allowed values widened (may now be {shown})"


def _compare_bounds(old: Schema, new: Schema, where: str, direction: Direction) -> Iterator[str]:
    for keyword in _LOWER_BOUNDS + _UPPER_BOUNDS:
        before, after = old.get(keyword), new.get(keyword)
        if before == after or isinstance(before, bool) or isinstance(after, bool):
            continue  # draft 4's boolean exclusive bounds are not compared
        lower = keyword in _LOWER_BOUNDS
        tighter = after is not None and (
            before is None or (after > before if lower else after < before)
        )
        if direction == "request" and tighter:
            yield f"{where}: {keyword} tightened from {before} to {after}"
        if direction == "response" and not tighter:
            yield f"{where}: {keyword} loosened from {before} to {after}"
    for keyword in _EXACT:
        before, after = old.get(keyword), new.get(keyword)
        if before == after:
            continue
        if direction == "request" and after is not None:
            yield f"{where}: {keyword} changed from {before!r} to {after!r}"
        if direction == "response" and before is not None:
            yield f"{where}: {keyword} changed from {before!r} to {after!r}"

"""The published event contract: one JSON Schema (draft 4) per ``detail-type``, generated from the
domain's event classes (``app.domain.events``) and the product's field declarations (the
``product`` snapshot), wrapped in the envelope EventBridge delivers.

``python -m tools.apidocs.event_schemas [DIR]`` writes ``DIR/<DetailType>.schema.json`` (``make
event-schemas``); ``--check`` exits 1 when a committed file is stale instead of writing. The stack
registers the same files in its EventBridge schema registry (draft 4 is the JSON Schema version
the registry accepts).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import typing
from pathlib import Path
from typing import Any

from app import contract
from app.domain import events
from tools.apidocs.schemas import product_schema

DEFAULT_DIR = Path("docs/events")
DRAFT_4 = "http://json-schema.org/draft-04/schema#"
_DEFINITIONS = "#/definitions/{model}"


SNAPSHOT = "ProductSnapshot"
# The JSON Schema of each type an event class's field may have (the snapshot: its own definition).
_FIELD_TYPES: dict[object, dict[str, Any]] = {
    str: {"type": "string"},
    int: {"type": "integer"},
    list[str]: {"type": "array", "items": {"type": "string"}},
    events.ProductSnapshot: {"$ref": _DEFINITIONS.format(model=SNAPSHOT)},
}


def detail_schema(event_class: type) -> dict[str, Any]:
    """The ``detail`` of an event class: each field (the published JSON names), all required."""
    hints = typing.get_type_hints(event_class)
    names = [field.name for field in dataclasses.fields(event_class)]
    return {
        "type": "object",
        "title": event_class.__name__,
        "description": " ".join((event_class.__doc__ or "").split()),
        "properties": {name: dict(_FIELD_TYPES[hints[name]]) for name in names},
        "required": names,
    }


def event_schema(detail_type: str) -> dict[str, Any]:
    """The schema of a ``detail_type`` event as a rule's target receives it."""
    (event_class,) = [cls for cls in events.EVENT_TYPES if cls.__name__ == detail_type]
    snapshot = {
        **product_schema(examples=False),
        "title": SNAPSHOT,
        "description": "The product, exactly as GET /products/{id} returns it.",
    }
    detail = detail_schema(event_class)
    # The domain says how event ids are built and what time a change carries; a type hint
    # cannot, so say it here.
    detail["properties"]["eventId"]["description"] = events.EVENT_ID_DESCRIPTION
    detail["properties"]["occurredAt"]["description"] = events.OCCURRED_AT_DESCRIPTION
    definitions = {detail_type: detail, SNAPSHOT: snapshot}
    text = {"type": "string"}
    return {
        "$schema": DRAFT_4,
        "title": detail_type,
        "description": (
            f"A {detail_type} event from the products API as EventBridge delivers it; "
            "deduplicate on detail.eventId (the same on every delivery of one change, in every"
            " region, and different for every other change)."
        ),
        "type": "object",
        "properties": {
            "version": text,
            "id": {**text, "description": "EventBridge's id: new on every delivery attempt"},
            "detail-type": {"type": "string", "enum": [detail_type]},
            "source": {"type": "string", "enum": [contract.EVENT_SOURCE]},
            "account": text,
            "time": {
                **text,
                "format": "date-time",
                "description": "When this region's pipeline published the event (EventBridge's"
                " time of receipt): it differs between regions and deliveries; when the change"
                " was made is detail.occurredAt",
            },
            "region": text,
            "resources": {"type": "array", "items": text},
            "detail": {"$ref": _DEFINITIONS.format(model=detail_type)},
        },
        "required": [
            "version",
            "id",
            "detail-type",
            "source",
            "account",
            "time",
            "region",
            "resources",
            "detail",
        ],
        "definitions": definitions,
    }


def render(detail_type: str) -> str:
    """A schema file as committed: pretty JSON, sorted keys, trailing newline."""
    return json.dumps(event_schema(detail_type), indent=2, sort_keys=True) + "\n"


def main(argv: list[str] | None = None) -> int:
    """Write (or with --check, verify) the committed schema files."""
    parser = argparse.ArgumentParser(
        prog="python -m tools.apidocs.event_schemas", description=__doc__
    )
    parser.add_argument("directory", nargs="?", type=Path, default=DEFAULT_DIR)
    parser.add_argument("--check", action="store_true", help="fail if a file is stale")
    args = parser.parse_args(argv)
    stale = []
    for detail_type in contract.EVENT_DETAIL_TYPES:
        path = args.directory / f"{detail_type}.schema.json"
        text = render(detail_type)
        if args.check:
            if not path.is_file() or path.read_text(encoding="utf-8") != text:
                stale.append(str(path))
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        print(f"wrote {path}")
    if stale:
        print(f"stale: {', '.join(stale)} (run `make event-schemas`)", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The committed OpenAPI document is the one the resolver generates (``make openapi``)."""

from __future__ import annotations

import json
from pathlib import Path

from local_api.openapi import main, render_document
from local_api.rest_api import ROUTES
from tests.support.dynamodb_local import PROJECT_ROOT

COMMITTED = PROJECT_ROOT / "docs" / "openapi.json"


def test_the_committed_openapi_document_is_up_to_date() -> None:
    assert COMMITTED.exists(), "docs/openapi.json is missing: run `make openapi`"
    assert (
        COMMITTED.read_text(encoding="utf-8") == render_document()
    ), "docs/openapi.json is stale: run `make openapi` and commit the result"


def test_the_local_gateway_routes_exactly_what_the_document_describes() -> None:
    document = json.loads(render_document())

    assert document["openapi"].startswith("3.1")
    assert {path: {op.upper() for op in ops} for path, ops in document["paths"].items()} == {
        resource: set(methods) for resource, methods in ROUTES.items()
    }


def test_check_mode_fails_on_a_stale_file_and_writing_fixes_it(tmp_path: Path) -> None:
    target = tmp_path / "openapi.json"
    target.write_text("{}\n", encoding="utf-8")

    stale = main(["--check", str(target)])
    written = main([str(target)])
    fresh = main(["--check", str(target)])

    assert (stale, written, fresh) == (1, 0, 0)
    assert target.read_text(encoding="utf-8") == render_document()

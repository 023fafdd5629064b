"""The committed OpenAPI document is the one the resolver generates (``make openapi``)."""

from __future__ import annotations

import json
from pathlib import Path

from openapi_spec_validator import validate

from local_api.rest_api import ROUTES
from tests.local_api.conftest import ServeFactory
from tests.support.dynamodb_local import PROJECT_ROOT
from tests.support.signed_http import send
from tools.apidocs.openapi import main, render_document

COMMITTED = PROJECT_ROOT / "docs" / "openapi.json"


def test_the_committed_openapi_document_is_up_to_date() -> None:
    assert COMMITTED.exists(), "docs/openapi.json is missing: run `make openapi`"
    assert (
        COMMITTED.read_text(encoding="utf-8") == render_document()
    ), "docs/openapi.json is stale: run `make openapi` and commit the result"


def test_the_committed_document_passes_openapi_spec_validator() -> None:
    validate(json.loads(COMMITTED.read_text(encoding="utf-8")))


def test_the_served_document_names_the_server_it_comes_from(serve: ServeFactory) -> None:
    gateway = serve()

    served = send("GET", f"{gateway.url}/openapi.json")

    assert served.status == 200
    document = json.loads(served.body)
    validate(document)
    assert [server["url"] for server in document["servers"]] == [gateway.url]


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

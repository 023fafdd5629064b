"""`make run` installs only the main and local groups: serving must not need the build tooling."""

from __future__ import annotations

import json

from local_api import openapi
from tests.support.imports import modules_loaded_by


def test_the_local_server_imports_neither_pydantic_nor_the_apidocs_tools() -> None:
    loaded = modules_loaded_by("local_api.server", "pydantic", "tools")
    assert loaded == []


def test_the_served_document_is_the_committed_one_with_this_server_as_its_only_server() -> None:
    committed = json.loads(openapi.COMMITTED_DOCUMENT.read_text(encoding="utf-8"))

    served = json.loads(openapi.render_document("http://127.0.0.1:3999"))

    assert served.pop("servers") == [
        {"url": "http://127.0.0.1:3999", "description": "This local API"}
    ]
    committed.pop("servers")
    assert served == committed

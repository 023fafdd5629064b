"""The /docs page as the gateway serves it: which key pair it signs with, and who gets it."""

from __future__ import annotations

import html.parser
import json
from pathlib import Path
from typing import Any

import pytest

from local_api import openapi
from local_api.events import HttpRequest
from local_api.gateway import GatewayConfig, LocalGateway
from local_api.proxy_response import HttpResponseParts
from local_api.server import DEFAULT_ACCESS_KEY_ID, DEFAULT_SECRET_ACCESS_KEY
from local_api.sigv4 import KeyPair

REGION = "eu-west-3"
OWN_KEYS = KeyPair("AKIADOCSPAGE00000000", "own-secret</script><b>x</b>", "session-token")
DEFAULT_KEYS = KeyPair(DEFAULT_ACCESS_KEY_ID, DEFAULT_SECRET_ACCESS_KEY)


def unreachable_function(event: dict[str, Any], context: Any) -> dict[str, Any]:
    raise AssertionError("the docs page never invokes the function")


def get(key_pair: KeyPair, path: str, source_ip: str = "127.0.0.1") -> HttpResponseParts:
    gateway = LocalGateway(
        unreachable_function, GatewayConfig({key_pair.access_key_id: key_pair}, REGION)
    )
    return gateway.handle(HttpRequest("GET", path, "", [("Host", "h")], b"", source_ip))


class PageParts(html.parser.HTMLParser):
    """The signing note's text, the page's config JSON and the scripts it loads."""

    def __init__(self, page: bytes) -> None:
        super().__init__()
        self.note, self.config_text = "", ""
        self.scripts: list[str] = []
        self._in: str | None = None
        self.feed(page.decode())

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "script" and values.get("src"):
            self.scripts.append(values["src"] or "")
        if values.get("id") in ("signing-note", "docs-config"):
            self._in = values["id"]

    def handle_endtag(self, tag: str) -> None:
        if tag in ("p", "script"):
            self._in = None

    def handle_data(self, data: str) -> None:
        if self._in == "signing-note":
            self.note += data
        elif self._in == "docs-config":
            self.config_text += data

    @property
    def config(self) -> dict[str, Any]:
        """The page's config element, parsed."""
        parsed: dict[str, Any] = json.loads(self.config_text)
        return parsed


def header(response: HttpResponseParts, name: str) -> str | None:
    return next((v for n, v in response.headers if n.lower() == name.lower()), None)


def test_the_page_signs_with_the_servers_own_key_pair_and_region() -> None:
    response = get(OWN_KEYS, "/docs")
    page = PageParts(response.body)

    assert response.status == 200
    assert header(response, "Cache-Control") == "no-store"
    assert page.config == {
        "specUrl": "/openapi.json",
        "signing": {
            "accessKeyId": OWN_KEYS.access_key_id,
            "secretAccessKey": OWN_KEYS.secret_access_key,
            "sessionToken": OWN_KEYS.session_token,
            "region": REGION,
            "service": "execute-api",
        },
    }
    assert page.scripts == ["/docs/swagger-ui.js", "/docs/aws4fetch.js", "/docs/docs-page.js"]


def test_a_value_in_the_config_cannot_end_its_script_element() -> None:
    body = get(OWN_KEYS, "/docs").body.decode()

    assert "</script><b>" not in body
    assert body.count("</script>") == 4  # the config element and the three scripts


def test_the_page_names_the_key_pair_and_shows_only_the_documented_default_secret() -> None:
    default_note = PageParts(get(DEFAULT_KEYS, "/docs").body).note
    own_note = PageParts(get(OWN_KEYS, "/docs").body).note

    assert DEFAULT_ACCESS_KEY_ID in default_note and DEFAULT_SECRET_ACCESS_KEY in default_note
    assert f"service execute-api, region {REGION}" in default_note
    assert OWN_KEYS.access_key_id in own_note and "session token" in own_note
    assert "own-secret" not in own_note


@pytest.mark.parametrize("source_ip", ["127.0.0.2", "::1", "::ffff:127.0.0.1"])
def test_a_browser_on_this_machine_gets_the_key_pair(source_ip: str) -> None:
    page = PageParts(get(DEFAULT_KEYS, "/docs", source_ip).body)

    assert page.config["signing"]["accessKeyId"] == DEFAULT_ACCESS_KEY_ID


@pytest.mark.parametrize("source_ip", ["192.0.2.10", "2001:db8::1", "::ffff:192.0.2.10"])
def test_a_browser_on_another_machine_gets_no_key_pair(source_ip: str) -> None:
    response = get(DEFAULT_KEYS, "/docs", source_ip)
    page = PageParts(response.body)

    assert response.status == 200
    assert "signing" not in page.config
    assert DEFAULT_SECRET_ACCESS_KEY.encode() not in response.body
    assert "opened from another machine" in page.note


def test_the_page_script_is_served_as_javascript() -> None:
    response = get(OWN_KEYS, "/docs/docs-page.js")

    assert response.status == 200
    assert header(response, "Content-Type") == "text/javascript; charset=utf-8"
    assert b"requestInterceptor" in response.body


def test_a_missing_npm_asset_is_a_404_that_says_how_to_install_it(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    missing = tmp_path / "aws4fetch.umd.js"
    monkeypatch.setitem(openapi.DOCS_ASSETS, "/docs/aws4fetch.js", (missing, "text/javascript"))

    response = get(OWN_KEYS, "/docs/aws4fetch.js")

    assert response.status == 404
    assert "make run" in json.loads(response.body)["message"]

"""The /docs page in a real browser: "Try it out" signs each call, so every operation works."""

from __future__ import annotations

import json
import re
from typing import Any

from playwright.sync_api import Locator, Page, expect

from local_api.credentials import DEFAULT_ACCESS_KEY_ID, DEFAULT_SECRET_ACCESS_KEY
from tools.apidocs.openapi import render_document

TIMEOUT_MS = 15_000


class DocsPage:
    """Swagger UI as a person uses it: open an operation, try it out, fill it in, execute."""

    def __init__(self, page: Page, url: str) -> None:
        self.page = page
        page.goto(url + "/docs")
        expect(page.locator(".opblock").first).to_be_visible(timeout=TIMEOUT_MS)

    def operation(self, method: str, path: str) -> Locator:
        """The operation block for ``method path``, expanded and in "Try it out" mode."""
        block = self.page.locator(f".opblock-{method.lower()}").filter(
            has=self.page.locator(f'.opblock-summary-path[data-path="{path}"]')
        )
        expect(block).to_be_visible(timeout=TIMEOUT_MS)  # the page renders asynchronously
        if not block.locator(".opblock-body").is_visible():
            block.locator(".opblock-summary").first.click()
        try_out = block.get_by_role("button", name="Try it out")
        cancel = block.get_by_role("button", name="Cancel")
        # Wait for the expanded block before deciding: a count() right after the click races it.
        expect(try_out.or_(cancel).first).to_be_visible(timeout=TIMEOUT_MS)
        if try_out.is_visible():
            try_out.click()
        expect(cancel).to_be_visible(timeout=TIMEOUT_MS)  # in "Try it out" mode: inputs editable
        return block

    def execute(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, str] | None = None,
        body: dict[str, Any] | None = None,
    ) -> tuple[int, Any]:
        """Fill the form, press Execute, and return the status and body the page shows."""
        block = self.operation(method, path)
        for name, value in (params or {}).items():
            block.locator(f'tr[data-param-name="{name}"] input').fill(value)
        if body is not None:
            block.locator("textarea.body-param__text").fill(json.dumps(body))
        block.locator("button.execute").click()
        row = block.locator(".live-responses-table tbody tr.response")
        expect(row).to_be_visible(timeout=TIMEOUT_MS)
        status = int(row.locator(".response-col_status").inner_text().strip())
        shown = row.locator(".response-col_description .microlight").first
        text = shown.inner_text() if shown.count() else ""
        # Clear the answer, so the next call on this operation waits for its own.
        block.locator("button.btn-clear").click()
        return status, json.loads(text) if text.strip().startswith(("{", "[")) else text


def test_the_page_says_which_credentials_it_signs_with(page: Page, local_api_url: str) -> None:
    DocsPage(page, local_api_url)

    note = page.locator("#signing-note").inner_text()
    assert "execute-api" in note and "us-east-1" in note
    assert DEFAULT_ACCESS_KEY_ID in note and DEFAULT_SECRET_ACCESS_KEY in note
    assert page.locator("#signing-error").inner_text() == ""
    assert page.locator("button.authorize").count() == 0  # no scheme that could never work


def test_try_it_out_creates_gets_updates_lists_and_deletes(page: Page, local_api_url: str) -> None:
    docs = DocsPage(page, local_api_url)

    status, created = docs.execute(
        "POST", "/products", body={"name": "Desk lamp", "description": "From the docs page"}
    )
    assert status == 201, created
    assert created["name"] == "Desk lamp" and created["version"] == 1
    product_id = created["id"]

    status, fetched = docs.execute("GET", "/products/{id}", params={"id": product_id})
    assert (status, fetched) == (200, created)

    status, stale = docs.execute(
        "PUT", "/products/{id}", params={"id": product_id, "If-Match": '"7"'}, body={"name": "x"}
    )
    assert status == 412, stale
    status, updated = docs.execute(
        "PUT",
        "/products/{id}",
        params={"id": product_id, "If-Match": '"1"'},
        body={"name": "Desk lamp, brass"},
    )
    assert status == 200, updated
    assert (updated["name"], updated["version"]) == ("Desk lamp, brass", 2)

    status, listed = docs.execute("GET", "/products", params={"pageSize": "100"})
    assert status == 200, listed
    assert updated in listed["products"]

    status, _ = docs.execute(
        "DELETE", "/products/{id}", params={"id": product_id, "If-Match": '"2"'}
    )
    assert status == 204
    status, gone = docs.execute("GET", "/products/{id}", params={"id": product_id})
    assert status == 404, gone
    assert re.search("not found", json.dumps(gone), re.IGNORECASE)


def test_signing_does_not_depend_on_the_documents_servers_or_security_schemes(
    page: Page, local_api_url: str
) -> None:
    """A document naming the deployed stage and API Gateway's awsSigv4 scheme still works here."""
    document = json.loads(render_document())
    document["servers"] = [
        {
            "url": "https://{restApiId}.execute-api.{region}.amazonaws.com/{stage}",
            "variables": {
                "restApiId": {"default": "a1b2c3d4e5"},
                "region": {"default": "us-east-1"},
                "stage": {"default": "dev"},
            },
        }
    ]
    document.setdefault("components", {})["securitySchemes"] = {
        "sigv4": {
            "type": "apiKey",
            "name": "Authorization",
            "in": "header",
            "x-amazon-apigateway-authtype": "awsSigv4",
        }
    }
    document["security"] = [{"sigv4": []}]
    document["paths"]["/products"]["post"]["security"] = [{"sigv4": []}]
    page.route(
        "**/openapi.json",
        lambda route: route.fulfill(json=document),
    )
    docs = DocsPage(page, local_api_url)

    status, created = docs.execute("POST", "/products", body={"name": "Routed lamp"})

    assert status == 201, created
    assert created["name"] == "Routed lamp"
    assert page.locator("button.authorize").count() == 0

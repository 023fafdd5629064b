"""The local API as ``make run`` starts it, and a system Chromium or Chrome driven by Playwright.

Playwright's own browser download needs the internet, so the browser is the machine's
(``tools/browser.py``: ``CHROMIUM``, else ``chromium``, ``google-chrome``, ... on PATH), which
``make test-browser`` finds, or installs as root on Debian.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

# The same launcher as the e2e tests: `python -m local_api` on a free port, stopped with SIGTERM.
from tests.e2e.conftest import running_local_api, server_environment
from tools.browser import locate, skipped_notice


def chromium_path() -> str:
    """The browser ``make test-browser`` found (``CHROMIUM``), else the first that runs."""
    path = locate(dict(os.environ), install=False, required=False)
    if not path:
        pytest.fail(skipped_notice())
    return path


@pytest.fixture(scope="session")
def local_api_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A local API with the default key pair, exactly what a developer's ``make run`` serves."""
    log_path = tmp_path_factory.mktemp("local-api") / "server.log"
    with running_local_api(log_path, env=server_environment()) as (url, _):
        yield url


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """The headless browser, once per session."""
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=chromium_path(), headless=True)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A fresh browser context and page per test."""
    context = browser.new_context()
    try:
        yield context.new_page()
    finally:
        context.close()

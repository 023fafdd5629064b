"""The local API as ``make run`` starts it, and Debian's Chromium driven by Playwright.

Playwright's own browser download needs the internet, so the browser is the system Chromium
(``make test-browser`` installs it with apt-get when missing; ``CHROMIUM`` overrides the path).
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess  # nosec B404
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

PROJECT_ROOT = Path(__file__).resolve().parents[2]
READY_MARKER = "Local API listening on "


def chromium_path() -> str:
    """The system Chromium: $CHROMIUM, else Debian's ``chromium`` on PATH."""
    path = (
        os.environ.get("CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    )
    if not path:
        pytest.fail("no Chromium found: run `make test-browser`, which installs Debian's chromium")
    return path


def start_local_api(log_path: Path, env: dict[str, str]) -> tuple[str, subprocess.Popen[bytes]]:
    """``python -m local_api --port 0`` (a free port); returns (URL, process) once it serves."""
    command = [sys.executable, "-m", "local_api", "--port", "0"]
    with log_path.open("wb") as log:
        process = subprocess.Popen(  # nosec B603
            command, cwd=PROJECT_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
        )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and process.poll() is None:
        for line in log_path.read_text(errors="replace").splitlines():
            if line.startswith(READY_MARKER):
                return line[len(READY_MARKER) :].strip(), process
        time.sleep(0.05)
    stop(process)
    pytest.fail("the local API did not start:\n" + log_path.read_text(errors="replace")[-4000:])


def stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM (the server shuts down like on Ctrl-C), then kill if it hangs."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def server_environment(**overrides: str) -> dict[str, str]:
    """This environment without AWS settings (so the server uses its own defaults), + overrides."""
    env = {name: value for name, value in os.environ.items() if not name.startswith("AWS_")}
    env["PYTHONPATH"] = str(PROJECT_ROOT)
    env.update(overrides)
    return env


@pytest.fixture(scope="session")
def local_api_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A local API with the default key pair, exactly what a developer's ``make run`` serves."""
    url, process = start_local_api(
        tmp_path_factory.mktemp("local-api") / "server.log", server_environment()
    )
    try:
        yield url
    finally:
        stop(process)


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """Headless Debian Chromium, once per session."""
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

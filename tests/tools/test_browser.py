"""The browser for make test-browser: the lookup order, a stub that is no browser, and what a run
without one says or does. Fake browsers are small scripts answering ``--version``."""

from __future__ import annotations

from pathlib import Path

import pytest

from tools.browser import BrowserError, locate, skipped_notice


def browser(path: Path, answer: str = "Chromium 131.0.6778.85", status: int = 0) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"#!/bin/sh\necho '{answer}'\nexit {status}\n")
    path.chmod(0o755)
    return path


def test_chromium_variable_first_then_the_usual_names_on_path(tmp_path: Path) -> None:
    chrome = browser(tmp_path / "bin" / "google-chrome", "Google Chrome 131.0.6778.85")
    chosen = browser(tmp_path / "opt" / "my-chromium")
    path = str(chrome.parent)

    assert locate(
        {"PATH": path, "CHROMIUM": str(chosen)}, install=False, required=True, bundles=()
    ) == str(chosen)
    assert locate({"PATH": path}, install=False, required=True, bundles=()) == str(chrome)


def test_a_stub_that_does_not_run_is_named_and_skipped(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Ubuntu's chromium-browser without the snap: prints a hint and fails.
    stub = browser(
        tmp_path / "bin" / "chromium-browser", "requires the chromium snap to be installed", 1
    )
    real = browser(tmp_path / "bin" / "chrome", "Google Chrome 131")

    assert locate({"PATH": str(stub.parent)}, install=False, required=True, bundles=()) == str(real)
    assert f"{stub} does not run as a browser" in capsys.readouterr().err


def test_without_one_a_run_continues_or_fails_in_one_line(tmp_path: Path) -> None:
    empty = {"PATH": str(tmp_path)}

    assert locate(empty, install=False, required=False, bundles=()) is None
    with pytest.raises(BrowserError) as failed:
        locate(empty, install=False, required=True, bundles=())
    for line in (str(failed.value), skipped_notice()):
        assert "\n" not in line
        assert "CHROMIUM=/path/to/chromium" in line

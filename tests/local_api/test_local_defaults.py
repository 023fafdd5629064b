"""The local API's defaults have one home, the project's .env, which the server really reads."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from local_api.server import (
    LOCAL_DEFAULTS_FILE,
    DefaultsError,
    apply_local_defaults,
    read_local_defaults,
)
from tests.support.dynamodb_local import PROJECT_ROOT


def test_the_projects_env_file_holds_the_local_defaults() -> None:
    defaults = read_local_defaults()

    assert LOCAL_DEFAULTS_FILE == PROJECT_ROOT / ".env"
    assert defaults["TABLE_NAME"] == "products-local"
    assert defaults["AWS_DEFAULT_REGION"] == "us-east-1"
    assert defaults["POWERTOOLS_LOG_LEVEL"] == "INFO"


def test_no_local_api_module_keeps_a_copy_of_a_default() -> None:
    defaults = read_local_defaults()
    sources = {path.name: path.read_text() for path in (PROJECT_ROOT / "local_api").glob("*.py")}

    for name in ("TABLE_NAME", "AWS_DEFAULT_REGION"):
        copies = [module for module, text in sources.items() if f'"{defaults[name]}"' in text]
        assert copies == [], f"{name}'s default is repeated in {copies}"


def test_comments_and_blank_lines_are_ignored_and_values_kept_verbatim(tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text("# a comment\n\nTABLE_NAME = t1\nAWS_DEFAULT_REGION=eu-west-1\nX=a=b\n")

    assert read_local_defaults(env_file) == {
        "TABLE_NAME": "t1",
        "AWS_DEFAULT_REGION": "eu-west-1",
        "X": "a=b",
    }


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("TABLE_NAME=t\nnot a setting\n", "line 2: expected NAME=value"),
        ("TABLE_NAME=t\n", "does not set AWS_DEFAULT_REGION"),
    ],
)
def test_a_malformed_or_incomplete_file_is_a_clear_error(
    tmp_path: Path, text: str, message: str
) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text(text)

    with pytest.raises(DefaultsError, match=message):
        read_local_defaults(env_file)


def test_a_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(DefaultsError, match="cannot read the local defaults"):
        read_local_defaults(tmp_path / ".env")


def test_the_callers_environment_wins_over_the_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TABLE_NAME", "mine")
    monkeypatch.delenv("LOCAL_DEFAULTS_TEST_ONLY", raising=False)

    apply_local_defaults({"TABLE_NAME": "products-local", "LOCAL_DEFAULTS_TEST_ONLY": "x"})

    assert os.environ["TABLE_NAME"] == "mine"
    assert os.environ["LOCAL_DEFAULTS_TEST_ONLY"] == "x"
    monkeypatch.delenv("LOCAL_DEFAULTS_TEST_ONLY")

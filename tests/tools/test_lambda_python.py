"""The runtime's Python for make: the lookup order, what a run without it says or does, and the
test environment made from it (a virtualenv, or packages beside an interpreter that cannot make
one). Fake interpreters are small scripts that answer the version probe."""

from __future__ import annotations

import os
import shutil

# Runs the prepared environments' python.
import subprocess  # nosec B404
import sys
from pathlib import Path

import pytest

from infra.runtime import RUNTIME
from tools.lambda_python import PYTHON_VERSION, RuntimePythonError, locate, prepare, skipped_notice
from tools.machine import is_required, is_root_on_debian, run_must_be_complete


def script(path: Path, body: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"#!/bin/sh\n{body}\n")
    path.chmod(0o755)
    return path


def fake_python(path: Path, version: str = "3.14.9") -> Path:
    """Answers the version probe (``-c ...``) like a Python of ``version``."""
    return script(path, f"echo {version}")


@pytest.fixture
def no_python(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty PATH, no LAMBDA_PYTHON; returns a project folder without a cached root."""
    monkeypatch.delenv("LAMBDA_PYTHON", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path / "empty-bin"))
    (tmp_path / "project").mkdir()
    return tmp_path / "project"


def test_the_version_is_the_lambda_runtimes() -> None:
    assert RUNTIME.name == f"python{PYTHON_VERSION}"


def test_lambda_python_comes_before_path_and_a_broken_one_is_named(
    no_python: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    on_path = fake_python(tmp_path / "bin" / "python3.14")
    configured = fake_python(tmp_path / "configured" / "python")
    monkeypatch.setenv("PATH", str(on_path.parent))

    monkeypatch.setenv("LAMBDA_PYTHON", str(configured))
    assert locate(no_python, build=False, required=True) == str(configured)

    monkeypatch.setenv("LAMBDA_PYTHON", str(fake_python(tmp_path / "old" / "python", "3.11.7")))
    assert locate(no_python, build=False, required=True) == str(on_path)
    assert "LAMBDA_PYTHON=" in capsys.readouterr().err


def test_the_cached_root_comes_last(no_python: Path) -> None:
    cached = fake_python(no_python / "build" / "py314-root" / "host" / "python3.14")

    assert locate(no_python, build=False, required=False) == str(cached)


def test_without_one_a_run_continues_and_says_in_one_line_what_did_not_run(no_python: Path) -> None:
    assert locate(no_python, build=False, required=False) is None

    notice = skipped_notice("the unit tests on it (make test-runtime)")
    assert "\n" not in notice
    assert notice.startswith("NOTE: no Python 3.14 found, so the unit tests on it")
    assert "LAMBDA_PYTHON=/path/to/python3.14" in notice and "python3.14 on PATH" in notice


def test_without_one_a_run_that_must_be_complete_fails_in_one_line(no_python: Path) -> None:
    with pytest.raises(RuntimePythonError) as failed:
        locate(no_python, build=False, required=True)

    assert "\n" not in str(failed.value)
    assert str(failed.value).startswith("error: no Python 3.14")


@pytest.mark.parametrize(
    ("environ", "complete"),
    [
        ({}, False),
        ({"CI": "true"}, True),
        ({"CI": "1"}, True),
        ({"CI": "false"}, False),
        ({"REQUIRE_ALL_TESTS": "1"}, True),
        ({"CI": "true", "REQUIRE_ALL_TESTS": "0"}, False),
        ({"CI": "", "REQUIRE_ALL_TESTS": "yes"}, True),
    ],
)
def test_ci_or_the_explicit_variable_makes_a_run_complete(
    environ: dict[str, str], complete: bool
) -> None:
    assert run_must_be_complete(environ) is complete


@pytest.mark.parametrize(
    ("mode", "environ", "must_find"),
    [
        ("always", {}, True),
        ("in-ci", {"CI": "true"}, True),
        ("in-ci", {}, False),
        ("never", {"CI": "true"}, False),
    ],
)
def test_a_missing_tool_is_an_error_only_where_the_require_mode_says(
    mode: str, environ: dict[str, str], must_find: bool
) -> None:
    assert is_required(mode, environ) is must_find


def test_only_debian_itself_builds_with_apt(tmp_path: Path) -> None:
    ubuntu = tmp_path / "ubuntu"
    ubuntu.write_text('NAME="Ubuntu"\nID=ubuntu\nID_LIKE=debian\n')
    debian = tmp_path / "debian"
    debian.write_text('PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nID=debian\n')

    assert is_root_on_debian(ubuntu) is False
    assert is_root_on_debian(tmp_path / "missing") is False
    assert is_root_on_debian(debian) is (os.geteuid() == 0 and bool(shutil.which("apt-get")))


def _sys_path(python: Path) -> str:
    probe = "import sys; print(sys.prefix != sys.base_prefix, sys.path)"
    return subprocess.run(  # nosec B603
        [str(python), "-c", probe], capture_output=True, text=True, check=True
    ).stdout


@pytest.mark.slow
def test_a_normal_interpreter_gets_a_virtualenv_reused_while_nothing_changes(
    tmp_path: Path,
) -> None:
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("")
    version = "%d.%d" % sys.version_info[:2]  # the tests' own Python stands in for 3.14

    python = prepare(sys.executable, requirements, tmp_path / "env", python_version=version)

    assert (tmp_path / "env" / "pyvenv.cfg").is_file()
    assert _sys_path(python).startswith("True")
    marker = tmp_path / "env" / "kept"
    marker.write_text("")
    assert prepare(sys.executable, requirements, tmp_path / "env", python_version=version) == python
    assert marker.exists()
    requirements.write_text("# changed\n")
    prepare(sys.executable, requirements, tmp_path / "env", python_version=version)
    assert not marker.exists()


def test_an_interpreter_that_cannot_make_a_virtualenv_gets_its_packages_beside_it(
    tmp_path: Path,
) -> None:
    # Like the Debian root's interpreter: it runs, but `-m venv` gives no working virtualenv.
    interpreter = script(
        tmp_path / "python",
        f'case "$*" in *venv*) exit 1;; esac\nexec {sys.executable} "$@"',
    )
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("")
    version = "%d.%d" % sys.version_info[:2]

    if not sys.platform.startswith("linux"):  # Linux wheels only: elsewhere it says so
        with pytest.raises(RuntimePythonError, match="cannot make a virtualenv"):
            prepare(str(interpreter), requirements, tmp_path / "env", python_version=version)
        return
    python = prepare(str(interpreter), requirements, tmp_path / "env", python_version=version)

    assert not (tmp_path / "env" / "pyvenv.cfg").exists()
    assert str(tmp_path / "env" / "lib") in _sys_path(python)

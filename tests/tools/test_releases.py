"""Releases: one version, a changelog entry for it, and the compatibility check against the last
release, read from its git tag or, in a clone without tags, from its committed copy."""

from __future__ import annotations

import json
import re
import shutil

# Runs git in throw-away repositories.
import subprocess  # nosec B404
from pathlib import Path

import pytest

from app import contract
from products_client import cli
from tools.apidocs.openapi import openapi_document
from tools.releases.__main__ import check, main
from tools.releases.published import snapshot_folder, write_snapshot
from tools.releases.versions import PROJECT_ROOT, Version, project_version

RELEASE = Version(1, 0, 0)


def git(folder: Path, *args: str) -> str:
    command = ["git", "-c", "user.name=Release Test", "-c", "user.email=release@example.com"]
    result = subprocess.run(  # nosec B603 B607
        [*command, *args], cwd=folder, capture_output=True, text=True, check=True
    )
    return result.stdout


def set_version(project: Path, version: str) -> None:
    (project / "pyproject.toml").write_text(f'[project]\nname = "x"\nversion = "{version}"\n')


@pytest.fixture
def released(tmp_path: Path) -> Path:
    """A small project whose 1.0.0 is released: documents copied, committed and tagged."""
    project = tmp_path / "project"
    (project / "docs").mkdir(parents=True)
    shutil.copyfile(PROJECT_ROOT / "docs" / "openapi.json", project / "docs" / "openapi.json")
    shutil.copytree(PROJECT_ROOT / "docs" / "events", project / "docs" / "events")
    set_version(project, str(RELEASE))
    write_snapshot(project, RELEASE)
    git(project, "init", "-q")
    git(project, "add", ".")
    git(project, "commit", "-q", "-m", "Release 1.0.0")
    git(project, "tag", "-a", RELEASE.tag, "-m", "1.0.0")
    return project


def remove_description_field(project: Path) -> None:
    """A breaking change: the product's description disappears from the responses."""
    path = project / "docs" / "openapi.json"
    document = json.loads(path.read_text())
    document["components"]["schemas"]["ProductResponse"]["properties"].pop("description")
    path.write_text(json.dumps(document))


def test_the_version_is_declared_once_and_everything_derives_it() -> None:
    version = str(project_version())

    assert openapi_document()["info"]["version"] == version
    assert (
        json.loads((PROJECT_ROOT / "docs" / "openapi.json").read_text())["info"]["version"]
        == version
    )
    assert cli.version() == version  # the installed package's metadata, from pyproject.toml


def test_the_changelog_has_an_entry_for_the_version_and_the_release_its_copy() -> None:
    version = project_version()
    changelog = (PROJECT_ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    released = [Version.parse(v) for v in re.findall(r"^## \[(\d+\.\d+\.\d+)\]", changelog, re.M)]

    assert released and released == sorted(released, reverse=True), "newest release first"
    assert released[0] == version
    for release in released:
        assert (PROJECT_ROOT / snapshot_folder(release) / "openapi.json").is_file()


def test_this_project_keeps_the_promises_of_its_last_release() -> None:
    verdict = check(PROJECT_ROOT)

    assert verdict.passed, verdict.lines


def test_before_any_release_there_is_nothing_to_compare(tmp_path: Path) -> None:
    (tmp_path / "docs").mkdir()
    set_version(tmp_path, "0.1.0")

    assert check(tmp_path).lines == ["compat: no release yet; version 0.1.0 is the first"]


def test_an_unchanged_project_passes_against_its_tag(released: Path) -> None:
    verdict = check(released)

    assert verdict.passed
    assert verdict.lines == [
        "compat: docs/openapi.json and 3 event schemas keep the promises of 1.0.0 (tag v1.0.0)"
    ]


@pytest.mark.parametrize("tags", ["kept", "deleted"], ids=["with tags", "clone without tags"])
def test_a_breaking_change_fails_unless_the_major_version_goes_up(
    released: Path, tags: str
) -> None:
    if tags == "deleted":
        git(released, "tag", "-d", RELEASE.tag)
    source = "tag v1.0.0" if tags == "kept" else "docs/releases/1.0.0"
    remove_description_field(released)
    # One breaking change per answer that carries a product: each operation's, and a page's.
    changes = sum(op.response in ("product", "page") for op in contract.OPERATIONS)

    for version in ("1.0.0", "1.1.0"):
        set_version(released, version)
        verdict = check(released)
        assert not verdict.passed
        assert "  breaking: GET /products/{id} 200 response body.description: removed" in (
            verdict.lines
        )
        assert verdict.lines[-1].startswith(
            f"error: {changes} breaking changes since release 1.0.0 ({source})"
        )
        assert "make this version 2.0.0 in pyproject.toml" in verdict.lines[-1]

    set_version(released, "2.0.0")
    verdict = check(released)
    assert verdict.passed
    assert verdict.lines[-1] == f"compat: {changes} breaking changes since 1.0.0, allowed in 2.0.0"


def test_a_version_below_the_last_release_fails(released: Path) -> None:
    set_version(released, "0.9.0")

    assert check(released).lines == ["error: pyproject.toml's version 0.9.0 is below release 1.0.0"]


def test_the_committed_copy_must_match_its_tag(released: Path) -> None:
    remove_description_field(released)
    shutil.copyfile(
        released / "docs" / "openapi.json",
        released / "docs" / "releases" / "1.0.0" / "openapi.json",
    )

    verdict = check(released)

    assert not verdict.passed
    assert verdict.lines == ["error: docs/releases/1.0.0/ differs from the documents of v1.0.0"]


def test_a_tag_without_its_copy_fails(released: Path) -> None:
    shutil.rmtree(released / "docs" / "releases")

    (line,) = check(released).lines

    assert line.startswith(
        "error: release v1.0.0 has no copy of its documents in docs/releases/1.0.0/"
    )


def test_the_command_exits_1_on_a_breaking_change_and_snapshot_copies_the_documents(
    released: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    remove_description_field(released)
    assert main(["check", "--project-root", str(released)]) == 1
    assert "breaking" in capsys.readouterr().err

    set_version(released, "2.0.0")
    assert main(["snapshot", "--project-root", str(released)]) == 0
    copied = released / "docs" / "releases" / "2.0.0"
    assert (copied / "openapi.json").read_text() == (released / "docs" / "openapi.json").read_text()
    assert sorted(p.name for p in (copied / "events").iterdir()) == sorted(
        p.name for p in (released / "docs" / "events").iterdir()
    )

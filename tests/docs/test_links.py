"""The README and docs/ hold together: every relative link resolves, and they speak to readers."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.docs.markdown import PAGES, PROJECT_ROOT, anchors, links, prose_lines


def _name(page: Path) -> str:
    return str(page.relative_to(PROJECT_ROOT))


@pytest.mark.parametrize("page", PAGES, ids=_name)
def test_every_relative_link_resolves_to_a_file_and_heading(page: Path) -> None:
    broken = []
    for line, target in links(page):
        if target.startswith(("http://", "https://", "mailto:")):
            continue
        path_part, _, fragment = target.partition("#")
        resolved = (page.parent / path_part).resolve() if path_part else page
        if not resolved.exists():
            broken.append(f"{_name(page)}:{line}: {target} (no such file)")
        elif fragment and resolved.suffix == ".md" and fragment not in anchors(resolved):
            broken.append(f"{_name(page)}:{line}: {target} (no such heading)")
    assert not broken, "\n".join(broken)


def test_the_pages_exist_and_link_each_other() -> None:
    names = {_name(page) for page in PAGES}
    expected = {"api", "client", "development", "events", "local-api", "operations"}
    assert {f"docs/{name}.md" for name in expected} <= names
    readme_targets = {target for _, target in links(PROJECT_ROOT / "README.md")}
    assert {f"docs/{name}.md" for name in expected} <= readme_targets


def test_the_readme_is_a_front_door_not_a_manual() -> None:
    assert len((PROJECT_ROOT / "README.md").read_text(encoding="utf-8").splitlines()) <= 200


@pytest.mark.parametrize(
    "phrase", ["issue #", "../shared", "this machine", "this 2-core", "3.11 here"]
)
def test_no_page_speaks_to_anyone_but_its_readers(phrase: str) -> None:
    found = [
        f"{_name(page)}:{number}"
        for page in PAGES
        for number, line in prose_lines(page)
        if phrase in line.lower()
    ]
    assert not found, f"{phrase!r} in {found}"

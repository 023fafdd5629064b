"""Reading the project's Markdown the way a code host renders it: links, headings, code blocks."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]
# The pages a reader follows from the README (benchmarks/PERFORMANCE.md has its own owner).
PAGES = sorted(
    [PROJECT_ROOT / "README.md", PROJECT_ROOT / "CONTRIBUTING.md", PROJECT_ROOT / "CHANGELOG.md"]
    + list((PROJECT_ROOT / "docs").glob("*.md"))
)

_FENCE = re.compile(r"^(```|~~~)")
_LINK = re.compile(r"(?<!!)\[[^\]]*\]\(([^)\s]+)\)")
_INLINE_CODE = re.compile(r"`[^`]*`")
_MARKER = re.compile(r"^<!-- runnable: (\w+) -->$")


@dataclass(frozen=True)
class CodeBlock:
    """A fenced block marked ``<!-- runnable: KIND -->`` on the line before its fence."""

    page: Path
    line: int
    kind: str
    text: str


def prose_lines(page: Path) -> list[tuple[int, str]]:
    """(line number, text) of every line outside fenced code blocks."""
    lines = []
    fenced = False
    for number, line in enumerate(page.read_text(encoding="utf-8").splitlines(), start=1):
        if _FENCE.match(line.strip()):
            fenced = not fenced
            continue
        if not fenced:
            lines.append((number, line))
    return lines


def links(page: Path) -> list[tuple[int, str]]:
    """(line number, target) of every Markdown link in the page's prose (not in code)."""
    found = []
    for number, line in prose_lines(page):
        for match in _LINK.finditer(_INLINE_CODE.sub("", line)):
            found.append((number, match.group(1)))
    return found


def anchor(heading: str) -> str:
    """The fragment a code host gives a heading: lower case, punctuation dropped, '-' for ' '."""
    text = heading.strip().lower()
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def anchors(page: Path) -> set[str]:
    """The fragments the page's headings can be linked with."""
    return {
        anchor(line.lstrip("#")) for _, line in prose_lines(page) if re.match(r"^#{1,6} ", line)
    }


def runnable_blocks(page: Path) -> list[CodeBlock]:
    """The page's code blocks marked runnable, in page order."""
    blocks = []
    lines = page.read_text(encoding="utf-8").splitlines()
    for index, line in enumerate(lines):
        marker = _MARKER.match(line.strip())
        if not marker:
            continue
        start = index + 1
        if start >= len(lines) or not _FENCE.match(lines[start]):
            raise ValueError(f"{page.name}:{index + 1}: a runnable marker must precede a fence")
        end = next(i for i in range(start + 1, len(lines)) if _FENCE.match(lines[i]))
        text = "\n".join(lines[start + 1 : end]) + "\n"
        blocks.append(CodeBlock(page, start + 1, marker.group(1), text))
    return blocks

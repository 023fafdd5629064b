"""``python -m tools.releases check``: are docs/openapi.json and docs/events/ compatible with the
last release, or does the version say they need not be? (``make compat``, part of ``make lint``)

``python -m tools.releases snapshot``: copy them into ``docs/releases/<version>/`` for a release
(``make release-snapshot``; docs/releases.md has the whole procedure).
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass, field
from pathlib import Path

from tools.releases.openapi_compat import OpenApiComparison, event_changes
from tools.releases.published import last_release, working_tree, write_snapshot
from tools.releases.versions import PROJECT_ROOT, project_version


@dataclass
class Verdict:
    """The check's answer: whether it passes, and the lines to print."""

    passed: bool
    lines: list[str] = field(default_factory=list)


def check(project_root: Path) -> Verdict:
    """Compare the working tree's documents with the last release's, under pyproject's version."""
    version = project_version(project_root)
    try:
        release = last_release(project_root)
    except (ValueError, FileNotFoundError) as error:
        return Verdict(False, [f"error: {error}"])
    if release is None:
        return Verdict(True, [f"compat: no release yet; version {version} is the first"])
    released, published = release
    if version < released:
        return Verdict(
            False, [f"error: pyproject.toml's version {version} is below release {released}"]
        )
    current = working_tree(project_root)
    breaking = OpenApiComparison(published.openapi, current.openapi).breaking()
    breaking += event_changes(published.events, current.events)
    subject = f"docs/openapi.json and {len(current.events)} event schemas"
    if not breaking:
        return Verdict(
            True, [f"compat: {subject} keep the promises of {released} ({published.source})"]
        )
    listed = [f"  breaking: {change}" for change in breaking]
    if version.major > released.major:
        return Verdict(
            True,
            listed
            + [f"compat: {len(breaking)} breaking changes since {released}, allowed in {version}"],
        )
    return Verdict(
        False,
        listed
        + [
            f"error: {len(breaking)} breaking changes since release {released} "
            f"({published.source}): keep the old behaviour, or make this version "
            f"{released.major + 1}.0.0 in pyproject.toml and say what changed in CHANGELOG.md"
        ],
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.releases", description=__doc__)
    parser.add_argument("command", choices=("check", "snapshot"))
    parser.add_argument("--project-root", type=Path, default=PROJECT_ROOT)
    args = parser.parse_args(argv)
    if args.command == "snapshot":
        version = project_version(args.project_root)
        folder = write_snapshot(args.project_root, version)
        print(f"release {version}: documents copied to {folder.relative_to(args.project_root)}/")
        return 0
    verdict = check(args.project_root)
    print("\n".join(verdict.lines), file=sys.stdout if verdict.passed else sys.stderr)
    return 0 if verdict.passed else 1


if __name__ == "__main__":
    sys.exit(main())

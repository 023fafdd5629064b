"""The published documents (the OpenAPI document and the event schemas) of the working tree and
of the last release.

A release is tagged ``vX.Y.Z`` and carries a copy of its documents in ``docs/releases/X.Y.Z/``.
The last release is the highest version among the tags reachable from ``HEAD`` and those copies.
Its documents are read from the tag when the clone has it (``git show``), and the copy must then
equal them; a clone without tags (CI services often fetch none) reads the committed copy.
"""

from __future__ import annotations

import json
import shutil

# Runs git with fixed argument lists.
import subprocess  # nosec B404
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tools.releases.versions import Version

OPENAPI = Path("docs/openapi.json")
EVENTS = Path("docs/events")
EVENT_SUFFIX = ".schema.json"
SNAPSHOTS = Path("docs/releases")

Document = dict[str, Any]


@dataclass(frozen=True)
class Published:
    """One version of the published documents; ``source`` says where they were read."""

    source: str
    openapi: Document
    events: dict[str, Document]  # file name -> schema


def _git(project_root: Path, *args: str) -> str | None:
    """git's output, or None when git, the repository or the object is not there."""
    try:
        result = subprocess.run(  # nosec B603 B607
            ["git", *args], cwd=project_root, capture_output=True, text=True, check=False
        )
    except OSError:
        return None
    return result.stdout if result.returncode == 0 else None


def working_tree(project_root: Path) -> Published:
    """The documents as they are now in ``project_root``."""
    return _read_folder(project_root, OPENAPI, EVENTS, "the working tree")


def _read_folder(project_root: Path, openapi: Path, events: Path, source: str) -> Published:
    return Published(
        source=source,
        openapi=json.loads((project_root / openapi).read_text(encoding="utf-8")),
        events={
            path.name: json.loads(path.read_text(encoding="utf-8"))
            for path in sorted((project_root / events).glob(f"*{EVENT_SUFFIX}"))
        },
    )


def tagged_versions(project_root: Path) -> list[Version]:
    """Release tags (``vX.Y.Z``) reachable from ``HEAD``, oldest first; none without git."""
    listed = _git(project_root, "tag", "--list", "v*", "--merged", "HEAD") or ""
    versions = []
    for tag in listed.split():
        try:
            versions.append(Version.parse(tag.removeprefix("v")))
        except ValueError:
            continue
    return sorted(versions)


def snapshot_versions(project_root: Path) -> list[Version]:
    """Versions with a committed copy in ``docs/releases/``, oldest first."""
    versions = []
    for folder in (project_root / SNAPSHOTS).glob("*"):
        try:
            versions.append(Version.parse(folder.name))
        except ValueError:
            continue
    return sorted(versions)


def snapshot_folder(version: Version) -> Path:
    return SNAPSHOTS / str(version)


def read_snapshot(project_root: Path, version: Version) -> Published:
    folder = snapshot_folder(version)
    return _read_folder(project_root, folder / OPENAPI.name, folder / EVENTS.name, str(folder))


def read_tag(project_root: Path, version: Version) -> Published:
    """The documents as the release's tag holds them."""

    def show(path: Path) -> Document:
        text = _git(project_root, "show", f"{version.tag}:{path.as_posix()}")
        if text is None:
            raise FileNotFoundError(f"{path} is not in {version.tag}")
        loaded: Document = json.loads(text)
        return loaded

    listed = _git(project_root, "ls-tree", "--name-only", version.tag, f"{EVENTS.as_posix()}/")
    names = [Path(line).name for line in (listed or "").split() if line.endswith(EVENT_SUFFIX)]
    return Published(
        source=f"tag {version.tag}",
        openapi=show(OPENAPI),
        events={name: show(EVENTS / name) for name in sorted(names)},
    )


def last_release(project_root: Path) -> tuple[Version, Published] | None:
    """The last release and its documents; None before the first release.

    Raises ValueError when a tag's committed copy is missing or differs from the tag."""
    tags, snapshots = tagged_versions(project_root), snapshot_versions(project_root)
    if not tags and not snapshots:
        return None
    version = max(tags + snapshots)
    if version not in tags:
        return version, read_snapshot(project_root, version)
    tagged = read_tag(project_root, version)
    if version not in snapshots:
        raise ValueError(
            f"release {version.tag} has no copy of its documents in {snapshot_folder(version)}/ "
            "(clones without tags compare against it): add it from the tag"
        )
    copy = read_snapshot(project_root, version)
    if (copy.openapi, copy.events) != (tagged.openapi, tagged.events):
        raise ValueError(f"{snapshot_folder(version)}/ differs from the documents of {version.tag}")
    return version, tagged


def write_snapshot(project_root: Path, version: Version) -> Path:
    """Copy the working tree's documents into ``docs/releases/<version>/`` (replacing it)."""
    folder = project_root / snapshot_folder(version)
    shutil.rmtree(folder, ignore_errors=True)
    (folder / EVENTS.name).mkdir(parents=True)
    shutil.copyfile(project_root / OPENAPI, folder / OPENAPI.name)
    for schema in sorted((project_root / EVENTS).glob(f"*{EVENT_SUFFIX}")):
        shutil.copyfile(schema, folder / EVENTS.name / schema.name)
    return folder

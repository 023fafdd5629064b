"""The project's version (semantic versioning), declared once: ``version`` in pyproject.toml."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]
_SEMVER = re.compile(r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)$")


@dataclass(frozen=True, order=True)
class Version:
    """A release version, MAJOR.MINOR.PATCH (no pre-release or build suffix)."""

    major: int
    minor: int
    patch: int

    @classmethod
    def parse(cls, text: str) -> Version:
        match = _SEMVER.match(text.strip())
        if not match:
            raise ValueError(f"not a MAJOR.MINOR.PATCH version: {text!r}")
        major, minor, patch = (int(part) for part in match.groups())
        return cls(major, minor, patch)

    def __str__(self) -> str:
        return f"{self.major}.{self.minor}.{self.patch}"

    @property
    def tag(self) -> str:
        """The git tag of this release, e.g. ``v1.2.0``."""
        return f"v{self}"


def project_version(project_root: Path = PROJECT_ROOT) -> Version:
    """``[project] version`` from pyproject.toml: the one place the version is written."""
    with (project_root / "pyproject.toml").open("rb") as file:
        return Version.parse(tomllib.load(file)["project"]["version"])

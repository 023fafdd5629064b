"""The layer's requirement list: the locked runtime dependencies minus the runtime's own SDK.

It comes from ``poetry export --only main`` (pinned versions and hashes from ``poetry.lock``).
Packages the Lambda Python runtime already provides (boto3, botocore, s3transfer) are left out
together with whatever only they need, found by walking the lock file's dependency graph, so the
layer stays small and the runtime's SDK is the one in use. Requirements and markers are parsed
with ``packaging`` (PEP 508), not by hand.
"""

from __future__ import annotations

import functools
import os
import shutil

# Runs poetry with a fixed argument list, never through a shell.
import subprocess  # nosec B404
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from packaging.markers import Marker
from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

# The Lambda Python runtime ships these; a layer copy would shadow the runtime's SDK and add ~30 MB.
PROVIDED_BY_RUNTIME = frozenset({"boto3", "botocore", "s3transfer"})


class LayerBuildError(RuntimeError):
    """The layer could not be built, or the built layer misses something the function needs."""


def normalise(name: str) -> str:
    """PEP 503 name normalisation (``Typing_Extensions`` -> ``typing-extensions``)."""
    return str(canonicalize_name(name))


@dataclass(frozen=True)
class LayerRequirements:
    """The layer's pinned requirements: one pip line (with hashes) and one version per package."""

    lines: dict[str, str]
    versions: dict[str, str]
    excluded: frozenset[str]

    @property
    def text(self) -> str:
        return "".join(self.lines[name] + "\n" for name in sorted(self.lines))


@functools.cache
def locked_layer_requirements(project_root: Path) -> LayerRequirements:
    """The main group's locked requirements minus the runtime-provided SDK and its own deps."""
    exported = parse_export(_poetry_export(project_root))
    needed = _runtime_dependency_closure(project_root)
    kept = {name: requirement for name, requirement in exported.items() if name in needed}
    if not kept:
        raise LayerBuildError("poetry export returned none of the runtime dependencies")
    return LayerRequirements(
        lines={name: line for name, (line, _) in kept.items()},
        versions={name: version for name, (_, version) in kept.items()},
        excluded=frozenset(exported) - frozenset(kept),
    )


def _find_poetry(project_root: Path) -> str:
    candidates = [
        os.environ.get("POETRY", ""),
        str(project_root / ".venv-tools" / "bin" / "poetry"),
    ]
    for candidate in candidates:
        if candidate and Path(candidate).is_file():
            return candidate
    found = shutil.which("poetry")
    if found:
        return found
    raise LayerBuildError(
        "Poetry not found: run `make install` (it installs .venv-tools/bin/poetry)"
    )


def _poetry_export(project_root: Path) -> str:
    command = [
        _find_poetry(project_root),
        "export",
        "--only",
        "main",
        "--format",
        "requirements.txt",
    ]
    result = subprocess.run(  # nosec B603
        command, cwd=project_root, capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        raise LayerBuildError(f"poetry export failed:\n{result.stderr.strip()}")
    return result.stdout


def parse_export(text: str) -> dict[str, tuple[str, str]]:
    """Name -> (requirement line with its hashes, locked version) from ``poetry export``."""
    requirements: dict[str, tuple[str, str]] = {}
    for line in text.replace("\\\n", " ").splitlines():
        line = line.strip()
        if not line or line.startswith(("#", "-")):
            continue
        # pip's per-requirement options (--hash=...) follow the PEP 508 requirement itself.
        try:
            requirement = Requirement(line.split(" --", 1)[0])
        except InvalidRequirement as error:
            raise LayerBuildError(f"unexpected line in poetry export: {line[:80]}") from error
        pins = [spec.version for spec in requirement.specifier if spec.operator == "=="]
        if len(pins) != 1:
            raise LayerBuildError(f"not pinned to one version in poetry export: {line[:80]}")
        requirements[normalise(requirement.name)] = (line, pins[0])
    return requirements


def _runtime_dependency_closure(project_root: Path) -> frozenset[str]:
    """Packages reachable from the project's runtime dependencies without passing through
    a runtime-provided package (so botocore-only dependencies such as urllib3 stay out)."""
    pyproject = tomllib.loads((project_root / "pyproject.toml").read_text(encoding="utf-8"))
    lock = tomllib.loads((project_root / "poetry.lock").read_text(encoding="utf-8"))
    graph: dict[str, dict[str, Any]] = {
        normalise(package["name"]): package.get("dependencies", {}) for package in lock["package"]
    }
    pending: list[tuple[str, frozenset[str]]] = []
    for line in pyproject["project"]["dependencies"]:
        requirement = Requirement(line)
        pending.append((normalise(requirement.name), frozenset(requirement.extras)))
    seen: set[tuple[str, frozenset[str]]] = set()
    needed: set[str] = set()
    while pending:
        name, extras = pending.pop()
        if name in PROVIDED_BY_RUNTIME or (name, extras) in seen:
            continue
        seen.add((name, extras))
        needed.add(name)
        for dep_name, spec in graph.get(name, {}).items():
            for constraint in spec if isinstance(spec, list) else [spec]:
                if _dependency_applies(constraint, extras):
                    dep_extras = (
                        constraint.get("extras", []) if isinstance(constraint, dict) else []
                    )
                    pending.append((normalise(dep_name), frozenset(dep_extras)))
    return frozenset(needed)


def _dependency_applies(constraint: str | dict[str, Any], extras: frozenset[str]) -> bool:
    """Mandatory dependencies always apply; optional ones only for a requested extra."""
    if isinstance(constraint, str) or not constraint.get("optional", False):
        return True
    markers = constraint.get("markers")
    if not markers:
        return False
    marker = Marker(str(markers))
    return any(marker.evaluate({"extra": extra}) for extra in extras)

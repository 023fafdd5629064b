"""Bytecode for the Lambda assets: ``__pycache__/*.cpython-3XX.pyc`` beside every ``.py``.

Lambda's ``/var/task`` and ``/opt`` are read-only, so a module shipped without bytecode is compiled
again on every cold start and the result thrown away. The assets are therefore compiled at build
time by an interpreter of the runtime's own Python version (bytecode is specific to a minor
version, and portable across machines), with hash-based ``.pyc`` files (PEP 552,
``unchecked-hash``): zipping changes file times, and a deployed version's code never changes.

The interpreter, in this order: ``LAMBDA_PYTHON`` (a path), ``python3.X`` on ``PATH``, the
Debian root that ``make python314`` caches in ``build/``. Without one, ``assets_compiler`` decides:
stage ``dev`` (or ``-c allowMissingBytecode=true``) ships sources only with one warning; any other
stage fails the synth with one line naming the fix.
"""

from __future__ import annotations

import functools
import os
import shutil

# Runs the chosen interpreter's compileall with a fixed argument list, never through a shell.
import subprocess  # nosec B404
import sys
from dataclasses import dataclass
from pathlib import Path

LAMBDA_PYTHON_VARIABLE = "LAMBDA_PYTHON"
# Where `make python314` (tools/python314-root.sh) leaves its interpreter, from the project root.
CACHED_PYTHON = Path("build") / "py314-root" / "host" / "python3.14"


class BytecodeError(RuntimeError):
    """The chosen interpreter could not compile an asset."""


@dataclass(frozen=True)
class Compiler:
    """An interpreter of the runtime's Python version that compiles folders in place."""

    executable: str
    version: str  # e.g. "3.14.8"

    def compile(self, folder: Path, *, runtime_path: str) -> None:
        """Write hash-based ``.pyc`` files for every ``.py`` under ``folder``; tracebacks name
        the files as Lambda sees them (``runtime_path``, e.g. ``/opt`` or ``/var/task``)."""
        command = [
            self.executable,
            "-m",
            "compileall",
            "-q",
            "-f",
            "-j",
            "0",
            "--invalidation-mode",
            "unchecked-hash",
            "-s",
            str(folder),
            "-p",
            runtime_path,
            str(folder),
        ]
        result = subprocess.run(command, capture_output=True, text=True, check=False)  # nosec B603
        if result.returncode != 0:
            raise BytecodeError(
                f"{self.executable} could not compile {folder}:\n"
                f"{(result.stdout + result.stderr).strip()[-3000:]}"
            )


class MissingBytecode(RuntimeError):
    """A stage's assets would ship without the runtime's bytecode; the message is one line."""


def version_of(executable: str, python_version: str) -> str | None:
    """The full version of ``executable`` if it runs and is Python ``python_version``."""
    probe = "import sys; print('%d.%d.%d' % sys.version_info[:3])"
    try:
        result = subprocess.run(  # nosec B603
            [executable, "-c", probe], capture_output=True, text=True, check=False, timeout=60
        )
    except OSError:
        return None
    version = result.stdout.strip()
    if result.returncode != 0 or not version.startswith(f"{python_version}."):
        return None
    return version


def candidates(python_version: str, project_root: Path) -> list[tuple[str, str]]:
    """(executable, where it came from) in lookup order; not yet checked."""
    found: list[tuple[str, str]] = []
    configured = os.environ.get(LAMBDA_PYTHON_VARIABLE)
    if configured:
        found.append((configured, f"{LAMBDA_PYTHON_VARIABLE}={configured}"))
    on_path = shutil.which(f"python{python_version}")
    if on_path:
        found.append((on_path, f"python{python_version} on PATH"))
    cached = project_root / CACHED_PYTHON
    if cached.is_file():
        found.append((str(cached), "the cached Debian root (make python314)"))
    return found


@functools.cache
def find_compiler(python_version: str, project_root: Path) -> Compiler | None:
    """The first working interpreter of ``python_version``, or None. A candidate that does not
    work is named on stderr. Cached: both assets of one synth use the same answer."""
    for executable, origin in candidates(python_version, project_root):
        version = version_of(executable, python_version)
        if version:
            return Compiler(executable, version)
        print(f"bytecode: {origin} is not a working Python {python_version}", file=sys.stderr)
    return None


ALLOW_MISSING_BYTECODE = "allowMissingBytecode"  # the stage setting / -c key that accepts it
SOURCES_ONLY_STAGES = frozenset({"dev"})  # stages whose assets may ship without bytecode


def assets_compiler(
    python_version: str, project_root: Path, *, stage: str, allow_missing: bool
) -> Compiler | None:
    """The compiler for a stage's assets. Without one, stage ``dev`` or an explicit
    ``allow_missing`` ships sources only (one warning on stderr); any other stage raises
    ``MissingBytecode``: its cold starts would compile every module they import."""
    compiler = find_compiler(python_version, project_root)
    if compiler is not None:
        return compiler
    where = (
        f"set {LAMBDA_PYTHON_VARIABLE}=/path/to/python{python_version} or put "
        f"python{python_version} on PATH (make builds one as root on Debian)"
    )
    if stage in SOURCES_ONLY_STAGES or allow_missing:
        print(
            f"WARNING: no Python {python_version} found: the Lambda assets of stage {stage!r} "
            f"ship sources only, so every cold start compiles every module it imports (about "
            f"twice the handler's import time); {where}.",
            file=sys.stderr,
        )
        return None
    raise MissingBytecode(
        f"no Python {python_version} to compile the Lambda assets of stage {stage!r} (without it "
        f"every cold start compiles every module it imports): {where}, or accept the slower "
        f"cold starts with -c {ALLOW_MISSING_BYTECODE}=true"
    )


def compiled_files(folder: Path, cache_tag: str) -> dict[Path, Path | None]:
    """Every ``.py`` under ``folder`` and its ``__pycache__/<name>.<cache_tag>.pyc`` (None when
    absent); ``cache_tag`` is e.g. ``cpython-314``."""
    result: dict[Path, Path | None] = {}
    for source in sorted(folder.rglob("*.py")):
        pyc = source.parent / "__pycache__" / f"{source.stem}.{cache_tag}.pyc"
        result[source] = pyc if pyc.is_file() else None
    return result

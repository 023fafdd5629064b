"""Bytecode for the Lambda assets: ``__pycache__/*.cpython-3XX.pyc`` beside every ``.py``.

Lambda's ``/var/task`` and ``/opt`` are read-only, so a module shipped without bytecode is compiled
again on every cold start and the result thrown away. The assets are therefore compiled at build
time by an interpreter of the runtime's own Python version (bytecode is specific to a minor
version, and portable across machines), with hash-based ``.pyc`` files (PEP 552,
``unchecked-hash``): zipping changes file times, and a deployed version's code never changes.

The interpreter, in this order: ``LAMBDA_PYTHON`` (a path), ``python3.X`` on ``PATH``, the
Debian root that ``make python314`` caches in ``build/``. Without one the assets ship sources
only, with one warning per synth.
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


def _version_of(executable: str, python_version: str) -> str | None:
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


@functools.cache
def find_compiler(python_version: str, project_root: Path) -> Compiler | None:
    """The first working interpreter of ``python_version``; None (after one warning on stderr)
    when there is none. Cached: both assets of one synth use the same answer."""
    candidates: list[tuple[str, str]] = []
    configured = os.environ.get(LAMBDA_PYTHON_VARIABLE)
    if configured:
        candidates.append((configured, f"{LAMBDA_PYTHON_VARIABLE}={configured}"))
    on_path = shutil.which(f"python{python_version}")
    if on_path:
        candidates.append((on_path, f"python{python_version} on PATH"))
    cached = project_root / CACHED_PYTHON
    if cached.is_file():
        candidates.append((str(cached), "the cached Debian root (make python314)"))
    for executable, origin in candidates:
        version = _version_of(executable, python_version)
        if version:
            return Compiler(executable, version)
        print(f"bytecode: {origin} is not a working Python {python_version}", file=sys.stderr)
    print(
        f"WARNING: no Python {python_version} found ({LAMBDA_PYTHON_VARIABLE}, "
        f"python{python_version} on PATH, or `make python314`): the Lambda assets ship sources "
        "only, so every cold start compiles every module it imports (about twice the handler's "
        "import time).",
        file=sys.stderr,
    )
    return None


def compiled_files(folder: Path, cache_tag: str) -> dict[Path, Path | None]:
    """Every ``.py`` under ``folder`` and its ``__pycache__/<name>.<cache_tag>.pyc`` (None when
    absent); ``cache_tag`` is e.g. ``cpython-314``."""
    result: dict[Path, Path | None] = {}
    for source in sorted(folder.rglob("*.py")):
        pyc = source.parent / "__pycache__" / f"{source.stem}.{cache_tag}.pyc"
        result[source] = pyc if pyc.is_file() else None
    return result

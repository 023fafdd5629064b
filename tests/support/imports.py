"""What importing a module loads, seen from a fresh interpreter (import time is cold-start time)."""

from __future__ import annotations

import json

# Runs this repository's own Python on a fixed probe.
import subprocess  # nosec B404
import sys
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]

_PROBE = (
    "import importlib, json, sys; importlib.import_module(sys.argv[1]);"
    "print(json.dumps(sorted(m for m in sys.modules if m.startswith(tuple(sys.argv[2:])))))"
)


def modules_loaded_by(module: str, *prefixes: str) -> list[str]:
    """The loaded modules whose names start with any of ``prefixes`` after importing ``module``
    in a fresh interpreter run from the project root."""
    result = subprocess.run(  # nosec B603 - fixed probe, arguments are module names
        [sys.executable, "-c", _PROBE, module, *prefixes],
        capture_output=True,
        text=True,
        check=True,
        cwd=PROJECT_ROOT,
    )
    loaded: list[str] = json.loads(result.stdout)
    return loaded

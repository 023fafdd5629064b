"""What this machine and this run allow: building with apt as root on Debian, skipping tests.

Shared by ``tools/lambda_python.py`` and ``tools/browser.py`` (standard library only).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

# Tests that cannot run here fail the run instead of being reported in one line: set explicitly,
# or by CI services (GitHub Actions and most others set CI=true).
REQUIRE_VARIABLE = "REQUIRE_ALL_TESTS"
CI_VARIABLE = "CI"
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def run_must_be_complete(environ: dict[str, str]) -> bool:
    """``REQUIRE_ALL_TESTS`` when it is set to a yes or no, else whether ``CI`` is set (and not
    to a no)."""
    explicit = environ.get(REQUIRE_VARIABLE, "").strip().lower()
    if explicit in _TRUE | _FALSE - {""}:
        return explicit in _TRUE
    return environ.get(CI_VARIABLE, "").strip().lower() not in _FALSE


# The --require modes of the tools that find or build what some tests need.
REQUIRE_MODES = ("always", "in-ci", "never")


def is_required(mode: str, environ: dict[str, str]) -> bool:
    """Whether a tool's ``--require`` mode makes a missing tool an error: ``always``; ``in-ci``
    when :func:`run_must_be_complete`; never for any other mode."""
    return mode == "always" or (mode == "in-ci" and run_must_be_complete(environ))


def is_root_on_debian(os_release: Path = Path("/etc/os-release")) -> bool:
    """Root on Debian itself, with apt-get: where make may install system packages (Debian's
    chromium, debootstrap). Derivatives are left alone: Ubuntu's chromium package is a snap
    stub, and its archive has no Debian suites to build the Python 3.14 root from."""
    if not hasattr(os, "geteuid") or os.geteuid() != 0 or shutil.which("apt-get") is None:
        return False
    try:
        lines = os_release.read_text(encoding="utf-8").splitlines()
    except OSError:
        return False
    fields = dict(line.split("=", 1) for line in lines if "=" in line)
    return fields.get("ID", "").strip().strip('"') == "debian"

"""A Chromium-family browser for ``make test-browser`` (Playwright drives it; its own browser
download needs the internet).

The first that runs of: ``CHROMIUM`` (a path), ``chromium``, ``chromium-browser``,
``google-chrome``, ``google-chrome-stable`` or ``chrome`` on ``PATH``, and the usual macOS
application bundles. Where none is found and the machine allows it (root on Debian), Debian's
``chromium`` package is installed quietly with apt-get. Elsewhere the test does not run and make
says so in one line, unless every test must run (CI), where a missing browser fails the run.

    python3 -m tools.browser locate [--install] [--require always|in-ci|never]
    python3 -m tools.browser skipped
"""

from __future__ import annotations

import argparse
import os
import shutil

# Runs the candidate browsers (--version) and apt-get with fixed argument lists.
import subprocess  # nosec B404
import sys
from pathlib import Path

from tools.machine import REQUIRE_MODES, is_required, is_root_on_debian

BROWSER_VARIABLE = "CHROMIUM"
NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome")
MACOS_BUNDLES = (
    "/Applications/Google Chrome.app/Contents/MacOS/Google Chrome",
    "/Applications/Chromium.app/Contents/MacOS/Chromium",
)
HOW_TO_GET_IT = (
    f"install Chromium or Google Chrome, or set {BROWSER_VARIABLE}=/path/to/chromium "
    "(docs/development.md, make test-browser)"
)


class BrowserError(RuntimeError):
    """No browser where one is required; the message is the one line to print."""


def candidates(environ: dict[str, str], bundles: tuple[str, ...] = MACOS_BUNDLES) -> list[str]:
    """Executables to try, in order (not yet checked)."""
    found = [environ[BROWSER_VARIABLE]] if environ.get(BROWSER_VARIABLE) else []
    path = environ.get("PATH", os.defpath)
    found += [hit for name in NAMES if (hit := shutil.which(name, path=path))]
    found += [bundle for bundle in bundles if Path(bundle).is_file()]
    return found


def runs(executable: str) -> bool:
    """Whether ``executable --version`` answers like a browser (not, e.g., a snap stub)."""
    try:
        result = subprocess.run(  # nosec B603
            [executable, "--version"], capture_output=True, text=True, timeout=60, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return False
    return result.returncode == 0 and any(word in result.stdout for word in ("Chromium", "Chrome"))


def install_debian_chromium() -> bool:
    """apt-get install Debian's chromium (after an update if the package lists are stale); its
    output is kept out of the way and shown only when it fails."""
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}

    def apt_get(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(  # nosec B603 B607
            ["apt-get", *args], capture_output=True, text=True, env=env, check=False
        )

    print("test-browser: installing Debian's chromium with apt-get", file=sys.stderr)
    install = ("install", "-y", "--no-install-recommends", "chromium")
    result = apt_get(*install)
    if result.returncode != 0:
        result = apt_get("update")
        if result.returncode == 0:
            result = apt_get(*install)
    if result.returncode != 0:
        print((result.stdout + result.stderr).strip()[-2000:], file=sys.stderr)
    return result.returncode == 0


def locate(
    environ: dict[str, str],
    *,
    install: bool,
    required: bool,
    bundles: tuple[str, ...] = MACOS_BUNDLES,
) -> str | None:
    """The browser's path; None when there is none and none is required. ``bundles``: the
    application bundles to look at besides ``PATH`` (macOS)."""
    for executable in candidates(environ, bundles):
        if runs(executable):
            return executable
        print(f"test-browser: {executable} does not run as a browser", file=sys.stderr)
    if install and is_root_on_debian() and install_debian_chromium():
        installed = shutil.which("chromium")
        if installed and runs(installed):
            return installed
    if required:
        raise BrowserError(
            f"error: no Chromium or Chrome, and this run must run every test: {HOW_TO_GET_IT}"
        )
    return None


def skipped_notice() -> str:
    """The one line ``make test-browser`` prints when it did not run."""
    return f"NOTE: no Chromium or Chrome found, so the browser test did not run; {HOW_TO_GET_IT}."


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python3 -m tools.browser", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    find = commands.add_parser("locate", help="print the browser's path (nothing: none)")
    find.add_argument("--install", action="store_true", help="apt-get install it where allowed")
    find.add_argument("--require", choices=REQUIRE_MODES, default="never")
    commands.add_parser("skipped", help="print the one line saying the test did not run")
    args = parser.parse_args(argv)
    if args.command == "skipped":
        print(skipped_notice())
        return 0
    environ = dict(os.environ)
    try:
        print(
            locate(environ, install=args.install, required=is_required(args.require, environ)) or ""
        )
    except BrowserError as error:
        print(error, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

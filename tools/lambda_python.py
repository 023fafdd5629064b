"""The Lambda runtime's Python (3.14) for make: found, or built where it can be, or reported once.

``make test``, ``make test-runtime``, ``make synth``, ``make deploy`` and ``make bench`` ask this
tool for an interpreter. The lookup order is the bytecode compiler's (``infra/bytecode.py``):
``LAMBDA_PYTHON``, ``python3.14`` on ``PATH``, the Debian root cached in ``build/py314-root/``.
Where none is found and the machine can build that root (root on Debian: ``debootstrap`` and
``chroot``), it is built now, quietly (``tools/python314-root.sh``). Elsewhere nothing is built:
the caller prints one line saying which tests did not run and how to get them, unless the run
must be complete (CI), where a missing interpreter fails it.

Standard library only (make runs it with the project virtualenv's Python, whose pip it uses).

    python3 -m tools.lambda_python locate [--build] [--require always|in-ci|never]
    python3 -m tools.lambda_python prepare PYTHON REQUIREMENTS ENV_DIR
    python3 -m tools.lambda_python skipped WHAT
"""

from __future__ import annotations

import argparse
import hashlib
import os
import platform
import shutil

# Runs the candidate interpreters, pip and the root's build script with fixed argument lists.
import subprocess  # nosec B404
import sys
from pathlib import Path

from infra.bytecode import CACHED_PYTHON, candidates, version_of
from tools.machine import REQUIRE_MODES, is_required, is_root_on_debian

PYTHON_VERSION = "3.14"  # the Lambda runtime's (infra/runtime.py); a test keeps the two equal
PROJECT_ROOT = Path(__file__).resolve().parents[1]
ROOT_SCRIPT = Path("tools") / "python314-root.sh"
# Part of the test environment's stamp: bump it when prepare() changes what it builds.
_ENV_RECIPE = "1"

HOW_TO_GET_IT = (
    f"set LAMBDA_PYTHON=/path/to/python{PYTHON_VERSION} or put python{PYTHON_VERSION} on PATH "
    "(docs/development.md, Tests on the Lambda runtime's Python)"
)


class RuntimePythonError(RuntimeError):
    """No interpreter where one is required; the message is the one line to print."""


def build_root(project_root: Path) -> str | None:
    """Build (or reuse) the Debian root; its interpreter, or None when the build failed (the
    script has said why on stderr). The script's progress lines go to stderr: stdout is the
    interpreter's path."""
    root = project_root / CACHED_PYTHON.parents[1]
    result = subprocess.run(  # nosec B603
        [str(project_root / ROOT_SCRIPT), str(root)],
        stdout=sys.stderr,
        check=False,
    )
    interpreter = project_root / CACHED_PYTHON
    if result.returncode != 0 or version_of(str(interpreter), PYTHON_VERSION) is None:
        return None
    return str(interpreter)


def locate(project_root: Path, *, build: bool, required: bool) -> str | None:
    """The interpreter's path; None when there is none and none is required.

    ``build``: build the Debian root where the machine can (it is then rebuilt when its script
    changed); elsewhere a cached root is used as it is."""
    builder = build and is_root_on_debian()
    for executable, origin in candidates(PYTHON_VERSION, project_root):
        if builder and executable == str(project_root / CACHED_PYTHON):
            break  # the script reuses the cached root, or rebuilds it when its recipe changed
        if version_of(executable, PYTHON_VERSION):
            return executable
        print(f"lambda python: {origin} is not a working Python {PYTHON_VERSION}", file=sys.stderr)
    if builder:
        built = build_root(project_root)
        if built:
            return built
    if required:
        raise RuntimePythonError(
            f"error: no Python {PYTHON_VERSION} (the Lambda runtime's), and this run must run "
            f"every test: {HOW_TO_GET_IT}, or run as root on Debian to build one"
        )
    return None


def skipped_notice(what: str) -> str:
    """The one line a run prints when the tests needing the runtime's Python did not run."""
    return (
        f"NOTE: no Python {PYTHON_VERSION} found, so {what} did not run; to run them, "
        f"{HOW_TO_GET_IT}."
    )


def _stamp(interpreter: str, version: str, requirements: Path) -> str:
    digest = hashlib.sha256()
    for part in (_ENV_RECIPE, os.path.realpath(interpreter), version):
        digest.update(f"{part}\n".encode())
    digest.update(requirements.read_bytes())
    return digest.hexdigest()


def _is_virtualenv(python: Path) -> bool:
    probe = "import sys; sys.exit(0 if sys.prefix != sys.base_prefix else 1)"
    try:
        return subprocess.run([str(python), "-c", probe], check=False).returncode == 0  # nosec
    except OSError:
        return False


def _run(command: list[str]) -> None:
    result = subprocess.run(command, capture_output=True, text=True, check=False)  # nosec B603
    if result.returncode != 0:
        raise RuntimePythonError(
            f"error: {' '.join(command[:4])} ... failed:\n{(result.stdout + result.stderr)[-3000:]}"
        )


def _install_into_virtualenv(env_dir: Path, requirements: Path) -> None:
    """The interpreter's own pip, as for any project: right for every platform it runs on."""
    _run(
        [
            str(env_dir / "bin" / "python"),
            *("-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--no-compile"),
            *("--require-hashes", "--no-deps", "--requirement", str(requirements)),
        ]
    )


def _install_beside(
    interpreter: str, env_dir: Path, requirements: Path, python_version: str
) -> None:
    """For an interpreter that cannot make a virtualenv (the Debian root's, run through its own
    loader): this machine's pip puts the interpreter's wheels in ``lib/``, and ``bin/python``
    starts the interpreter with them on ``PYTHONPATH``."""
    site = env_dir / "lib"
    _run(
        [
            sys.executable,
            *("-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--no-compile"),
            *("--only-binary=:all:", "--implementation", "cp"),
            *(
                "--python-version",
                PYTHON_VERSION,
                "--platform",
                f"manylinux2014_{platform.machine()}",
            ),
            *("--require-hashes", "--no-deps", "--target", str(site)),
            *("--requirement", str(requirements)),
        ]
    )
    launcher = env_dir / "bin" / "python"
    launcher.parent.mkdir(parents=True, exist_ok=True)
    launcher.write_text(
        "#!/bin/sh\n"
        "# The runtime's Python with the test packages beside it (it cannot make a virtualenv).\n"
        f'PYTHONPATH="{site}${{PYTHONPATH:+:$PYTHONPATH}}" exec "{interpreter}" "$@"\n',
        encoding="utf-8",
    )
    launcher.chmod(0o755)


def prepare(
    interpreter: str, requirements: Path, env_dir: Path, python_version: str = PYTHON_VERSION
) -> Path:
    """An environment of ``interpreter`` holding ``requirements`` (hash-checked); its python.

    A virtualenv wherever the interpreter makes one (python.org, Homebrew, pyenv, setup-python);
    otherwise its packages beside it. Reused while the interpreter and requirements are the same."""
    version = version_of(interpreter, python_version)
    if version is None:
        raise RuntimePythonError(f"error: {interpreter} is not a working Python {python_version}")
    stamp_file = env_dir / ".installed"
    stamp = _stamp(interpreter, version, requirements)
    python = env_dir / "bin" / "python"
    if stamp_file.is_file() and stamp_file.read_text(encoding="utf-8") == stamp:
        return python
    shutil.rmtree(env_dir, ignore_errors=True)
    venv = subprocess.run(  # nosec B603
        [interpreter, "-m", "venv", str(env_dir)], capture_output=True, text=True, check=False
    )
    if venv.returncode == 0 and _is_virtualenv(python):
        _install_into_virtualenv(env_dir, requirements)
    elif sys.platform.startswith("linux"):
        shutil.rmtree(env_dir, ignore_errors=True)
        _install_beside(interpreter, env_dir, requirements, python_version)
    else:
        raise RuntimePythonError(
            f"error: {interpreter} cannot make a virtualenv:\n{venv.stderr.strip()[-2000:]}"
        )
    stamp_file.write_text(stamp, encoding="utf-8")
    return python


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python3 -m tools.lambda_python", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    find = commands.add_parser("locate", help="print the interpreter's path (nothing: none)")
    find.add_argument("--build", action="store_true", help="build the Debian root where possible")
    find.add_argument("--require", choices=REQUIRE_MODES, default="never")
    env = commands.add_parser("prepare", help="make the test environment; print its python")
    env.add_argument("interpreter")
    env.add_argument("requirements", type=Path)
    env.add_argument("env_dir", type=Path)
    notice = commands.add_parser("skipped", help="print the one line saying what did not run")
    notice.add_argument("what")
    args = parser.parse_args(argv)
    try:
        if args.command == "locate":
            must_find = is_required(args.require, dict(os.environ))
            found = locate(PROJECT_ROOT, build=args.build, required=must_find)
            print(found or "")
        elif args.command == "prepare":
            print(prepare(args.interpreter, args.requirements.resolve(), args.env_dir.resolve()))
        else:
            print(skipped_notice(args.what))
    except RuntimePythonError as error:
        print(error, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

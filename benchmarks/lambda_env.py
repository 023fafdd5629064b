"""A Lambda-faithful package set for the cold-start probe, cached under ``build/``.

Lambda's Python runtime provides botocore (with boto3 and s3transfer) but no awscrt and no dev
tools; our layer adds the main dependency group minus those. This derives the same set from
``poetry.lock`` (independently of ``infra/layer.py``), installs it with pip for this host's
platform (the layer itself targets aarch64; import cost is the same code), and returns the folder
to put on ``PYTHONPATH`` of an interpreter started with ``-S`` (no site-packages).
"""

from __future__ import annotations

import hashlib
import shutil

# Runs pip with a fixed argument list, to build the cached package set.
import subprocess  # nosec B404
import sys
import tomllib
from pathlib import Path

from packaging.markers import Marker

# What the Lambda runtime brings itself: the layer leaves these out. botocore comes back below,
# because the runtime provides it.
RUNTIME_PROVIDED = frozenset({"boto3", "botocore", "s3transfer"})


def _applies(markers: object) -> bool:
    """Whether a locked package's markers (for the main group) hold on this interpreter."""
    if isinstance(markers, dict):
        markers = markers.get("main")
    return markers is None or Marker(str(markers)).evaluate()


def locked_requirements(root: Path) -> list[str]:
    """``name==version`` of the layer's packages plus botocore, from ``poetry.lock``."""
    lock = tomllib.loads((root / "poetry.lock").read_text(encoding="utf-8"))
    pins = []
    for package in lock["package"]:
        if "main" not in package.get("groups", []) or not _applies(package.get("markers")):
            continue
        name = package["name"]
        if name not in RUNTIME_PROVIDED or name == "botocore":
            pins.append(f"{name}=={package['version']}")
    return sorted(pins)


def lambda_site(root: Path) -> Path:
    """The installed package set (built once per lock content and Python version)."""
    pins = locked_requirements(root)
    digest = hashlib.sha256(("\n".join(pins) + sys.version).encode()).hexdigest()[:12]
    site = root / "build" / "bench-lambda-site" / digest
    if (site / ".complete").exists():
        return site
    shutil.rmtree(site, ignore_errors=True)
    site.mkdir(parents=True)
    # --no-deps: exactly the locked set, nothing pip would resolve on its own. Bytecode is
    # compiled here, so the probe measures imports, not compilation.
    command = [sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    command += ["--no-deps", "--only-binary=:all:", "--target", str(site), *pins]
    subprocess.run(command, check=True)  # nosec B603
    (site / ".complete").touch()
    return site

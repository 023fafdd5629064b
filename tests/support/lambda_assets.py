"""Lambda as it runs our code: the synthesised assets read-only, the runtime's SDK compiled.

Shared by the bytecode tests and the cold-start benchmark. ``/var/task`` (the function asset) and
``/opt/python`` (the layer) come from a synthesised cloud assembly; the SDK the runtime provides
(boto3, botocore and their dependencies, at the locked versions) is installed for the runtime's
Python into its own folder under ``build/`` and compiled there, as AWS ships it.
"""

from __future__ import annotations

import json
import shutil
import stat

# Runs pip and the runtime interpreter with fixed argument lists.
import subprocess  # nosec B404
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path

from infra.bytecode import Compiler

# What Lambda's Python runtime brings: the SDK and the packages only it needs.
RUNTIME_SDK = ("boto3", "botocore", "s3transfer", "jmespath", "python-dateutil", "six", "urllib3")


@dataclass(frozen=True)
class LambdaAssets:
    """The two folders of a synthesised assembly that Lambda puts on ``sys.path``."""

    task: Path  # the function asset (/var/task)
    layer: Path  # the layer's python/ folder (/opt/python)


def synthesised_assets(outdir: Path, stack_name: str) -> LambdaAssets:
    """The API function's code asset and the layer's, from the template in ``outdir``."""
    template = json.loads((outdir / f"{stack_name}.template.json").read_text(encoding="utf-8"))
    task = layer = None
    for resource in template["Resources"].values():
        properties = resource.get("Properties", {})
        if resource["Type"] == "AWS::Lambda::Function" and "S3Key" in properties.get("Code", {}):
            task = outdir / f"asset.{properties['Code']['S3Key'].removesuffix('.zip')}"
        if resource["Type"] == "AWS::Lambda::LayerVersion":
            layer = outdir / f"asset.{properties['Content']['S3Key'].removesuffix('.zip')}"
    if task is None or layer is None:
        raise RuntimeError(f"no function or layer asset in the template in {outdir}")
    return LambdaAssets(task=task, layer=layer / "python")


def read_only_copy(source: Path, target: Path) -> Path:
    """A copy of ``source`` with every write permission removed (as Lambda mounts code)."""
    shutil.copytree(source, target)
    for path in [target, *target.rglob("*")]:
        mode = path.stat().st_mode
        path.chmod(mode & ~(stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH))
    return target


def runtime_sdk(project_root: Path, compiler: Compiler) -> Path:
    """The runtime's SDK for ``compiler``'s Python, compiled, cached per version under build/."""
    lock = tomllib.loads((project_root / "poetry.lock").read_text(encoding="utf-8"))
    versions = {p["name"]: p["version"] for p in lock["package"]}
    pins = [f"{name}=={versions[name]}" for name in RUNTIME_SDK]
    minor = ".".join(compiler.version.split(".")[:2])
    folder = project_root / "build" / f"lambda-sdk-{compiler.version}"
    stamp = folder / ".complete"
    if stamp.is_file() and stamp.read_text() == "\n".join(pins):
        return folder / "python"
    shutil.rmtree(folder, ignore_errors=True)
    command = [sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    command += ["--no-deps", "--no-compile", "--only-binary=:all:", "--implementation", "cp"]
    command += ["--python-version", minor, "--target", str(folder / "python"), *pins]
    subprocess.run(command, check=True, capture_output=True)  # nosec B603
    compiler.compile(folder / "python", runtime_path="/var/runtime")
    stamp.write_text("\n".join(pins))
    return folder / "python"

"""The function asset: the application package as Lambda runs it, with the runtime's bytecode.

One asset serves both functions (the API and the stream function). It holds the ``app`` package
only (so handler paths start with ``app.``), copied by local bundling (no Docker) and compiled by
the interpreter the stack chose (``infra/bytecode.py``).
"""

from __future__ import annotations

import fnmatch
import hashlib
import shutil
from pathlib import Path

import aws_cdk as cdk
import jsii
from aws_cdk import aws_lambda as lambda_

from app import contract  # the dependency-free data sheet, never the app itself
from infra.bytecode import Compiler

# Part of the asset hash: bump it when the recipe below changes.
_RECIPE_VERSION = "1"
# Inside the package: never shipped (caches, tests, hidden files).
_EXCLUDED_NAMES = ("__pycache__", "*.pyc", ".*", "tests", "test_*.py", "*_test.py", "conftest.py")
# Where Lambda unpacks the function's code: the name tracebacks show.
_TASK_ROOT = "/var/task"


def package_files(project_root: Path) -> list[Path]:
    """The files of the application package that ship, relative to ``project_root``, sorted."""
    package = project_root / contract.APP_PACKAGE
    shipped = []
    for path in sorted(package.rglob("*")):
        relative = path.relative_to(project_root)
        if any(fnmatch.fnmatch(part, rule) for part in relative.parts for rule in _EXCLUDED_NAMES):
            continue
        if path.is_file():
            shipped.append(relative)
    return shipped


def build_function_asset(output_dir: Path, project_root: Path, compiler: Compiler | None) -> None:
    """Copy the package into ``output_dir`` and compile it with ``compiler`` (if any)."""
    for relative in package_files(project_root):
        target = output_dir / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(project_root / relative, target)
    if compiler is not None:
        compiler.compile(output_dir, runtime_path=_TASK_ROOT)


@jsii.implements(cdk.ILocalBundling)
class FunctionAssetBundling:
    """CDK local bundling of the function asset on this machine (no Docker)."""

    def __init__(self, project_root: Path, compiler: Compiler | None) -> None:
        self._project_root = project_root
        self._compiler = compiler

    def try_bundle(self, output_dir: str, options: cdk.BundlingOptions) -> bool:
        # Failing loudly beats returning False: CDK would fall back to Docker, absent here.
        build_function_asset(Path(output_dir), self._project_root, self._compiler)
        return True


def function_code(
    project_root: Path, runtime: lambda_.Runtime, compiler: Compiler | None
) -> lambda_.Code:
    """The asset of both functions, compiled by ``compiler`` (None: sources only); its hash
    changes with the package's files and the compiler."""
    digest = hashlib.sha256()
    digest.update(f"{_RECIPE_VERSION}\n{compiler.version if compiler else 'sources'}\n".encode())
    for relative in package_files(project_root):
        digest.update(f"{relative.as_posix()}\n".encode())
        digest.update((project_root / relative).read_bytes())
    return lambda_.Code.from_asset(
        # Never read by CDK (custom hash, local bundling); it requires an existing folder.
        str(project_root / contract.APP_PACKAGE),
        asset_hash=digest.hexdigest(),
        asset_hash_type=cdk.AssetHashType.CUSTOM,
        bundling=cdk.BundlingOptions(
            image=runtime.bundling_image,
            local=FunctionAssetBundling(project_root, compiler),  # type: ignore[arg-type]
        ),
    )

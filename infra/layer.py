"""The dependencies layer: exactly the locked runtime dependencies, built with pip, no Docker.

pip downloads the wheels of ``layer_requirements`` for the function's platform and Python version
(``--only-binary=:all:``, ``--require-hashes``) into ``<out>/python``, then compiles it to the
runtime's bytecode with the interpreter the stack chose (``infra/bytecode.py``);
``verify_layer`` checks the result on every build.
"""

from __future__ import annotations

import hashlib
import re
import shutil

# Runs pip with a fixed argument list, never through a shell.
import subprocess  # nosec B404
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import aws_cdk as cdk
import jsii
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

from infra.bytecode import Compiler, compiled_files
from infra.layer_requirements import (
    PROVIDED_BY_RUNTIME,
    LayerBuildError,
    LayerRequirements,
    locked_layer_requirements,
    normalise,
)

# Part of the asset hash: bump it when the build recipe changes so cached layers are rebuilt.
_RECIPE_VERSION = "3"
_PIP_PLATFORMS = {
    "arm64": ("manylinux2014_aarch64", "aarch64"),
    "x86_64": ("manylinux2014_x86_64", "x86_64"),
}


@dataclass(frozen=True)
class Target:
    """The platform pip downloads wheels for, from the function's runtime and architecture."""

    python_version: str  # "3.14"
    pip_platform: str  # "manylinux2014_aarch64"
    machine: str  # "aarch64"

    @classmethod
    def of(cls, runtime: lambda_.Runtime, architecture: lambda_.Architecture) -> Target:
        match = re.fullmatch(r"python(3\.\d+)", runtime.name)
        if not match:
            raise LayerBuildError(f"not a Python runtime: {runtime.name}")
        pip_platform, machine = _PIP_PLATFORMS[architecture.name]
        return cls(python_version=match.group(1), pip_platform=pip_platform, machine=machine)

    @property
    def cpython_tag(self) -> str:
        return "cp" + self.python_version.replace(".", "")

    @property
    def cache_tag(self) -> str:
        """The ``.pyc`` name tag of this Python version, e.g. ``cpython-314``."""
        return "cpython-" + self.cpython_tag[2:]

    @property
    def extension_suffix(self) -> str:
        """File suffix of a compiled extension module for this interpreter and machine."""
        return f".cpython-{self.cpython_tag[2:]}-{self.machine}-linux-gnu.so"


def build_layer(
    output_dir: Path,
    requirements: LayerRequirements,
    target: Target,
    compiler: Compiler | None = None,
) -> None:
    """pip-install the requirements for ``target`` into ``output_dir/python``, compile them with
    ``compiler`` (if any) and verify the result."""
    site = output_dir / "python"
    site.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="layer-requirements-") as tmp:
        requirements_file = Path(tmp) / "requirements.txt"
        requirements_file.write_text(requirements.text, encoding="utf-8")
        command = [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "--no-input",
            "--no-compile",  # this host's bytecode is useless in the runtime: compiled below
            "--no-deps",  # the exported list is already the complete, locked closure
            "--require-hashes",
            "--only-binary=:all:",
            "--implementation",
            "cp",
            "--python-version",
            target.python_version,
            "--platform",
            target.pip_platform,
            "--target",
            str(site),
            "--requirement",
            str(requirements_file),
        ]
        result = subprocess.run(command, capture_output=True, text=True, check=False)  # nosec B603
    if result.returncode != 0:
        raise LayerBuildError(f"pip could not build the layer:\n{result.stderr.strip()}")
    # Console scripts are useless in a layer and carry this machine's interpreter path.
    shutil.rmtree(site / "bin", ignore_errors=True)
    if compiler is not None:
        compiler.compile(site, runtime_path="/opt/python")
    # pip evaluates environment markers for this machine, not the target; the check below
    # would catch a requirement skipped that way (none of the locked ones has such a marker).
    problems = verify_layer(site, requirements, target, compiled=compiler is not None)
    if problems:
        raise LayerBuildError("the built layer is incomplete:\n- " + "\n- ".join(problems))


def verify_layer(
    site: Path, requirements: LayerRequirements, target: Target, *, compiled: bool = False
) -> list[str]:
    """What is wrong with a built layer's ``python/`` folder (empty list: nothing). ``compiled``:
    every ``.py`` must have its bytecode for the target Python (else none may have any)."""
    problems: list[str] = []
    installed = {normalise(path.name.split("-", 1)[0]): path for path in site.glob("*.dist-info")}
    for name, version in sorted(requirements.versions.items()):
        info = installed.get(name)
        if info is None or not info.name.endswith(f"-{version}.dist-info"):
            problems.append(f"{name}=={version} is not installed")
    for name in sorted(PROVIDED_BY_RUNTIME & set(installed)):
        problems.append(f"{name} is provided by the runtime and must not be in the layer")
    if not (site / "aws_lambda_powertools" / "__init__.py").is_file():
        problems.append("aws_lambda_powertools package missing")
    # Compiled extension modules (e.g. wrapt's) must be built for the function's Python and machine.
    for module in sorted(site.rglob("*.cpython-*.so")):
        if not module.name.endswith(target.extension_suffix):
            problems.append(f"{module.name} is not built for {target.extension_suffix}")
    if (site / "pydantic").exists() or "pydantic" in installed:
        problems.append("pydantic is build-time tooling and must not be in the layer")
    foreign = [p for p in site.rglob("*.pyc") if f".{target.cache_tag}." not in p.name]
    if foreign:
        problems.append(f"{len(foreign)} .pyc files of another Python (pip must use --no-compile)")
    bytecode = compiled_files(site, target.cache_tag)
    missing = [source for source, pyc in bytecode.items() if pyc is None]
    if compiled and missing:
        problems.append(f"{len(missing)} modules without {target.cache_tag} bytecode")
    if not compiled and len(missing) != len(bytecode):
        problems.append("bytecode found in a layer built without a compiler")
    if (site / "bin").exists():
        problems.append("bin/ holds console scripts with a host interpreter path")
    return problems


@jsii.implements(cdk.ILocalBundling)
class PipLayerBundling:
    """CDK local bundling: builds the layer on this machine instead of in a Docker container."""

    def __init__(
        self, requirements: LayerRequirements, target: Target, compiler: Compiler | None
    ) -> None:
        self._requirements = requirements
        self._target = target
        self._compiler = compiler

    def try_bundle(self, output_dir: str, options: cdk.BundlingOptions) -> bool:
        # Failing loudly beats returning False: CDK would fall back to Docker, absent here.
        build_layer(Path(output_dir), self._requirements, self._target, self._compiler)
        return True


def dependencies_layer(
    scope: Construct,
    construct_id: str,
    *,
    project_root: Path,
    runtime: lambda_.Runtime,
    architecture: lambda_.Architecture,
    compiler: Compiler | None,
) -> lambda_.LayerVersion:
    """A layer version holding the locked runtime dependencies for ``runtime``/``architecture``,
    compiled by ``compiler`` (None: sources only)."""
    requirements = locked_layer_requirements(project_root)
    target = Target.of(runtime, architecture)
    # The hash covers exactly what determines the layer's content, so an unchanged lock file
    # reuses the cached build in cdk.out and deploys no new layer version.
    fingerprint = "\n".join(
        [
            _RECIPE_VERSION,
            target.python_version,
            target.pip_platform,
            compiler.version if compiler else "sources only",
            requirements.text,
        ]
    )
    code = lambda_.Code.from_asset(
        # Never read: the hash is custom and the bundler works from poetry.lock. CDK still
        # requires an existing source folder, so point it at this (small) package.
        str(Path(__file__).parent),
        asset_hash=hashlib.sha256(fingerprint.encode()).hexdigest(),
        asset_hash_type=cdk.AssetHashType.CUSTOM,
        bundling=cdk.BundlingOptions(
            image=runtime.bundling_image,
            local=PipLayerBundling(requirements, target, compiler),  # type: ignore[arg-type]
        ),
    )
    versions = ", ".join(f"{n} {v}" for n, v in sorted(requirements.versions.items()))
    return lambda_.LayerVersion(
        scope,
        construct_id,
        code=code,
        compatible_runtimes=[runtime],
        compatible_architectures=[architecture],
        description=f"Locked runtime dependencies: {versions}"[:256],
    )

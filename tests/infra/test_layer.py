"""The dependencies layer: locked versions only, no runtime-provided SDK, the right binaries."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from aws_cdk import aws_lambda

from infra.application import PROJECT_ROOT
from infra.layer import Target, build_layer, verify_layer
from infra.layer_requirements import (
    PROVIDED_BY_RUNTIME,
    LayerRequirements,
    locked_layer_requirements,
    normalise,
)
from infra.stack import ARCHITECTURE, RUNTIME

pytestmark = pytest.mark.infra


@pytest.fixture(scope="module")
def requirements() -> LayerRequirements:
    return locked_layer_requirements(PROJECT_ROOT)


@pytest.fixture(scope="module")
def target() -> Target:
    return Target.of(RUNTIME, ARCHITECTURE)


def test_target_follows_the_function_runtime_and_architecture(target: Target) -> None:
    assert target == Target("3.14", "manylinux2014_aarch64", "aarch64")
    assert target.extension_suffix == ".cpython-314-aarch64-linux-gnu.so"
    x86 = Target.of(aws_lambda.Runtime.PYTHON_3_13, aws_lambda.Architecture.X86_64)
    assert x86 == Target("3.13", "manylinux2014_x86_64", "x86_64")


def test_requirements_are_exactly_the_locked_versions(requirements: LayerRequirements) -> None:
    lock = tomllib.loads((PROJECT_ROOT / "poetry.lock").read_text())
    locked = {normalise(p["name"]): p["version"] for p in lock["package"]}
    assert requirements.versions == {name: locked[name] for name in requirements.versions}
    for name, line in requirements.lines.items():
        assert f"=={requirements.versions[name]}" in line
        assert "--hash=sha256:" in line, f"{name} is not hash-pinned"


def test_requirements_hold_the_runtime_deps_and_leave_out_the_sdk_and_its_own_deps(
    requirements: LayerRequirements,
) -> None:
    kept = set(requirements.versions)
    assert {"aws-lambda-powertools", "aws-xray-sdk"} <= kept
    # Only the build-time tooling (OpenAPI, event schemas, stage settings) uses pydantic.
    assert not kept & {"pydantic", "pydantic-core"}
    assert "jmespath" in kept  # Powertools needs it itself, so it stays though botocore has it
    assert not kept & PROVIDED_BY_RUNTIME
    assert PROVIDED_BY_RUNTIME <= requirements.excluded
    # Only botocore needs these: they come with the runtime's SDK.
    assert {"urllib3", "python-dateutil", "six"} <= requirements.excluded
    assert not kept & {"aws-cdk-lib", "constructs", "pytest", "moto"}


def test_built_layer_holds_powertools_for_the_function_and_no_pydantic(
    requirements: LayerRequirements, target: Target, tmp_path: Path
) -> None:
    """Really builds the layer (pip downloads the locked wheels), as `make synth` does."""
    build_layer(tmp_path, requirements, target)
    site = tmp_path / "python"
    assert verify_layer(site, requirements, target) == []
    assert (site / "aws_lambda_powertools" / "event_handler" / "api_gateway.py").is_file()
    assert not (site / "pydantic").exists() and not (site / "pydantic_core").exists()
    assert not list(site.glob("pydantic*.dist-info"))
    binaries = list(site.rglob("*.cpython-*.so"))
    assert all(b.name.endswith(target.extension_suffix) for b in binaries), binaries
    for binary in binaries:
        assert binary.read_bytes()[:4] == b"\x7fELF"
        assert binary.read_bytes()[18] == 0xB7  # e_machine EM_AARCH64 (little-endian low byte)
    assert not (site / "boto3").exists() and not (site / "botocore").exists()
    size = sum(p.stat().st_size for p in site.rglob("*") if p.is_file())
    assert size < 40 * 1024 * 1024, f"layer unexpectedly large: {size / 1e6:.1f} MB"


def test_verify_layer_rejects_a_binary_for_another_platform_and_pydantic(
    requirements: LayerRequirements, target: Target, tmp_path: Path
) -> None:
    site = tmp_path / "python"
    (site / "aws_lambda_powertools").mkdir(parents=True)
    (site / "aws_lambda_powertools" / "__init__.py").write_text("")
    (site / "wrapt").mkdir()
    (site / "wrapt" / "_wrappers.cpython-311-x86_64-linux-gnu.so").write_bytes(b"")
    (site / "pydantic").mkdir()
    (site / "pydantic-2.0.0.dist-info").mkdir()
    (site / "botocore").mkdir()
    (site / "botocore-1.0.0.dist-info").mkdir()
    problems = "\n".join(verify_layer(site, requirements, target))
    assert "_wrappers.cpython-311-x86_64-linux-gnu.so is not built for" in problems
    assert "pydantic is build-time tooling" in problems
    assert "botocore is provided by the runtime" in problems
    assert "aws-lambda-powertools==" in problems  # the rest of the requirements are not installed


def test_verify_layer_wants_runtime_bytecode_for_every_module_when_compiled(
    requirements: LayerRequirements, target: Target, tmp_path: Path
) -> None:
    site = tmp_path / "python"
    (site / "pkg" / "__pycache__").mkdir(parents=True)
    (site / "pkg" / "__init__.py").write_text("")
    (site / "pkg" / "module.py").write_text("")
    (site / "pkg" / "__pycache__" / "__init__.cpython-314.pyc").write_bytes(b"")
    (site / "pkg" / "__pycache__" / "module.cpython-311.pyc").write_bytes(b"")
    compiled = "\n".join(verify_layer(site, requirements, target, compiled=True))
    assert "1 modules without cpython-314 bytecode" in compiled
    assert "1 .pyc files of another Python" in compiled
    sources_only = "\n".join(verify_layer(site, requirements, target, compiled=False))
    assert "bytecode found in a layer built without a compiler" in sources_only


def test_export_lines_are_parsed_as_pep_508_requirements_with_their_hashes() -> None:
    from infra.layer_requirements import LayerBuildError, parse_export

    text = (
        'pydantic-core==2.41.5 ; python_version >= "3.11" \\\n'
        "    --hash=sha256:aa --hash=sha256:bb\n"
        "Typing_Extensions==4.15.0 --hash=sha256:cc\n"
    )
    parsed = parse_export(text)
    assert parsed["pydantic-core"][1] == "2.41.5"
    assert "--hash=sha256:bb" in parsed["pydantic-core"][0]
    assert parsed["typing-extensions"][1] == "4.15.0"
    with pytest.raises(LayerBuildError, match="not pinned"):
        parse_export("pydantic>=2 --hash=sha256:aa\n")

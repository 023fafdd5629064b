"""The synthesised assets carry the runtime's bytecode, and the runtime really uses it.

Synthesises the app with bundling (the layer is built with pip and both assets are compiled, as
`make synth` does), then checks every module's ``.pyc`` and imports both handlers from read-only
copies with the runtime's Python under ``-v``: every module of ``app`` and of the layer must be
loaded from its ``.pyc``, none compiled. Those tests need Python 3.14 (marker ``lambda_python``:
``make test`` hands them the one it found, or says in one line that they did not run).
"""

from __future__ import annotations

import re

# Runs the runtime interpreter on a fixed probe.
import subprocess  # nosec B404
import sys
from pathlib import Path

import pytest

from infra.application import PROJECT_ROOT, build_app
from infra.bytecode import (
    ALLOW_MISSING_BYTECODE,
    Compiler,
    MissingBytecode,
    assets_compiler,
    compiled_files,
    find_compiler,
)
from infra.config import StackConfig, context_keys
from infra.stack import RUNTIME
from tests.infra.conftest import cdk_json_context
from tests.support.lambda_assets import (
    LambdaAssets,
    read_only_copy,
    runtime_sdk,
    synthesised_assets,
)

pytestmark = pytest.mark.infra

PYTHON_VERSION = RUNTIME.name.removeprefix("python")  # "3.14"
CACHE_TAG = "cpython-" + PYTHON_VERSION.replace(".", "")
# PEP 552 flags word: bit 0 = hash-based, bit 1 = check the source. unchecked-hash: 0b01.
UNCHECKED_HASH = 1


@pytest.fixture(scope="module")
def compiler() -> Compiler:
    found = find_compiler(PYTHON_VERSION, PROJECT_ROOT)
    assert found, f"no Python {PYTHON_VERSION}: set LAMBDA_PYTHON, or run these through make test"
    return found


@pytest.fixture(scope="module")
def assets(compiler: Compiler, tmp_path_factory: pytest.TempPathFactory) -> LambdaAssets:
    outdir = tmp_path_factory.mktemp("cdk.out")
    app, stack = build_app(cdk_json_context(), outdir=str(outdir))
    app.synth()
    return synthesised_assets(outdir, stack.stack_name)


def _magic(compiler: Compiler) -> bytes:
    probe = "import importlib.util, sys; sys.stdout.write(importlib.util.MAGIC_NUMBER.hex())"
    result = subprocess.run(  # nosec B603
        [compiler.executable, "-c", probe], capture_output=True, text=True, check=True
    )
    return bytes.fromhex(result.stdout)


@pytest.mark.lambda_python
def test_every_module_of_both_assets_has_unchecked_hash_bytecode_of_the_runtime(
    assets: LambdaAssets, compiler: Compiler
) -> None:
    magic = _magic(compiler)
    assert int.from_bytes(magic[:2], "little") == 3627  # CPython 3.14's magic number
    for folder in (assets.task, assets.layer):
        files = compiled_files(folder, CACHE_TAG)
        # Not empty: the app package has a few dozen modules, Powertools' layer a few hundred.
        assert len(files) > (10 if folder == assets.task else 300), folder
        missing = sorted(str(py) for py, pyc in files.items() if pyc is None)
        assert not missing, f"{len(missing)} modules without bytecode, e.g. {missing[:3]}"
        for pyc in files.values():
            assert pyc is not None
            header = pyc.read_bytes()[:16]
            assert header[:4] == magic, pyc
            assert int.from_bytes(header[4:8], "little") == UNCHECKED_HASH, pyc
        foreign = [p for p in folder.rglob("*.pyc") if f".{CACHE_TAG}." not in p.name]
        assert not foreign, foreign[:3]


@pytest.mark.lambda_python
def test_the_runtime_imports_both_handlers_from_bytecode_only(
    assets: LambdaAssets, compiler: Compiler, tmp_path: Path
) -> None:
    task = read_only_copy(assets.task, tmp_path / "task")
    layer = read_only_copy(assets.layer, tmp_path / "opt" / "python")
    sdk = runtime_sdk(PROJECT_ROOT, compiler)
    path = [str(task), str(layer), str(sdk)]
    probe = (
        f"import sys; sys.path[:0] = {path!r}; "
        "import app.entrypoints.api.handler, app.entrypoints.stream.handler"
    )
    # -I: nothing from the environment or site-packages; -B: never write bytecode; -v: log loads.
    result = subprocess.run(  # nosec B603
        [compiler.executable, "-I", "-B", "-v", "-c", probe],
        capture_output=True,
        text=True,
        check=False,
        env={"TABLE_NAME": "products", "AWS_DEFAULT_REGION": "us-east-1"},
    )
    assert result.returncode == 0, result.stderr[-3000:]
    # "# code object from '<file>'": a .pyc when the bytecode was used, a .py when compiled.
    loaded = re.findall(r"^# code object from '?([^'\n]+)'?$", result.stderr, re.MULTILINE)
    ours = [f for f in loaded if f.startswith((str(task), str(layer)))]
    compiled = [f for f in ours if f.endswith(".py")]
    assert not compiled, f"compiled at import instead of loaded from .pyc: {compiled}"
    app_modules = {f for f in ours if f.startswith(str(task))}
    assert any("/app/entrypoints/api/__pycache__/handler." in f for f in app_modules)
    assert any("/app/entrypoints/stream/__pycache__/handler." in f for f in app_modules)
    assert any("/aws_lambda_powertools/" in f for f in ours)


def _no_runtime_python(monkeypatch: pytest.MonkeyPatch, empty: Path) -> None:
    monkeypatch.delenv("LAMBDA_PYTHON", raising=False)
    monkeypatch.setenv("PATH", str(empty))  # no python3.14 on it
    find_compiler.cache_clear()


def test_without_a_runtime_python_dev_ships_sources_with_one_warning(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _no_runtime_python(monkeypatch, tmp_path)
    # tmp_path holds no cached root either.
    compiler = assets_compiler(PYTHON_VERSION, tmp_path, stage="dev", allow_missing=False)

    assert compiler is None
    warnings = capsys.readouterr().err.strip().splitlines()
    assert len(warnings) == 1
    assert warnings[0].startswith("WARNING: no Python 3.14 found")
    assert "'dev' ship sources only" in warnings[0]


@pytest.mark.parametrize("stage", ["staging", "prod", "qa"])
def test_without_a_runtime_python_other_stages_fail_in_one_line_naming_the_fix(
    stage: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _no_runtime_python(monkeypatch, tmp_path)

    with pytest.raises(MissingBytecode) as refused:
        assets_compiler(PYTHON_VERSION, tmp_path, stage=stage, allow_missing=False)

    message = str(refused.value)
    assert "\n" not in message
    assert f"stage {stage!r}" in message
    assert "LAMBDA_PYTHON=" in message and "-c allowMissingBytecode=true" in message


def test_the_setting_the_error_names_is_a_stage_option() -> None:
    assert ALLOW_MISSING_BYTECODE in context_keys()
    assert StackConfig.from_mapping({ALLOW_MISSING_BYTECODE: "true"}).allow_missing_bytecode


def test_the_explicit_setting_accepts_sources_only_with_the_warning(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _no_runtime_python(monkeypatch, tmp_path)

    assert assets_compiler(PYTHON_VERSION, tmp_path, stage="prod", allow_missing=True) is None
    assert "'prod' ship sources only" in capsys.readouterr().err


@pytest.mark.lambda_python
def test_lambda_python_comes_first_and_a_wrong_version_is_named_and_skipped(
    compiler: Compiler,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setenv("LAMBDA_PYTHON", compiler.executable)
    assert find_compiler.__wrapped__(PYTHON_VERSION, tmp_path) == compiler
    monkeypatch.setenv("LAMBDA_PYTHON", sys.executable)  # the tests' own Python, not 3.14
    assert find_compiler.__wrapped__(PYTHON_VERSION, tmp_path) is None
    assert f"LAMBDA_PYTHON={sys.executable} is not a working Python 3.14" in capsys.readouterr().err

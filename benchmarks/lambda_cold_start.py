"""The Lambda-faithful cold start: the runtime's Python on the synthesised assets as shipped.

Each probe is a fresh interpreter of the runtime's version (``-I -S -B``: nothing from the
environment, no site-packages, no bytecode written; ``PYTHONDONTWRITEBYTECODE=1`` as Lambda sets
it) whose ``sys.path`` is exactly what Lambda's is for us: read-only copies of the function asset
(``/var/task``) and the layer (``/opt/python``), and the runtime's SDK in its own compiled folder.
It imports the handler, builds the object graph (settings, DynamoDB client, repository, resolver)
and answers a first GET from moto's DynamoDB server, which runs in another process (this one).
Both copies are measured alternately in one run: as shipped (with bytecode) and with every
``.pyc`` removed (sources only, as the assets were before bytecode shipped).
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import shutil
import statistics

# Runs the runtime interpreter on a fixed probe script.
import subprocess  # nosec B404
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from benchmarks import workload
from benchmarks.stand_ins import ROOT, environment, moto_server, table_definition
from infra.bytecode import Compiler, find_compiler
from infra.runtime import RUNTIME
from tests.support.lambda_assets import (
    LambdaAssets,
    read_only_copy,
    runtime_sdk,
    synthesised_assets,
)

PHASES = ("import", "client", "first request")
# Its own table: moto's servers in one process share their tables with the other benchmarks.
TABLE = "lambda-bench"
# With bytecode / sources only, medians of one run. The goal for the import is 0.55.
LAMBDA_BUDGETS = {"handler import": 0.55, "import + client + first request": 0.85}

# Times each phase (wall and CPU); the event arrives as JSON. The context is what Powertools reads.
_PROBE = """
import json, sys, time
sys.path[:0] = json.loads(sys.argv[1])
class Context:
    function_name = "products-api-bench"
    function_version = "$LATEST"
    memory_limit_in_mb = 1769
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:products-api-bench"
    aws_request_id = "bench"
    def get_remaining_time_in_millis(self):
        return 10_000
marks = [(time.perf_counter(), time.process_time())]
import app.entrypoints.api.handler as module
marks.append((time.perf_counter(), time.process_time()))
module.build_handler_from_environment()
marks.append((time.perf_counter(), time.process_time()))
status = module.handler(json.loads(sys.argv[2]), Context())["statusCode"]
marks.append((time.perf_counter(), time.process_time()))
print(json.dumps({"status": status,
    "wall": [(b[0] - a[0]) * 1000 for a, b in zip(marks, marks[1:])],
    "cpu": [(b[1] - a[1]) * 1000 for a, b in zip(marks, marks[1:])]}))
"""


def _without_bytecode(folder: Path) -> None:
    for cache in list(folder.rglob("__pycache__")):
        shutil.rmtree(cache)


@contextlib.contextmanager
def _deployed_copies(assets: LambdaAssets) -> Iterator[dict[str, LambdaAssets]]:
    """Read-only copies of the assets: as shipped, and with the bytecode removed."""
    with tempfile.TemporaryDirectory(prefix="lambda-assets-") as tmp:
        copies = {}
        for label, strip in (("with bytecode", False), ("sources only", True)):
            task, layer = Path(tmp, label, "task"), Path(tmp, label, "opt", "python")
            shutil.copytree(assets.task, task)
            shutil.copytree(assets.layer, layer)
            if strip:
                _without_bytecode(task)
                _without_bytecode(layer)
            copies[label] = LambdaAssets(
                task=read_only_copy(task, Path(tmp, label, "ro-task")),
                layer=read_only_copy(layer, Path(tmp, label, "ro-opt", "python")),
            )
        yield copies


def _probe(compiler: Compiler, path: list[str], event: dict[str, Any], env: dict[str, str]) -> Any:
    command = [compiler.executable, "-I", "-S", "-B", "-c", _PROBE, json.dumps(path)]
    # A fixed probe script, run by the runtime interpreter.
    result = subprocess.run(  # nosec B603
        [*command, json.dumps(event)], capture_output=True, text=True, env=env, check=False
    )
    if result.returncode:
        raise RuntimeError(f"Lambda cold-start probe failed:\n{result.stderr[-2000:]}")
    sample = json.loads(result.stdout.strip().splitlines()[-1])
    if sample["status"] != 200:
        raise RuntimeError(f"Lambda cold-start probe answered {sample['status']}")
    return sample


def lambda_cold_start(runs: int) -> dict[str, dict[str, list[float]]]:
    """Per copy ("with bytecode", "sources only"): medians of wall and CPU ms per phase."""
    compiler = find_compiler(RUNTIME.name.removeprefix("python"), ROOT)
    if compiler is None:
        raise RuntimeError(
            "no Python 3.14 for the Lambda cold start: set LAMBDA_PYTHON or put python3.14 on PATH"
        )
    stack_name = next((ROOT / "cdk.out").glob("*.template.json"), None)
    if stack_name is None:
        raise RuntimeError("no synthesised assets: run `make synth` first")
    assets = synthesised_assets(ROOT / "cdk.out", stack_name.name.removesuffix(".template.json"))
    if not any(assets.task.rglob("*.pyc")):
        raise RuntimeError("cdk.out holds sources only: synthesise with a runtime Python")
    sdk = runtime_sdk(ROOT, compiler)
    samples: dict[str, list[Any]] = {}
    with moto_server() as endpoint, _deployed_copies(assets) as copies:
        env = {**environment(endpoint), "TABLE_NAME": TABLE, "PYTHONDONTWRITEBYTECODE": "1"}
        event = workload.rest_event("GET", f"/products/{_seed(endpoint)}")
        for _ in range(runs):
            for label, copy in copies.items():
                path = [str(copy.task), str(copy.layer), str(sdk)]
                samples.setdefault(label, []).append(_probe(compiler, path, event, env))
    return {
        label: {
            clock: [statistics.median(s[clock][i] for s in runs_) for i in range(len(PHASES))]
            for clock in ("wall", "cpu")
        }
        for label, runs_ in samples.items()
    }


def _seed(endpoint: str) -> str:
    """Create the table and one product on the stand-in; returns the product's id."""
    from app.adapters.dynamodb_product_repository import DynamoDBProductRepository
    from app.entrypoints.api.handler import build_handler, create_dynamodb_client

    saved = dict(os.environ)
    os.environ.update(environment(endpoint), TABLE_NAME=TABLE)
    try:
        client = create_dynamodb_client()
        client.create_table(**table_definition(TABLE))
        handler = build_handler(DynamoDBProductRepository(client, TABLE))
        # The seeding request's log lines are not the benchmark's output.
        with contextlib.redirect_stdout(io.StringIO()):
            created = handler(
                workload.rest_event("POST", "/products", body={"name": "cold start"}),
                workload.LambdaContext(),  # type: ignore[arg-type]
            )
    finally:
        os.environ.clear()
        os.environ.update(saved)
    product_id: str = json.loads(created["body"])["id"]
    return product_id

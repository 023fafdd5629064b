"""Speed and size benchmarks with budgets: ``make bench`` (exits non-zero when a budget is blown).

Every time budget is a ratio to a floor measured in the same run, alternately with our handler:
a handler with no framework and one DynamoDB call per request (``workload.floor_handler``), and
for imports ``import botocore.session`` (what any DynamoDB handler needs). Absolute milliseconds
drift 2-3x on a shared 2-core machine; the ratios move far less. Budgets sit 25-70% above the
ratios of two runs on a busy machine (README, Performance), so they catch a regression rather
than noise.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks import workload  # noqa: E402  (needs ROOT on sys.path)
from benchmarks.cold_start import COLD_BUDGETS, cold_start  # noqa: E402
from benchmarks.lambda_cold_start import LAMBDA_BUDGETS, PHASES, lambda_cold_start  # noqa: E402
from benchmarks.stand_ins import TABLE, environment, table_definition  # noqa: E402

OPERATIONS = ("create", "get", "update", "list", "delete")
# Ours / floor. Overhead is handler time outside DynamoDB calls (what we add per request).
OVERHEAD_BUDGETS = {"create": 10.5, "get": 8.5, "update": 8.5, "list": 7.0, "delete": 5.5}
LOG_BYTES_BUDGET = 400  # bytes per successful request; exact, so an absolute budget
# The layer holds Powertools with its tracer extra and what they need (8.5 MB with bytecode);
# pydantic (build-time only) alone would add ~7 MB and break it.
LAYER_BUDGET_MB = 12.0
LIST_SIZE = 50  # products in the table, so every list returns a full page


class _AwsMeter:
    """Time spent inside botocore API calls (serialisation, moto, parsing), to subtract."""

    def __init__(self) -> None:
        from botocore.client import BaseClient

        # The one method every botocore API call goes through (not in the type stubs).
        original = getattr(BaseClient, "_make_api_call")
        self.seconds = 0.0

        def metered(client: Any, operation: str, params: Any) -> Any:
            started = time.perf_counter()
            try:
                return original(client, operation, params)
            finally:
                self.seconds += time.perf_counter() - started

        setattr(BaseClient, "_make_api_call", metered)


Handler = Callable[[dict[str, Any], Any], dict[str, Any]]


def _round(
    handler: Handler, index: int, meter: _AwsMeter, log: io.StringIO, out: dict[str, Any]
) -> None:
    """One CRUD round through ``handler``; appends (overhead us, log bytes) per operation."""
    product_id: str | None = None
    for _ in range(2):
        for operation, event in workload.workload(index, product_id):
            meter.seconds, written = 0.0, log.tell()
            started = time.perf_counter()
            response = handler(event, workload.LambdaContext())
            elapsed = time.perf_counter() - started
            if response["statusCode"] >= 300:
                raise RuntimeError(f"{operation} answered {response}")
            if operation == "create":
                product_id = json.loads(response["body"])["id"]
            out.setdefault(operation, []).append(
                ((elapsed - meter.seconds) * 1e6, log.tell() - written)
            )


def warm_requests(rounds: int) -> dict[str, tuple[float, float, float]]:
    """Per operation: medians of our overhead (us), the floor's (us) and our log bytes."""
    os.environ.update(environment())
    from moto import mock_aws

    from app.adapters.dynamodb_product_repository import DynamoDBProductRepository
    from app.entrypoints.api.handler import build_handler, create_dynamodb_client

    ours: dict[str, Any] = {}
    floor: dict[str, Any] = {}
    log = io.StringIO()
    # Logs and metrics go to stdout, as in Lambda: captured to count their bytes.
    with mock_aws(), contextlib.redirect_stdout(log):
        client = create_dynamodb_client()
        client.create_table(**table_definition(TABLE))
        client.create_table(**table_definition("floor"))
        meter = _AwsMeter()
        our_handler = build_handler(DynamoDBProductRepository(client, TABLE))
        floor_handler = workload.floor_handler(client, "floor")
        context: Any = workload.LambdaContext()
        handler: Handler
        for handler in (our_handler, floor_handler):  # a full page for every list
            for i in range(LIST_SIZE):
                handler(
                    workload.rest_event("POST", "/products", body={"name": f"seed {i}"}), context
                )
        for index in range(rounds):
            _round(floor_handler, index, meter, io.StringIO(), floor)
            _round(our_handler, index, meter, log, ours)
    return {
        operation: (
            statistics.median(us for us, _ in ours[operation][1:]),
            statistics.median(us for us, _ in floor[operation][1:]),
            statistics.median(size for _, size in ours[operation][1:]),
        )
        for operation in OPERATIONS
    }


def layer_size_mb() -> float | None:
    """Size of the locally built Lambda layer, if ``make synth`` has built one."""
    assets = sorted((ROOT / "cdk.out").glob("asset.*/python"))
    if not assets:
        return None
    largest = max(
        sum(f.stat().st_size for f in asset.rglob("*") if f.is_file()) for asset in assets
    )
    return largest / 1_000_000


def main() -> int:
    """Run every benchmark, print a table, and fail if any budget is exceeded."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cold-runs", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=150, help="CRUD rounds per handler")
    arguments = parser.parse_args()

    failed = False

    def row(name: str, ours: float, floor: float, budget: float, unit: str) -> None:
        nonlocal failed
        ratio = ours / floor
        over = ratio > budget
        failed |= over
        verdict = "  OVER BUDGET" if over else ""
        print(f"{name:40} {ours:9.1f} {floor:9.1f} {unit:>4} {ratio:7.2f} {budget:7.2f}{verdict}")

    print(f"{'cold start (fresh processes, median)':40} {'ours':>9} {'floor':>9} {'':4} ", end="")
    print(f"{'ratio':>7} {'budget':>7}")
    for name, (ours, floor) in cold_start(arguments.cold_runs).items():
        row(name, ours, floor, COLD_BUDGETS[name], "ms")
    print(f"\n{'Lambda cold start (3.14, assets as shipped)':40} {'bytecode':>9} {'sources':>9}")
    figures = lambda_cold_start(arguments.cold_runs)
    shipped, sources = figures["with bytecode"], figures["sources only"]
    for clock in ("wall", "cpu"):
        for index, phase in enumerate(PHASES):
            name = f"  {phase} ({clock})"
            print(f"{name:40} {shipped[clock][index]:9.1f} {sources[clock][index]:9.1f}   ms")
    print(f"{'budgets on CPU time':40} {'bytecode':>9} {'sources':>9} {'':4} {'ratio':>7}")
    row(
        "handler import",
        shipped["cpu"][0],
        sources["cpu"][0],
        LAMBDA_BUDGETS["handler import"],
        "ms",
    )
    total = "import + client + first request"
    row(total, sum(shipped["cpu"]), sum(sources["cpu"]), LAMBDA_BUDGETS[total], "ms")
    print(f"\n{'overhead per request (median)':40} {'ours':>9} {'floor':>9}")
    warm = warm_requests(arguments.rounds)
    for operation, (ours, floor, _) in warm.items():
        row(operation, ours, floor, OVERHEAD_BUDGETS[operation], "us")
    print(f"\n{'log bytes per request (median)':40} {'ours':>9} {'budget':>9}")
    for operation, (_, _, size) in warm.items():
        over = size > LOG_BYTES_BUDGET
        failed |= over
        print(f"{operation:40} {size:9.0f} {LOG_BYTES_BUDGET:9d}{'  OVER BUDGET' if over else ''}")
    size_mb = layer_size_mb()
    if size_mb is None:
        print("\nlayer size: not built (run `make synth` first to include it)")
    else:
        over = size_mb > LAYER_BUDGET_MB
        failed |= over
        verdict = "  OVER BUDGET" if over else ""
        print(f"\n{'layer size MB':40} {size_mb:9.1f} {LAYER_BUDGET_MB:9.0f}{verdict}")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Speed and size benchmarks with budgets: ``make bench`` (exits non-zero when a budget is blown).

Figures are medians over fresh processes or many requests on this machine; they are for spotting
regressions (a budget is ~2x today's figure), not for predicting Lambda's absolute numbers.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import statistics

# Runs this repository's own Python.
import subprocess  # nosec B404
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]

# Budgets in milliseconds (cold figures are whole fresh processes on a 2-core machine).
BUDGETS_MS = {
    "import_handler_module": 1400.0,  # measured ~870 ms (was ~1030 before dropping validation)
    "cold_first_request": 1800.0,  # ~1100 ms: import + object graph + first DynamoDB call
    "warm_request_fake_store": 1.5,  # ~0.3 ms: our own per-request overhead
    "warm_request_moto": 10.0,  # ~3.5 ms, most of it moto
}
LAYER_BUDGET_MB = 40.0

# Runs in a fresh interpreter: the entry point's import, then its first request (which builds the
# object graph and opens a connection) against a moto server over loopback HTTP.
_COLD_PROBE = """
import json, time
start = time.perf_counter()
import app.entrypoints.api.handler as h
imported = time.perf_counter()
from tests.events import FakeLambdaContext, rest_event
response = h.handler(rest_event("GET", "/products"), FakeLambdaContext())
done = time.perf_counter()
assert response["statusCode"] == 200, response
print(json.dumps({"import": (imported - start) * 1000, "first": (done - start) * 1000}))
"""


def _table(name: str) -> Any:
    sys.path.insert(0, str(ROOT))
    from app.adapters.dynamodb_product_repository import table_definition

    return table_definition(name)


def _environment() -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        PYTHONPATH=str(ROOT),
        TABLE_NAME="bench",
        AWS_ACCESS_KEY_ID="bench",
        # Moto accepts any key.
        AWS_SECRET_ACCESS_KEY="bench",  # nosec B106
        AWS_DEFAULT_REGION="us-east-1",
        POWERTOOLS_TRACE_DISABLED="true",
        POWERTOOLS_LOG_LEVEL="WARNING",
    )
    env.pop("AWS_ENDPOINT_URL_DYNAMODB", None)
    return env


def cold_start(runs: int) -> dict[str, float]:
    """Median import time of the entry point and time to the first answered request."""
    import logging

    import botocore.session
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    env = {**_environment(), "AWS_ENDPOINT_URL_DYNAMODB": endpoint}
    samples = []
    try:
        client: Any = botocore.session.get_session().create_client(
            "dynamodb",
            region_name="us-east-1",
            endpoint_url=endpoint,
            aws_access_key_id="bench",
            # Moto accepts any key.
            aws_secret_access_key="bench",  # nosec B106
        )
        client.create_table(**_table("bench"))
        for _ in range(runs):
            # Fixed command line.
            result = subprocess.run(  # nosec B603
                [sys.executable, "-c", _COLD_PROBE],
                capture_output=True,
                text=True,
                check=True,
                env=env,
                cwd=ROOT,
            )
            samples.append(json.loads(result.stdout.strip().splitlines()[-1]))
    finally:
        server.stop()
    return {
        "import_handler_module": statistics.median(s["import"] for s in samples),
        "cold_first_request": statistics.median(s["first"] for s in samples),
    }


def warm_requests(requests: int) -> dict[str, float]:
    """Median per-request latency of a mixed CRUD workload through the real handler."""
    os.environ.update(_environment())
    sys.path.insert(0, str(ROOT))
    from moto import mock_aws

    from app.adapters.dynamodb_product_repository import DynamoDBProductRepository, table_definition
    from app.entrypoints.api.handler import build_handler, create_dynamodb_client
    from tests.events import FakeLambdaContext, rest_event
    from tests.fakes import InMemoryProductRepository

    def run(handler: Any) -> float:
        context = FakeLambdaContext()
        timings = []
        for i in range(requests):
            start = time.perf_counter()
            created = handler(rest_event("POST", "/products", body={"name": f"p{i}"}), context)
            product_id = json.loads(created["body"])["id"]
            handler(rest_event("GET", f"/products/{product_id}"), context)
            handler(rest_event("PUT", f"/products/{product_id}", body={"name": "x"}), context)
            handler(rest_event("GET", "/products", query="pageSize=20"), context)
            handler(rest_event("DELETE", f"/products/{product_id}"), context)
            timings.append((time.perf_counter() - start) * 1000 / 5)
        return statistics.median(timings)

    # Metrics (EMF) and logs go to stdout, as in Lambda; keep them out of the report.
    with contextlib.redirect_stdout(io.StringIO()):
        results = {"warm_request_fake_store": run(build_handler(InMemoryProductRepository()))}
        with mock_aws():
            client = create_dynamodb_client()
            client.create_table(**table_definition("bench"))
            results["warm_request_moto"] = run(
                build_handler(DynamoDBProductRepository(client, "bench"))
            )
    return results


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
    parser.add_argument("--cold-runs", type=int, default=7)
    parser.add_argument("--requests", type=int, default=200)
    arguments = parser.parse_args()

    results = {**cold_start(arguments.cold_runs), **warm_requests(arguments.requests)}
    failed = False
    print(f"{'benchmark':28} {'median ms':>10} {'budget ms':>10}")
    for name, value in results.items():
        over = value > BUDGETS_MS[name]
        failed |= over
        print(f"{name:28} {value:10.1f} {BUDGETS_MS[name]:10.0f}{'  OVER BUDGET' if over else ''}")
    size = layer_size_mb()
    if size is None:
        print("layer size: not built (run `make synth` first to include it)")
    else:
        over = size > LAYER_BUDGET_MB
        failed |= over
        print(
            f"{'layer_size_mb':28} {size:10.1f} {LAYER_BUDGET_MB:10.0f}{'  OVER' if over else ''}"
        )
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())

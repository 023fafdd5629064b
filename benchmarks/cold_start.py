"""Cold start in this project's own environments: fresh processes import the handler and answer
a first request, alternately with a floor (``import botocore.session`` and one DynamoDB call).

Ratios to the floor, measured in the same run, drift far less than milliseconds on a shared machine.
The Lambda-faithful figure (runtime Python, assets as shipped) is ``lambda_cold_start.py``.
"""

from __future__ import annotations

import json
import os
import statistics

# Runs this repository's own Python on fixed probe scripts.
import subprocess  # nosec B404
import sys
from typing import Any

from benchmarks import lambda_env
from benchmarks.stand_ins import ROOT, environment, moto_server, table_definition

COLD_BUDGETS = {
    "import handler (project venv)": 1.0,
    "import handler (Lambda packages)": 1.3,
    "import + first request (moto server)": 2.5,
}

# A fresh interpreter: import (timed), then the first request against a moto server.
_COLD_PROBE = """
import json, sys, time
start = time.perf_counter()
if sys.argv[1] == "ours":
    import app.entrypoints.api.handler as module
    imported = time.perf_counter()
    from benchmarks.workload import LambdaContext, rest_event
    status = module.handler(rest_event("GET", "/products"), LambdaContext())["statusCode"]
else:
    import botocore.session
    imported = time.perf_counter()
    client = botocore.session.get_session().create_client("dynamodb")
    client.scan(TableName="bench", Limit=20)
    status = 200
done = time.perf_counter()
print(json.dumps({"import": (imported - start) * 1000, "first": (done - start) * 1000,
                  "status": status, "crt": "awscrt" in sys.modules}))
"""


def _probe(python: list[str], who: str, env: dict[str, str]) -> dict[str, Any]:
    # Fixed command line.
    result = subprocess.run(  # nosec B603
        [*python, "-c", _COLD_PROBE, who], capture_output=True, text=True, env=env, cwd=ROOT
    )
    if result.returncode:
        raise RuntimeError(f"cold-start probe ({who}) failed:\n{result.stderr[-2000:]}")
    sample: dict[str, Any] = json.loads(result.stdout.strip().splitlines()[-1])
    if sample["status"] != 200:
        raise RuntimeError(f"cold-start probe ({who}) answered {sample['status']}")
    return sample


def cold_start(runs: int) -> dict[str, tuple[float, float]]:
    """Medians (ours ms, floor ms) of fresh processes, run alternately with the floor."""
    import botocore.session

    site = lambda_env.lambda_site(ROOT)
    interpreters = {
        "project venv": ([sys.executable], str(ROOT)),
        # -S: no site-packages at all; only the layer's packages, botocore and the project.
        "Lambda packages": ([sys.executable, "-S"], os.pathsep.join([str(site), str(ROOT)])),
    }
    samples: dict[str, list[dict[str, Any]]] = {}
    with moto_server() as endpoint:
        client: Any = botocore.session.get_session().create_client(
            "dynamodb",
            region_name="us-east-1",
            endpoint_url=endpoint,
            aws_access_key_id="bench",
            # Moto accepts any key.
            aws_secret_access_key="bench",  # nosec B106
        )
        env = environment(endpoint)
        client.create_table(**table_definition())
        for _ in range(runs):
            for label, (python, path) in interpreters.items():
                for who in ("floor", "ours"):
                    sample = _probe(python, who, {**env, "PYTHONPATH": path})
                    if label == "Lambda packages" and sample["crt"]:
                        raise RuntimeError("the Lambda package set must not contain awscrt")
                    samples.setdefault(f"{label} {who}", []).append(sample)

    def median(key: str, field: str) -> float:
        return float(statistics.median(s[field] for s in samples[key]))

    return {
        "import handler (project venv)": (
            median("project venv ours", "import"),
            median("project venv floor", "import"),
        ),
        "import handler (Lambda packages)": (
            median("Lambda packages ours", "import"),
            median("Lambda packages floor", "import"),
        ),
        "import + first request (moto server)": (
            median("project venv ours", "first"),
            median("project venv floor", "first"),
        ),
    }

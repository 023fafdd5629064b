"""``python -m tests.fuzz.run``: start the local API, fuzz it with schemathesis, stop it.

Schemathesis reads the OpenAPI document the server serves (``/openapi.json``, whose ``servers``
entry is the server's own address) and signs each request with ``tests.fuzz.sigv4_hooks``. It
prints its own summary (operations, test cases, failures) and its exit code is ours.
"""

from __future__ import annotations

import argparse
import subprocess  # nosec B404
import sys
import tempfile
from pathlib import Path

# The e2e launcher (a real process on a free loopback port), shared as the e2e tests share it.
from tests.e2e.conftest import running_local_api, server_environment

# A key pair for the fuzzing server only, deliberately not the documented defaults.
ACCESS_KEY_ID = "AKIAFUZZTESTS0000000"
SECRET_ACCESS_KEY = "fuzz-secret-key/for+the+local+gateway"  # nosec B105 - local test key
REGION = "us-east-1"
# The four conformance checks the suite promises, plus the server-error check.
CHECKS = (
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_headers_conformance",
    "response_schema_conformance",
)


def schemathesis_command(url: str, max_examples: int, seed: int, phases: str) -> list[str]:
    """The CLI call: every operation of the served document, fixed seed, bounded examples."""
    return [
        str(Path(sys.executable).parent / "schemathesis"),
        "run",
        f"{url}/openapi.json",
        "--checks",
        ",".join(CHECKS),
        "--max-examples",
        str(max_examples),
        "--seed",
        str(seed),
        "--phases",
        phases,
        "--workers",
        "1",  # the local gateway serialises invocations anyway; one worker keeps runs repeatable
        "--generation-database",
        "none",  # no .hypothesis folder: every run starts from the seed alone
        "--request-timeout",
        "10",
        "--no-color",
    ]


def fuzz(
    max_examples: int, seed: int, phases: str, log_dir: Path, *, capture: bool = False
) -> subprocess.CompletedProcess[str]:
    """Run schemathesis against a fresh local API (embedded store); with ``capture``, its output
    is returned instead of printed."""
    credentials = {
        "AWS_ACCESS_KEY_ID": ACCESS_KEY_ID,
        "AWS_SECRET_ACCESS_KEY": SECRET_ACCESS_KEY,
        "AWS_DEFAULT_REGION": REGION,
    }
    server_env = server_environment(TABLE_NAME="products-fuzz", **credentials)
    with running_local_api(log_dir / "local-api.log", env=server_env) as (url, _):
        cli_env = server_environment(SCHEMATHESIS_HOOKS="tests.fuzz.sigv4_hooks", **credentials)
        command = schemathesis_command(url, max_examples, seed, phases)
        return subprocess.run(  # nosec B603 - our own command line, no shell
            command,
            cwd=log_dir,  # schemathesis keeps a .schemathesis/ cache in its working directory
            env=cli_env,
            check=False,
            text=True,
            stdout=subprocess.PIPE if capture else None,
            stderr=subprocess.STDOUT if capture else None,
        )


def main(argv: list[str] | None = None) -> int:
    """Parse the budget and run."""
    parser = argparse.ArgumentParser(prog="python -m tests.fuzz.run", description=__doc__)
    parser.add_argument("--max-examples", type=int, default=250, help="per operation")
    parser.add_argument("--seed", type=int, default=20261124)
    parser.add_argument("--phases", default="examples,coverage,fuzzing,stateful")
    parser.add_argument("--log-dir", type=Path, help="keep the server's log here")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="fuzz-") as scratch:
        log_dir = args.log_dir or Path(scratch)
        log_dir.mkdir(parents=True, exist_ok=True)
        code = fuzz(args.max_examples, args.seed, args.phases, log_dir).returncode
        if code != 0:
            print("--- the local API's log (end) ---")
            print((log_dir / "local-api.log").read_text(errors="replace")[-4000:])
        return code


if __name__ == "__main__":
    sys.exit(main())

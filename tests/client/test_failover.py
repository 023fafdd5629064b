"""Several regions' endpoints: each attempt signed for its endpoint's region, failover on the
failures another region can fix, and never a repeat that could apply a write twice."""

from __future__ import annotations

import socket
import threading

import pytest

from products_client.client import ApiError, ClientError, ProductsClient, RetryPolicy
from products_client.endpoints import Endpoint, parse_endpoint, resolve_endpoints
from products_client.retries import Unreachable, may_send_again
from tests.client.conftest import Reply, ScriptedServer, signed_region
from tests.local_api.conftest import CREDENTIALS

PRODUCT = {"id": "p1", "name": "Lamp", "version": 1}
PID = "3f1c7c7e-4b7a-4e8b-9b1a-0c2d3e4f5a6b"
REGIONS = ("us-east-1", "us-west-2", "us-east-2")
Servers = tuple[ScriptedServer, ScriptedServer, ScriptedServer]


def client_for(
    urls: list[str],
    waits: list[float] | None = None,
    retry: RetryPolicy = RetryPolicy(),
    timeout: float = 2,
) -> ProductsClient:
    """A client of these endpoints (named us-east-1, us-west-2, us-east-2 in that order)."""
    specs = [f"{region}={url}" for region, url in zip(REGIONS, urls)]
    recorded = waits if waits is not None else []
    return ProductsClient(
        specs, credentials=CREDENTIALS, timeout=timeout, retry=retry, sleep=recorded.append
    )


def methods(server: ScriptedServer) -> list[str]:
    return [method for method, _, _ in server.requests]


# --- Which endpoints, which region --------------------------------------------------------------


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("us-west-2=http://127.0.0.1:3001", ("http://127.0.0.1:3001", "us-west-2")),
        ("http://127.0.0.1:3000/", ("http://127.0.0.1:3000", None)),
        (
            "https://a1b2c3d4e5.execute-api.eu-west-1.amazonaws.com/prod/",
            ("https://a1b2c3d4e5.execute-api.eu-west-1.amazonaws.com/prod", "eu-west-1"),
        ),
        (
            "eu-west-1=https://a1b2c3d4e5.execute-api.eu-west-1.amazonaws.com/prod",
            ("https://a1b2c3d4e5.execute-api.eu-west-1.amazonaws.com/prod", "eu-west-1"),
        ),
        ("us-gov-west-1=https://api.example.com", ("https://api.example.com", "us-gov-west-1")),
    ],
)
def test_an_endpoint_is_a_url_with_the_region_it_names(
    spec: str, expected: tuple[str, str | None]
) -> None:
    assert parse_endpoint(spec) == expected


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("west=http://127.0.0.1:3001", "'west' is not a region name"),
        ("us-west-2=127.0.0.1:3001", r"expected an http\(s\) URL"),
        ("ftp://example.com", r"expected an http\(s\) URL"),
        (
            "us-west-2=https://a1b2c3d4e5.execute-api.eu-west-1.amazonaws.com/prod",
            "the URL is in region eu-west-1, not us-west-2",
        ),
    ],
)
def test_a_malformed_endpoint_is_refused_in_one_line(spec: str, message: str) -> None:
    with pytest.raises(ClientError, match=message) as error:
        parse_endpoint(spec)

    assert "[REGION=]URL" in str(error.value) or "API Gateway" in str(error.value)


def no_default() -> str:
    raise AssertionError("not needed")


def test_one_endpoint_without_a_region_is_signed_for_the_given_or_default_region() -> None:
    local = ["http://127.0.0.1:3000"]

    assert resolve_endpoints(local, region="eu-west-1", default_region=no_default) == (
        Endpoint("http://127.0.0.1:3000", "eu-west-1"),
    )
    assert resolve_endpoints(local, region=None, default_region=lambda: "ap-south-1") == (
        Endpoint("http://127.0.0.1:3000", "ap-south-1"),
    )


def test_the_preferred_region_goes_first_and_the_others_keep_their_order() -> None:
    specs = ["us-east-1=http://a:1", "us-west-2=http://b:2", "us-east-2=http://c:3"]

    found = resolve_endpoints(specs, region="us-east-2", default_region=no_default)

    assert [e.region for e in found] == ["us-east-2", "us-east-1", "us-west-2"]
    assert resolve_endpoints(specs, region=None, default_region=no_default)[0].url == "http://a:1"


@pytest.mark.parametrize(
    ("specs", "region", "message"),
    [
        (
            ["us-east-1=http://a:1", "http://b:2"],
            None,
            "endpoint http://b:2 does not say its region: with several endpoints, write each as"
            " REGION=URL",
        ),
        (
            ["us-east-1=http://a:1", "us-west-2=http://b:2"],
            "eu-west-1",
            r"region eu-west-1 is not the region of any endpoint \(us-east-1, us-west-2\)",
        ),
        (
            ["https://a1b2c3d4e5.execute-api.eu-west-1.amazonaws.com/prod"],
            "us-east-1",
            "region us-east-1 is not the region of any endpoint",
        ),
        (["us-east-1=http://a:1", "us-west-2=http://a:1/"], None, "listed more than once"),
        ([], None, "no endpoint given"),
    ],
)
def test_endpoints_that_cannot_be_signed_for_are_refused(
    specs: list[str], region: str | None, message: str
) -> None:
    with pytest.raises(ClientError, match=message):
        resolve_endpoints(specs, region=region, default_region=lambda: "us-east-1")


def test_a_comma_separated_string_names_several_endpoints() -> None:
    client = ProductsClient(
        "us-east-1=http://127.0.0.1:3000, us-west-2=http://127.0.0.1:3001",
        credentials=CREDENTIALS,
    )

    assert client.endpoints == (
        Endpoint("http://127.0.0.1:3000", "us-east-1"),
        Endpoint("http://127.0.0.1:3001", "us-west-2"),
    )
    assert (client.endpoint, client.region) == ("http://127.0.0.1:3000", "us-east-1")


# --- The rule, outcome by outcome ----------------------------------------------------------------

Request = tuple[str, dict[str, str]]  # method, headers
READ: Request = ("GET", {})
KEYED_CREATE: Request = ("POST", {"Idempotency-Key": "k-1"})
CREATE_WITHOUT_KEY: Request = ("POST", {})
CONDITIONAL_UPDATE: Request = ("PUT", {"If-Match": '"3"'})
CONDITIONAL_DELETE: Request = ("DELETE", {"if-match": '"3"'})
UPDATE: Request = ("PUT", {})
DELETE: Request = ("DELETE", {})
ANY_VERSION_UPDATE: Request = ("PUT", {"If-Match": "*"})
# An operation of POST /products/{id}/<verb> kind: conditional, without a key.
CONDITIONAL_POST: Request = ("POST", {"If-Match": '"3"'})
ANY_VERSION_POST: Request = ("POST", {"If-Match": "*"})
REPEATABLE = [READ, KEYED_CREATE, CONDITIONAL_UPDATE, CONDITIONAL_DELETE, CONDITIONAL_POST]
NOT_REPEATABLE = [UPDATE, DELETE, CREATE_WITHOUT_KEY, ANY_VERSION_UPDATE, ANY_VERSION_POST]
REFUSED = Unreachable("refused", ConnectionRefusedError())
NO_NAME = Unreachable("no such host", socket.gaierror())
TIMED_OUT = Unreachable("timed out", TimeoutError())
DROPPED = Unreachable("dropped", ConnectionResetError())


@pytest.mark.parametrize(("method", "headers"), REPEATABLE + NOT_REPEATABLE)
@pytest.mark.parametrize(
    ("outcome", "proves_not_processed"),
    [
        ({"unreachable": REFUSED}, True),
        ({"unreachable": NO_NAME}, True),
        ({"status": 429}, True),
        ({"unreachable": TIMED_OUT}, False),
        ({"unreachable": DROPPED}, False),
        ({"status": 502}, False),
        ({"status": 503}, False),
        ({"status": 504}, False),
    ],
)
def test_a_request_is_sent_again_only_when_a_repeat_cannot_apply_it_twice(
    method: str,
    headers: dict[str, str],
    outcome: dict[str, object],
    proves_not_processed: bool,
) -> None:
    expected = proves_not_processed or (method, headers) in REPEATABLE

    status = outcome.get("status")
    unreachable = outcome.get("unreachable")
    assert isinstance(status, int | None) and isinstance(unreachable, Unreachable | None)

    decision = may_send_again(
        method, headers, "Idempotency-Key", status=status, unreachable=unreachable
    )

    assert decision is expected


# --- Failover, end to end against scripted servers ----------------------------------------------


def test_each_attempt_is_signed_for_the_region_of_its_endpoint(regions: Servers) -> None:
    east, west, _ = regions
    east.replies = [Reply(503, {"message": "Service temporarily unavailable"})]
    west.replies = [Reply(200, PRODUCT)]
    waits: list[float] = []

    assert client_for([east.url, west.url], waits).get("p1") == PRODUCT

    assert [signed_region(headers) for _, _, headers in east.requests] == ["us-east-1"]
    assert [signed_region(headers) for _, _, headers in west.requests] == ["us-west-2"]
    assert waits == []  # another region: no reason to wait


def test_a_keyed_create_moves_on_with_the_same_idempotency_key(regions: Servers) -> None:
    east, west, _ = regions
    east.replies = [Reply(503, {"message": "busy"})]
    west.replies = [Reply(201, PRODUCT, {"Idempotent-Replayed": "true"})]

    client_for([east.url, west.url]).create("Lamp", idempotency_key="order-4711")

    keys = [h["Idempotency-Key"] for s in (east, west) for _, _, h in s.requests]
    assert keys == ["order-4711", "order-4711"]


@pytest.mark.parametrize("status", [429, 502, 503, 504])
def test_a_conditional_write_moves_on_with_its_if_match(regions: Servers, status: int) -> None:
    east, west, _ = regions
    east.replies = [Reply(status, {"message": "no"})]
    west.replies = [Reply(412, {"message": "Product is at version 4, not 3"})]

    with pytest.raises(ApiError) as error:
        client_for([east.url, west.url]).update(PID, name="Lamp", if_match=3)

    assert (error.value.status, error.value.attempts) == (412, 2)
    assert [h["If-Match"] for s in (east, west) for _, _, h in s.requests] == ['"3"', '"3"']


@pytest.mark.parametrize("status", [502, 503, 504])
def test_a_write_without_if_match_stays_where_it_may_have_been_applied(
    regions: Servers, status: int
) -> None:
    east, west, _ = regions
    east.replies = [Reply(status, {"message": "no"})]

    with pytest.raises(ApiError) as update:
        client_for([east.url, west.url]).update(PID, name="Lamp")
    with pytest.raises(ApiError) as delete:
        client_for([east.url, west.url]).delete(PID)

    assert methods(east) == ["PUT", "DELETE"] and west.requests == []
    assert update.value.status == delete.value.status == status
    assert update.value.note is not None and "--if-match" in update.value.note


def test_writes_without_if_match_move_on_after_throttling(regions: Servers) -> None:
    east, west, _ = regions
    east.replies = [Reply(429, {"message": "Too Many Requests"})]
    west.replies = [Reply(200, PRODUCT), Reply(204)]
    client = client_for([east.url, west.url])

    client.update(PID, name="Lamp")
    client.delete(PID)

    # The second call starts at us-west-2: us-east-1 failed a moment ago.
    assert methods(east) == ["PUT"] and methods(west) == ["PUT", "DELETE"]


def closed_port() -> str:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{probe.getsockname()[1]}"


def test_every_request_moves_on_from_an_endpoint_that_refuses_connections(
    regions: Servers,
) -> None:
    _, west, _ = regions
    west.replies = [Reply(200, PRODUCT), Reply(201, PRODUCT), Reply(200, PRODUCT), Reply(204)]
    client = client_for([closed_port(), west.url], retry=RetryPolicy(failback_after=0))

    client.get("p1")
    client.create("Lamp")
    client.update(PID, name="Lamp")  # refused: never reached the API, so even this is safe
    client.delete(PID)

    assert methods(west) == ["GET", "POST", "PUT", "DELETE"]
    assert all(signed_region(headers) == "us-west-2" for _, _, headers in west.requests)


def test_after_a_timeout_only_repeatable_requests_move_on(
    silent_url: str, regions: Servers
) -> None:
    _, west, _ = regions
    west.replies = [Reply(200, PRODUCT), Reply(201, PRODUCT), Reply(200, PRODUCT)]
    client = client_for([silent_url, west.url], retry=RetryPolicy(failback_after=0), timeout=0.3)

    client.get("p1")
    client.create("Lamp")
    client.update(PID, name="Lamp", if_match=1)
    with pytest.raises(ClientError) as unconditional:
        client.update(PID, name="Lamp")

    assert methods(west) == ["GET", "POST", "PUT"]
    assert "timed out" in str(unconditional.value)
    assert "not sent again: the PUT may have been applied" in str(unconditional.value)


@pytest.mark.parametrize("status", [400, 403, 404, 412, 422, 500])
def test_answers_another_region_cannot_change_are_final(regions: Servers, status: int) -> None:
    east, west, _ = regions
    east.replies = [Reply(status, {"message": "no"})]

    with pytest.raises(ApiError) as error:
        client_for([east.url, west.url]).get("p1")

    assert (error.value.status, error.value.attempts) == (status, 1)
    assert west.requests == []


def test_after_every_region_was_tried_the_client_waits_and_starts_again(
    regions: Servers,
) -> None:
    servers = list(regions)
    for server in servers:
        server.replies = [Reply(503, {"message": "busy"}, {"Retry-After": "2"})]
    waits: list[float] = []

    with pytest.raises(ApiError) as error:
        client_for([s.url for s in servers], waits, retry=RetryPolicy(attempts=5)).get("p1")

    assert [len(s.requests) for s in servers] == [2, 2, 1]  # east, west, east-2, east, west
    assert waits == [2.0]  # once, before the second round, as the last answer asked
    assert (error.value.status, error.value.attempts) == (503, 5)


def test_when_no_region_answers_the_error_names_the_regions_tried() -> None:
    client = client_for([closed_port(), closed_port()], retry=RetryPolicy(attempts=3))

    with pytest.raises(ClientError) as error:
        client.list_page()

    assert "(gave up after 3 attempts, in us-east-1 and us-west-2)" in str(error.value)


def test_a_region_that_failed_is_tried_last_until_failback_after_has_passed(
    regions: Servers,
) -> None:
    east, west, _ = regions
    east.replies = [Reply(503, {"message": "busy"}), Reply(200, PRODUCT)]
    west.replies = [Reply(200, PRODUCT)]
    patient = client_for([east.url, west.url], retry=RetryPolicy(failback_after=3600))
    eager = client_for([east.url, west.url], retry=RetryPolicy(failback_after=0))

    patient.get("p1")
    patient.get("p1")  # starts at us-west-2, which answered
    assert (len(east.requests), len(west.requests)) == (1, 2)

    east.replies = [Reply(503, {"message": "busy"}), Reply(200, PRODUCT)]
    eager.get("p1")
    eager.get("p1")  # back at us-east-1 at once
    assert (len(east.requests), len(west.requests)) == (3, 3)


def test_the_failover_is_logged_with_the_regions_involved(
    regions: Servers, caplog: pytest.LogCaptureFixture
) -> None:
    east, west, _ = regions
    east.replies = [Reply(503, {"message": "busy"})]
    west.replies = [Reply(200, PRODUCT)]

    with caplog.at_level("INFO", logger="products_client"):
        client_for([east.url, west.url]).get("p1")

    assert caplog.messages == [
        f"GET us-east-1 ({east.url}): answered 503; trying us-west-2 ({west.url})"
    ]


def test_concurrent_calls_share_one_client(regions: Servers) -> None:
    east, west, _ = regions
    east.replies = [Reply(503, {"message": "busy"})]
    west.replies = [Reply(200, PRODUCT)]
    client = client_for([east.url, west.url])
    results: list[object] = []

    threads = [threading.Thread(target=lambda: results.append(client.get("p1"))) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)

    assert results == [PRODUCT] * 4

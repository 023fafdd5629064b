"""``make run REGIONS=us-east-1,us-west-2``: one local API per region, all on one store.

A multi-region stage runs the whole API in every replica region of one global table with strong
consistency, whose reads and conditional writes behave as those of one table. Locally the
regions share one store (the embedded moto store, or one ``DYNAMODB_ENDPOINT``) and one warm
function; each region has its own gateway (which accepts only signatures scoped to its region),
port, stream reader and bus. A region can be stopped (its port refuses connections and its
stream reader pauses) and started again (its bus catches up), or stalled (requests that reach
its function get no answer, then API Gateway's 504), from any running region's
``/_local/regions`` page: enough to watch a client fail over.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field

from local_api.gateway import LocalGateway, is_loopback
from local_api.http_server import ListenError, LocalApiServer
from local_api.proxy_events import HttpRequest
from local_api.proxy_response import HttpResponse
from local_api.stream_poller import StreamPoller

MIN_REGIONS, MAX_REGIONS = 2, 3  # a global table with strong consistency spans three regions
CONTROL_PATH = "/_local/regions"  # GET: the regions; POST <path>/<region>/<action>
ACTIONS = ("stop", "stall", "start")
_REGION_NAME = re.compile(r"[a-z]{2}(-[a-z]+)+-[0-9]+")
EXAMPLE = "us-east-1,us-west-2"
POLL_SECONDS = 0.1  # how often a serving loop checks for a stop (a stop waits up to this long)


class RegionsError(ValueError):
    """REGIONS names no usable set of regions (the message says why, in one line)."""


def parse_regions(text: str) -> list[str]:
    """The region names of ``REGIONS`` (comma-separated), checked: two or three distinct names."""
    names = [name.strip() for name in text.split(",") if name.strip()]
    wrong = [name for name in names if not _REGION_NAME.fullmatch(name)]
    if wrong:
        raise RegionsError(f"REGIONS: {wrong[0]!r} is not a region name (e.g. REGIONS={EXAMPLE})")
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise RegionsError(f"REGIONS names {repeated[0]} more than once")
    if not MIN_REGIONS <= len(names) <= MAX_REGIONS:
        raise RegionsError(
            f"REGIONS needs {MIN_REGIONS} or {MAX_REGIONS} region names, not {len(names)}"
            f" (e.g. REGIONS={EXAMPLE})"
        )
    return names


@dataclass
class LocalRegion:
    """One region of the run: its gateway on its port, and its events pipeline (if any)."""

    name: str
    gateway: LocalGateway
    server: LocalApiServer
    poller: StreamPoller | None = None
    state: str = "running"  # running, stalled or stopped
    _thread: threading.Thread | None = field(default=None, repr=False)

    @property
    def url(self) -> str:
        """The region's base URL (it keeps its port while stopped)."""
        return self.server.url

    def serve(self) -> None:
        """Serve in a background thread."""
        self._thread = threading.Thread(
            target=self.server.serve_forever,
            args=(POLL_SECONDS,),
            name=f"region-{self.name}",
            daemon=True,
        )
        self._thread.start()

    def close(self) -> None:
        """Stop serving and close the port (connections are then refused)."""
        if self._thread is not None:  # shutdown() would wait forever for a loop never started
            self.server.shutdown()
            self._thread.join(timeout=10)  # werkzeug closes the socket as the loop ends
            self._thread = None
        self.server.server_close()


class LocalRegions:
    """The regions of one run, and the local-only page that stops, stalls and starts them."""

    def __init__(self, regions: Sequence[LocalRegion]) -> None:
        self._regions = {region.name: region for region in regions}
        self._lock = threading.Lock()  # one change of state at a time

    @property
    def regions(self) -> list[LocalRegion]:
        """The regions, in the order REGIONS named them."""
        return list(self._regions.values())

    def route(self, request: HttpRequest) -> HttpResponse:
        """``GET /_local/regions`` lists the regions; ``POST /_local/regions/<region>/<action>``
        (stop, stall, start) changes one. Callers on this machine only."""
        parts = request.raw_path[len(CONTROL_PATH) :].strip("/").split("/")
        if parts == [""]:
            if request.method not in ("GET", "HEAD"):
                return _answer(405, {"message": f"use GET on {CONTROL_PATH}"})
            return _answer(200, {"regions": [self._describe(r) for r in self.regions]})
        if len(parts) != 2 or parts[1] not in ACTIONS:
            return _answer(404, {"message": f"POST {CONTROL_PATH}/<region>/<{'|'.join(ACTIONS)}>"})
        if request.method != "POST":
            return _answer(405, {"message": f"use POST on {request.raw_path}"})
        if not is_loopback(request.source_ip):
            return _answer(403, {"message": "regions can be changed from a loopback address only"})
        name, action = parts
        if name not in self._regions:
            known = ", ".join(self._regions)
            return _answer(404, {"message": f"no local region {name!r} (regions: {known})"})
        with self._lock:
            problem = self._change(self._regions[name], action)
        if problem is not None:
            return _answer(409, {"message": problem})
        return _answer(200, self._describe(self._regions[name]))

    def close_all(self) -> None:
        """Stop every region that still serves (at shutdown)."""
        for region in self.regions:
            if region.state != "stopped":
                region.gateway.resume()
                region.close()
                region.state = "stopped"

    def _change(self, region: LocalRegion, action: str) -> str | None:
        """Apply ``action`` to ``region``; the reason it cannot, if it cannot."""
        if action == "stop" and region.state != "stopped":
            if not [r for r in self.regions if r is not region and r.state != "stopped"]:
                return (
                    f"{region.name} is the last region serving: stopped, no port would be left to"
                    " start it from (Ctrl-C stops the whole server)"
                )
            region.gateway.resume()  # requests held by a stall get their 504 now
            region.close()
            if region.poller is not None:
                region.poller.pause()
        elif action == "stall":
            if region.state == "stopped":
                return f"{region.name} is stopped: start it first"
            region.gateway.stall()
        elif action == "start":
            if region.state == "stopped":
                host, port = region.server.server_address[:2]
                try:
                    region.server = LocalApiServer((str(host), int(port)), region.gateway)
                except ListenError as error:
                    return f"cannot listen on {region.url} again: {error}"
                region.serve()
                if region.poller is not None:
                    region.poller.resume()
            region.gateway.resume()
        region.state = {"stop": "stopped", "stall": "stalled", "start": "running"}[action]
        return None

    @staticmethod
    def _describe(region: LocalRegion) -> dict[str, str]:
        return {"region": region.name, "url": region.url, "state": region.state}


def _answer(status: int, body: object) -> HttpResponse:
    return HttpResponse(status, [("Content-Type", "application/json")], json.dumps(body).encode())


def failover_lines(endpoints: Sequence[tuple[str, str]]) -> list[str]:
    """The paste lines that stop the preferred region, call again, and start it again, sent to
    the last region's port (the one that stays up)."""
    (first, _), (_, last_url) = endpoints[0], endpoints[-1]
    control = f"{last_url}{CONTROL_PATH}/{first}"
    return [
        f"curl -s -X POST {control}/stop    # {first} now refuses connections",
        'make products ARGS="list"    # fails over: a note on stderr says where it went',
        f"curl -s -X POST {control}/start   # {first} serves again; its bus catches up",
    ]


def region_lines(endpoints: Sequence[tuple[str, str]]) -> list[str]:
    """One banner line per region: its name and URL."""
    return [f"  region {name}: {url}" for name, url in endpoints]

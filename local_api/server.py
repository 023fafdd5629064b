"""``python -m local_api``: the real Lambda handler behind a local, SigV4-checking API Gateway.

The command line; HTTP lives in ``http_server`` (werkzeug), the gateway's behaviour in
``gateway``, signature checks in ``sigv4``.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import logging
import os
import signal
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from types import FrameType

from local_api.banner import banner
from local_api.credentials import KeyPair, key_pair_from_environment
from local_api.gateway import FunctionHandler, GatewayConfig, LocalGateway
from local_api.http_server import ListenError, LocalApiServer
from local_api.principals import ENV_VARIABLE, LocalAccess, PrincipalsError, load_local_access
from local_api.proxy_response import HttpResponse
from local_api.regions import CONTROL_PATH, LocalRegion, LocalRegions, RegionsError, parse_regions
from local_api.stream_poller import StreamPoller

DEFAULT_HANDLER = "app.entrypoints.api.handler:handler"
EVENTS_PATH = "/_local/events"  # the published domain events, oldest first (local-only)

# The one home of the local defaults (table name, region, log level, ...): the project's .env.
LOCAL_DEFAULTS_FILE = Path(__file__).resolve().parents[1] / ".env"
REQUIRED_DEFAULTS = ("TABLE_NAME", "AWS_DEFAULT_REGION")


class DefaultsError(RuntimeError):
    """The local defaults file is missing or malformed."""


def read_local_defaults(path: Path = LOCAL_DEFAULTS_FILE) -> dict[str, str]:
    """``NAME=value`` lines of a .env file (blank lines and ``#`` comments ignored, no quoting)."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise DefaultsError(f"cannot read the local defaults ({path.name}): {error}") from error
    defaults = {}
    for number, line in enumerate(text.splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        name, equals, value = line.partition("=")
        if not equals or not name.strip().isidentifier():
            raise DefaultsError(f"{path.name}, line {number}: expected NAME=value")
        defaults[name.strip()] = value.strip()
    missing = [name for name in REQUIRED_DEFAULTS if name not in defaults]
    if missing:
        raise DefaultsError(f"{path.name} does not set {', '.join(missing)}")
    return defaults


def apply_local_defaults(defaults: dict[str, str]) -> None:
    """Set each default the caller's environment does not set already (the environment wins)."""
    for name, value in defaults.items():
        os.environ.setdefault(name, value)


logger = logging.getLogger("local_api")


def load_handler(spec: str) -> FunctionHandler:
    """Import ``module:function`` (the same string Lambda's handler setting uses, with ':')."""
    module_name, _, attribute = spec.partition(":")
    handler: FunctionHandler = getattr(importlib.import_module(module_name), attribute or "handler")
    return handler


def print_line(line: str) -> None:
    """One line on stdout in a single write: the access log on stderr shares the terminal (or
    file) from other threads, and ``print`` writes the text and its newline separately."""
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


@contextlib.contextmanager
def domain_events(
    gateway: LocalGateway,
    endpoint_url: str | None,
    region: str,
    url: str,
    *,
    store_region: str | None = None,
) -> Iterator[tuple[str, StreamPoller | None]]:
    """Run the stream handler on the table's stream and serve its events at /_local/events;
    yields the line that tells the developer so (or why events are off), and the stream
    reader. ``store_region``: where the table is, when the bus is another region's."""
    from botocore.exceptions import BotoCoreError, ClientError

    from local_api.event_pipeline import StreamUnavailable, local_pipeline
    from local_api.local_event_bus import events_page_body

    label = "Domain events" if store_region is None else f"Domain events of {region}"
    try:
        poller, bus = local_pipeline(
            endpoint_url,
            os.environ["TABLE_NAME"],
            region,
            store_region=store_region,
            lock=gateway.invoke_lock,
            echo=print_line,
        )
    except (StreamUnavailable, BotoCoreError, ClientError) as error:
        # The API itself still works; say plainly that no events will be published.
        yield f"{label}: off ({error})", None
        return
    gateway.add_local_page(
        EVENTS_PATH,
        lambda: HttpResponse(200, [("Content-Type", "application/json")], events_page_body(bus)),
    )
    with poller.running():
        yield (
            f"{label}: {url}{EVENTS_PATH} (each one is also printed here as a JSON line)",
            poller,
        )


def _stop(signum: int, frame: FrameType | None) -> None:
    # SIGTERM shuts down exactly like Ctrl-C (SIGINT). A terminal or supervisor signals the whole
    # process group, and make may pass the signal on as well: the second copy must not interrupt
    # the shutdown the first one started.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    """Parse the command line, provide the table, serve until interrupted."""
    parser = argparse.ArgumentParser(prog="python -m local_api", description=__doc__)
    parser.add_argument(
        "--host", default="127.0.0.1", help="interface to bind (default %(default)s)"
    )
    parser.add_argument("--port", type=int, default=3000, help="0 picks a free port (default 3000)")
    parser.add_argument(
        "--dynamodb-endpoint",
        default=os.environ.get("AWS_ENDPOINT_URL_DYNAMODB") or None,
        help="DynamoDB Local / dynalite / AWS URL (env AWS_ENDPOINT_URL_DYNAMODB);"
        " default: embedded moto",
    )
    parser.add_argument("--stage", default="local", help="stage name in requestContext")
    parser.add_argument("--handler", default=DEFAULT_HANDLER, help="module:function to invoke")
    parser.add_argument(
        "--regions",
        metavar="R1,R2[,R3]",
        help="one local API per region (2 or 3), on --port, --port + 1, ...; all on one store",
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    logging.getLogger("botocore").setLevel(logging.WARNING)  # "Found credentials in ..." noise
    signal.signal(signal.SIGTERM, _stop)
    # Also when started from a non-interactive shell, which makes background jobs ignore SIGINT.
    signal.signal(signal.SIGINT, _stop)
    try:
        return _serve(args)
    except KeyboardInterrupt:  # stopped before serving began, or while shutting down
        print("Shutting down.", flush=True)
        return 0


def _serve(args: argparse.Namespace) -> int:
    """Provide the table, start the gateway and the events feed, serve until interrupted."""

    # Read the accepted keys before moto starts: mock_aws overwrites the AWS_* variables.
    key_pair = key_pair_from_environment(os.environ)
    principals_file = os.environ.get(ENV_VARIABLE) or None
    try:
        access = load_local_access(Path(principals_file) if principals_file else None, key_pair)
    except PrincipalsError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    try:
        apply_local_defaults(read_local_defaults())
    except DefaultsError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    try:
        regions = parse_regions(args.regions) if args.regions else None
    except RegionsError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    # The store's region: where the table is and what the function's DynamoDB client signs for.
    region = os.environ.get("AWS_REGION") or os.environ["AWS_DEFAULT_REGION"]
    from local_api.storage import StorageError, dynamodb_storage

    try:
        with dynamodb_storage(args.dynamodb_endpoint, os.environ["TABLE_NAME"], region) as where:
            if regions:
                return serve_regions(args, regions, region, where, key_pair, access)
            gateway = LocalGateway(load_handler(args.handler), gateway_config(args, access, region))
            try:
                server = LocalApiServer((args.host, args.port), gateway)
            except ListenError as error:
                print(listen_error(args.host, args.port, error), file=sys.stderr)
                return 1
            # The stream is read from here on, before the banner says the server is ready.
            with domain_events(gateway, args.dynamodb_endpoint, region, server.url) as (status, _):
                print(banner([(region, server.url)], key_pair, where, access), flush=True)
                print(status, flush=True)
                server.serve_forever()  # returns on Ctrl-C / SIGTERM (werkzeug catches it)
                print("\nShutting down.", flush=True)
    except StorageError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0


def gateway_config(args: argparse.Namespace, access: LocalAccess, region: str) -> GatewayConfig:
    """What the deployed stack fixes for the gateway of ``region``."""
    return GatewayConfig(
        access, region, stage=args.stage, cors_allow_origin=os.environ.get("CORS_ALLOW_ORIGIN", "*")
    )


def listen_error(host: str, port: int, error: ListenError, region: str | None = None) -> str:
    """The one line that says a port could not be had (and what to do when it is taken)."""
    hint = " (another process has it: try make run PORT=8123)" if error.port_in_use else ""
    which = f" (region {region})" if region else ""
    return f"error: cannot listen on {host}:{port}{which}: {error}{hint}"


def serve_regions(
    args: argparse.Namespace,
    names: list[str],
    store_region: str,
    storage: str,
    key_pair: KeyPair,
    access: LocalAccess,
) -> int:
    """One gateway per region, on consecutive ports, all invoking one function on one store;
    each with its own stream reader and bus. Serves until interrupted."""
    handler = load_handler(args.handler)
    lock = threading.Lock()  # one warm function: the store (moto) serves one call at a time
    regions: list[LocalRegion] = []
    for index, name in enumerate(names):
        gateway = LocalGateway(handler, gateway_config(args, access, name), invoke_lock=lock)
        port = args.port + index if args.port else 0
        try:
            regions.append(LocalRegion(name, gateway, LocalApiServer((args.host, port), gateway)))
        except ListenError as error:
            for region in regions:
                region.close()
            print(listen_error(args.host, port, error, name), file=sys.stderr)
            return 1
    control = LocalRegions(regions)
    with contextlib.ExitStack() as stack:
        stack.callback(control.close_all)  # before the stream readers stop (LIFO)
        statuses = []
        for region in regions:
            region.gateway.add_local_route(CONTROL_PATH, control.route)
            status, region.poller = stack.enter_context(
                domain_events(
                    region.gateway,
                    args.dynamodb_endpoint,
                    region.name,
                    region.url,
                    store_region=store_region,
                )
            )
            statuses.append(status)
        for region in regions:
            region.serve()
        endpoints = [(region.name, region.url) for region in regions]
        print(banner(endpoints, key_pair, storage, access), flush=True)
        print("\n".join(statuses), flush=True)
        try:
            while True:
                time.sleep(3600)  # the regions serve in their own threads; signals end this
        except KeyboardInterrupt:
            print("\nShutting down.", flush=True)
    return 0

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
import shlex
import signal
import sys
from collections.abc import Iterator
from pathlib import Path
from types import FrameType

from local_api.credentials import EXAMPLE_KEY_PAIR, KeyPair, key_pair_from_environment
from local_api.gateway import FunctionHandler, GatewayConfig, LocalGateway
from local_api.http_server import ListenError, LocalApiServer
from local_api.principals import ENV_VARIABLE, LocalAccess, PrincipalsError, load_local_access
from local_api.proxy_response import HttpResponse

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


def try_it_lines(url: str, key_pair: KeyPair, region: str) -> list[str]:
    """The lines to paste into another shell: the exports and the first signed calls. The
    README's quick start shows the same lines for the defaults (a test holds them equal)."""
    defaults = key_pair.secret_access_key == EXAMPLE_KEY_PAIR.secret_access_key
    secret = key_pair.secret_access_key if defaults else "<the value of AWS_SECRET_ACCESS_KEY>"
    lines = [
        f"export PRODUCTS_API_URL={url}",
        f"export AWS_ACCESS_KEY_ID={key_pair.access_key_id}"
        f" AWS_SECRET_ACCESS_KEY={shlex.quote(secret)}",
    ]
    if key_pair.session_token:
        lines.append("export AWS_SESSION_TOKEN=<the value of AWS_SESSION_TOKEN>")
    return lines + [
        "make products ARGS=\"create --name 'Desk lamp' --description 'Warm white'\"",
        'make products ARGS="list"',
        f".venv/bin/awscurl --service execute-api --region {region}"
        ' "$PRODUCTS_API_URL/products?pageSize=10"',
    ]


def banner(url: str, key_pair: KeyPair, region: str, storage: str, access: LocalAccess) -> str:
    """What a developer needs to call the API: URL, credentials and signed example calls."""
    defaults = key_pair.secret_access_key == EXAMPLE_KEY_PAIR.secret_access_key
    persistence = (
        "Data lives in memory and is lost on exit; to keep it, run `make dynamodb-local` in"
        " another terminal and then `make run DYNAMODB_ENDPOINT=http://127.0.0.1:8000`."
        if storage.startswith("embedded")
        else "Data lives in that DynamoDB."
    )
    return "\n".join(
        [
            f"Local API listening on {url}",
            "  API Gateway (REST, Lambda proxy) with IAM auth: every call must be SigV4-signed",
            f"  for service execute-api in region {region}.",
            f"  Accepted credentials: AWS_ACCESS_KEY_ID={key_pair.access_key_id}"
            + (
                f" AWS_SECRET_ACCESS_KEY={key_pair.secret_access_key}"
                if defaults
                else " (from this environment)"
            ),
            *(
                [f"  Also accepted: {len(access.principals) - 1} principal(s) from {ENV_VARIABLE}"]
                if len(access.principals) > 1
                else []
            ),
            *(
                [f"  Calls only from: {', '.join(access.allowed_source_cidrs)}"]
                if access.allowed_source_cidrs
                else []
            ),
            f"  Storage: {storage}",
            f"  Docs: {url}/docs (OpenAPI document: {url}/openapi.json)",
            "",
            "Try it from another shell in this folder:",
            *(f"  {line}" for line in try_it_lines(url, key_pair, region)),
            "",
            persistence,
            "Press Ctrl-C to stop.",
        ]
    )


def print_line(line: str) -> None:
    """One line on stdout in a single write: the access log on stderr shares the terminal (or
    file) from other threads, and ``print`` writes the text and its newline separately."""
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


@contextlib.contextmanager
def domain_events(
    gateway: LocalGateway, endpoint_url: str | None, region: str, url: str
) -> Iterator[str]:
    """Run the stream handler on the table's stream and serve its events at /_local/events;
    yields the line that tells the developer so (or why events are off)."""
    from botocore.exceptions import BotoCoreError, ClientError

    from local_api.event_pipeline import StreamUnavailable, local_pipeline
    from local_api.local_event_bus import events_page_body

    try:
        poller, bus = local_pipeline(
            endpoint_url,
            os.environ["TABLE_NAME"],
            region,
            lock=gateway.invoke_lock,
            echo=print_line,
        )
    except (StreamUnavailable, BotoCoreError, ClientError) as error:
        # The API itself still works; say plainly that no events will be published.
        yield f"Domain events: off ({error})"
        return
    gateway.add_local_page(
        EVENTS_PATH,
        lambda: HttpResponse(200, [("Content-Type", "application/json")], events_page_body(bus)),
    )
    with poller.running():
        yield f"Domain events: {url}{EVENTS_PATH} (each one is also printed here as a JSON line)"


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
    region = os.environ.get("AWS_REGION") or os.environ["AWS_DEFAULT_REGION"]
    from local_api.storage import StorageError, dynamodb_storage

    try:
        with dynamodb_storage(args.dynamodb_endpoint, os.environ["TABLE_NAME"], region) as where:
            gateway = LocalGateway(
                load_handler(args.handler),
                GatewayConfig(
                    access,
                    region,
                    stage=args.stage,
                    cors_allow_origin=os.environ.get("CORS_ALLOW_ORIGIN", "*"),
                ),
            )
            try:
                server = LocalApiServer((args.host, args.port), gateway)
            except ListenError as error:
                hint = (
                    " (another process has it: try make run PORT=8123)" if error.port_in_use else ""
                )
                print(
                    f"error: cannot listen on {args.host}:{args.port}: {error}{hint}",
                    file=sys.stderr,
                )
                return 1
            # The stream is read from here on, before the banner says the server is ready.
            with domain_events(gateway, args.dynamodb_endpoint, region, server.url) as status:
                print(banner(server.url, key_pair, region, where, access), flush=True)
                print(status, flush=True)
                server.serve_forever()  # returns on Ctrl-C / SIGTERM (werkzeug catches it)
                print("\nShutting down.", flush=True)
    except StorageError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0

"""``products``: the products API from the command line (JSON on stdout, errors on stderr).

Examples::

    products create --name "Desk lamp" --description "Warm white"
    products list --page-size 50                   # one JSON object per line, page by page
    products --output table list
    products update <id> --name "Desk lamp XL" --if-match 1
    products --stage dev get <id>                  # URL from cdk-outputs/dev.json
    products --endpoint us-east-1=http://127.0.0.1:3000 \\
             --endpoint us-west-2=http://127.0.0.1:3001 list   # fails over to us-west-2
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from collections.abc import Iterable, Iterator
from importlib import metadata
from typing import Any, TextIO

from app import contract
from app.domain import model
from app.domain.fields import Kind
from products_client.client import (
    ApiError,
    ClientError,
    ProductsClient,
    endpoint_from_stack,
    endpoints_from_stage,
)
from products_client.endpoints import split_endpoint_list
from products_client.operations import BODY_FIELDS, python_name

DEFAULT_ENDPOINT = "http://127.0.0.1:3000"  # what `make run` serves
ENDPOINT_ENV = "PRODUCTS_API_URL"
DISTRIBUTION = "products-api"  # the project that installs the command

# Widths of the table's columns by kind of field; text columns come last, and the last column is
# never padded or cut.
_COLUMN_WIDTHS = {Kind.ID: 36, Kind.TIMESTAMP: 24, Kind.VERSION: 7, Kind.TEXT: 30}
# Table columns: (JSON field, heading, width), from the product's field declarations.
TABLE_COLUMNS = tuple(
    (declared.json_name, python_name(declared.json_name).replace("_", " ").upper(), width)
    for declared, width in [
        (d, _COLUMN_WIDTHS[d.kind])
        for d in sorted(model.PRODUCT_FIELDS, key=lambda d: d.kind is Kind.TEXT)
    ]
)


def version() -> str:
    """The installed project's version (``unknown`` when run from an uninstalled checkout)."""
    try:
        return metadata.version(DISTRIBUTION)
    except metadata.PackageNotFoundError:
        return "unknown"


def build_parser() -> argparse.ArgumentParser:
    """The command line: global target options, then one subcommand per operation."""
    parser = argparse.ArgumentParser(
        prog="products",
        description="Call the products API with SigV4-signed requests.",
        epilog="Credentials come from the standard AWS chain (environment variables, profile).",
    )
    target = parser.add_mutually_exclusive_group()
    target.add_argument(
        "--endpoint",
        action="append",
        metavar="[REGION=]URL",
        help="API base URL, with the region to sign for when the URL does not say it"
        " (us-west-2=http://127.0.0.1:3001); repeat it for several regions, in order of"
        f" preference (default: ${ENDPOINT_ENV}, comma-separated, or {DEFAULT_ENDPOINT})",
    )
    target.add_argument(
        "--stage",
        metavar="NAME",
        help="every region's API URL from cdk-outputs/NAME.json (written by make deploy"
        " STAGE=NAME), in the file's order",
    )
    target.add_argument("--stack-name", help="read the API URL from this CloudFormation stack")
    parser.add_argument(
        "--region",
        help="the region to sign for when the one endpoint does not say it (default: the"
        " profile's, else us-east-1); with endpoints in several regions, the one to try first",
    )
    parser.add_argument("--profile", help="AWS shared-config profile to sign with")
    parser.add_argument(
        "--output",
        choices=("json", "table"),
        default="json",
        help="json (default; list prints one product per line) or an aligned table",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {version()}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for operation in contract.OPERATIONS:
        _add_command(commands, operation)
    return parser


def _option(json_name: str) -> str:
    return "--" + python_name(json_name).replace("_", "-")


def _add_command(commands: Any, operation: contract.Operation) -> None:
    """The sub-command of ``operation``: its path parameters, the fields its body sets, and the
    headers it takes, as arguments."""
    summary = operation.summary[0].lower() + operation.summary[1:]
    if operation.response == "page":
        summary += " (follows every page, printing each as it arrives)"
    command = commands.add_parser(operation.command, help=summary)
    for name in operation.path_parameters:
        command.add_argument(name)
    for declared in BODY_FIELDS[operation.body]:
        option = _option(declared.json_name)
        if operation.body == "update" and declared.nullable:
            either = command.add_mutually_exclusive_group()
            either.add_argument(option, help=declared.summary)
            either.add_argument(
                f"--clear-{option[2:]}", action="store_true", help=f"remove the {option[2:]}"
            )
        else:
            required = operation.body == "create" and declared.required
            command.add_argument(option, required=required, help=declared.summary)
    if operation.conditional:
        command.add_argument(
            "--if-match", type=int, metavar="VERSION", help="fail unless at VERSION"
        )
    if operation.idempotent:
        command.add_argument(
            "--idempotency-key",
            metavar="KEY",
            help="repeat the request safely: the same KEY and request return the same product"
            " (default: a fresh key per command)",
        )
    if operation.response == "page":
        command.add_argument(
            "--page-size",
            type=int,
            help=f"products per request ({model.PAGE_SIZE_MIN}-{model.PAGE_SIZE_MAX})",
        )


def endpoints(args: argparse.Namespace) -> list[str]:
    """Where to send requests, in order of preference: --stage, --stack-name, --endpoint (each
    ``[REGION=]URL``), $PRODUCTS_API_URL (comma-separated), or the local API."""
    if args.stage:
        return endpoints_from_stage(args.stage)
    if args.stack_name:
        return [endpoint_from_stack(args.stack_name, region=args.region, profile=args.profile)]
    if args.endpoint:
        return list(args.endpoint)
    return split_endpoint_list(os.environ.get(ENDPOINT_ENV) or DEFAULT_ENDPOINT)


def run(args: argparse.Namespace) -> Iterator[dict[str, Any]] | dict[str, Any] | None:
    """Execute the parsed command: one product, an iterator of products (list), or None."""
    client = ProductsClient(endpoints(args), region=args.region, profile=args.profile)
    (operation,) = [op for op in contract.OPERATIONS if op.command == args.command]
    if operation.response == "page":
        # A generator: each page is fetched only when the previous one has been printed.
        products: Iterator[dict[str, Any]] = client.iter_products(args.page_size)
        return products
    fields: dict[str, Any] = {}
    for declared in BODY_FIELDS[operation.body]:
        name = python_name(declared.json_name)
        if getattr(args, f"clear_{name}", False):
            fields[name] = None
        elif getattr(args, name) is not None:
            fields[name] = getattr(args, name)
    result: dict[str, Any] | None = client.invoke(
        operation,
        tuple(getattr(args, name) for name in operation.path_parameters),
        fields=fields,
        if_match=getattr(args, "if_match", None),
        idempotency_key=getattr(args, "idempotency_key", None),
    )
    return result


def table_row(values: Iterable[str]) -> str:
    """One table line: every column but the last padded (or cut with ...) to its width."""
    cells = []
    for (_, _, width), value in zip(TABLE_COLUMNS, values):
        if width and len(value) > width:
            value = value[: width - 3] + "..."
        cells.append(value.ljust(width))
    return "  ".join(cells).rstrip()


def print_products(
    products: Iterable[dict[str, Any]], output: str, many: bool, out: TextIO
) -> None:
    """Print as each product arrives (flushed), so a long listing shows up page by page."""
    if output == "table":
        print(table_row(heading for _, heading, _ in TABLE_COLUMNS), file=out, flush=True)
    for product in products:
        if output == "table":
            line = table_row(
                "" if product.get(key) is None else str(product[key]) for key, _, _ in TABLE_COLUMNS
            )
        elif many:
            line = json.dumps(product, ensure_ascii=False)  # JSON lines: one product per line
        else:
            line = json.dumps(product, indent=2, ensure_ascii=False)
        print(line, file=out, flush=True)


class FailoverNotes(logging.Handler):
    """Prints the client's failovers and retries on the standard error of the moment, as
    ``note: ...`` lines, so a caller sees which region answered."""

    def emit(self, record: logging.LogRecord) -> None:
        """One ``note:`` line."""
        print(f"note: {record.getMessage()}", file=sys.stderr, flush=True)


def show_failovers() -> None:
    """Have the client's log of failovers and retries printed (once per process)."""
    client_logger = logging.getLogger("products_client")
    if not any(isinstance(handler, FailoverNotes) for handler in client_logger.handlers):
        client_logger.addHandler(FailoverNotes())
    client_logger.setLevel(logging.INFO)


def main(argv: list[str] | None = None) -> int:
    """Console entry point: exit 0 on success, 1 on an API or connection error, 2 on usage."""
    args = build_parser().parse_args(argv)
    show_failovers()
    try:
        result = run(args)
        if isinstance(result, dict):
            print_products([result], args.output, many=False, out=sys.stdout)
        elif result is not None:
            print_products(result, args.output, many=True, out=sys.stdout)
    except ApiError as error:
        print(f"error: {error}", file=sys.stderr)
        if error.request_id:
            print(f"  request id: {error.request_id}", file=sys.stderr)
        return 1
    except ClientError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    except BrokenPipeError:  # e.g. `products list | head`: the reader is done, so are we
        # Point stdout at /dev/null so the interpreter's final flush does not fail again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except Exception as error:  # botocore/boto3 failures (e.g. --stack-name): say so, no traceback
        if type(error).__module__.split(".")[0] not in ("botocore", "boto3"):
            raise
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""``products``: the products API from the command line (JSON on stdout, errors on stderr).

Examples::

    products create --name "Desk lamp" --description "Warm white"
    products list --page-size 50
    products update <id> --name "Desk lamp XL" --if-match 1
    products --stack-name ProductsApiStack get <id>
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Any

from products_client.client import (
    UNSET,
    ApiError,
    ClientError,
    ProductsClient,
    Unset,
    endpoint_from_stack,
)

DEFAULT_ENDPOINT = "http://127.0.0.1:3000"  # what `make run` serves
ENDPOINT_ENV = "PRODUCTS_API_URL"


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
        help=f"API base URL (default: ${ENDPOINT_ENV} or {DEFAULT_ENDPOINT}, the local API)",
    )
    target.add_argument("--stack-name", help="read the API URL from this CloudFormation stack")
    parser.add_argument("--region", help="signing region (default: from the URL, then profile)")
    parser.add_argument("--profile", help="AWS shared-config profile to sign with")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    create = commands.add_parser("create", help="create a product")
    create.add_argument("--name", required=True)
    create.add_argument("--description")
    create.add_argument(
        "--idempotency-key",
        metavar="KEY",
        help="repeat a create safely: the same KEY and request return the same product"
        " (default: a fresh key per command)",
    )

    get = commands.add_parser("get", help="show one product")
    get.add_argument("id")

    update = commands.add_parser("update", help="change a product's name and/or description")
    update.add_argument("id")
    update.add_argument("--name")
    description = update.add_mutually_exclusive_group()
    description.add_argument("--description")
    description.add_argument(
        "--clear-description", action="store_true", help="remove the description"
    )
    update.add_argument("--if-match", type=int, metavar="VERSION", help="fail unless at VERSION")

    delete = commands.add_parser("delete", help="delete a product")
    delete.add_argument("id")
    delete.add_argument("--if-match", type=int, metavar="VERSION", help="fail unless at VERSION")

    listing = commands.add_parser("list", help="list products (follows every page)")
    listing.add_argument("--page-size", type=int, help="products per request (1-100)")
    return parser


def run(args: argparse.Namespace) -> Any:
    """Execute the parsed command; returns what to print (None prints nothing)."""
    if args.stack_name:
        endpoint = endpoint_from_stack(args.stack_name, region=args.region, profile=args.profile)
    else:
        endpoint = args.endpoint or os.environ.get(ENDPOINT_ENV) or DEFAULT_ENDPOINT
    client = ProductsClient(endpoint, region=args.region, profile=args.profile)
    if args.command == "create":
        return client.create(args.name, args.description, idempotency_key=args.idempotency_key)
    if args.command == "get":
        return client.get(args.id)
    if args.command == "update":
        description: str | None | Unset = UNSET
        if args.clear_description:
            description = None
        elif args.description is not None:
            description = args.description
        return client.update(
            args.id,
            name=args.name if args.name is not None else UNSET,
            description=description,
            if_match=args.if_match,
        )
    if args.command == "delete":
        client.delete(args.id, if_match=args.if_match)
        return None
    return list(client.iter_products(args.page_size))


def main(argv: list[str] | None = None) -> int:
    """Console entry point: exit 0 on success, 1 on an API or connection error, 2 on usage."""
    args = build_parser().parse_args(argv)
    try:
        result = run(args)
    except ApiError as error:
        print(f"error: {error}", file=sys.stderr)
        if error.request_id:
            print(f"  request id: {error.request_id}", file=sys.stderr)
        return 1
    except ClientError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    except Exception as error:  # botocore/boto3 failures (e.g. --stack-name): say so, no traceback
        if type(error).__module__.split(".")[0] not in ("botocore", "boto3"):
            raise
        print(f"error: {error}", file=sys.stderr)
        return 1
    if result is not None:
        print(json.dumps(result, indent=2, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())

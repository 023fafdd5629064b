"""The OpenAPI 3.1 document of the API (build time only).

``python -m tools.apidocs.openapi [PATH]`` writes it (``make openapi``, to ``docs/openapi.json``);
``--check`` exits 1 when the file on disk is stale instead of writing it. Nothing here runs inside
the Lambda function; the local API serves the committed file.

Everything in it is derived: the paths and operations from ``app.contract.OPERATIONS``
(``operations``), the bodies from the product's field declarations (``schemas``), the parameters
from the request rules (``parameters``) and API Gateway's own answers (``gateway_responses``).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from tools.apidocs import schemas
from tools.apidocs.operations import TAG, paths
from tools.releases.versions import project_version

# Where the deployed API lives: API Gateway's default endpoint, with the stage as the base path.
DEPLOYED_SERVER: dict[str, Any] = {
    "url": "https://{restApiId}.execute-api.{region}.amazonaws.com/{stage}",
    "description": "The deployed API (the stack's ApiUrl output)",
    "variables": {
        "restApiId": {"default": "a1b2c3d4e5", "description": "The REST API's id"},
        "region": {"default": "us-east-1", "description": "The stack's region"},
        "stage": {"default": "dev", "description": "The stage the stack was deployed as"},
    },
}
LOCAL_SERVER: dict[str, Any] = {"url": "http://127.0.0.1:3000", "description": "`make run`"}
# The form API Gateway documents for IAM authorisation in OpenAPI.
SIGV4 = {
    "type": "apiKey",
    "name": "Authorization",
    "in": "header",
    "x-amazon-apigateway-authtype": "awsSigv4",
    "description": (
        "AWS Signature Version 4 for service execute-api: sign each request with the caller's AWS"
        " credentials (X-Amz-Date, and X-Amz-Security-Token for temporary credentials)."
    ),
}


def openapi_document(servers: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """The OpenAPI 3.1 document of this API.

    ``servers`` defaults to the deployed API (stage as base path) and ``make run``'s address; the
    local server passes its own address instead.
    """
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Products API",
            "version": str(project_version()),
            "description": (
                "CRUD API for products. Every operation requires an AWS Signature Version 4"
                " (service execute-api) from an IAM principal allowed to invoke the API."
            ),
        },
        "servers": servers or [DEPLOYED_SERVER, LOCAL_SERVER],
        "security": [{"sigv4": []}],
        "tags": [{"name": TAG, "description": "Products: create, read, update, delete, list"}],
        "paths": paths(),
        "components": {"schemas": schemas.components(), "securitySchemes": {"sigv4": SIGV4}},
    }


DEFAULT_PATH = Path("docs/openapi.json")


def render_document(server_url: str | None = None) -> str:
    """The OpenAPI 3.1 document as committed (pretty JSON, sorted keys, trailing newline); with
    ``server_url``, the document a server at that address serves (its only ``servers`` entry)."""
    servers = [{"url": server_url, "description": "This local API"}] if server_url else None
    document = openapi_document(servers)
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    """Write (or with --check, verify) the committed OpenAPI document."""
    parser = argparse.ArgumentParser(prog="python -m tools.apidocs.openapi", description=__doc__)
    parser.add_argument("path", nargs="?", type=Path, default=DEFAULT_PATH)
    parser.add_argument("--check", action="store_true", help="fail if the file is stale")
    args = parser.parse_args(argv)
    document = render_document()
    if args.check:
        current = args.path.read_text(encoding="utf-8") if args.path.exists() else ""
        if current != document:
            print(f"{args.path} is stale: run `make openapi`", file=sys.stderr)
            return 1
        return 0
    args.path.parent.mkdir(parents=True, exist_ok=True)
    args.path.write_text(document, encoding="utf-8")
    print(f"wrote {args.path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

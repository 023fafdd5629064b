"""The OpenAPI 3.1 document of the API (build time only).

``python -m tools.apidocs.openapi [PATH]`` writes it (``make openapi``, to ``docs/openapi.json``);
``--check`` exits 1 when the file on disk is stale instead of writing it. Nothing here runs inside
the Lambda function; the local API serves the committed file.

Powertools generates the paths, bodies and schemas from the documented routes (``operations``)
and the pydantic models in ``schemas``. This module adds what the resolver cannot know: the
answers API Gateway gives before the function runs (403, 413, 429, 502/504,
``gateway_responses``), the headers the response builders always
set (``ETag``, ``Location``, ``Retry-After``), the query and header parameters the routes read
themselves, the SigV4 security scheme and the servers.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from aws_lambda_powertools.event_handler.openapi.models import APIKey, Server
from pydantic import BaseModel

from app import contract
from app.entrypoints.api.responses import JSON_MEDIA_TYPE
from tools.apidocs import schemas
from tools.apidocs.gateway_responses import GATEWAY_RESPONSES, PAYLOAD_TOO_LARGE
from tools.apidocs.operations import SCHEMA_REFERENCE_PREFIX, documented_resolver
from tools.apidocs.parameters import add_parameters, document_idempotent_create
from tools.releases.versions import project_version

OPERATIONS_TAG = "products"
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

_VERSION_ETAG = {
    "description": "The product's version as a strong entity tag, for If-Match",
    "required": True,
    "schema": {"type": "string", "pattern": '^"[1-9][0-9]*"$', "examples": ['"2"']},
}


def openapi_document(servers: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """The OpenAPI 3.1 document of this API, generated from the resolver (no AWS needed).

    ``servers`` defaults to the deployed API (stage as base path) and ``make run``'s address; the
    local server passes its own address instead.
    """
    resolver = documented_resolver()
    document: dict[str, Any] = json.loads(
        resolver.get_openapi_json_schema(
            title="Products API",
            version=str(project_version()),
            description=(
                "CRUD API for products. Every operation requires an AWS Signature Version 4"
                " (service execute-api) from an IAM principal allowed to invoke the API."
            ),
            servers=[
                Server.model_validate(server)
                for server in (servers or [DEPLOYED_SERVER, LOCAL_SERVER])
            ],
            security_schemes={
                # The form API Gateway documents for IAM authorisation in OpenAPI.
                "sigv4": APIKey.model_validate(
                    {
                        "type": "apiKey",
                        "name": "Authorization",
                        "in": "header",
                        "x-amazon-apigateway-authtype": "awsSigv4",
                        "description": (
                            "AWS Signature Version 4 for service execute-api: sign each request"
                            " with the caller's AWS credentials (X-Amz-Date, and"
                            " X-Amz-Security-Token for temporary credentials)."
                        ),
                    }
                )
            },
            security=[{"sigv4": []}],
        )
    )
    _add_response_bodies(document)
    _add_request_bodies(document)
    add_parameters(document)
    _describe_responses(document)
    document_idempotent_create(document["paths"]["/products"]["post"])
    _name_operations_and_link_them(document)
    _tag_operations(document)
    _drop_unreferenced_schemas(document)
    return document


def _tag_operations(document: dict[str, Any]) -> None:
    """Every operation under one ``products`` tag (Swagger UI's group), not Powertools' default."""
    document["tags"] = [
        {"name": OPERATIONS_TAG, "description": "Products: create, read, update, delete, list"}
    ]
    for path_item in document["paths"].values():
        for operation in path_item.values():
            operation["tags"] = [OPERATIONS_TAG]


def _add_component(document: dict[str, Any], body_model: type[BaseModel]) -> str:
    """Add ``body_model`` (and the models it nests) to the components; its name."""
    schemas_section = document.setdefault("components", {}).setdefault("schemas", {})
    schema = body_model.model_json_schema(ref_template=SCHEMA_REFERENCE_PREFIX + "{model}")
    schemas_section.update(schema.pop("$defs", {}))
    schemas_section[body_model.__name__] = schema
    return body_model.__name__


def _add_response_bodies(document: dict[str, Any]) -> None:
    # The routes name their bodies' models (the function does not import pydantic): add them.
    for body_model in (schemas.ProductResponse, schemas.ProductPageResponse, schemas.ErrorResponse):
        _add_component(document, body_model)


def _add_request_bodies(document: dict[str, Any]) -> None:
    # The routes read their bodies themselves (see ``messages``): the models go in here.
    for path, method, request_model in (
        ("/products", "post", schemas.CreateProductRequest),
        ("/products/{product_id}", "put", schemas.UpdateProductRequest),
    ):
        name = _add_component(document, request_model)
        document["paths"][path][method]["requestBody"] = {
            "required": True,
            "content": {JSON_MEDIA_TYPE: {"schema": {"$ref": SCHEMA_REFERENCE_PREFIX + name}}},
        }


def _describe_responses(document: dict[str, Any]) -> None:
    product_ref = "#/components/schemas/ProductResponse"
    for operations in document["paths"].values():
        for method, operation in operations.items():
            responses: dict[str, Any] = operation["responses"]
            # This API reports every validation error as 400, never Powertools' default 422.
            responses.pop("422", None)
            for status, response in responses.items():
                schema = response.get("content", {}).get(JSON_MEDIA_TYPE, {}).get("schema", {})
                if schema.get("$ref") == product_ref:  # every product answer carries its ETag
                    response.setdefault("headers", {})["ETag"] = dict(_VERSION_ETAG)
                if status == "204":  # No Content means no body (and no Content-Type)
                    response.pop("content", None)
                if status == "412":
                    response["headers"] = {
                        "ETag": {**_VERSION_ETAG, "description": "The current version's ETag"}
                    }
            if "201" in responses:
                responses["201"].setdefault("headers", {})["Location"] = {
                    "description": "The new product's path",
                    "required": True,
                    "schema": {
                        "type": "string",
                        "examples": ["/products/3f1c7c7e-4b7a-4e8b-9b1a-0c2d3e4f5a6b"],
                    },
                }
            for status, response in GATEWAY_RESPONSES.items():
                responses[status] = json.loads(json.dumps(response))
            if "requestBody" in operation:
                responses.update(json.loads(json.dumps(PAYLOAD_TOO_LARGE)))
            operation["responses"] = dict(sorted(responses.items()))


# Stable, readable operation ids (Powertools derives them from function names and paths).
_OPERATION_IDS = {
    ("/products", "get"): "listProducts",
    ("/products", "post"): "createProduct",
    ("/products/{id}", "get"): "getProduct",
    ("/products/{id}", "put"): "updateProduct",
    ("/products/{id}", "delete"): "deleteProduct",
}


def _name_operations_and_link_them(document: dict[str, Any]) -> None:
    # Links say how a product answer leads to the next calls (its id, its ETag for If-Match):
    # clients and stateful fuzzers can follow them from a create to a read, update and delete.
    for (path, method), operation_id in _OPERATION_IDS.items():
        document["paths"][path][method]["operationId"] = operation_id
    parameter = contract.PRODUCT_ID_PARAMETER
    follow_ups = {
        "GetProduct": ("getProduct", {parameter: "$response.body#/id"}),
        "UpdateProduct": (
            "updateProduct",
            {parameter: "$response.body#/id", "header.If-Match": "$response.header.ETag"},
        ),
        "DeleteProduct": (
            "deleteProduct",
            {parameter: "$response.body#/id", "header.If-Match": "$response.header.ETag"},
        ),
    }
    links = {
        name: {"operationId": operation_id, "parameters": parameters}
        for name, (operation_id, parameters) in follow_ups.items()
    }
    for path, method, status in (
        ("/products", "post", "201"),
        ("/products/{id}", "get", "200"),
        ("/products/{id}", "put", "200"),
    ):
        document["paths"][path][method]["responses"][status]["links"] = json.loads(
            json.dumps(links)
        )


def _drop_unreferenced_schemas(document: dict[str, Any]) -> None:
    # Powertools adds its validation-error schemas whatever the routes use; keep only what the
    # document refers to (transitively), so no reference dangles and nothing unused is listed.
    schemas_section: dict[str, Any] = document["components"]["schemas"]
    prefix = "#/components/schemas/"
    referenced: set[str] = set()
    pending = [{key: value for key, value in document.items() if key != "components"}]
    while pending:
        node = pending.pop()
        text = json.dumps(node)
        for name in schemas_section:
            if f'"{prefix}{name}"' in text and name not in referenced:
                referenced.add(name)
                pending.append(schemas_section[name])
    for name in set(schemas_section) - referenced:
        del schemas_section[name]


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

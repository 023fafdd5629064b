"""The OpenAPI 3.1 document of the API, generated from the resolver (build time only).

``make openapi`` writes it to ``docs/openapi.json`` (through ``local_api.openapi``); nothing here
runs inside the Lambda, so the handler never imports this module.

Powertools generates the paths, bodies and schemas from the routes and the pydantic models in
``schemas``. This module adds what the resolver cannot know: the answers API Gateway gives before
the function runs (403, 413, 429, 502/504), the headers the response builders in ``routes`` always
set (``ETag``, ``Location``, ``Retry-After``), the query and header parameters the routes read
themselves, the SigV4 security scheme and the servers.
"""

from __future__ import annotations

import json
from typing import Any, cast

from aws_lambda_powertools import Logger, Metrics
from pydantic import BaseModel

from app import contract
from app.domain import model
from app.domain.ports import ProductRepository
from app.entrypoints.api import messages, routes, schemas
from app.entrypoints.api.routes import JSON_MEDIA_TYPE, SCHEMA_REFERENCE_PREFIX

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

_ERROR_SCHEMA = {"$ref": "#/components/schemas/ErrorResponse"}
_VERSION_ETAG = {
    "description": "The product's version as a strong entity tag, for If-Match",
    "required": True,
    "schema": {"type": "string", "pattern": '^"[1-9][0-9]*"$', "examples": ['"2"']},
}
_PRODUCT_ID = {
    "type": "string",
    "format": "uuid",
    "examples": ["3f1c7c7e-4b7a-4e8b-9b1a-0c2d3e4f5a6b"],
}
# Plain text, no angle brackets: Swagger UI renders descriptions as Markdown (HTML included).
_IF_MATCH = {
    "name": "If-Match",
    "in": "header",
    "required": False,
    "description": (
        'Optimistic locking: the ETag of the version you read, such as "3" (with the quotes); '
        "the write fails with 412 if the product has moved on. * or no header: any version."
    ),
    "schema": {"type": "string", "pattern": '^(\\*|"[1-9][0-9]{0,17}")$', "examples": ['"3"']},
}


def _error(description: str, **examples: str) -> dict[str, Any]:
    """A response with the JSON error body; each example is a ``message``."""
    content = {
        "schema": _ERROR_SCHEMA,
        "examples": {name: {"value": {"message": text}} for name, text in examples.items()},
    }
    return {"description": description, "content": {JSON_MEDIA_TYPE: content}}


# What API Gateway answers itself, before (or instead of) the function: every operation.
_GATEWAY_RESPONSES: dict[str, dict[str, Any]] = {
    "403": {
        **_error(
            "Not authorised by API Gateway: no SigV4 signature (also any undefined route), an"
            " unknown key or session token, or a signature that does not match the request",
            unsigned="Missing Authentication Token",
            unknown_key="The security token included in the request is invalid.",
            bad_signature=(
                "The request signature we calculated does not match the signature you provided."
                " Check your AWS Secret Access Key and signing method."
            ),
        ),
        "headers": {
            "x-amzn-ErrorType": {
                "description": "API Gateway's error type",
                "schema": {"type": "string", "examples": ["MissingAuthenticationTokenException"]},
            }
        },
    },
    "429": _error("Throttled by the stage's rate limit", throttled="Too Many Requests"),
    "500": _error("A bug: details only in the logs", bug="Internal server error"),
    "502": _error("The function failed (API Gateway's answer)", bad="Internal server error"),
    "503": {
        **_error(
            "The product store is throttled or unavailable; retry after Retry-After seconds",
            unavailable="Service temporarily unavailable, retry later",
        ),
        "headers": {
            "Retry-After": {
                "description": "Seconds to wait before retrying",
                "required": True,
                "schema": {"type": "integer", "minimum": 0, "examples": [1]},
            }
        },
    },
    "504": _error(
        "The function timed out (API Gateway's answer)", timeout="Endpoint request timed out"
    ),
}
# Only requests with a body can exceed API Gateway's 10 MB payload quota.
_PAYLOAD_TOO_LARGE = {"413": _error("Request body over 10 MB", too_large="Request Too Long")}


def openapi_document(servers: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """The OpenAPI 3.1 document of this API, generated from the resolver (no AWS needed).

    ``servers`` defaults to the deployed API (stage as base path) and ``make run``'s address; the
    local server passes its own address instead.
    """
    # Imported here: the OpenAPI models cost cold-start time; only this build-time tool needs them.
    from aws_lambda_powertools.event_handler.openapi.models import APIKey, Server

    # The routes are only inspected, never called, so no repository is needed.
    resolver = routes.build_resolver(
        cast(ProductRepository, None),
        logger=Logger(service=contract.SERVICE_NAME),
        metrics=Metrics(namespace=contract.METRICS_NAMESPACE, service=contract.SERVICE_NAME),
    )
    document: dict[str, Any] = json.loads(
        resolver.get_openapi_json_schema(
            title="Products API",
            version="1.0.0",
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
    _add_parameters(document)
    _describe_responses(document)
    _document_idempotent_create(document["paths"]["/products"]["post"])
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


def _add_parameters(document: dict[str, Any]) -> None:
    document["paths"]["/products"]["get"]["parameters"] = [
        {
            "name": "pageSize",
            "in": "query",
            "required": False,
            "description": "Products per page",
            "schema": {
                "type": "integer",
                "minimum": model.PAGE_SIZE_MIN,
                "maximum": model.PAGE_SIZE_MAX,
                "default": model.PAGE_SIZE_DEFAULT,
                "examples": [10],
            },
        },
        {
            "name": "nextToken",
            "in": "query",
            "required": False,
            "description": "The nextToken of the previous page, exactly as received",
            "schema": {"type": "string", "pattern": messages.NEXT_PAGE_PATTERN},
        },
    ]
    for method in ("put", "delete"):
        operation = document["paths"]["/products/{product_id}"][method]
        operation.setdefault("parameters", []).append(dict(_IF_MATCH))
    # Name the path parameter as API Gateway's resource does.
    document["paths"][f"/products/{{{contract.PRODUCT_ID_PARAMETER}}}"] = document["paths"].pop(
        "/products/{product_id}"
    )
    for operations in document["paths"].values():
        for operation in operations.values():
            for parameter in operation.get("parameters", []):
                if parameter["name"] == "product_id":
                    parameter.update(
                        name=contract.PRODUCT_ID_PARAMETER,
                        description="The product's id (ids the API never issued: 404)",
                        schema=dict(_PRODUCT_ID),
                    )


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
            for status, response in _GATEWAY_RESPONSES.items():
                responses[status] = json.loads(json.dumps(response))
            if "requestBody" in operation:
                responses.update(json.loads(json.dumps(_PAYLOAD_TOO_LARGE)))
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


def _document_idempotent_create(operation: dict[str, Any]) -> None:
    """``Idempotency-Key`` on ``POST /products``: the header, the replay header and the 422."""
    operation.setdefault("parameters", []).append(
        {
            "name": contract.IDEMPOTENCY_KEY_HEADER,
            "in": "header",
            "required": False,
            "description": (
                "Makes retries safe: a repeat by the same caller with the same key and the same "
                "JSON body creates nothing and answers 201 with the product as it is now (and "
                f"{contract.IDEMPOTENT_REPLAYED_HEADER}: true); the key with another body is a "
                "422. Remembered as long as the product it created exists."
            ),
            "schema": {"type": "string", "minLength": 1, "maxLength": 255, "pattern": "^[!-~]+$"},
        }
    )
    operation["responses"]["201"].setdefault("headers", {})[contract.IDEMPOTENT_REPLAYED_HEADER] = {
        "description": "true when an earlier request with the same Idempotency-Key created it",
        "schema": {"type": "string", "enum": ["true"]},
    }
    operation["responses"]["422"] = {
        "description": "Idempotency-Key already used for another request; nothing written",
        "content": {JSON_MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/ErrorResponse"}}},
    }

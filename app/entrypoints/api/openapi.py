"""The OpenAPI 3.1 document of the API, generated from the resolver (build time only).

``make openapi`` writes it to ``docs/openapi.json`` (through ``local_api.openapi``); nothing here
runs inside the Lambda, so the handler never imports this module.
"""

from __future__ import annotations

import json
from typing import Any, cast

from aws_lambda_powertools import Logger, Metrics

from app import contract
from app.domain import model
from app.domain.ports import ProductRepository
from app.entrypoints.api import routes, schemas
from app.entrypoints.api.routes import JSON_MEDIA_TYPE


def openapi_document() -> dict[str, Any]:
    """The OpenAPI 3.1 document of this API, generated from the resolver (no AWS needed).

    Request bodies and query parameters are read by the routes themselves (see ``schemas``), so
    they are added here, bodies from the same pydantic models that validate them.
    """
    # Imported here: the OpenAPI models cost cold-start time; only this build-time tool needs them.
    from aws_lambda_powertools.event_handler.openapi.models import APIKey, APIKeyIn

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
                "CRUD API for products. Every operation requires an AWS SigV4 signature "
                "(service execute-api)."
            ),
            security_schemes={
                "sigv4": APIKey.model_validate(
                    {
                        "type": "apiKey",
                        "name": "Authorization",
                        "in": APIKeyIn.header,
                        "description": "AWS Signature Version 4 for service execute-api",
                    }
                )
            },
            security=[{"sigv4": []}],
        )
    )
    schemas_section = document.setdefault("components", {}).setdefault("schemas", {})
    for path, method, request_model in (
        ("/products", "post", schemas.CreateProductRequest),
        ("/products/{product_id}", "put", schemas.UpdateProductRequest),
    ):
        name = request_model.__name__
        schemas_section[name] = request_model.model_json_schema(
            ref_template="#/components/schemas/{model}"
        )
        document["paths"][path][method]["requestBody"] = {
            "required": True,
            "content": {JSON_MEDIA_TYPE: {"schema": {"$ref": f"#/components/schemas/{name}"}}},
        }
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
            },
        },
        {
            "name": "nextToken",
            "in": "query",
            "required": False,
            "description": "Opaque token from the previous page",
            "schema": {"type": "string", "pattern": "^[A-Za-z0-9_-]+$"},
        },
    ]
    if_match = {
        "name": "If-Match",
        "in": "header",
        "required": False,
        "description": 'Optimistic locking: "<version>" (412 if the product has moved on) or *',
        "schema": {"type": "string"},
    }
    for method in ("put", "delete"):
        operation = document["paths"]["/products/{product_id}"][method]
        operation.setdefault("parameters", []).append(if_match)
    # Name the path parameter as API Gateway's resource does, and drop Powertools' default 422
    # response: this API reports every validation error as 400.
    document["paths"]["/products/{id}"] = document["paths"].pop("/products/{product_id}")
    for operations in document["paths"].values():
        for operation in operations.values():
            operation["responses"].pop("422", None)
            for parameter in operation.get("parameters", []):
                if parameter["name"] == "product_id":
                    parameter.update(name="id", schema={"type": "string", "format": "uuid"})
    for unused in ("HTTPValidationError", "ValidationError"):
        schemas_section.pop(unused, None)
    _document_idempotent_create(document["paths"]["/products"]["post"])
    return document


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

"""The request and response bodies as pydantic models: what the OpenAPI document shows.

Build-time only, like ``openapi``: the function never imports pydantic. Requests are read by
``app.entrypoints.api.request_bodies`` (standard library, on every request's path);
``tests/unit/test_request_bodies.py`` checks that the readers accept and refuse exactly what the
published JSON Schema does, and that ``messages.product_json`` writes exactly ``ProductResponse``.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from app.domain import model
from app.entrypoints.api import request_rules as rules
from app.entrypoints.api.messages import MAX_FIELD_ERRORS
from app.entrypoints.api.request_rules import NAME_IS_NULL

_NAME_DOC = f"Trimmed; 1..{model.NAME_MAX_LENGTH} characters; no control characters."
_DESCRIPTION_DOC = (
    f"At most {model.DESCRIPTION_MAX_LENGTH} characters; newlines and tabs allowed, "
    "other control characters not."
)
# Realistic values for the document's examples (clients and fuzzers start from them).
_EXAMPLE_ID = "3f1c7c7e-4b7a-4e8b-9b1a-0c2d3e4f5a6b"
_EXAMPLE_NAME = "Desk lamp"
_EXAMPLE_DESCRIPTION = "Warm white, 40 W equivalent"
_EXAMPLE_NEXT_PAGE = "eyJ2IjoxLCJhZnRlciI6IjNmMWM3YzdlLTRiN2EtNGU4Yi05YjFhLTBjMmQzZTRmNWE2YiJ9"
_TIMESTAMP_DOC = "ISO 8601 UTC with millisecond precision"


def _string_not_null(schema: dict[str, Any]) -> None:
    """Describe an optional field that may be omitted but never null as a plain string."""
    schema.pop("anyOf", None)
    schema.pop("default", None)
    schema["type"] = "string"


def _update_name_schema(schema: dict[str, Any]) -> None:
    _string_not_null(schema)
    schema.update(minLength=1, maxLength=model.NAME_MAX_LENGTH)


def _page_token_schema(schema: dict[str, Any]) -> None:
    """A page token is absent on the last page, never null; URL-safe base64 without padding."""
    _string_not_null(schema)
    schema.update(rules.PAGE_TOKEN.schema())


class CreateProductRequest(BaseModel):
    """Body of ``POST /products``."""

    model_config = ConfigDict(
        extra="forbid",
        strict=True,
        json_schema_extra={
            "examples": [{"name": _EXAMPLE_NAME, "description": _EXAMPLE_DESCRIPTION}]
        },
    )

    name: str = Field(
        description=_NAME_DOC,
        examples=[_EXAMPLE_NAME],
        json_schema_extra={"minLength": 1, "maxLength": model.NAME_MAX_LENGTH},
    )
    description: str | None = Field(
        default=None,
        description=_DESCRIPTION_DOC + " Omitted or null: no description.",
        examples=[_EXAMPLE_DESCRIPTION],
        json_schema_extra={"maxLength": model.DESCRIPTION_MAX_LENGTH},
    )


class UpdateProductRequest(BaseModel):
    """Body of ``PUT /products/{id}``: a partial update; ``description: null`` clears it."""

    model_config = ConfigDict(
        extra="forbid",
        strict=True,
        json_schema_extra={"minProperties": 1, "examples": [{"description": None}]},
    )

    name: str | None = Field(
        default=None,
        description=_NAME_DOC + " May be omitted, never null.",
        examples=["Desk lamp (brass)"],
        json_schema_extra=_update_name_schema,
    )
    description: str | None = Field(
        default=None,
        description=_DESCRIPTION_DOC + " null clears it.",
        examples=[_EXAMPLE_DESCRIPTION],
        json_schema_extra={"maxLength": model.DESCRIPTION_MAX_LENGTH},
    )

    @field_validator("name")
    @classmethod
    def _name_not_null(cls, name: str | None) -> str | None:
        # Runs only when the client sent "name" (defaults are not validated): null is not a name.
        if name is None:
            raise ValueError(NAME_IS_NULL)
        return name


class ProductResponse(BaseModel):
    """A product as the API returns it."""

    id: str = Field(
        description="Server-generated UUID",
        examples=[_EXAMPLE_ID],
        json_schema_extra={"format": "uuid"},
    )
    name: str = Field(examples=[_EXAMPLE_NAME])
    description: str | None = Field(examples=[_EXAMPLE_DESCRIPTION])
    createDate: str = Field(
        description=_TIMESTAMP_DOC,
        examples=["2026-11-22T10:00:00.123Z"],
        json_schema_extra={"format": "date-time"},
    )
    lastUpdateDate: str = Field(
        description=_TIMESTAMP_DOC + "; changes on every successful update",
        examples=["2026-11-22T10:05:00.456Z"],
        json_schema_extra={"format": "date-time"},
    )
    version: int = Field(
        ge=1, description="1 on creation, +1 per successful update; the ETag", examples=[2]
    )


class ProductPageResponse(BaseModel):
    """One page of ``GET /products``; ``nextToken`` is absent on the last page."""

    products: list[ProductResponse]
    nextToken: str | None = Field(
        default=None,
        description="Opaque; pass back as ?nextToken= for the next page. Absent on the last page.",
        examples=[_EXAMPLE_NEXT_PAGE],
        json_schema_extra=_page_token_schema,
    )


class FieldErrorResponse(BaseModel):
    """One offending field."""

    field: str = Field(examples=["name"])
    message: str = Field(examples=["String should have at least 1 character"])


class ErrorResponse(BaseModel):
    """Body of every 4xx/5xx response."""

    message: str = Field(examples=["Request body is invalid"])
    errors: list[FieldErrorResponse] | None = Field(
        default=None,
        description=f"On validation errors: the offending fields, at most {MAX_FIELD_ERRORS}",
    )
    omittedErrors: int | None = Field(
        default=None, ge=1, description="How many more field errors were found but not listed"
    )

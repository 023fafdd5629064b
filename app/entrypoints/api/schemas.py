"""HTTP representations: request/response models and the translation to and from the domain.

Request bodies are read here rather than by Powertools' body validation because the order of
checks is part of the contract (415 before 400, base64 and UTF-8 decoded strictly, deep nesting
caught) and because Powertools would also accept form and multipart bodies.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from app import contract
from app.domain import model
from app.domain.exceptions import FieldError

RequestModel = TypeVar("RequestModel", bound=BaseModel)

# The domain names its rules in its own words; clients know these query/body names instead.
CLIENT_FIELD_NAMES = {
    model.PAGE_SIZE_FIELD: "pageSize",
    model.CHANGES_FIELD: "body",
}


# Error bodies stay small whatever the request: at most this many field errors are listed (the
# rest are counted), and each text is cut to at most MAX_ERROR_TEXT characters.
MAX_FIELD_ERRORS = 20
MAX_ERROR_TEXT = 200

IDEMPOTENCY_KEY_HEADER = contract.IDEMPOTENCY_KEY_HEADER
IDEMPOTENT_REPLAYED_HEADER = contract.IDEMPOTENT_REPLAYED_HEADER
_IDEMPOTENCY_KEY = re.compile(r"[\x21-\x7e]{1,255}")


class BadRequest(Exception):
    """The request is unreadable or malformed (HTTP 400)."""

    def __init__(self, message: str, errors: list[FieldError] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.errors = errors or []


class UnsupportedMediaType(Exception):
    """The request body is not declared as JSON (HTTP 415)."""


_STRICT = ConfigDict(extra="forbid", strict=True)
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
NEXT_PAGE_PATTERN = "^[A-Za-z0-9_-]+$"


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
    schema["pattern"] = NEXT_PAGE_PATTERN


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
            raise ValueError("must be a string, not null")
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


def product_to_json(product: model.Product) -> dict[str, Any]:
    """The API representation of a product (matches :class:`ProductResponse`)."""
    return {
        "id": product.product_id,
        "name": product.name,
        "description": product.description,
        "createDate": model.format_timestamp(product.create_date),
        "lastUpdateDate": model.format_timestamp(product.last_update_date),
        "version": product.version,
    }


def etag(version: int) -> str:
    """The strong entity tag of a product version."""
    return f'"{version}"'


_IF_MATCH_VERSION = re.compile(r'"([1-9][0-9]{0,17})"')


def parse_if_match(header: str | None) -> int | None:
    """The version an ``If-Match`` header requires; None when absent or ``*`` (any version)."""
    if header is None or header.strip() == "*":
        return None
    match = _IF_MATCH_VERSION.fullmatch(header.strip())
    if not match:
        raise BadRequest(
            'If-Match must be "*" or one quoted version such as "3"',
            [FieldError("If-Match", "must be a quoted product version")],
        )
    return int(match.group(1))


def parse_idempotency_key(values: list[str]) -> str | None:
    """The ``Idempotency-Key`` (1 to 255 visible ASCII characters) from the header's values."""
    if not values:
        return None
    if len(values) > 1 or not _IDEMPOTENCY_KEY.fullmatch(values[0]):
        message = "must be one value of 1 to 255 visible ASCII characters"
        raise BadRequest(
            f"{IDEMPOTENCY_KEY_HEADER} {message}", [FieldError(IDEMPOTENCY_KEY_HEADER, message)]
        )
    return values[0]


def caller_of(identity: dict[str, Any]) -> str:
    """Who signed the request, as API Gateway's ``requestContext.identity`` names them: the IAM
    ARN, else the caller id, else the access key ("" if API Gateway passed none of them)."""
    for name in ("userArn", "caller", "accessKey"):
        value = identity.get(name)
        if isinstance(value, str) and value:
            return value
    return ""


_PAGE_SIZE = re.compile(r"[0-9]{1,6}")


def parse_page_size(raw: str | None) -> int:
    """The ``pageSize`` query parameter as an int (the domain checks its range)."""
    if raw is None:
        return model.PAGE_SIZE_DEFAULT
    if not _PAGE_SIZE.fullmatch(raw):
        raise BadRequest(
            "Invalid request parameters",
            [FieldError("pageSize", "must be a whole number")],
        )
    return int(raw)


_TOKEN_ALPHABET = re.compile(r"[A-Za-z0-9_-]{1,200}")
# Tokens are not signed: any well-formed token names a position to continue from (see README).
_MALFORMED_NEXT_PAGE = (
    "nextToken is not a well-formed page token; pass back a previous page's nextToken unchanged"
)


def encode_page_token(after_id: str) -> str:
    """An opaque, URL-safe (base64url, unpadded) ``nextToken`` for the page after ``after_id``."""
    payload = json.dumps({"v": 1, "after": after_id}, separators=(",", ":"))
    return base64.urlsafe_b64encode(payload.encode()).rstrip(b"=").decode("ascii")


def decode_page_token(token: str) -> str:
    """The product id a ``nextToken`` continues after; a 400 unless the token is well-formed.

    Well-formed means exactly what ``encode_page_token`` produces for some canonical product id.
    Tokens are not signed, so a client can build one: it only chooses where the scan resumes,
    among products that caller may list anyway.
    """
    if not _TOKEN_ALPHABET.fullmatch(token) or len(token) % 4 == 1:
        raise _invalid_token()
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        payload: Any = json.loads(raw.decode("utf-8"))
    except (binascii.Error, UnicodeDecodeError, ValueError) as error:
        raise _invalid_token() from error
    if (
        not isinstance(payload, dict)
        or set(payload) != {"v", "after"}
        or payload["v"] != 1
        or not isinstance(payload["after"], str)
        or not model.is_product_id(payload["after"])
    ):
        raise _invalid_token()
    # Re-encoding must give back the same text: rejects non-canonical spellings of a valid token.
    if encode_page_token(payload["after"]) != token:
        raise _invalid_token()
    after: str = payload["after"]
    return after


def _invalid_token() -> BadRequest:
    return BadRequest(_MALFORMED_NEXT_PAGE, [FieldError("nextToken", _MALFORMED_NEXT_PAGE)])


def client_field_errors(errors: list[FieldError]) -> list[FieldError]:
    """The domain's field errors under the names clients use (product fields keep theirs)."""
    return [FieldError(CLIENT_FIELD_NAMES.get(e.field, e.field), e.message) for e in errors]


def _is_json_media_type(content_type: str) -> bool:
    media_type, _, parameters = content_type.partition(";")
    media_type = media_type.strip().lower()
    if media_type != "application/json" and not (
        media_type.startswith("application/") and media_type.endswith("+json")
    ):
        return False
    for parameter in parameters.split(";"):
        key, _, value = parameter.partition("=")
        if key.strip().lower() == "charset" and value.strip().strip('"').lower() not in (
            "utf-8",
            "utf8",
        ):
            return False
    return True


def _object_without_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    # {"name": "a", "name": "b"} is ambiguous (parsers disagree on which wins): refuse it.
    document = dict(pairs)
    if len(document) != len(pairs):
        raise ValueError("duplicate key in JSON object")
    return document


def _json_loads(text: str) -> Any:
    try:
        return json.loads(text, object_pairs_hook=_object_without_duplicate_keys)
    except RecursionError as error:  # absurdly deep nesting: still the client's fault
        raise BadRequest("Request body is nested too deeply") from error
    except ValueError as error:
        raise BadRequest(f"Request body is not valid JSON: {error}") from error


def read_json_object(
    headers: dict[str, str], body: str | None, is_base64_encoded: bool
) -> dict[str, Any]:
    """The request body as a JSON object, checking media type, encoding and syntax in that order."""
    content_type = headers.get("content-type")
    if content_type is not None and not _is_json_media_type(content_type):
        raise UnsupportedMediaType(f"Content-Type must be application/json, not {content_type!r}")
    if not body:
        raise BadRequest("Request body is required (a JSON object)")
    if is_base64_encoded:
        try:
            body = base64.b64decode(body, validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError) as error:
            raise BadRequest("Request body is not valid UTF-8 JSON") from error
    document = _json_loads(body)
    if not isinstance(document, dict):
        raise BadRequest("Request body must be a JSON object")
    return document


def parse_body(model_class: type[RequestModel], document: dict[str, Any]) -> RequestModel:
    """Validate a JSON object against a request model; field errors become a 400.

    Unknown keys are found here rather than by pydantic, which would build a detailed error
    object per key (seconds of CPU for a body with 200k keys).
    """
    fields = model_class.model_fields
    unknown = [FieldError(name, _NOT_A_CLIENT_FIELD) for name in document if name not in fields]
    errors: list[FieldError] = []
    try:
        parsed = model_class.model_validate(
            {name: value for name, value in document.items() if name in fields}
            if unknown
            else document
        )
    except ValidationError as error:
        errors = [
            FieldError(".".join(str(part) for part in e["loc"]) or "body", _message(e))
            for e in error.errors(include_url=False, include_input=False)
        ]
    if errors or unknown:
        raise BadRequest("Request body is invalid", errors + unknown)
    return parsed


_NOT_A_CLIENT_FIELD = "is not a field clients may set"


def _message(error: Any) -> str:
    text: str = error["msg"]
    return text.removeprefix("Value error, ")

"""Driving the Lambda handler as API Gateway would, and asserting on what it answers.

Shared by the unit tests (fixtures in ``tests/conftest.py`` build on it); tests import it from here,
never from another test module or a conftest.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from tests.support import error_texts
from tests.support.lambda_context import FakeLambdaContext
from tests.support.rest_events import rest_event

# Fake credentials and a fixed region, so no test can reach real AWS; Powertools configured.
TEST_ENVIRONMENT = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
    "POWERTOOLS_SERVICE_NAME": "products-api",
    "POWERTOOLS_METRICS_NAMESPACE": "ProductsApiTest",
    "POWERTOOLS_TRACE_DISABLED": "true",
}
TABLE_NAME = "products-test"


@dataclass
class ApiResponse:
    """A proxy response, decoded for assertions."""

    status: int
    headers: dict[str, str]
    multi_headers: dict[str, list[str]]
    raw_body: str

    @property
    def json(self) -> Any:
        return json.loads(self.raw_body)


class ApiClient:
    """Sends API Gateway REST proxy events through a Lambda handler, like API Gateway does."""

    def __init__(self, handler: Callable[[dict[str, Any], Any], dict[str, Any]]) -> None:
        self.handler = handler

    def send(self, event: dict[str, Any]) -> ApiResponse:
        result = self.handler(event, FakeLambdaContext())
        json.dumps(result)  # the Lambda runtime must be able to serialise what we return
        # API Gateway's proxy response format: a text body (never base64) and its headers.
        assert set(result) == {"statusCode", "body", "isBase64Encoded", "multiValueHeaders"}
        assert result["isBase64Encoded"] is False and isinstance(result["body"], str), result
        multi = {k: list(v) for k, v in (result.get("multiValueHeaders") or {}).items()}
        headers = {k: v[-1] for k, v in multi.items()}
        headers.update(result.get("headers") or {})
        return ApiResponse(result["statusCode"], headers, multi, result.get("body") or "")

    def request(self, method: str, path: str, **kwargs: Any) -> ApiResponse:
        return self.send(rest_event(method, path, **kwargs))

    def create(self, name: str = "Widget", description: str | None = "A widget") -> dict[str, Any]:
        response = self.request(
            "POST", "/products", body={"name": name, "description": description}
        )
        assert response.status == 201, response.raw_body
        created: dict[str, Any] = response.json
        return created


class TickingClock:
    """A clock that moves one second forward on every reading, so every write has its own time."""

    def __init__(self, start: datetime = datetime(2026, 11, 22, 10, 0, 0, 123000, timezone.utc)):
        self.now = start

    def __call__(self) -> datetime:
        self.now += timedelta(seconds=1)
        return self.now


def assert_error(
    response: ApiResponse,
    name: str,
    *errors: tuple[str, str],
    omitted: int | None = None,
    **values: object,
) -> None:
    """The answer is exactly error ``name`` of the table in ``tests/support/error_texts.py``:
    its status, a JSON body of the documented shape, and every text word for word.

    ``errors`` are the (field, table name) pairs of the body's ``errors`` list, in order;
    ``values`` fill the message's ``{fields}``.
    """
    expected = error_texts.error_body(name, *errors, omitted=omitted, **values)
    assert response.status == error_texts.answer(name).status, response.raw_body
    assert response.headers["Content-Type"] == "application/json"
    # Imported here: benchmarks import this module where jsonschema is not installed.
    from tests.support.published_schemas import validator

    validator("ErrorResponse").validate(response.json)  # the documented shape, too
    assert response.json == expected, (
        f"the API's error text changed (or the test expects another error):\n"
        f"  expected {expected}\n  answered {response.json}"
    )

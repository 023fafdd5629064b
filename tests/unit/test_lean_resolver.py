"""LeanRestResolver answers like Powertools' resolver for what this API uses; refuses the rest."""

from __future__ import annotations

import base64
from typing import Any, cast

import pytest
from aws_lambda_powertools.event_handler import CORSConfig, Response
from aws_lambda_powertools.shared.cookies import Cookie
from aws_lambda_powertools.utilities.typing import LambdaContext

from app.entrypoints.api.lean_resolver import LeanRestResolver, RestEvent
from tests.events import FakeLambdaContext, rest_event

CONTEXT = cast(LambdaContext, FakeLambdaContext())


def _resolver() -> LeanRestResolver:
    app = LeanRestResolver()

    @app.get("/raw")
    def raw() -> Response[Any]:
        return Response(200, "application/octet-stream", b"\x00\x01", cookies=[Cookie("a", "b")])

    @app.get("/dict")
    def as_json() -> Response[Any]:
        return Response(200, "application/json", {"ok": True}, headers={"X-List": ["1", "2"]})

    return app


def test_bytes_bodies_are_base64_and_cookies_become_set_cookie() -> None:
    response = _resolver().resolve(rest_event("GET", "/raw"), CONTEXT)
    assert response["isBase64Encoded"] is True
    assert base64.b64decode(response["body"]) == b"\x00\x01"
    assert response["multiValueHeaders"]["Set-Cookie"] == ["a=b; Secure"]


def test_json_bodies_are_serialised_and_multi_value_headers_kept() -> None:
    response = _resolver().resolve(rest_event("GET", "/dict"), CONTEXT)
    assert response["statusCode"] == 200 and response["body"] == '{"ok":true}'
    assert response["multiValueHeaders"]["X-List"] == ["1", "2"]


def test_unknown_route_without_a_not_found_handler_is_a_json_404() -> None:
    response = _resolver().resolve(rest_event("POST", "/raw"), CONTEXT)
    assert response["statusCode"] == 404
    assert response["multiValueHeaders"]["Content-Type"] == ["application/json"]


def test_unhandled_errors_propagate_like_powertools() -> None:
    app = LeanRestResolver()

    @app.get("/boom")
    def boom() -> Response[Any]:
        raise KeyError("boom")

    with pytest.raises(KeyError):
        app.resolve(rest_event("GET", "/boom"), CONTEXT)


@pytest.mark.parametrize(
    "configure",
    [
        lambda app: app.use([lambda app, next_middleware: next_middleware(app)]),
        lambda app: app.get("/m", middlewares=[lambda a, n: n(a)])(lambda: Response(200)),
    ],
    ids=["global middleware", "route middleware"],
)
def test_features_the_short_path_would_skip_are_refused(configure: Any) -> None:
    app = LeanRestResolver()
    configure(app)
    with pytest.raises(RuntimeError, match="no middlewares"):
        app.resolve(rest_event("GET", "/m"), CONTEXT)


def test_cors_config_is_refused() -> None:
    app = LeanRestResolver(cors=CORSConfig())
    with pytest.raises(RuntimeError, match="CORS"):
        app.resolve(rest_event("GET", "/products"), CONTEXT)


def test_headers_set_to_none_are_left_out() -> None:
    app = LeanRestResolver()

    @app.get("/unset")
    def unset() -> Response[Any]:
        headers: dict[str, Any] = {"X-Kept": "1", "X-Unset": None}
        return Response(204, None, "", headers=headers)

    headers = app.resolve(rest_event("GET", "/unset"), CONTEXT)["multiValueHeaders"]
    assert headers["X-Kept"] == ["1"] and "X-Unset" not in headers


def test_request_headers_are_read_by_lower_case_name_with_every_value() -> None:
    event = rest_event("GET", "/raw")
    event["headers"] = {"X-Key": "b", "Content-Type": "application/json"}
    event["multiValueHeaders"] = {"X-Key": ["a"], "x-key": ["b"]}
    request = RestEvent(event)

    assert request.headers["content-type"] == "application/json"
    assert request.header_values("x-KEY") == ["a", "b"]
    assert request.header_values("X-Missing") == []
    # Without multi-value headers (direct invocations), the single value still counts.
    del event["multiValueHeaders"]
    assert RestEvent(event).header_values("X-Key") == ["b"]

"""IAM (SigV4) checks of the local gateway, as API Gateway performs them, over real HTTP."""

from __future__ import annotations

import datetime as dt
import json
import re
import uuid

import pytest
from botocore.credentials import Credentials

from tests.e2e.conftest import LocalApi
from tests.support.signed_http import HttpResult, send, sign

pytestmark = pytest.mark.e2e

SIGNATURE_MISMATCH = (
    "The request signature we calculated does not match the signature you provided. Check your"
    " AWS Secret Access Key and signing method. Consult the service documentation for details."
)


def assert_forbidden(result: HttpResult, message: str, error_type: str) -> None:
    assert result.status == 403, result.body
    assert result.json() == {"message": message}
    assert result.header("x-amzn-ErrorType") == error_type
    assert result.header("Content-Type") == "application/json"
    assert result.header("Access-Control-Allow-Origin") == "*"  # the stack's gateway responses


def test_an_unsigned_request_is_rejected_as_missing_authentication_token(
    local_api: LocalApi,
) -> None:
    result = send("GET", local_api.url + "/products")

    assert_forbidden(result, "Missing Authentication Token", "MissingAuthenticationTokenException")


def test_an_unknown_access_key_is_rejected(local_api: LocalApi) -> None:
    url = local_api.url + "/products"
    stranger = Credentials("AKIAUNKNOWNKEY000000", local_api.credentials.secret_key)

    result = send("GET", url, headers=sign("GET", url, stranger))

    assert_forbidden(
        result, "The security token included in the request is invalid.", "AccessDeniedException"
    )


def test_a_wrong_secret_key_is_rejected_as_a_signature_mismatch(local_api: LocalApi) -> None:
    url = local_api.url + "/products"
    wrong = Credentials(local_api.credentials.access_key, "not-the-secret")

    result = send("GET", url, headers=sign("GET", url, wrong))

    assert_forbidden(result, SIGNATURE_MISMATCH, "InvalidSignatureException")


def test_a_session_token_the_server_does_not_know_is_rejected(local_api: LocalApi) -> None:
    url = local_api.url + "/products"
    with_token = Credentials(
        local_api.credentials.access_key, local_api.credentials.secret_key, "some-session-token"
    )

    result = send("GET", url, headers=sign("GET", url, with_token))

    assert result.status == 403
    assert result.json() == {"message": "The security token included in the request is invalid."}


@pytest.mark.parametrize("change", ["method", "path", "query", "signed header", "body"])
def test_any_change_after_signing_is_rejected_as_a_signature_mismatch(
    local_api: LocalApi, change: str
) -> None:
    product = local_api.create("Signed")
    url = f"{local_api.url}/products/{product['id']}"
    body = json.dumps({"name": "Renamed"}).encode()
    headers = sign(
        "PUT",
        url + "?dryRun=no",
        local_api.credentials,
        body=body,
        headers={"Content-Type": "application/json", "If-Match": '"1"'},
    )
    method, target, sent_body = "PUT", url + "?dryRun=no", body
    if change == "method":
        method = "DELETE"
    elif change == "path":
        target = f"{local_api.url}/products/{uuid.uuid4()}?dryRun=no"
    elif change == "query":
        target = url + "?dryRun=yes"
    elif change == "signed header":
        headers["If-Match"] = '"2"'
    else:
        sent_body = json.dumps({"name": "Hijacked"}).encode()

    result = send(method, target, body=sent_body, headers=headers)

    assert_forbidden(result, SIGNATURE_MISMATCH, "InvalidSignatureException")
    assert local_api.call("GET", f"/products/{product['id']}").json() == product


def test_an_unsigned_extra_header_does_not_break_the_signature(local_api: LocalApi) -> None:
    url = local_api.url + "/products"
    headers = sign("GET", url, local_api.credentials)
    headers["X-Not-Signed"] = "added by a proxy"

    assert send("GET", url, headers=headers).status == 200


def test_a_signature_older_than_5_minutes_has_expired(local_api: LocalApi) -> None:
    url = local_api.url + "/products"
    signed_at = dt.datetime.now(dt.timezone.utc) - dt.timedelta(minutes=6)

    result = send("GET", url, headers=sign("GET", url, local_api.credentials, when=signed_at))

    assert result.status == 403
    assert result.header("x-amzn-ErrorType") == "InvalidSignatureException"
    assert re.fullmatch(
        r"Signature expired: (\d{8}T\d{6}Z) is now earlier than \d{8}T\d{6}Z"
        r" \(\d{8}T\d{6}Z - 5 min\.\)",
        result.json()["message"],
    )


def test_a_signature_more_than_5_minutes_ahead_is_not_yet_current(local_api: LocalApi) -> None:
    url = local_api.url + "/products"
    signed_at = dt.datetime.now(dt.timezone.utc) + dt.timedelta(minutes=6)

    result = send("GET", url, headers=sign("GET", url, local_api.credentials, when=signed_at))

    assert result.status == 403
    assert result.json()["message"].startswith("Signature not yet current: ")


def test_a_signature_a_few_minutes_old_is_still_accepted(local_api: LocalApi) -> None:
    url = local_api.url + "/products"
    signed_at = dt.datetime.now(dt.timezone.utc) - dt.timedelta(minutes=4)

    result = send("GET", url, headers=sign("GET", url, local_api.credentials, when=signed_at))

    assert result.status == 200


def test_a_signature_for_another_region_is_rejected(local_api: LocalApi) -> None:
    url = local_api.url + "/products"

    result = send("GET", url, headers=sign("GET", url, local_api.credentials, region="eu-west-1"))

    assert result.status == 403
    assert "region" in result.json()["message"]

"""The SigV4 verifier against requests signed by botocore (the reference client implementation)."""

from __future__ import annotations

import datetime as dt
import hashlib
from urllib.parse import urlsplit

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest, HTTPHeaders
from botocore.credentials import Credentials

from local_api.credentials import KeyPair
from local_api.log_redaction import redact_query
from local_api.sigv4 import AmbiguousCredentials, AuthError, IncomingRequest, verify
from tests.local_api.conftest import CREDENTIALS, REGION
from tests.support.signed_http import sign

KEYS = {CREDENTIALS.access_key: KeyPair(CREDENTIALS.access_key, CREDENTIALS.secret_key)}
NOW = dt.datetime(2026, 11, 22, 10, 0, 0, tzinfo=dt.timezone.utc)
URL = "http://127.0.0.1:3000/products"


def incoming(
    method: str, url: str, headers: dict[str, str], body: bytes = b"", raw_query: str | None = None
) -> IncomingRequest:
    """What the server sees: the path and query as sent, Host as sent, the given headers."""
    parts = urlsplit(url)
    return IncomingRequest(
        method,
        parts.path,
        parts.query if raw_query is None else raw_query,
        [("Host", parts.netloc), *headers.items()],
        body,
    )


def signed(
    method: str = "GET",
    url: str = URL,
    *,
    body: bytes = b"",
    headers: dict[str, str] | None = None,
    credentials: Credentials = CREDENTIALS,
    region: str = REGION,
    when: dt.datetime = NOW,
) -> IncomingRequest:
    signed_headers = sign(
        method, url, credentials, body=body, headers=headers, region=region, when=when
    )
    return incoming(method, url, signed_headers, body)


def rejection(request: IncomingRequest, keys: dict[str, KeyPair] = KEYS) -> AuthError:
    with pytest.raises(AuthError) as error:
        verify(request, keys, REGION, now=NOW)
    return error.value


def test_a_botocore_signed_request_is_accepted_and_names_its_caller() -> None:
    caller = verify(signed(), KEYS, REGION, now=NOW)

    assert caller.access_key_id == CREDENTIALS.access_key
    assert not caller.has_session_token


def test_a_signed_body_is_accepted() -> None:
    body = b'{"name": "Desk"}'
    request = signed("POST", body=body, headers={"Content-Type": "application/json"})

    assert verify(request, KEYS, REGION, now=NOW).access_key_id == CREDENTIALS.access_key


def test_temporary_credentials_are_accepted_with_their_session_token() -> None:
    temporary = Credentials("ASIAUNITTEST00000000", "temporary-secret", "the-session-token")
    keys = {
        temporary.access_key: KeyPair(
            temporary.access_key, temporary.secret_key, "the-session-token"
        )
    }

    caller = verify(signed(credentials=temporary), keys, REGION, now=NOW)

    assert caller.has_session_token


def test_temporary_credentials_without_their_session_token_are_rejected() -> None:
    keys = {
        CREDENTIALS.access_key: KeyPair(CREDENTIALS.access_key, CREDENTIALS.secret_key, "token")
    }

    error = rejection(signed(), keys)

    assert error.message == "The security token included in the request is invalid."


@pytest.mark.parametrize("parameter", ["Credential", "SignedHeaders", "Signature", "signature"])
def test_a_parameter_repeated_in_the_authorization_header_is_refused_before_any_check(
    parameter: str,
) -> None:
    request = signed()
    headers = dict(request.headers)
    # A bogus value first, the valid header after it: "the last one wins" would accept this.
    scheme, _, rest = headers["Authorization"].partition(" ")
    headers["Authorization"] = f"{scheme} {parameter}=bogus, {rest}"
    tampered = IncomingRequest(request.method, request.raw_path, "", list(headers.items()), b"")

    with pytest.raises(AmbiguousCredentials) as raised:
        verify(tampered, KEYS, REGION, now=NOW)

    assert str(raised.value) == f"more than one {parameter} parameter in the Authorization header"


def test_two_authorization_headers_are_refused_even_without_the_http_server() -> None:
    request = signed()
    authorization = dict(request.headers)["Authorization"]
    twice = IncomingRequest(
        "GET", "/products", "", [*request.headers, ("Authorization", authorization)], b""
    )

    with pytest.raises(AmbiguousCredentials, match="^more than one Authorization header$"):
        verify(twice, KEYS, REGION, now=NOW)


def test_a_request_without_authorization_is_missing_authentication_token() -> None:
    error = rejection(incoming("GET", URL, {"X-Amz-Date": "20261122T100000Z"}))

    assert (error.error_type, error.message) == (
        "MissingAuthenticationTokenException",
        "Missing Authentication Token",
    )


def test_an_authorization_header_missing_its_parts_is_an_incomplete_signature() -> None:
    error = rejection(incoming("GET", URL, {"Authorization": "AWS4-HMAC-SHA256 Credential=x"}))

    assert error.error_type == "IncompleteSignatureException"
    assert "requires 'Signature' parameter" in error.message
    assert "requires 'SignedHeaders' parameter" in error.message
    assert "'X-Amz-Date' or a 'Date' header" in error.message


def test_a_bearer_token_is_not_a_sigv4_authorization() -> None:
    error = rejection(incoming("GET", URL, {"Authorization": "Bearer abc.def"}))

    assert error.error_type == "IncompleteSignatureException"
    assert error.message.startswith("Invalid key=value pair (missing equal-sign)")


def test_a_credential_that_is_not_a_five_part_scope_is_rejected() -> None:
    request = signed()
    headers = [
        (name, value.replace("/us-east-1/", "/") if name == "Authorization" else value)
        for name, value in request.headers
    ]

    error = rejection(IncomingRequest("GET", "/products", "", headers, b""))

    assert error.message.startswith("Credential must have exactly 5 slash-delimited elements")


def signed_for_service(service: str, region: str) -> IncomingRequest:
    """A GET whose signature is valid, but scoped to ``service`` in ``region``."""
    request = AWSRequest(method="GET", url=URL)
    request.context["timestamp"] = NOW.strftime("%Y%m%dT%H%M%SZ")
    request.headers["X-Amz-Date"] = request.context["timestamp"]
    signer = SigV4Auth(CREDENTIALS, service, region)
    signature = signer.signature(
        signer.string_to_sign(request, signer.canonical_request(request)), request
    )
    authorization = (
        f"AWS4-HMAC-SHA256 Credential={signer.scope(request)}, SignedHeaders=host;x-amz-date,"
        f" Signature={signature}"
    )
    return incoming(
        "GET", URL, {"X-Amz-Date": request.context["timestamp"], "Authorization": authorization}
    )


def test_a_signature_for_another_service_is_rejected() -> None:
    error = rejection(signed_for_service("s3", REGION))

    assert error.message == "Credential should be scoped to correct service: 'execute-api'. "


def test_a_signature_for_another_region_is_rejected_in_api_gateways_words() -> None:
    error = rejection(signed(region="eu-west-1"))

    assert (error.error_type, error.message) == (
        "InvalidSignatureException",
        "Credential should be scoped to a valid region. ",
    )
    assert "eu-west-1" in error.log_text and REGION in error.log_text  # for the server log


def test_a_scope_wrong_in_region_and_service_names_both() -> None:
    error = rejection(signed_for_service("s3", "eu-west-1"))

    assert error.message == (
        "Credential should be scoped to a valid region. "
        "Credential should be scoped to correct service: 'execute-api'. "
    )


def test_exactly_five_minutes_of_clock_skew_is_tolerated() -> None:
    for offset in (dt.timedelta(minutes=5), dt.timedelta(minutes=-5)):
        verify(signed(when=NOW + offset), KEYS, REGION, now=NOW)


def test_a_signature_older_than_five_minutes_has_expired_with_api_gateways_message() -> None:
    error = rejection(signed(when=NOW - dt.timedelta(minutes=5, seconds=1)))

    assert (error.error_type, error.message) == (
        "InvalidSignatureException",
        "Signature expired: 20261122T095459Z is now earlier than 20261122T095500Z"
        " (20261122T100000Z - 5 min.)",
    )


def test_a_signature_from_the_future_is_not_yet_current() -> None:
    error = rejection(signed(when=NOW + dt.timedelta(minutes=6)))

    assert error.message == (
        "Signature not yet current: 20261122T100600Z is still later than 20261122T100500Z"
        " (20261122T100000Z + 5 min.)"
    )


def test_the_http_date_header_may_carry_the_signing_time() -> None:
    request = AWSRequest(method="GET", url=URL, headers={"Date": "placeholder"})
    SigV4Auth(CREDENTIALS, "execute-api", REGION).add_auth(request)  # signs Date, not X-Amz-Date
    assert "X-Amz-Date" not in request.headers

    caller = verify(incoming("GET", URL, dict(request.headers.items())), KEYS, REGION)

    assert caller.access_key_id == CREDENTIALS.access_key


def test_the_host_header_must_be_signed() -> None:
    request = signed()
    headers = [
        (
            name,
            (
                value.replace("SignedHeaders=host;", "SignedHeaders=")
                if name == "Authorization"
                else value
            ),
        )
        for name, value in request.headers
    ]

    error = rejection(IncomingRequest("GET", "/products", "", headers, b""))

    assert error.error_type == "IncompleteSignatureException"


def test_the_query_is_canonicalised_so_equivalent_spellings_verify_alike() -> None:
    signed_for = signed(url=URL + "?pageSize=2&nextToken=a%2Fb~c")

    # Same parameters, other order, '/' left unescaped: still the same request.
    as_received = IncomingRequest(
        "GET", "/products", "nextToken=a/b~c&pageSize=2", signed_for.headers, b""
    )

    assert verify(as_received, KEYS, REGION, now=NOW).access_key_id == CREDENTIALS.access_key


def test_a_percent_encoded_path_is_verified_as_sent() -> None:
    url = "http://127.0.0.1:3000/products/a%20b"

    assert verify(signed(url=url), KEYS, REGION, now=NOW)


def test_a_signed_header_botocore_would_skip_is_still_checked() -> None:
    class SignEveryHeader(SigV4Auth):  # like clients that sign User-Agent
        def headers_to_sign(self, request: AWSRequest) -> HTTPHeaders:
            headers = HTTPHeaders()
            for name, value in request.headers.items():
                headers[name.lower()] = value
            headers["host"] = "127.0.0.1:3000"
            return headers

    request = AWSRequest(method="GET", url=URL, headers={"User-Agent": "agent/1.0"})
    SignEveryHeader(CREDENTIALS, "execute-api", REGION).add_auth(request)
    headers = dict(request.headers.items())
    assert "user-agent" in headers["Authorization"]

    accepted = verify(incoming("GET", URL, headers), KEYS, REGION)
    error = rejection(incoming("GET", URL, {**headers, "User-Agent": "other/2.0"}))

    assert accepted.access_key_id == CREDENTIALS.access_key
    assert error.error_type == "InvalidSignatureException"


def test_a_content_sha256_header_cannot_vouch_for_a_different_body() -> None:
    original = b'{"name": "Desk"}'
    headers = {"X-Amz-Content-SHA256": hashlib.sha256(original).hexdigest()}
    request = signed("POST", body=original, headers=headers)

    tampered = IncomingRequest("POST", "/products", "", request.headers, b'{"name": "Evil"}')

    assert rejection(tampered).error_type == "InvalidSignatureException"


def test_a_signed_header_that_did_not_arrive_fails_the_signature() -> None:
    request = signed(headers={"If-Match": '"1"'})
    headers = [(name, value) for name, value in request.headers if name != "If-Match"]

    error = rejection(IncomingRequest("GET", "/products", "", headers, b""))

    assert error.error_type == "InvalidSignatureException"
    assert "'if-match'" in error.detail


def test_a_mismatch_names_the_host_when_the_client_signed_it_without_the_port() -> None:
    headers = sign("GET", "http://127.0.0.1/products", CREDENTIALS, when=NOW)

    error = rejection(incoming("GET", URL, headers))

    assert error.error_type == "InvalidSignatureException"
    assert (
        error.detail
        == "signed header 'host' differs: signed as '127.0.0.1', received '127.0.0.1:3000'"
    )


def test_a_mismatch_names_the_body_when_it_is_not_what_content_sha256_vouched_for() -> None:
    original = b'{"name": "Desk"}'
    headers = {"X-Amz-Content-SHA256": hashlib.sha256(original).hexdigest()}
    request = signed("POST", body=original, headers=headers)

    error = rejection(IncomingRequest("POST", "/products", "", request.headers, b"{}"))

    assert error.detail.startswith("signed header 'x-amz-content-sha256 (body)' differs")


def test_a_mismatch_names_a_header_repeated_on_the_way() -> None:
    request = signed(headers={"If-Match": '"1"'})
    duplicated = IncomingRequest(
        "GET", "/products", "", [*request.headers, ("If-Match", '"2"')], b""
    )

    error = rejection(duplicated)

    assert error.detail == (
        "signed header 'if-match' differs: repeated; the client signed only the first value"
    )


def test_an_unexplained_mismatch_logs_names_and_a_redacted_canonical_request_only() -> None:
    temporary = Credentials("ASIAUNITTEST00000000", "temporary-secret", "the-session-token")
    keys = {
        temporary.access_key: KeyPair(temporary.access_key, "temporary-secret", "the-session-token")
    }
    request = signed(credentials=temporary, headers={"If-Match": '"1"'})
    changed = [(n, '"2"' if n == "If-Match" else v) for n, v in request.headers]
    signature = dict(request.headers)["Authorization"].rsplit("Signature=", 1)[1]

    with pytest.raises(AuthError) as caught:
        verify(IncomingRequest("GET", "/products", "", changed, b""), keys, REGION, now=NOW)

    detail = caught.value.detail
    assert "no single header explains the mismatch" in detail
    assert "x-amz-security-token:<redacted>" in detail
    assert 'if-match:"2"' in detail
    for secret in ("temporary-secret", "the-session-token", signature):
        assert secret not in detail


def test_an_incomplete_authorization_header_is_echoed_to_the_client_but_not_logged() -> None:
    header = "AWS4-HMAC-SHA256 Credential=AKIAUNITTEST00000000/x, Signature=deadbeef"
    request = incoming("GET", URL, {"Authorization": header, "X-Amz-Date": "20261122T100000Z"})

    error = rejection(request)

    assert error.error_type == "IncompleteSignatureException"
    assert header in error.message  # what API Gateway answers
    assert "deadbeef" not in error.log_text
    assert error.log_text == "Authorization header requires 'SignedHeaders' parameter."


def test_query_string_credentials_are_redacted_for_the_log() -> None:
    raw = "a=1&X-Amz-Signature=abc&x-amz-security-token=tok&X-Amz-Credential=AKIA%2Fscope"

    assert redact_query(raw) == (
        "a=1&X-Amz-Signature=<redacted>&x-amz-security-token=<redacted>"
        "&X-Amz-Credential=AKIA%2Fscope"
    )


def test_each_refusal_logs_one_secret_free_hint_of_what_to_change() -> None:
    unsigned = rejection(incoming("GET", URL, {"X-Amz-Date": "20261122T100000Z"}))
    unknown = rejection(signed(credentials=Credentials("AKIASOMEONEELSE00000", "other")))
    token = rejection(
        signed(
            credentials=Credentials(
                CREDENTIALS.access_key, CREDENTIALS.secret_key, "a-session-token"
            )
        )
    )
    no_token = rejection(
        signed(),
        {CREDENTIALS.access_key: KeyPair(CREDENTIALS.access_key, CREDENTIALS.secret_key, "tok")},
    )

    assert "unsigned request" in unsigned.log_text
    assert "unknown access key 'AKIASOMEONEELSE00000'" in unknown.log_text
    assert "LOCAL_PRINCIPALS" in unknown.log_text
    assert "unexpected session token" in token.log_text
    assert "a-session-token" not in token.log_text
    assert "session token missing" in no_token.log_text
    for error in (unsigned, unknown, token, no_token):
        assert "\n" not in error.log_text
        assert CREDENTIALS.secret_key not in error.log_text

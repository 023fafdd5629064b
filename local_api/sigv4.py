"""Server-side SigV4 verification, checked the way API Gateway checks an IAM-authorised method.

The request's parts are checked here in API Gateway's order and with its error wording; the
signature itself is recomputed in ``signature`` (botocore's own canonicalisation, so the server
agrees with every botocore-based client by construction), and a mismatch is explained for the log
by ``signature_diagnosis``.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
from collections.abc import Iterable
from dataclasses import dataclass
from email.utils import parsedate_to_datetime

from botocore.awsrequest import HTTPHeaders

from local_api.credentials import KeyPair
from local_api.signature import SERVICE as SERVICE  # the signing scope; the docs page reads it
from local_api.signature import SignatureComputation
from local_api.signature_diagnosis import diagnose

ALGORITHM = "AWS4-HMAC-SHA256"
MAX_CLOCK_SKEW = dt.timedelta(minutes=5)
AMZ_DATE_FORMAT = "%Y%m%dT%H%M%SZ"

# API Gateway's wording (x-amzn-ErrorType header, then the "message" of the JSON body).
MISSING_TOKEN = ("MissingAuthenticationTokenException", "Missing Authentication Token")
INVALID_TOKEN = (
    # AWS's 403 troubleshooting guide for API Gateway lists AccessDeniedException for this message.
    "AccessDeniedException",
    "The security token included in the request is invalid.",
)
SIGNATURE_MISMATCH = (
    "InvalidSignatureException",
    "The request signature we calculated does not match the signature you provided. Check your"
    " AWS Secret Access Key and signing method. Consult the service documentation for details.",
)
# A credential scope for another region or service (as API Gateway words them, trailing spaces
# included; a signature for another region is what a latency-routed hostname would cause).
WRONG_REGION = "Credential should be scoped to a valid region. "
WRONG_SERVICE = f"Credential should be scoped to correct service: '{SERVICE}'. "
# Hints for the server log (never a secret): what a developer most likely has to change.
UNKNOWN_KEY_HINT = (
    "the server accepts its own AWS_ACCESS_KEY_ID and the keys in LOCAL_PRINCIPALS;"
    " sign with one of those"
)
_INCOMPLETE = "IncompleteSignatureException"
_INVALID = "InvalidSignatureException"


@dataclass(frozen=True)
class IncomingRequest:
    """The parts of an HTTP request a signature covers, exactly as they arrived."""

    method: str
    raw_path: str
    raw_query: str
    headers: list[tuple[str, str]]
    body: bytes


@dataclass(frozen=True)
class VerifiedCaller:
    """Who signed the request (becomes ``requestContext.identity``)."""

    access_key_id: str
    has_session_token: bool


class AuthError(Exception):
    """A rejected request: API Gateway answers 403 with this error type and message."""

    def __init__(self, error: tuple[str, str], detail: str = "") -> None:
        super().__init__(error[1])
        self.error_type, self.message = error
        # For the server log: never a secret (no key, token, signature or Authorization value).
        self.detail = detail

    @property
    def log_text(self) -> str:
        """What the server may log about this rejection (the detail, else the client message)."""
        return self.detail or self.message


class AmbiguousCredentials(Exception):
    """Credentials that could be read two ways (a 400, refused before any signature work): a
    proxy or log reading the first value would see another request than the verifier."""


def credential_ambiguity(headers: Iterable[tuple[str, str]]) -> str | None:
    """Why the request's credentials are ambiguous, or None: a second ``Authorization`` header,
    or a parameter named twice inside the one header (names compared case-insensitively)."""
    authorization = _header_values(list(headers), "authorization")
    if len(authorization) > 1:
        return "more than one Authorization header"
    seen: dict[str, str] = {}  # lower-case name -> the name as first written
    for part in authorization[0].strip().partition(" ")[2].split(",") if authorization else []:
        name = part.partition("=")[0].strip()
        if name and name.lower() in seen:
            return f"more than one {seen[name.lower()]} parameter in the Authorization header"
        seen[name.lower()] = name
    return None


def verify(
    request: IncomingRequest,
    key_pairs: dict[str, KeyPair],
    region: str,
    now: dt.datetime | None = None,
) -> VerifiedCaller:
    """Return the caller if ``request`` carries a valid SigV4 signature, else raise AuthError
    (or AmbiguousCredentials, before anything else is checked)."""
    ambiguity = credential_ambiguity(request.headers)
    if ambiguity is not None:  # the HTTP server refuses these first; never pick one of them
        raise AmbiguousCredentials(ambiguity)
    authorization = _header_values(request.headers, "authorization")
    if not authorization:
        raise AuthError(
            MISSING_TOKEN, "unsigned request (no Authorization header): sign it with SigV4"
        )
    header = authorization[0]
    params = _parse_authorization(header)
    amz_date = _request_timestamp(request.headers)
    missing = [
        f"Authorization header requires '{name}' parameter."
        for name in ("Credential", "Signature", "SignedHeaders")
        if not params.get(name)
    ]
    if amz_date is None:
        missing.append(
            "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header."
        )
    if missing or amz_date is None:
        # API Gateway echoes the header to the client; the log gets the reasons only.
        raise AuthError(
            (_INCOMPLETE, " ".join(missing) + f" Authorization={header}"), " ".join(missing)
        )
    if not header.startswith(ALGORITHM + " "):
        scheme = header.split(" ", 1)[0]
        raise AuthError((_INCOMPLETE, f"Unsupported Authorization Type: '{scheme}'."))

    scope = params["Credential"].split("/")
    if len(scope) != 5:
        raise AuthError(
            (
                _INCOMPLETE,
                "Credential must have exactly 5 slash-delimited elements, e.g."
                f" keyid/date/region/service/term, got '{params['Credential']}'",
            )
        )
    access_key_id, scope_date, scope_region, scope_service, terminator = scope
    key_pair = key_pairs.get(access_key_id)
    if key_pair is None:
        raise AuthError(INVALID_TOKEN, f"unknown access key {access_key_id!r}: {UNKNOWN_KEY_HINT}")
    _check_session_token(_header_values(request.headers, "x-amz-security-token"), key_pair)
    _check_scope(amz_date, scope_date, scope_region, scope_service, terminator, region)
    _check_clock_skew(amz_date, now or dt.datetime.now(dt.timezone.utc))

    signed_names = [name.strip().lower() for name in params["SignedHeaders"].split(";")]
    if "host" not in signed_names:
        raise AuthError(
            (
                _INCOMPLETE,
                "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.",
            )
        )
    signed = HTTPHeaders()
    for name in signed_names:
        values = _header_values(request.headers, name)
        if not values:  # a header that was signed but did not arrive cannot match
            raise AuthError(SIGNATURE_MISMATCH, f"signed header {name!r} is missing")
        for value in values:
            signed[name] = value  # HTTPHeaders appends: repeated headers are joined with ','

    host = _header_values(request.headers, "host")[-1]
    computation = SignatureComputation(
        key_pair, scope_region, amz_date, request.method, request.raw_path, request.raw_query
    )
    body_hash = hashlib.sha256(request.body).hexdigest()
    canonical_request, expected = computation.sign(host, signed, body_hash)
    if not hmac.compare_digest(expected, params["Signature"]):
        raise AuthError(
            SIGNATURE_MISMATCH,
            diagnose(computation, host, signed, body_hash, params["Signature"], canonical_request),
        )
    return VerifiedCaller(access_key_id, key_pair.session_token is not None)


def _check_session_token(tokens: list[str], key_pair: KeyPair) -> None:
    """The request carries exactly the key's session token, or none when the key has none."""
    expected = key_pair.session_token
    if expected is None and tokens:
        raise AuthError(
            INVALID_TOKEN,
            "unexpected session token: this key has none (unset AWS_SESSION_TOKEN in the client,"
            " or start the server with it)",
        )
    if expected is not None and not tokens:
        raise AuthError(INVALID_TOKEN, "session token missing: this key needs X-Amz-Security-Token")
    if expected is not None and not hmac.compare_digest(tokens[-1].encode(), expected.encode()):
        raise AuthError(INVALID_TOKEN, "the session token differs from this key's")


def _header_values(headers: list[tuple[str, str]], name: str) -> list[str]:
    return [value for key, value in headers if key.lower() == name]


def _parse_authorization(header: str) -> dict[str, str]:
    _, _, rest = header.strip().partition(" ")
    params = {}
    for part in rest.split(","):
        if not part.strip():
            continue
        key, equals, value = part.strip().partition("=")
        if not equals:
            digest = base64.b64encode(hashlib.sha256(header.encode()).digest()).decode()
            raise AuthError(
                (
                    _INCOMPLETE,
                    "Invalid key=value pair (missing equal-sign) in Authorization header"
                    f" (hashed with SHA-256 and encoded with Base64): '{digest}'.",
                )
            )
        params[key] = value
    return params


def _request_timestamp(headers: list[tuple[str, str]]) -> str | None:
    """The signing time as YYYYMMDDTHHMMSSZ: X-Amz-Date, else the HTTP Date header."""
    amz_date = _header_values(headers, "x-amz-date")
    if amz_date:
        value = amz_date[-1].strip()
        try:
            dt.datetime.strptime(value, AMZ_DATE_FORMAT)
        except ValueError:
            raise AuthError(
                (_INCOMPLETE, f"Date must be in ISO-8601 'basic format'. Got '{value}'.")
            ) from None
        return value
    http_date = _header_values(headers, "date")
    if http_date:
        try:
            parsed = parsedate_to_datetime(http_date[-1])
        except (TypeError, ValueError):
            return None
        return parsed.astimezone(dt.timezone.utc).strftime(AMZ_DATE_FORMAT)
    return None


def _check_scope(
    amz_date: str, date: str, region: str, service: str, terminator: str, expected_region: str
) -> None:
    if date != amz_date[:8]:
        raise AuthError(
            (
                _INVALID,
                "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date"
                f" from HTTP: '{date}' != '{amz_date[:8]}', from '{amz_date}'.",
            )
        )
    # API Gateway names every wrong part of the scope, each sentence followed by a space.
    wrong = [WRONG_REGION] if region != expected_region else []
    if service != SERVICE:
        wrong.append(WRONG_SERVICE)
    if wrong:
        detail = f"credential scope {region}/{service}, this API is {expected_region}/{SERVICE}"
        raise AuthError((_INVALID, "".join(wrong)), detail)
    if terminator != "aws4_request":
        raise AuthError(
            (
                _INVALID,
                "Credential should be scoped with a valid terminator: 'aws4_request',"
                f" not '{terminator}'.",
            )
        )


def _check_clock_skew(amz_date: str, now: dt.datetime) -> None:
    signed_at = dt.datetime.strptime(amz_date, AMZ_DATE_FORMAT).replace(tzinfo=dt.timezone.utc)
    now_text = now.strftime(AMZ_DATE_FORMAT)
    if signed_at < now - MAX_CLOCK_SKEW:
        earliest = (now - MAX_CLOCK_SKEW).strftime(AMZ_DATE_FORMAT)
        raise AuthError(
            (
                _INVALID,
                f"Signature expired: {amz_date} is now earlier than {earliest}"
                f" ({now_text} - 5 min.)",
            )
        )
    if signed_at > now + MAX_CLOCK_SKEW:
        latest = (now + MAX_CLOCK_SKEW).strftime(AMZ_DATE_FORMAT)
        raise AuthError(
            (
                _INVALID,
                f"Signature not yet current: {amz_date} is still later than {latest}"
                f" ({now_text} + 5 min.)",
            )
        )

"""Server-side SigV4 verification, checked the way API Gateway checks an IAM-authorised method.

The signature is recomputed with botocore's own canonicalisation (``SigV4Auth``), so the server
agrees with every botocore-based client by construction. Three things are deliberately *not* taken
from the request as botocore would on the client side: the signed headers are exactly the ones the
``SignedHeaders`` list names (botocore would drop some, e.g. ``user-agent``), the query string is
parsed, RFC 3986-encoded and sorted here, and the body is hashed here (botocore trusts the
``X-Amz-Content-SHA256`` header, which would let a client change the body without re-signing).
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import NamedTuple
from urllib.parse import quote, unquote

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest, HTTPHeaders
from botocore.credentials import Credentials

ALGORITHM = "AWS4-HMAC-SHA256"
SERVICE = "execute-api"
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
_INCOMPLETE = "IncompleteSignatureException"
_INVALID = "InvalidSignatureException"


@dataclass(frozen=True)
class KeyPair:
    """A key pair the server accepts; ``session_token`` set means temporary credentials."""

    access_key_id: str
    secret_access_key: str
    session_token: str | None = None


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


class _ServerSideSigV4(SigV4Auth):
    """botocore's signer, fed the request's own signed headers and the body hash we computed."""

    def __init__(
        self,
        credentials: Credentials,
        region: str,
        signed: HTTPHeaders,
        query: list[tuple[str, str]],
        body_hash: str,
    ) -> None:
        super().__init__(credentials, SERVICE, region)
        self._signed = signed
        self._query = query
        self._body_hash = body_hash

    def headers_to_sign(self, request: AWSRequest) -> HTTPHeaders:
        return self._signed

    def canonical_query_string(self, request: AWSRequest) -> str:
        # Decoded, then RFC 3986-encoded and sorted: the client's spelling of %XX must not matter.
        pairs = sorted(
            (quote(name, safe="-_.~"), quote(value, safe="-_.~")) for name, value in self._query
        )
        return "&".join(f"{name}={value}" for name, value in pairs)

    def payload(self, request: AWSRequest) -> str:
        return self._body_hash


def parse_query(raw_query: str) -> list[tuple[str, str]]:
    """Split a raw query string into percent-decoded (name, value) pairs, in order.

    Like API Gateway, '+' is kept as a literal plus (only %XX escapes are decoded).
    """
    pairs = []
    for part in raw_query.split("&"):
        if part:
            name, _, value = part.partition("=")
            pairs.append((unquote(name), unquote(value)))
    return pairs


def verify(
    request: IncomingRequest,
    key_pairs: dict[str, KeyPair],
    region: str,
    now: dt.datetime | None = None,
) -> VerifiedCaller:
    """Return the caller if ``request`` carries a valid SigV4 signature, else raise AuthError."""
    authorization = _header_values(request.headers, "authorization")
    if not authorization:
        raise AuthError(MISSING_TOKEN)
    header = authorization[-1]
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
    tokens = _header_values(request.headers, "x-amz-security-token")
    if key_pair is None or not hmac.compare_digest(
        (tokens[-1] if tokens else "").encode(), (key_pair.session_token or "").encode()
    ):
        raise AuthError(INVALID_TOKEN)
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
    computation = _Computation(
        key_pair, scope_region, amz_date, request.method, request.raw_path, request.raw_query
    )
    body_hash = hashlib.sha256(request.body).hexdigest()
    canonical_request, expected = computation.sign(host, signed, body_hash)
    if not hmac.compare_digest(expected, params["Signature"]):
        raise AuthError(
            SIGNATURE_MISMATCH,
            computation.diagnose(host, signed, body_hash, params["Signature"], canonical_request),
        )
    return VerifiedCaller(access_key_id, key_pair.session_token is not None)


# Signed headers whose values are credentials: shown as <redacted> in the server log.
_SECRET_HEADERS = frozenset({"x-amz-security-token", "authorization"})
_SECRET_QUERY_PARAMETERS = frozenset({"x-amz-security-token", "x-amz-signature"})


class _Suspect(NamedTuple):
    """One plausible difference between what the client signed and what arrived."""

    name: str
    why: str
    headers: HTTPHeaders
    body_hash: str


@dataclass(frozen=True)
class _Computation:
    """One request's signature computation, repeatable with one input changed (for diagnosis)."""

    key_pair: KeyPair
    region: str
    amz_date: str
    method: str
    raw_path: str
    raw_query: str

    def sign(self, host: str, signed: HTTPHeaders, body_hash: str) -> tuple[str, str]:
        """(canonical request, signature) for these inputs."""
        aws_request = AWSRequest(method=self.method, url=f"http://{host}{self.raw_path}")
        aws_request.context["timestamp"] = self.amz_date
        pair = self.key_pair
        signer = _ServerSideSigV4(
            Credentials(pair.access_key_id, pair.secret_access_key, pair.session_token),
            self.region,
            signed,
            parse_query(self.raw_query),
            body_hash,
        )
        canonical_request = signer.canonical_request(aws_request)
        string_to_sign = signer.string_to_sign(aws_request, canonical_request)
        return canonical_request, signer.signature(string_to_sign, aws_request)

    def diagnose(
        self,
        host: str,
        signed: HTTPHeaders,
        body_hash: str,
        client_signature: str,
        canonical_request: str,
    ) -> str:
        """Which signed input differed, found by re-signing with one plausible change at a time.

        Secret-free by construction: names and non-secret values only, and the canonical request
        with credential-bearing header values redacted.
        """
        names = [name for name, _ in signed.items()]
        suspects: list[_Suspect] = []
        if ":" in host:  # a proxy or client that signed the Host without its port
            bare = host.rsplit(":", 1)[0]
            why = f"signed as {bare!r}, received {host!r}"
            suspects.append(_Suspect("host", why, _with(signed, "host", bare), body_hash))
        declared = signed.get("x-amz-content-sha256")
        if declared and declared != body_hash:
            why = "the body received is not the body signed"
            suspects.append(_Suspect("x-amz-content-sha256 (body)", why, signed, declared))
        for name in dict.fromkeys(names):
            values = signed.get_all(name) or []
            if len(values) > 1:  # repeated on the way (a proxy): the client signed one copy
                for position, value in (("first", values[0]), ("last", values[-1])):
                    why = f"repeated; the client signed only the {position} value"
                    suspects.append(_Suspect(name, why, _with(signed, name, value), body_hash))
        for suspect in suspects:
            _, candidate = self.sign(host, suspect.headers, suspect.body_hash)
            if hmac.compare_digest(candidate, client_signature):
                return f"signed header {suspect.name!r} differs: {suspect.why}"
        method, path, query, *rest = canonical_request.split("\n")
        redacted = "\n".join([method, path, redact_query(query), *map(_redact_header_line, rest)])
        return (
            f"signed headers {';'.join(dict.fromkeys(names))}: no single header explains the"
            " mismatch (a header changed on the way, or the secret key differs); canonical request"
            f" we computed (credentials redacted):\n{redacted}"
        )


def _with(headers: HTTPHeaders, name: str, value: str) -> HTTPHeaders:
    """A copy of ``headers`` with ``name`` set to the single ``value``."""
    changed = HTTPHeaders()
    for key, existing in headers.items():
        if key != name:
            changed[key] = existing
    changed[name] = value
    return changed


def _redact_header_line(line: str) -> str:
    name, colon, _ = line.partition(":")
    return f"{name}:<redacted>" if colon and name in _SECRET_HEADERS else line


def redact_query(raw_query: str) -> str:
    """``raw_query`` with the values of query-string credentials (presigned URLs) redacted."""
    parts = []
    for part in raw_query.split("&"):
        name, equals, _ = part.partition("=")
        secret = unquote(name).lower() in _SECRET_QUERY_PARAMETERS
        parts.append(f"{name}{equals}<redacted>" if secret and equals else part)
    return "&".join(parts)


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
    if region != expected_region:
        raise AuthError(
            (_INVALID, f"Credential should be scoped to a valid region, not '{region}'.")
        )
    if service != SERVICE:
        raise AuthError((_INVALID, f"Credential should be scoped to correct service: '{SERVICE}'."))
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

"""Why a signature did not match: re-sign with one plausible change at a time, for the log."""

from __future__ import annotations

import hmac
from typing import NamedTuple

from botocore.awsrequest import HTTPHeaders

from local_api.log_redaction import redact_header_line, redact_query
from local_api.signature import SignatureComputation


class _Suspect(NamedTuple):
    """One plausible difference between what the client signed and what arrived."""

    name: str
    why: str
    headers: HTTPHeaders
    body_hash: str


def diagnose(
    computation: SignatureComputation,
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
        _, candidate = computation.sign(host, suspect.headers, suspect.body_hash)
        if hmac.compare_digest(candidate, client_signature):
            return f"signed header {suspect.name!r} differs: {suspect.why}"
    method, path, query, *rest = canonical_request.split("\n")
    redacted = "\n".join([method, path, redact_query(query), *map(redact_header_line, rest)])
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

"""What the local API may write to its log about a request: credentials replaced by <redacted>."""

from __future__ import annotations

from urllib.parse import unquote

# Signed headers whose values are credentials: shown as <redacted> in the server log.
SECRET_HEADERS = frozenset({"x-amz-security-token", "authorization"})
SECRET_QUERY_PARAMETERS = frozenset({"x-amz-security-token", "x-amz-signature"})


def redact_header_line(line: str) -> str:
    """A canonical-request header line (``name:value``), its value redacted if a credential."""
    name, colon, _ = line.partition(":")
    return f"{name}:<redacted>" if colon and name in SECRET_HEADERS else line


def redact_query(raw_query: str) -> str:
    """``raw_query`` with the values of query-string credentials (presigned URLs) redacted."""
    parts = []
    for part in raw_query.split("&"):
        name, equals, _ = part.partition("=")
        secret = unquote(name).lower() in SECRET_QUERY_PARAMETERS
        parts.append(f"{name}{equals}<redacted>" if secret and equals else part)
    return "&".join(parts)

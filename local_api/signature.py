"""One SigV4 signature computation on the server side, with botocore's own canonicalisation.

Three inputs are deliberately *not* taken from the request as botocore would on the client side:
the signed headers are exactly the ones the ``SignedHeaders`` list names (botocore would drop some,
e.g. ``user-agent``), the query string is parsed, RFC 3986-encoded and sorted here, and the body
hash is the one computed here (botocore trusts the ``X-Amz-Content-SHA256`` header, which would
let a client change the body without re-signing).
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote, unquote

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest, HTTPHeaders
from botocore.credentials import Credentials

from local_api.credentials import KeyPair

SERVICE = "execute-api"


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


@dataclass(frozen=True)
class SignatureComputation:
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

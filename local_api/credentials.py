"""The key pairs the local API accepts, and the one it takes from its own environment."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class KeyPair:
    """A key pair the server accepts; ``session_token`` set means temporary credentials."""

    access_key_id: str
    secret_access_key: str
    session_token: str | None = None


# Documented, deliberately fake defaults (AWS's own documentation example key pair).
DEFAULT_ACCESS_KEY_ID = "AKIAIOSFODNN7EXAMPLE"
DEFAULT_SECRET_ACCESS_KEY = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"  # nosec B105
EXAMPLE_KEY_PAIR = KeyPair(DEFAULT_ACCESS_KEY_ID, DEFAULT_SECRET_ACCESS_KEY)


def key_pair_from_environment(environ: Mapping[str, str]) -> KeyPair:
    """The server's AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN, each on its
    own: an unset (or empty) key or secret is the example one, an unset token means none."""
    return KeyPair(
        environ.get("AWS_ACCESS_KEY_ID") or DEFAULT_ACCESS_KEY_ID,
        environ.get("AWS_SECRET_ACCESS_KEY") or DEFAULT_SECRET_ACCESS_KEY,
        environ.get("AWS_SESSION_TOKEN") or None,
    )

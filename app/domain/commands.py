"""Immutable requests to change products, as the domain understands them (reads: ``queries``)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field

__all__ = ["CreateProduct", "DeleteProduct", "IdempotencyKey", "UpdateProduct"]


def new_request_id() -> str:
    """A request id for writes that come without one (API Gateway gives each request its own)."""
    return str(uuid.uuid4())


@dataclass(frozen=True)
class IdempotencyKey:
    """A client's ``Idempotency-Key``: ``caller`` owns ``key``; ``fingerprint`` identifies the
    request it was sent with (see :func:`app.domain.model.request_fingerprint`)."""

    caller: str
    key: str
    fingerprint: str


@dataclass(frozen=True)
class CreateProduct:
    """Create a product from the client's field values (by ``Product`` attribute, as sent: the
    domain checks them); the id, dates and version are assigned by the domain.

    With ``idempotency`` a repeat of the same request answers with the product it created, and
    the key with another request is refused. ``request_id`` lets the store recognise its own
    earlier success when the SDK retries the write.
    """

    values: Mapping[str, object]
    idempotency: IdempotencyKey | None = None
    request_id: str = field(default_factory=new_request_id)


@dataclass(frozen=True)
class UpdateProduct:
    """Change the fields named in ``changes`` (by ``Product`` attribute; None clears a nullable
    field); ``expected_version`` enables optimistic locking; ``request_id`` makes an SDK retry of
    an applied update answer as the first attempt did."""

    product_id: str
    changes: Mapping[str, object]
    expected_version: int | None = None
    request_id: str = field(default_factory=new_request_id)


@dataclass(frozen=True)
class DeleteProduct:
    """Delete a product, optionally only if it is still at ``expected_version``."""

    product_id: str
    expected_version: int | None = None

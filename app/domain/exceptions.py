"""Errors the domain raises; the API maps each to one HTTP status in one place."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class FieldError:
    """One broken rule on one field, named as the domain names it (e.g. ``page_size``); the entry
    point translates names to the ones its clients use."""

    field: str
    message: str


class DomainError(Exception):
    """Base class for every error the domain reports to its callers."""


class ValidationFailed(DomainError):
    """The request breaks one or more rules (product fields, changes or page size)."""

    def __init__(self, errors: list[FieldError]) -> None:
        super().__init__("; ".join(f"{e.field}: {e.message}" for e in errors))
        self.errors = errors


class ProductNotFound(DomainError):
    """No product has the given id."""

    def __init__(self, product_id: str) -> None:
        super().__init__(f"Product {product_id!r} not found")
        self.product_id = product_id


class VersionConflict(DomainError):
    """The caller's expected version is not the stored one (optimistic locking)."""

    def __init__(self, product_id: str, expected: int, actual: int) -> None:
        super().__init__(f"Product {product_id!r} is at version {actual}, not {expected}")
        self.product_id = product_id
        self.expected = expected
        self.actual = actual


class IdempotencyKeyReused(DomainError):
    """The caller already used this ``Idempotency-Key`` for a different request."""

    def __init__(self, product_id: str) -> None:
        super().__init__(f"Idempotency key of product {product_id!r} was used for another request")
        self.product_id = product_id


class ProductIdTaken(DomainError):
    """A freshly generated product id is already stored by another request (never expected with
    random UUIDs; nothing is overwritten)."""

    def __init__(self, product_id: str) -> None:
        super().__init__(f"Product id {product_id!r} is already taken")
        self.product_id = product_id


class RepositoryUnavailable(DomainError):
    """The store is throttling or unreachable; the request may be retried later."""

    def __init__(self, reason: str) -> None:
        super().__init__(f"Product store unavailable: {reason}")
        self.reason = reason

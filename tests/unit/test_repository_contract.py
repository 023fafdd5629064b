"""The repository contract against the in-memory fake and the DynamoDB adapter on moto."""

import pytest

from tests.contract import ProductRepositoryContract


class TestRepositoryContract(ProductRepositoryContract):
    """Runs once per ``repository`` fixture parameter (memory, dynamodb)."""

    @pytest.fixture
    def store_is_atomic_per_item(self, request: pytest.FixtureRequest) -> bool:
        # moto applies UpdateItem without item-level locking, so two concurrent version increments
        # can both read version 1 there (never in DynamoDB). The DynamoDB Local run of this same
        # contract (tests/integration) checks the version under concurrency.
        return bool(request.node.callspec.params["repository"] != "dynamodb")

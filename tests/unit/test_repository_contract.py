"""The repository contract against the in-memory fake and the DynamoDB adapter on moto."""

import pytest

from tests.repository_contract import ProductRepositoryContract


class TestRepositoryContract(ProductRepositoryContract):
    """Runs once per ``repository`` fixture parameter (memory, dynamodb)."""

    @pytest.fixture
    def store_is_atomic_per_item(self, request: pytest.FixtureRequest) -> bool:
        # moto applies UpdateItem without item-level locking: two concurrent updates can both read
        # version 1 there (never in DynamoDB), or fail inside moto. The DynamoDB Local run of this
        # same contract (tests/integration) runs them concurrently.
        return bool(request.node.callspec.params["repository"] != "dynamodb")

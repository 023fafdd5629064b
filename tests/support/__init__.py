"""Reusable test infrastructure: DynamoDB Local, signed HTTP, and driving the Lambda handler.

Test modules share helpers through this package, never by importing another test module or a
conftest. Its helpers assert, so pytest is told to rewrite their asserts (which it does only for
test modules otherwise) before any of them is imported.
"""

import sys

# Only under pytest: the benchmarks import this package's event builder too, in interpreters that
# have no pytest (the Lambda package set) or must not pay for importing it (cold-start probes).
if "pytest" in sys.modules:
    import pytest

    pytest.register_assert_rewrite("tests.support.lambda_api")

"""Reusable test infrastructure: DynamoDB Local, signed HTTP, and driving the Lambda handler.

Test modules share helpers through this package, never by importing another test module or a
conftest. Its helpers assert, so pytest is told to rewrite their asserts (which it does only for
test modules otherwise) before any of them is imported. The benchmarks import the event builder
and the fake context from here too, in interpreters that hold only the Lambda layer's packages
(no pytest): there is nothing to rewrite then.
"""

import sys

if "pytest" in sys.modules:
    sys.modules["pytest"].register_assert_rewrite("tests.support.lambda_api")

"""infra/ and app/ never import each other; this is where they are checked to agree."""

from __future__ import annotations

import importlib
import inspect
from pathlib import Path
from typing import Any

import pytest

from app import contract
from app.adapters import dynamodb_product_repository as adapter
from infra.application import PROJECT_ROOT
from tests.infra.conftest import Synthesised

pytestmark = pytest.mark.infra


def _table_properties(stack: Synthesised) -> dict[str, Any]:
    (table,) = stack.resources("AWS::DynamoDB::Table").values()
    properties: dict[str, Any] = table["Properties"]
    return properties


def test_table_key_schema_is_the_one_the_adapter_creates(default_stack: Synthesised) -> None:
    expected = adapter.table_definition("any-name")
    properties = _table_properties(default_stack)
    # Everything the adapter would create (key schema, attributes, billing, any index) matches.
    for key, value in expected.items():
        if key != "TableName":
            assert properties.get(key) == value, key
    # ...and the real table has no index or sort key the adapter does not know about.
    assert not ({"GlobalSecondaryIndexes", "LocalSecondaryIndexes"} - set(expected)) & set(
        properties
    )
    assert [k["KeyType"] for k in properties["KeySchema"]] == ["HASH"]


def test_role_grants_exactly_the_actions_the_adapter_uses(default_stack: Synthesised) -> None:
    assert contract.DYNAMODB_ACTIONS == adapter.DYNAMODB_ACTIONS
    role = default_stack.api_function()["Properties"]["Role"]["Fn::GetAtt"][0]
    statements = [
        statement
        for policy in default_stack.resources("AWS::IAM::Policy").values()
        if {"Ref": role} in policy["Properties"]["Roles"]  # the API function's (not the stream's)
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
    ]
    granted = sorted(
        action
        for statement in statements
        for action in (
            statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        )
        if action.startswith("dynamodb:")
    )
    assert granted == sorted(adapter.DYNAMODB_ACTIONS)


def test_handler_path_names_a_callable_in_a_file_of_the_packaged_app() -> None:
    module_name, _, attribute = contract.HANDLER.rpartition(".")
    source = PROJECT_ROOT / Path(*module_name.split(".")).with_suffix(".py")
    assert source.is_file(), f"{contract.HANDLER} -> {source} does not exist"
    assert module_name.split(".")[0] == contract.APP_PACKAGE
    module = importlib.import_module(module_name)  # lazy module: builds nothing at import time
    handler = getattr(module, attribute)
    assert callable(handler)
    assert list(inspect.signature(handler).parameters) == ["event", "context"]


def test_function_environment_satisfies_the_app_settings(
    default_stack: Synthesised, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The environment the stack gives the function validates as the app's settings, and every
    variable the stack sets for the app is one the app reads."""
    from app.entrypoints.api import handler as handler_module

    function = default_stack.api_function()
    variables: dict[str, Any] = function["Properties"]["Environment"]["Variables"]
    for name, value in variables.items():
        # CloudFormation resolves references at deploy time; any plausible string will do here.
        monkeypatch.setenv(name, value if isinstance(value, str) else "products-table-abc123")
    settings = handler_module.Settings.from_environment()
    assert settings.table_name == "products-table-abc123"
    assert settings.cors_allow_origin == variables[contract.ENV_CORS_ALLOW_ORIGIN]
    assert settings.service_name == handler_module.SERVICE_NAME == contract.SERVICE_NAME
    assert (
        settings.metrics_namespace == handler_module.METRICS_NAMESPACE == contract.METRICS_NAMESPACE
    )
    read_by_app = {variable for variable, *_ in handler_module.SETTINGS_VARIABLES.values()}
    app_specific = {name for name in variables if not name.startswith("POWERTOOLS_")}
    assert app_specific <= read_by_app, app_specific - read_by_app
    required = {
        variable
        for variable, default, *_ in handler_module.SETTINGS_VARIABLES.values()
        if default is None
    }
    assert required <= set(variables), required - set(variables)


def test_infra_reads_only_the_contract_module_of_the_app() -> None:
    allowed = "from app import contract"
    for source in (PROJECT_ROOT / "infra").rglob("*.py"):
        lines = [line for line in source.read_text().splitlines() if allowed not in line]
        text = "\n".join(lines)
        assert "import app" not in text and "from app" not in text, source


def test_contract_module_imports_only_the_standard_library() -> None:
    text = (PROJECT_ROOT / "app" / "contract.py").read_text()
    imports = [line for line in text.splitlines() if line.startswith(("import ", "from "))]
    assert imports == [
        "from __future__ import annotations",
        "from dataclasses import dataclass",
        "from typing import Literal",
    ]


def test_document_stack_and_local_gateway_route_the_same_set(default_stack: Synthesised) -> None:
    """The documented operations, API Gateway's resources and the local gateway's table are the
    contract's operations."""
    from local_api import rest_api
    from tools.apidocs import openapi

    expected = {(operation.resource, operation.method) for operation in contract.OPERATIONS}
    documented = {
        (path, method.upper())
        for path, operations in openapi.openapi_document()["paths"].items()
        for method in operations
    }
    assert documented == expected
    in_stack = {(path, method) for method, path in default_stack.routes() if method != "OPTIONS"}
    assert in_stack == expected
    assert {(path, m) for path, methods in rest_api.ROUTES.items() for m in methods} == expected

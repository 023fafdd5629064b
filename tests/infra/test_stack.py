"""The synthesised template: what operators and the security review rely on."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk.assertions import Match, Template

from app import contract
from infra.alarms import AlarmSpec
from infra.application import PROJECT_ROOT, build_app
from infra.config import StackConfig
from infra.function_code import build_function_asset
from infra.monitoring import Monitoring
from tests.infra.conftest import SKIP_BUNDLING, Synthesised, SynthFactory, cdk_json_context

pytestmark = pytest.mark.infra

TABLE = "AWS::DynamoDB::Table"
FUNCTION = "AWS::Lambda::Function"


def _ref_of(resources: dict[str, Any], resource_type: str) -> str:
    (logical_id,) = [k for k, v in resources.items() if v["Type"] == resource_type]
    return logical_id


def _logical_id(stack: Synthesised, resource_type: str) -> str:
    return _ref_of(stack.template_json["Resources"], resource_type)


# --- REST API --------------------------------------------------------------------------------


def test_api_exposes_exactly_the_operations_plus_preflight(default_stack: Synthesised) -> None:
    declared = {(operation.method, operation.resource) for operation in contract.OPERATIONS}
    preflight = {("OPTIONS", resource) for _, resource in declared}

    assert set(default_stack.routes()) == declared | preflight
    assert {("GET", "/products"), ("DELETE", "/products/{id}")} <= declared


def test_every_non_options_method_requires_aws_iam(default_stack: Synthesised) -> None:
    routes = default_stack.routes()
    for (method, path), properties in routes.items():
        if method == "OPTIONS":
            assert properties["AuthorizationType"] == "NONE", path
            assert properties["Integration"]["Type"] == "MOCK", path
        else:
            assert properties["AuthorizationType"] == "AWS_IAM", (method, path)


def test_crud_methods_use_lambda_proxy_integration_of_the_live_alias(
    default_stack: Synthesised,
) -> None:
    alias_id = _logical_id(default_stack, "AWS::Lambda::Alias")
    for (method, path), properties in default_stack.routes().items():
        if method == "OPTIONS":
            continue
        integration = properties["Integration"]
        assert integration["Type"] == "AWS_PROXY", (method, path)
        assert integration["IntegrationHttpMethod"] == "POST"
        assert {"Ref": alias_id} in _list(integration["Uri"]["Fn::Join"][1]), (method, path)


def test_cors_preflight_allows_the_signing_headers(default_stack: Synthesised) -> None:
    for (method, _), properties in default_stack.routes().items():
        if method != "OPTIONS":
            continue
        headers = properties["Integration"]["IntegrationResponses"][0]["ResponseParameters"]
        allowed = headers["method.response.header.Access-Control-Allow-Headers"].strip("'")
        assert allowed.split(",") == list(contract.CORS_ALLOW_HEADERS)
        assert headers["method.response.header.Access-Control-Allow-Origin"] == "'*'"


def test_lambda_may_be_invoked_only_by_this_api_per_method(default_stack: Synthesised) -> None:
    permissions = default_stack.resources("AWS::Lambda::Permission").values()
    # One per operation (method and resource), no test-invoke permissions.
    assert len(permissions) == len(contract.OPERATIONS)
    for permission in permissions:
        properties = permission["Properties"]
        assert properties["Principal"] == "apigateway.amazonaws.com"
        assert properties["Action"] == "lambda:InvokeFunction"
        assert "SourceArn" in properties


def test_stage_has_access_logs_tracing_throttling_metrics_and_no_payload_logging(
    default_stack: Synthesised,
) -> None:
    stage = default_stack.only("AWS::ApiGateway::Stage")["Properties"]
    assert stage["StageName"] == "dev"
    assert stage["TracingEnabled"] is True
    access_log_format = json.loads(stage["AccessLogSetting"]["Format"])
    assert {"requestId", "status", "httpMethod", "resourcePath", "userArn"} <= set(
        access_log_format
    )
    assert not any("body" in str(value).lower() for value in access_log_format.values())
    (settings,) = stage["MethodSettings"]
    assert settings == {
        "DataTraceEnabled": False,
        "HttpMethod": "*",
        "LoggingLevel": "ERROR",
        "MetricsEnabled": True,
        "ResourcePath": "/*",
        "ThrottlingBurstLimit": 200,
        "ThrottlingRateLimit": 100,
    }


def test_api_is_regional_and_gateway_errors_carry_cors_headers(
    default_stack: Synthesised,
) -> None:
    default_stack.template.has_resource_properties(
        "AWS::ApiGateway::RestApi", {"EndpointConfiguration": {"Types": ["REGIONAL"]}}
    )
    responses = default_stack.resources("AWS::ApiGateway::GatewayResponse").values()
    assert {r["Properties"]["ResponseType"] for r in responses} == {"DEFAULT_4XX", "DEFAULT_5XX"}
    for response in responses:
        headers = response["Properties"]["ResponseParameters"]
        assert headers["gatewayresponse.header.Access-Control-Allow-Origin"] == "'*'"


def test_options_set_origin_throttling_waf_and_no_account_logging_role(
    options_stack: Synthesised,
) -> None:
    routes = options_stack.routes()
    headers = routes[("OPTIONS", "/products")]["Integration"]["IntegrationResponses"][0][
        "ResponseParameters"
    ]
    assert headers["method.response.header.Access-Control-Allow-Origin"] == (
        "'https://app.example.com'"
    )
    stage = options_stack.only("AWS::ApiGateway::Stage")["Properties"]
    assert stage["StageName"] == "staging"
    assert stage["MethodSettings"][0]["ThrottlingRateLimit"] == 20
    assert stage["MethodSettings"][0]["ThrottlingBurstLimit"] == 40
    association = options_stack.only("AWS::WAFv2::WebACLAssociation")["Properties"]
    assert association["WebACLArn"].startswith("arn:aws:wafv2:")
    options_stack.template.resource_count_is("AWS::ApiGateway::Account", 0)


# --- Lambda function and layer ---------------------------------------------------------------


def test_function_runtime_architecture_tracing_logging_and_sizing(
    default_stack: Synthesised,
) -> None:
    function = default_stack.api_function()["Properties"]
    assert function["Runtime"] == "python3.14"
    assert function["Architectures"] == ["arm64"]
    assert function["Handler"] == contract.HANDLER
    assert function["TracingConfig"] == {"Mode": "Active"}
    assert function["MemorySize"] == 1769
    assert function["Timeout"] == 10
    assert function["LoggingConfig"]["LogFormat"] == "JSON"
    assert function["LoggingConfig"]["ApplicationLogLevel"] == "INFO"
    assert function["LoggingConfig"]["LogGroup"] == {
        "Ref": _logical_id_of_log_group(default_stack, "FunctionLogs")
    }


def _logical_id_of_log_group(stack: Synthesised, prefix: str) -> str:
    (logical_id,) = [k for k in stack.resources("AWS::Logs::LogGroup") if k.startswith(prefix)]
    return logical_id


def test_newest_python_runtime_aws_cdk_lib_knows_is_used() -> None:
    from aws_cdk import aws_lambda

    from infra.stack import RUNTIME

    versions = [
        tuple(int(part) for part in name.split("_")[1:])
        for name in dir(aws_lambda.Runtime)
        if name.startswith("PYTHON_3_")
    ]
    newest = "python" + ".".join(str(part) for part in max(versions))
    assert RUNTIME.name == newest


def test_function_environment_is_exactly_the_contract(default_stack: Synthesised) -> None:
    variables = default_stack.api_function()["Properties"]["Environment"]["Variables"]
    table_id = _logical_id(default_stack, TABLE)
    assert variables == {
        "TABLE_NAME": {"Ref": table_id},
        "CORS_ALLOW_ORIGIN": "*",
        "POWERTOOLS_SERVICE_NAME": "products-api",
        "POWERTOOLS_METRICS_NAMESPACE": "ProductsApi",
        "POWERTOOLS_LOG_LEVEL": "INFO",
        "POWERTOOLS_LOGGER_LOG_EVENT": "false",
        "POWERTOOLS_TRACER_CAPTURE_RESPONSE": "false",
    }


def test_log_level_option_sets_powertools_and_lambda_levels_together(
    options_stack: Synthesised,
) -> None:
    function = options_stack.api_function()["Properties"]
    assert function["Environment"]["Variables"]["POWERTOOLS_LOG_LEVEL"] == "DEBUG"
    assert function["Environment"]["Variables"]["CORS_ALLOW_ORIGIN"] == "https://app.example.com"
    assert function["LoggingConfig"]["ApplicationLogLevel"] == "DEBUG"
    assert function["MemorySize"] == 1024


def test_function_uses_the_dependencies_layer_built_for_its_runtime_and_architecture(
    default_stack: Synthesised,
) -> None:
    layer_id = _logical_id(default_stack, "AWS::Lambda::LayerVersion")
    function = default_stack.api_function()["Properties"]
    assert function["Layers"] == [{"Ref": layer_id}]
    layer = default_stack.only("AWS::Lambda::LayerVersion")["Properties"]
    assert layer["CompatibleRuntimes"] == ["python3.14"]
    assert layer["CompatibleArchitectures"] == ["arm64"]
    assert "aws-lambda-powertools" in layer["Description"]


def test_function_asset_holds_only_the_application_package(tmp_path: Path) -> None:
    """What the asset's bundling writes (sources only here; tests/infra/test_bytecode.py checks
    the compiled asset of a real synth)."""
    asset_dir = tmp_path / "asset"
    build_function_asset(asset_dir, PROJECT_ROOT, compiler=None)
    files = sorted(str(p.relative_to(asset_dir)) for p in asset_dir.rglob("*") if p.is_file())
    assert files, f"no staged function asset in {asset_dir}"
    assert all(f.startswith(f"{contract.APP_PACKAGE}/") for f in files), files
    assert f"{contract.APP_PACKAGE}/entrypoints/api/handler.py" in files
    assert not [f for f in files if "/tests/" in f or "/test_" in f]
    # Bytecode only as the runtime's own (tests/infra/test_bytecode.py checks it file by file).
    compiled = [f for f in files if not f.endswith((".py", "py.typed"))]
    assert all(f.endswith(".cpython-314.pyc") and "/__pycache__/" in f for f in compiled), files
    # Build-time tooling (OpenAPI and event-schema generators, pydantic models) stays out.
    imports_pydantic = [
        f
        for f in files
        if f.endswith(".py")
        for line in (asset_dir / f).read_text(encoding="utf-8").splitlines()
        if line.strip().startswith(("import pydantic", "from pydantic"))
    ]
    assert imports_pydantic == []


# --- DynamoDB table --------------------------------------------------------------------------


def test_table_is_on_demand_encrypted_recoverable_and_protected(
    default_stack: Synthesised,
) -> None:
    table = default_stack.only(TABLE)
    properties = table["Properties"]
    assert "TableName" not in properties  # no hard-coded physical name
    assert properties["BillingMode"] == "PAY_PER_REQUEST"
    assert properties["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
    assert properties["SSESpecification"] == {"SSEEnabled": True}  # AWS-managed KMS key
    assert properties["DeletionProtectionEnabled"] is True
    assert table["DeletionPolicy"] == "Retain"
    assert table["UpdateReplacePolicy"] == "Retain"
    assert properties["KeySchema"] == [{"AttributeName": "id", "KeyType": "HASH"}]
    assert properties["AttributeDefinitions"] == [{"AttributeName": "id", "AttributeType": "S"}]
    assert "GlobalSecondaryIndexes" not in properties
    assert "LocalSecondaryIndexes" not in properties


def test_throwaway_stage_table_is_deleted_with_the_stack(options_stack: Synthesised) -> None:
    table = options_stack.only(TABLE)
    assert table["DeletionPolicy"] == "Delete"
    assert table["Properties"]["DeletionProtectionEnabled"] is False


# --- IAM -------------------------------------------------------------------------------------


def _function_role_statements(stack: Synthesised) -> list[dict[str, Any]]:
    function = stack.api_function()["Properties"]
    role_id = function["Role"]["Fn::GetAtt"][0]
    role = stack.template_json["Resources"][role_id]["Properties"]
    assert "ManagedPolicyArns" not in role  # no AWSLambdaBasicExecutionRole
    assert "Policies" not in role
    policies = [
        p["Properties"]
        for p in stack.resources("AWS::IAM::Policy").values()
        if {"Ref": role_id} in p["Properties"]["Roles"]
    ]
    return [s for p in policies for s in p["PolicyDocument"]["Statement"]]


def test_function_role_has_exactly_the_adapter_dynamodb_actions_on_this_table_only(
    default_stack: Synthesised,
) -> None:
    statements = _function_role_statements(default_stack)
    dynamodb = [s for s in statements if any(a.startswith("dynamodb:") for a in _list(s["Action"]))]
    assert len(dynamodb) == 1
    (statement,) = dynamodb
    assert statement["Effect"] == "Allow"
    assert sorted(_list(statement["Action"])) == sorted(contract.DYNAMODB_ACTIONS)
    table_id = _logical_id(default_stack, TABLE)
    assert _list(statement["Resource"]) == [{"Fn::GetAtt": [table_id, "Arn"]}]


def test_function_role_has_no_wildcards_except_x_ray(default_stack: Synthesised) -> None:
    log_group_id = _logical_id_of_log_group(default_stack, "FunctionLogs")
    for statement in _function_role_statements(default_stack):
        actions = _list(statement["Action"])
        assert not any("*" in a for a in actions), actions
        if "*" in _list(statement["Resource"]):
            assert sorted(actions) == ["xray:PutTelemetryRecords", "xray:PutTraceSegments"]
        elif actions[0].startswith("logs:"):
            assert sorted(actions) == ["logs:CreateLogStream", "logs:PutLogEvents"]
            assert _list(statement["Resource"]) == [{"Fn::GetAtt": [log_group_id, "Arn"]}]


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


# --- Logs, alarms, dashboard, outputs --------------------------------------------------------


def test_every_log_group_has_a_retention(default_stack: Synthesised) -> None:
    groups = default_stack.resources("AWS::Logs::LogGroup")
    assert len(groups) == 3  # API function, stream function, API access logs
    for group in groups.values():
        assert group["Properties"]["RetentionInDays"] == 30
        assert group["DeletionPolicy"] == "Retain"


def test_retention_option_applies_to_every_log_group(options_stack: Synthesised) -> None:
    for group in options_stack.resources("AWS::Logs::LogGroup").values():
        assert group["Properties"]["RetentionInDays"] == 90
        assert group["DeletionPolicy"] == "Delete"


def _alarms(stack: Synthesised) -> dict[str, dict[str, Any]]:
    return {
        a["Properties"]["AlarmName"]: a["Properties"]
        for a in stack.resources("AWS::CloudWatch::Alarm").values()
    }


def test_alarms_watch_function_api_and_table_and_notify_the_topic(
    default_stack: Synthesised,
) -> None:
    topic_id = _logical_id(default_stack, "AWS::SNS::Topic")
    alarms = _alarms(default_stack)
    simple = {
        "products-api-dev-function-errors": ("AWS/Lambda", "Errors", "Sum"),
        "products-api-dev-function-duration-p99": ("AWS/Lambda", "Duration", None),
        "products-api-dev-function-throttles": ("AWS/Lambda", "Throttles", "Sum"),
        "products-api-dev-function-concurrency": ("AWS/Lambda", "ConcurrentExecutions", "Maximum"),
        "products-api-dev-api-5xx": ("AWS/ApiGateway", "5XXError", "Sum"),
        "products-api-dev-api-latency-p99": ("AWS/ApiGateway", "Latency", None),
        "products-api-dev-events-iterator-age": ("AWS/Lambda", "IteratorAge", "Maximum"),
        "products-api-dev-events-failed-records": (
            "AWS/SQS",
            "ApproximateNumberOfMessagesVisible",
            "Maximum",
        ),
    }
    math = {
        "products-api-dev-api-4xx-rate",
        "products-api-dev-table-throttles",
        "products-api-dev-table-system-errors",
    }
    assert set(alarms) == set(simple) | math
    for name, (namespace, metric, statistic) in simple.items():
        alarm = alarms[name]
        assert (alarm["Namespace"], alarm["MetricName"]) == (namespace, metric), name
        assert alarm.get("Statistic") == statistic, name
    for name, alarm in alarms.items():
        assert alarm["AlarmActions"] == [{"Ref": topic_id}], name
        assert alarm["OKActions"] == [{"Ref": topic_id}], name
        assert alarm["TreatMissingData"] == "notBreaching", name
    latency = alarms["products-api-dev-api-latency-p99"]
    assert latency["ExtendedStatistic"] == "p99"
    assert latency["Threshold"] == 2000
    assert latency["EvaluationPeriods"] == 3
    stage_dimension = {"Name": "Stage", "Value": Match.any_value()}
    default_stack.template.has_resource_properties(
        "AWS::CloudWatch::Alarm",
        {"MetricName": "5XXError", "Dimensions": Match.array_with([stage_dimension])},
    )


def _math_metrics(alarm: dict[str, Any]) -> tuple[str, list[tuple[str, str]]]:
    """The alarm's expression and the (namespace, metric) pairs it reads."""
    (expression,) = [m["Expression"] for m in alarm["Metrics"] if "Expression" in m]
    inputs = [
        (m["MetricStat"]["Metric"]["Namespace"], m["MetricStat"]["Metric"]["MetricName"])
        for m in alarm["Metrics"]
        if "MetricStat" in m
    ]
    return expression, inputs


def test_table_alarms_cover_every_operation_the_adapter_calls(default_stack: Synthesised) -> None:
    alarms = _alarms(default_stack)
    for name, metric in [
        ("products-api-dev-table-throttles", "ThrottledRequests"),
        ("products-api-dev-table-system-errors", "SystemErrors"),
    ]:
        alarm = alarms[name]
        _, inputs = _math_metrics(alarm)
        assert inputs == [("AWS/DynamoDB", metric)] * len(contract.DYNAMODB_ACTIONS), name
        operations = {
            d["Value"]
            for m in alarm["Metrics"]
            if "MetricStat" in m
            for d in m["MetricStat"]["Metric"]["Dimensions"]
            if d["Name"] == "Operation"
        }
        assert operations == {a.split(":")[1] for a in contract.DYNAMODB_ACTIONS}
        assert alarm["Threshold"] == 1


def test_4xx_alarm_is_a_rate_that_ignores_low_traffic(default_stack: Synthesised) -> None:
    alarm = _alarms(default_stack)["products-api-dev-api-4xx-rate"]
    expression, inputs = _math_metrics(alarm)
    assert expression == "IF(requests >= 20, 100 * errors / requests, 0)"
    assert sorted(inputs) == [("AWS/ApiGateway", "4XXError"), ("AWS/ApiGateway", "Count")]
    assert alarm["Threshold"] == 10
    assert alarm["EvaluationPeriods"] == 3


def test_concurrency_alarm_warns_at_80_percent_of_the_reserved_limit(
    default_stack: Synthesised, options_stack: Synthesised
) -> None:
    assert _alarms(default_stack)["products-api-dev-function-concurrency"]["Threshold"] == 8
    assert _alarms(options_stack)["products-api-staging-function-concurrency"]["Threshold"] == 40


def test_dashboard_shows_every_alarm(default_stack: Synthesised) -> None:
    dashboard = default_stack.only("AWS::CloudWatch::Dashboard")["Properties"]
    body = json.dumps(dashboard["DashboardBody"])
    for logical_id in default_stack.resources("AWS::CloudWatch::Alarm"):
        assert logical_id in body, logical_id


def test_alarm_topic_is_kms_encrypted_tls_only_and_open_to_cloudwatch_alarms(
    default_stack: Synthesised,
) -> None:
    topic = default_stack.only("AWS::SNS::Topic")["Properties"]
    key_id = _logical_id(default_stack, "AWS::KMS::Key")
    assert topic["KmsMasterKeyId"] == {"Fn::GetAtt": [key_id, "Arn"]}
    key = default_stack.only("AWS::KMS::Key")["Properties"]
    assert key["EnableKeyRotation"] is True
    policy = default_stack.only("AWS::SNS::TopicPolicy")["Properties"]["PolicyDocument"]
    statements = {s.get("Sid", ""): s for s in policy["Statement"]}
    deny = [s for s in statements.values() if s["Effect"] == "Deny"]
    assert deny and deny[0]["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    allow = statements["AllowThisAccountsCloudWatchAlarms"]
    assert allow["Principal"] == {"Service": "cloudwatch.amazonaws.com"}
    assert "aws:SourceAccount" in allow["Condition"]["StringEquals"]
    key_statements = key["KeyPolicy"]["Statement"]
    assert any(
        s.get("Principal") == {"Service": "cloudwatch.amazonaws.com"} for s in key_statements
    )


def test_alarm_email_option_subscribes_the_address(options_stack: Synthesised) -> None:
    options_stack.template.has_resource_properties(
        "AWS::SNS::Subscription", {"Protocol": "email", "Endpoint": "ops@example.com"}
    )


def test_dashboard_exists(default_stack: Synthesised) -> None:
    default_stack.template.has_resource_properties(
        "AWS::CloudWatch::Dashboard", {"DashboardName": "products-api-dev"}
    )


def test_outputs_name_the_api_url_table_function_topic_and_dashboard(
    default_stack: Synthesised,
) -> None:
    outputs = default_stack.template_json["Outputs"]
    # Exactly one URL output, named ApiUrl: `make deploy` writes it to cdk-outputs/<stage>.json.
    assert set(outputs) == {
        "ApiUrl",
        "TableName",
        "FunctionName",
        "AlarmTopicArn",
        "DashboardName",
        "EventBusName",
        "EventBusArn",
        "EventSchemaRegistryName",
        "EventsFailedRecordsQueueUrl",
        "ProductsReadOnlyPolicyArn",
        "ProductsFullAccessPolicyArn",
    }
    assert outputs["TableName"]["Value"] == {"Ref": _logical_id(default_stack, TABLE)}
    assert outputs["FunctionName"]["Value"] == {"Ref": default_stack.api_function_id}
    assert outputs["AlarmTopicArn"]["Value"] == {
        "Ref": _logical_id(default_stack, "AWS::SNS::Topic")
    }
    assert "execute-api" in json.dumps(outputs["ApiUrl"]["Value"])


def test_stack_is_environment_agnostic_offline_even_when_the_cli_sets_a_region(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The CDK CLI always exports CDK_DEFAULT_REGION (us-east-1 when nothing configures a
    # region); it must not end up in the template.
    monkeypatch.setenv("CDK_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("CDK_DEFAULT_ACCOUNT", "111111111111")
    app, stack = build_app({**cdk_json_context(), **SKIP_BUNDLING}, outdir=str(tmp_path))
    template = app.synth().get_stack_by_name(stack.stack_name).template
    assert cdk.Token.is_unresolved(stack.region) and cdk.Token.is_unresolved(stack.account)
    text = json.dumps(template)
    assert "us-east-1" not in text and "111111111111" not in text


def test_account_and_region_options_bind_the_stack(synth: SynthFactory) -> None:
    stack = synth({"account": "123456789012", "region": "eu-west-1"})
    assert (stack.stack.account, stack.stack.region) == ("123456789012", "eu-west-1")


# --- Safe deployments ------------------------------------------------------------------------


def test_api_invokes_a_published_version_through_the_live_alias(
    default_stack: Synthesised,
) -> None:
    alias = default_stack.only("AWS::Lambda::Alias")
    version_id = _logical_id(default_stack, "AWS::Lambda::Version")
    assert alias["Properties"]["Name"] == "live"
    assert alias["Properties"]["FunctionVersion"] == {"Fn::GetAtt": [version_id, "Version"]}
    alias_id = _logical_id(default_stack, "AWS::Lambda::Alias")
    for permission in default_stack.resources("AWS::Lambda::Permission").values():
        assert permission["Properties"]["FunctionName"] == {"Ref": alias_id}


def test_codedeploy_shifts_the_alias_and_rolls_back_on_error_and_latency_alarms(
    default_stack: Synthesised,
) -> None:
    alias = default_stack.only("AWS::Lambda::Alias")
    group_id = _logical_id(default_stack, "AWS::CodeDeploy::DeploymentGroup")
    update = alias["UpdatePolicy"]["CodeDeployLambdaAliasUpdate"]
    assert update["DeploymentGroupName"] == {"Ref": group_id}
    group = default_stack.only("AWS::CodeDeploy::DeploymentGroup")["Properties"]
    assert group["DeploymentConfigName"] == "CodeDeployDefault.LambdaAllAtOnce"
    assert set(group["AutoRollbackConfiguration"]["Events"]) == {
        "DEPLOYMENT_FAILURE",
        "DEPLOYMENT_STOP_ON_REQUEST",
        "DEPLOYMENT_STOP_ON_ALARM",
    }
    resources = default_stack.template_json["Resources"]
    watched = {
        resources[a["Name"]["Ref"]]["Properties"]["AlarmName"]
        for a in group["AlarmConfiguration"]["Alarms"]
    }
    assert watched == {"products-api-dev-function-errors", "products-api-dev-function-duration-p99"}


def test_production_stage_shifts_traffic_by_canary(synth: SynthFactory) -> None:
    prod = synth({"stage": "prod"})
    group = prod.only("AWS::CodeDeploy::DeploymentGroup")["Properties"]
    assert group["DeploymentConfigName"] == "CodeDeployDefault.LambdaCanary10Percent5Minutes"


def test_reserved_and_provisioned_concurrency_follow_the_stage(
    default_stack: Synthesised, options_stack: Synthesised
) -> None:
    assert default_stack.api_function()["Properties"]["ReservedConcurrentExecutions"] == 10
    assert (
        "ProvisionedConcurrencyConfig" not in default_stack.only("AWS::Lambda::Alias")["Properties"]
    )
    assert options_stack.api_function()["Properties"]["ReservedConcurrentExecutions"] == 50
    alias = options_stack.only("AWS::Lambda::Alias")["Properties"]
    assert alias["ProvisionedConcurrencyConfig"] == {"ProvisionedConcurrentExecutions": 2}


# --- Customer-managed keys (per-stage options) ----------------------------------------------


def test_dev_uses_aws_managed_encryption_without_extra_keys(default_stack: Synthesised) -> None:
    assert len(default_stack.resources("AWS::KMS::Key")) == 1  # the alarm topic's only
    for group in default_stack.resources("AWS::Logs::LogGroup").values():
        assert "KmsKeyId" not in group["Properties"]


def test_production_stages_encrypt_table_and_logs_with_retained_customer_keys(
    synth: SynthFactory,
) -> None:
    prod = synth({"stage": "prod"})
    keys = prod.resources("AWS::KMS::Key")
    table = prod.only(TABLE)["Properties"]
    table_key = table["SSESpecification"]["KMSMasterKeyId"]["Fn::GetAtt"][0]
    assert table["SSESpecification"]["SSEType"] == "KMS"
    assert keys[table_key]["DeletionPolicy"] == "Retain"  # the data outlives the stack
    log_keys = {
        g["Properties"]["KmsKeyId"]["Fn::GetAtt"][0]
        for g in prod.resources("AWS::Logs::LogGroup").values()
    }
    (log_key,) = log_keys
    assert keys[log_key]["Properties"]["EnableKeyRotation"] is True
    statements = keys[log_key]["Properties"]["KeyPolicy"]["Statement"]
    (logs_statement,) = [
        s for s in statements if s.get("Sid") == "AllowCloudWatchLogsOfThisAccount"
    ]
    assert "kms:EncryptionContext:aws:logs:arn" in logs_statement["Condition"]["ArnLike"]
    key_statements = [
        s for s in _function_role_statements(prod) if _list(s["Action"])[0].startswith("kms:")
    ]
    (statement,) = key_statements
    assert _list(statement["Resource"]) == [{"Fn::GetAtt": [table_key, "Arn"]}]
    assert "kms:ViaService" in statement["Condition"]["StringEquals"]


def test_an_alarm_added_after_the_graphs_is_still_on_the_dashboard() -> None:
    """No ordering rule: the dashboard grows with every add_alarms/add_graphs call."""
    stack = cdk.Stack()
    monitoring = Monitoring(stack, "Monitoring", config=StackConfig.from_mapping({}))
    metric = cloudwatch.Metric(namespace="Test", metric_name="Late")
    monitoring.add_graphs(cloudwatch.GraphWidget(title="first graph", left=[metric]))
    monitoring.add_alarms(
        [AlarmSpec("Late", "late", metric, threshold=1, description="added last")]
    )
    resources = Template.from_stack(stack).to_json()["Resources"]
    (alarm_id,) = [
        logical_id
        for logical_id, resource in resources.items()
        if resource["Properties"].get("AlarmName") == "products-api-dev-late"
    ]
    (dashboard,) = [
        json.dumps(r) for r in resources.values() if r["Type"] == "AWS::CloudWatch::Dashboard"
    ]
    assert "first graph" in dashboard
    assert alarm_id in dashboard


# --- SnapStart (stage option snapStart) --------------------------------------------------------


def test_without_snap_start_the_function_has_no_snapshot_setting(
    default_stack: Synthesised,
) -> None:
    assert "SnapStart" not in default_stack.api_function()["Properties"]


def test_snap_start_publishes_versions_with_snapshots_behind_the_alias_and_codedeploy(
    synth: SynthFactory,
) -> None:
    stack = synth({"stage": "prod"})
    function = stack.api_function()["Properties"]
    assert function["SnapStart"] == {"ApplyOn": "PublishedVersions"}
    version_id, version = next(iter(stack.resources("AWS::Lambda::Version").items()))
    assert version["Properties"]["FunctionName"] == {"Ref": stack.api_function_id}
    alias = stack.only("AWS::Lambda::Alias")
    assert alias["Properties"]["FunctionVersion"] == {"Fn::GetAtt": [version_id, "Version"]}
    assert "ProvisionedConcurrencyConfig" not in alias["Properties"]
    assert "CodeDeployLambdaAliasUpdate" in alias["UpdatePolicy"]
    assert stack.only("AWS::CodeDeploy::DeploymentGroup")

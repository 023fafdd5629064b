"""The domain events pipeline in the template: stream, mapping, function, bus, queue, schemas,
alarms and the stream function's least-privilege role."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from app import contract
from infra import event_bus as events_infra
from tests.infra.conftest import Synthesised

pytestmark = pytest.mark.infra

PROJECT_ROOT = Path(__file__).resolve().parents[2]


def _stream_function(stack: Synthesised) -> tuple[str, dict[str, Any]]:
    (found,) = [
        (logical_id, resource)
        for logical_id, resource in stack.resources("AWS::Lambda::Function").items()
        if resource["Properties"]["Handler"] == contract.STREAM_HANDLER
    ]
    return found


def _logical_id(stack: Synthesised, resource_type: str) -> str:
    (logical_id,) = stack.resources(resource_type)
    return logical_id


def test_table_streams_new_and_old_images(default_stack: Synthesised) -> None:
    table = default_stack.only("AWS::DynamoDB::Table")["Properties"]
    assert table["StreamSpecification"] == {"StreamViewType": "NEW_AND_OLD_IMAGES"}


def test_stream_function_shares_the_api_asset_layer_runtime_and_architecture(
    default_stack: Synthesised,
) -> None:
    _, stream = _stream_function(default_stack)
    api = default_stack.api_function()["Properties"]
    props = stream["Properties"]
    for key in ("Code", "Layers", "Runtime", "Architectures"):
        assert props[key] == api[key], key
    assert props["Runtime"] == "python3.14" and props["Architectures"] == ["arm64"]
    assert props["Environment"]["Variables"][contract.ENV_EVENT_BUS_NAME] == {
        "Ref": _logical_id(default_stack, "AWS::Events::EventBus")
    }
    assert "ReservedConcurrentExecutions" in props


def test_stream_handler_path_names_a_callable_of_the_packaged_app() -> None:
    import importlib

    module_name, _, attribute = contract.STREAM_HANDLER.rpartition(".")
    assert (PROJECT_ROOT / Path(*module_name.split("."))).with_suffix(".py").is_file()
    assert callable(getattr(importlib.import_module(module_name), attribute))


def test_mapping_reports_partial_failures_bisects_and_bounds_retries_and_age(
    default_stack: Synthesised,
) -> None:
    mapping = default_stack.only("AWS::Lambda::EventSourceMapping")["Properties"]
    function_id, _ = _stream_function(default_stack)
    queue_id = _logical_id(default_stack, "AWS::SQS::Queue")
    table_id = _logical_id(default_stack, "AWS::DynamoDB::Table")
    assert mapping["FunctionName"] == {"Ref": function_id}
    assert mapping["EventSourceArn"] == {"Fn::GetAtt": [table_id, "StreamArn"]}
    assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert mapping["BisectBatchOnFunctionError"] is True
    assert mapping["MaximumRetryAttempts"] == events_infra.RETRY_ATTEMPTS
    assert mapping["MaximumRecordAgeInSeconds"] == events_infra.MAX_RECORD_AGE.to_seconds()
    assert mapping["ParallelizationFactor"] == 1
    assert mapping["StartingPosition"] == "TRIM_HORIZON"
    assert mapping["DestinationConfig"] == {
        "OnFailure": {"Destination": {"Fn::GetAtt": [queue_id, "Arn"]}}
    }


def test_failure_queue_is_encrypted_and_tls_only(default_stack: Synthesised) -> None:
    queue_id = _logical_id(default_stack, "AWS::SQS::Queue")
    queue = default_stack.only("AWS::SQS::Queue")["Properties"]
    assert queue["KmsMasterKeyId"] == "alias/aws/sqs"
    assert queue["MessageRetentionPeriod"] == 14 * 24 * 3600
    policy = default_stack.only("AWS::SQS::QueuePolicy")["Properties"]
    assert policy["Queues"] == [{"Ref": queue_id}]
    (statement,) = policy["PolicyDocument"]["Statement"]
    assert statement["Effect"] == "Deny"
    assert statement["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}


def _role_statements(stack: Synthesised, function_id: str) -> list[dict[str, Any]]:
    function = stack.resources("AWS::Lambda::Function")[function_id]
    role = function["Properties"]["Role"]["Fn::GetAtt"][0]
    return [
        statement
        for policy in stack.resources("AWS::IAM::Policy").values()
        if {"Ref": role} in policy["Properties"]["Roles"]
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
    ]


def test_stream_function_may_put_events_on_this_bus_only_and_read_this_stream_only(
    default_stack: Synthesised,
) -> None:
    function_id, _ = _stream_function(default_stack)
    statements = _role_statements(default_stack, function_id)
    bus_id = _logical_id(default_stack, "AWS::Events::EventBus")
    table_id = _logical_id(default_stack, "AWS::DynamoDB::Table")
    by_action = {
        action: statement["Resource"]
        for statement in statements
        for action in (
            statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        )
    }
    assert by_action["events:PutEvents"] == {"Fn::GetAtt": [bus_id, "Arn"]}
    for action in ("DescribeStream", "GetRecords", "GetShardIterator", "ListStreams"):
        assert by_action[f"dynamodb:{action}"] == {"Fn::GetAtt": [table_id, "StreamArn"]}
    assert not [a for a in by_action if a.startswith("events:") and a != "events:PutEvents"]
    assert "*" not in json.dumps([s["Resource"] for s in statements])
    # and the API function's role gained nothing of the pipeline
    api_actions = {
        action
        for statement in _role_statements(default_stack, default_stack.api_function_id)
        for action in statement["Action"]
    }
    assert not {a for a in api_actions if a.startswith("events:") or a.endswith("Streams")}
    assert not api_actions & {"dynamodb:GetRecords", "dynamodb:GetShardIterator"}


def test_bus_and_registry_are_outputs_and_one_schema_per_detail_type_is_registered(
    default_stack: Synthesised,
) -> None:
    outputs = default_stack.template_json["Outputs"]
    bus_id = _logical_id(default_stack, "AWS::Events::EventBus")
    assert outputs["EventBusName"]["Value"] == {"Ref": bus_id}
    assert outputs["EventBusArn"]["Value"] == {"Fn::GetAtt": [bus_id, "Arn"]}
    schemas = {
        s["Properties"]["SchemaName"]: s["Properties"]
        for s in default_stack.resources("AWS::EventSchemas::Schema").values()
    }
    assert sorted(schemas) == sorted(
        f"{contract.EVENT_SOURCE}@{name}" for name in contract.EVENT_DETAIL_TYPES
    )
    for name in contract.EVENT_DETAIL_TYPES:
        schema = schemas[f"{contract.EVENT_SOURCE}@{name}"]
        assert schema["Type"] == "JSONSchemaDraft4"
        committed = PROJECT_ROOT / "docs" / "events" / f"{name}.schema.json"
        assert schema["Content"] == committed.read_text()


def test_alarms_watch_the_failure_queue_and_the_iterator_age(default_stack: Synthesised) -> None:
    alarms = {
        a["Properties"]["AlarmName"]: a["Properties"]
        for a in default_stack.resources("AWS::CloudWatch::Alarm").values()
    }
    queue_id = _logical_id(default_stack, "AWS::SQS::Queue")
    function_id, _ = _stream_function(default_stack)
    depth = alarms["products-api-dev-events-failed-records"]
    assert depth["Threshold"] == 1
    assert depth["Dimensions"] == [
        {"Name": "QueueName", "Value": {"Fn::GetAtt": [queue_id, "QueueName"]}}
    ]
    age = alarms["products-api-dev-events-iterator-age"]
    assert age["Threshold"] == 5 * 60 * 1000
    assert age["Dimensions"] == [{"Name": "FunctionName", "Value": {"Ref": function_id}}]
    dashboard = json.dumps(default_stack.only("AWS::CloudWatch::Dashboard"))
    assert "IteratorAge" in dashboard and "ApproximateNumberOfMessagesVisible" in dashboard

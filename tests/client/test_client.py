"""The products client and CLI against the in-process gateway (stand-in function) and moto."""

from __future__ import annotations

import json
from pathlib import Path

import boto3
import pytest
from moto import mock_aws

from products_client import cli
from products_client.client import (
    ApiError,
    ClientError,
    ProductsClient,
    endpoint_from_stack,
    region_from_endpoint,
)
from tests.local_api.conftest import CREDENTIALS, StubGateway


@pytest.mark.parametrize(
    ("endpoint", "region"),
    [
        ("https://a1b2c3d4e5.execute-api.eu-west-1.amazonaws.com/dev/", "eu-west-1"),
        ("https://a1b2c3d4e5.execute-api.cn-north-1.amazonaws.com.cn/prod", "cn-north-1"),
        ("http://127.0.0.1:3000", None),
        ("https://api.example.com/", None),
    ],
)
def test_the_signing_region_is_read_from_an_execute_api_url(
    endpoint: str, region: str | None
) -> None:
    assert region_from_endpoint(endpoint) == region


def test_the_client_signs_for_the_region_of_a_deployed_url() -> None:
    client = ProductsClient(
        "https://a1b2c3d4e5.execute-api.eu-west-1.amazonaws.com/dev/", credentials=CREDENTIALS
    )

    assert client.region == "eu-west-1"


def test_without_credentials_the_client_says_how_to_provide_them(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")

    with pytest.raises(ClientError, match="no AWS credentials found"):
        ProductsClient("http://127.0.0.1:3000")


def test_an_unreachable_local_endpoint_suggests_make_run() -> None:
    client = ProductsClient(
        "http://127.0.0.1:9", credentials=CREDENTIALS, timeout=5, sleep=lambda _: None
    )

    with pytest.raises(ClientError, match="make run"):
        client.list_page()


def test_api_errors_carry_status_message_field_errors_and_request_id(stub: StubGateway) -> None:
    stub.function.response = {
        "statusCode": 400,
        "body": json.dumps(
            {"message": "Invalid input", "errors": [{"field": "name", "message": "too long"}]}
        ),
    }
    client = ProductsClient(stub.url, credentials=CREDENTIALS)

    with pytest.raises(ApiError) as error:
        client.create("x" * 300)

    assert error.value.status == 400
    assert error.value.errors == [{"field": "name", "message": "too long"}]
    assert error.value.request_id
    assert str(error.value) == "HTTP 400: Invalid input\n  name: too long"


def test_update_sends_only_the_given_fields_and_if_match(stub: StubGateway) -> None:
    stub.function.response = {"statusCode": 200, "body": '{"id": "p1", "version": 4}'}
    client = ProductsClient(stub.url, credentials=CREDENTIALS)

    client.update("p1", description=None, if_match=3)

    event = stub.function.events[0]
    assert json.loads(event["body"]) == {"description": None}
    assert event["headers"]["If-Match"] == '"3"'


def test_the_cli_prints_json_and_exits_0(
    stub: StubGateway, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", CREDENTIALS.access_key)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", CREDENTIALS.secret_key)
    monkeypatch.delenv("AWS_SESSION_TOKEN")
    stub.function.response = {"statusCode": 201, "body": '{"id": "p1", "name": "Lamp"}'}

    exit_code = cli.main(["--endpoint", stub.url, "create", "--name", "Lamp"])

    assert exit_code == 0
    assert json.loads(capsys.readouterr().out) == {"id": "p1", "name": "Lamp"}


def test_the_cli_reports_gateway_rejections_on_stderr_and_exits_1(
    stub: StubGateway, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIASOMEONEELSE00000")  # unknown to the gateway

    exit_code = cli.main(["--endpoint", stub.url, "list"])

    output = capsys.readouterr()
    assert exit_code == 1
    assert output.out == ""
    assert "HTTP 403: The security token included in the request is invalid." in output.err
    assert "request id:" in output.err


def test_the_cli_rejects_contradictory_options() -> None:
    with pytest.raises(SystemExit) as usage:
        cli.main(["update", "p1", "--description", "x", "--clear-description"])

    assert usage.value.code == 2


def create_stack(name: str, outputs: dict[str, str]) -> None:
    template = {
        "Resources": {"Topic": {"Type": "AWS::SNS::Topic"}},
        "Outputs": {key: {"Value": value} for key, value in outputs.items()},
    }
    boto3.client("cloudformation", region_name="us-east-1").create_stack(
        StackName=name, TemplateBody=json.dumps(template)
    )


def test_the_api_url_is_read_from_the_stack_outputs() -> None:
    api_url = "https://a1b2c3d4e5.execute-api.us-east-1.amazonaws.com/dev/"
    with mock_aws():
        create_stack("products-api-dev", {"TableName": "products", "ApiUrl": api_url})
        create_stack("unrelated", {"TableName": "products"})

        found = endpoint_from_stack("products-api-dev", region="us-east-1", profile=None)
        with pytest.raises(ClientError, match="no execute-api URL"):
            endpoint_from_stack("unrelated", region="us-east-1", profile=None)

    assert found == api_url

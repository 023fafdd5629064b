"""The table behind the local API: moto in-process by default, or any DynamoDB endpoint."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient

ENDPOINT_ENV = "AWS_ENDPOINT_URL_DYNAMODB"  # botocore's own variable, so the handler follows it
_PLACEHOLDER = "local"
# Emulators accept any key pair, but botocore refuses to sign without one.
_PLACEHOLDER_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": _PLACEHOLDER,
    "AWS_SECRET_ACCESS_KEY": _PLACEHOLDER,
}


class StorageError(RuntimeError):
    """The configured DynamoDB cannot serve the local API (message says why and what to do)."""


def is_aws_endpoint(endpoint_url: str) -> bool:
    """True for a real AWS DynamoDB endpoint (where tables are never created implicitly)."""
    host = urlsplit(endpoint_url).hostname or ""
    return host.endswith(".amazonaws.com") or host.endswith(".amazonaws.com.cn")


@contextlib.contextmanager
def dynamodb_storage(endpoint_url: str | None, table_name: str, region: str) -> Iterator[str]:
    """Provide the table for the whole server lifetime; yield a description of where it lives.

    Without ``endpoint_url`` moto's ``mock_aws`` is started in this process (it patches botocore
    globally, so the handler's lazily built client is served by it too). With an endpoint the
    handler is pointed at it through ``AWS_ENDPOINT_URL_DYNAMODB``. Either way the table is
    created from the adapter's own definition unless it already exists.
    """
    if endpoint_url is None:
        os.environ.pop(ENDPOINT_ENV, None)  # a custom endpoint would bypass the mock
        from moto import mock_aws  # imported lazily: ~1 s, and only this mode needs it

        with mock_aws():
            ensure_table(_client(None, region), table_name)
            yield f"embedded moto DynamoDB (in memory), table {table_name!r}"
        return
    os.environ[ENDPOINT_ENV] = endpoint_url
    real_aws = is_aws_endpoint(endpoint_url)
    if not real_aws and not _has_credentials():
        os.environ.update(_PLACEHOLDER_CREDENTIALS)
    ensure_table(_client(endpoint_url, region), table_name, create=not real_aws)
    yield f"DynamoDB at {endpoint_url}, table {table_name!r}"


def _client(endpoint_url: str | None, region: str) -> DynamoDBClient:
    import boto3

    return boto3.client("dynamodb", region_name=region, endpoint_url=endpoint_url)


def _has_credentials() -> bool:
    import botocore.session

    return botocore.session.get_session().get_credentials() is not None


def ensure_table(
    client: DynamoDBClient, table_name: str, *, create: bool = True, poll_seconds: int = 1
) -> None:
    """Make sure ``table_name`` exists and is ACTIVE, creating it (when allowed) if missing.

    Safe when several servers start together on a fresh DynamoDB: a table created by another one
    between our check and our create (``ResourceInUseException``) is used, once it is ACTIVE.
    """
    from botocore.exceptions import BotoCoreError, ClientError

    from app.adapters.dynamodb_product_repository import table_definition

    try:
        try:
            status: str | None = client.describe_table(TableName=table_name)["Table"]["TableStatus"]
        except ClientError as error:
            if error_code(error) != "ResourceNotFoundException":
                raise StorageError(f"cannot use table {table_name!r}: {error}") from error
            status = None
        if status is None:
            if not create:
                raise StorageError(
                    f"table {table_name!r} does not exist; the local API never creates tables in"
                    " AWS (deploy the stack, or set TABLE_NAME to an existing table)"
                )
            try:
                client.create_table(**table_definition(table_name))
            except ClientError as error:
                if error_code(error) != "ResourceInUseException":  # not "created meanwhile"
                    raise StorageError(f"cannot create table {table_name!r}: {error}") from error
        if status != "ACTIVE":
            client.get_waiter("table_exists").wait(  # polls until TableStatus is ACTIVE
                TableName=table_name, WaiterConfig={"Delay": poll_seconds, "MaxAttempts": 30}
            )
    except BotoCoreError as error:  # unreachable endpoint, waiter gave up, ...
        raise StorageError(f"cannot reach DynamoDB or table {table_name!r}: {error}") from error


def error_code(error: Exception) -> str:
    """The AWS error code of a botocore ClientError (empty for any other error)."""
    response = getattr(error, "response", None) or {}
    return str(response.get("Error", {}).get("Code", ""))

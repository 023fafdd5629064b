"""What the benchmarks feed the handlers: REST proxy events, a Lambda context, a floor handler.

Independent of ``tests/`` on purpose: benchmarks must run (and keep their meaning) whatever the
test helpers become. The events carry what API Gateway's REST proxy integration sends and the
handler reads; ``tests/events.py`` is the fuller, test-facing builder.
"""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

ACCOUNT_ID = "123456789012"
HOST = "abc123.execute-api.us-east-1.amazonaws.com"


class LambdaContext:
    """The attributes of Lambda's context object that Powertools reads."""

    function_name = "products-api-bench"
    function_version = "$LATEST"
    memory_limit_in_mb = 512
    invoked_function_arn = f"arn:aws:lambda:us-east-1:{ACCOUNT_ID}:function:products-api-bench"
    log_group_name = "/aws/lambda/products-api-bench"
    log_stream_name = "bench"

    def __init__(self) -> None:
        self.aws_request_id = str(uuid.uuid4())

    def get_remaining_time_in_millis(self) -> int:
        """Always plenty: benchmarks never time out."""
        return 30_000


def rest_event(
    method: str, path: str, body: Any = None, query: dict[str, str] | None = None
) -> dict[str, Any]:
    """An API Gateway REST (v1) proxy event for ``/products`` or ``/products/{id}``."""
    parts = path.strip("/").split("/")
    product_id = parts[1] if len(parts) == 2 else None
    resource = "/products/{id}" if product_id else "/products"
    headers = {"Host": HOST, "X-Amz-Date": "20261122T100000Z", "Authorization": "AWS4-HMAC-SHA256"}
    if body is not None:
        headers["Content-Type"] = "application/json"
    request_id = str(uuid.uuid4())
    return {
        "resource": resource,
        "path": path,
        "httpMethod": method,
        "headers": headers,
        "multiValueHeaders": {k: [v] for k, v in headers.items()},
        "queryStringParameters": query,
        "multiValueQueryStringParameters": {k: [v] for k, v in query.items()} if query else None,
        "pathParameters": {"id": product_id} if product_id else None,
        "stageVariables": None,
        "requestContext": {
            "resourcePath": resource,
            "httpMethod": method,
            "path": f"/prod{path}",
            "accountId": ACCOUNT_ID,
            "stage": "prod",
            "requestId": request_id,
            "requestTimeEpoch": int(time.time() * 1000),
            "identity": {"sourceIp": "203.0.113.7", "userAgent": "bench"},
            "domainName": HOST,
            "apiId": "abc123",
        },
        "body": None if body is None else json.dumps(body),
        "isBase64Encoded": False,
    }


def workload(index: int, product_id: str | None) -> list[tuple[str, dict[str, Any]]]:
    """One round of the CRUD mix, by operation name (``product_id`` is filled in after create)."""
    if product_id is None:
        return [("create", rest_event("POST", "/products", body={"name": f"product {index}"}))]
    path = f"/products/{product_id}"
    return [
        ("get", rest_event("GET", path)),
        ("update", rest_event("PUT", path, body={"description": "updated"})),
        ("list", rest_event("GET", "/products", query={"pageSize": "50"})),
        ("delete", rest_event("DELETE", path)),
    ]


def floor_handler(client: Any, table: str) -> Any:
    """The least a products handler can do: no framework, no validation, one DynamoDB call.

    It anchors the budgets: our overhead divided by the floor's, measured in the same run, stays
    meaningful on a busy or a fast machine, where absolute microseconds do not.
    """

    def respond(status: int, body: Any = None) -> dict[str, Any]:
        return {
            "statusCode": status,
            "headers": {"Content-Type": "application/json"},
            "body": "" if body is None else json.dumps(body),
        }

    def product(item: dict[str, Any]) -> dict[str, Any]:
        return {k: v.get("S", v.get("N")) for k, v in item.items()}

    def handle(event: dict[str, Any], context: Any) -> dict[str, Any]:
        method = event["httpMethod"]
        key = {"id": {"S": (event.get("pathParameters") or {}).get("id", "")}}
        if event["resource"] == "/products" and method == "POST":
            new = {"id": str(uuid.uuid4()), **json.loads(event["body"])}
            client.put_item(TableName=table, Item={k: {"S": v} for k, v in new.items()})
            return respond(201, new)
        if event["resource"] == "/products":
            limit = int((event.get("queryStringParameters") or {}).get("pageSize", "20"))
            items = client.scan(TableName=table, Limit=limit)["Items"]
            return respond(200, {"products": [product(i) for i in items]})
        if method == "GET":
            return respond(200, product(client.get_item(TableName=table, Key=key)["Item"]))
        if method == "PUT":
            description = json.loads(event["body"])["description"]
            item = client.update_item(
                TableName=table,
                Key=key,
                UpdateExpression="SET description = :d",
                ExpressionAttributeValues={":d": {"S": description}},
                ReturnValues="ALL_NEW",
            )["Attributes"]
            return respond(200, product(item))
        client.delete_item(TableName=table, Key=key)
        return respond(204)

    return handle

"""What the benchmarks feed the handlers: the workload of REST proxy events and a floor handler.

The events and the Lambda context are the tests' own (``tests/support``): one builder of what API
Gateway's REST proxy integration sends, shared by tests and benchmarks.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from tests.support.lambda_context import FakeLambdaContext as LambdaContext
from tests.support.rest_events import rest_event

__all__ = ["LambdaContext", "rest_event", "workload"]


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

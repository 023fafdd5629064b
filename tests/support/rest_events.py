"""Realistic API Gateway REST proxy events, as AWS sends them (tests and benchmarks use these).

This module deliberately duplicates what ``local_api/proxy_events.py`` does for the local
gateway and imports nothing from it: the handler tests build events from AWS's documented format
on their own, so a mistake in the local gateway's translation cannot hide a handler bug (or the
reverse).
"""

from __future__ import annotations

import base64
import json
import time
import uuid
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qs, urlencode

from app import contract
from tests.support.lambda_context import ACCOUNT_ID

STAGE = "prod"


def _resource_for(path: str) -> tuple[str, dict[str, str] | None]:
    """The stack's resource a path belongs to (``app.contract``) and its path parameters."""
    parts = path.strip("/").split("/")
    for resource in contract.ROUTES:
        template = resource.strip("/").split("/")
        if len(template) == len(parts) and all(
            t == p or t.startswith("{") for t, p in zip(template, parts)
        ):
            parameters = {t[1:-1]: p for t, p in zip(template, parts) if t.startswith("{")}
            return resource, parameters or None
    return path, None


def rest_event(
    method: str,
    path: str,
    *,
    body: Any = None,
    raw_body: str | None = None,
    headers: dict[str, str] | None = None,
    query: str | Mapping[str, str] = "",
    is_base64_encoded: bool = False,
) -> dict[str, Any]:
    """An API Gateway REST (v1) Lambda proxy event; ``body`` is JSON-encoded unless ``raw_body``."""
    all_headers = {
        "Host": "abc123.execute-api.us-east-1.amazonaws.com",
        "User-Agent": "pytest",
        "X-Amz-Date": "20261122T100000Z",
        "Authorization": "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261122/us-east-1/...",
        "X-Forwarded-For": "203.0.113.7",
    }
    if body is not None:
        all_headers["Content-Type"] = "application/json"
    all_headers.update(headers or {})
    if raw_body is None and body is not None:
        raw_body = json.dumps(body)
    if is_base64_encoded and raw_body is not None:
        raw_body = base64.b64encode(raw_body.encode()).decode()
    if not isinstance(query, str):
        query = urlencode(query)
    multi_query = parse_qs(query, keep_blank_values=True) if query else None
    resource, path_parameters = _resource_for(path)
    request_id = str(uuid.uuid4())
    return {
        "resource": resource,
        "path": path,
        "httpMethod": method,
        "headers": all_headers,
        "multiValueHeaders": {k: [v] for k, v in all_headers.items()},
        "queryStringParameters": (
            {k: v[-1] for k, v in multi_query.items()} if multi_query else None
        ),
        "multiValueQueryStringParameters": multi_query,
        "pathParameters": path_parameters,
        "stageVariables": None,
        "requestContext": {
            "resourceId": "abc123",
            "resourcePath": resource,
            "httpMethod": method,
            "extendedRequestId": "Ab1CdEfGhIjKlMn=",
            "requestTime": "22/Nov/2026:10:00:00 +0000",
            "path": f"/{STAGE}{path}",
            "accountId": ACCOUNT_ID,
            "protocol": "HTTP/1.1",
            "stage": STAGE,
            "domainPrefix": "abc123",
            "requestTimeEpoch": int(time.time() * 1000),
            "requestId": request_id,
            "identity": {
                "cognitoIdentityPoolId": None,
                "accountId": ACCOUNT_ID,
                "cognitoIdentityId": None,
                "caller": "AIDAEXAMPLE",
                "sourceIp": "203.0.113.7",
                "principalOrgId": None,
                "accessKey": "AKIDEXAMPLE",
                "cognitoAuthenticationType": None,
                "cognitoAuthenticationProvider": None,
                "userArn": f"arn:aws:iam::{ACCOUNT_ID}:user/tester",
                "userAgent": "pytest",
                "user": "AIDAEXAMPLE",
            },
            "domainName": "abc123.execute-api.us-east-1.amazonaws.com",
            "apiId": "abc123",
        },
        "body": raw_body,
        "isBase64Encoded": is_base64_encoded,
    }

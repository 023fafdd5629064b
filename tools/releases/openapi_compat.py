"""Breaking changes between two OpenAPI 3.x documents, and between two sets of event schemas.

The operation-level rules (docs/releases.md lists them with the schema rules of
``schema_compat``):

- an operation (method and path) removed, or its security requirement changed;
- a parameter removed, added as required, or made required; its schema compared as a request;
- a request body added as required, removed, made required, or a media type dropped; its schema
  compared as a request;
- a success (2xx) status removed or added; for a status in both versions, a response media type
  or header dropped, a header made optional, and the body and header schemas compared as
  responses. Error statuses may come and go: clients handle them by their class (4xx, 5xx);
- an event type (schema file) removed; each remaining event compared as a response.
"""

from __future__ import annotations

from typing import Any

from tools.releases.schema_compat import SchemaComparison

Document = dict[str, Any]
_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


def _operations(document: Document) -> dict[str, Document]:
    """``METHOD /path`` -> operation object."""
    return {
        f"{method.upper()} {path}": operation
        for path, item in document.get("paths", {}).items()
        for method, operation in item.items()
        if method in _METHODS
    }


def _parameters(operation: Document) -> dict[tuple[str, str], Document]:
    """(location, name) -> parameter; header names compared case-insensitively."""
    found = {}
    for parameter in operation.get("parameters", []):
        name = parameter["name"].lower() if parameter["in"] == "header" else parameter["name"]
        found[(parameter["in"], name)] = parameter
    return found


def _security(document: Document, operation: Document) -> Any:
    return operation.get("security", document.get("security"))


class OpenApiComparison:
    """The breaking changes from ``old`` to ``new`` (two OpenAPI documents)."""

    def __init__(self, old: Document, new: Document) -> None:
        self.old = old
        self.new = new
        self.schemas = SchemaComparison(old, new)

    def breaking(self) -> list[str]:
        problems: list[str] = []
        old_operations, new_operations = _operations(self.old), _operations(self.new)
        for name, old_operation in sorted(old_operations.items()):
            new_operation = new_operations.get(name)
            if new_operation is None:
                problems.append(f"{name}: operation removed")
                continue
            if _security(self.old, old_operation) != _security(self.new, new_operation):
                problems.append(f"{name}: security requirement changed")
            problems += self._parameters(name, old_operation, new_operation)
            problems += self._request_body(name, old_operation, new_operation)
            problems += self._responses(name, old_operation, new_operation)
        return problems

    def _parameters(self, name: str, old: Document, new: Document) -> list[str]:
        problems = []
        old_parameters, new_parameters = _parameters(old), _parameters(new)
        for key, parameter in sorted(new_parameters.items()):
            where = f"{name} {key[0]} parameter {parameter['name']}"
            if key not in old_parameters:
                if parameter.get("required"):
                    problems.append(f"{where}: new required parameter")
                continue
            if parameter.get("required") and not old_parameters[key].get("required"):
                problems.append(f"{where}: now required")
            problems += self.schemas.breaking(
                old_parameters[key].get("schema", {}), parameter.get("schema", {}), where, "request"
            )
        for key, parameter in sorted(old_parameters.items()):
            if key not in new_parameters:
                problems.append(f"{name} {key[0]} parameter {parameter['name']}: removed")
        return problems

    def _request_body(self, name: str, old: Document, new: Document) -> list[str]:
        where = f"{name} request body"
        old_body, new_body = old.get("requestBody"), new.get("requestBody")
        if old_body is None:
            return [f"{where}: new required body"] if new_body and new_body.get("required") else []
        if new_body is None:
            return [f"{where}: removed"]
        problems = []
        if new_body.get("required") and not old_body.get("required"):
            problems.append(f"{where}: now required")
        for media_type, content in sorted(old_body.get("content", {}).items()):
            if media_type not in new_body.get("content", {}):
                problems.append(f"{where}: {media_type} no longer accepted")
                continue
            problems += self.schemas.breaking(
                content.get("schema", {}),
                new_body["content"][media_type].get("schema", {}),
                where,
                "request",
            )
        return problems

    def _responses(self, name: str, old: Document, new: Document) -> list[str]:
        problems = []
        old_responses, new_responses = old.get("responses", {}), new.get("responses", {})
        for status in sorted(set(old_responses) ^ set(new_responses)):
            if status.startswith("2"):
                change = "removed" if status in old_responses else "added"
                problems.append(f"{name} {status} response: success status {change}")
        for status in sorted(set(old_responses) & set(new_responses)):
            problems += self._response(
                f"{name} {status} response", old_responses[status], new_responses[status]
            )
        return problems

    def _response(self, where: str, old: Document, new: Document) -> list[str]:
        problems = []
        old_content, new_content = old.get("content", {}), new.get("content", {})
        for media_type, content in sorted(old_content.items()):
            if media_type not in new_content:
                problems.append(f"{where}: {media_type} body no longer sent")
                continue
            problems += self.schemas.breaking(
                content.get("schema", {}),
                new_content[media_type].get("schema", {}),
                f"{where} body",
                "response",
            )
        old_headers = {k.lower(): v for k, v in old.get("headers", {}).items()}
        new_headers = {k.lower(): v for k, v in new.get("headers", {}).items()}
        for header, definition in sorted(old_headers.items()):
            there = f"{where} header {header}"
            if header not in new_headers:
                problems.append(f"{there}: removed")
                continue
            if definition.get("required") and not new_headers[header].get("required"):
                problems.append(f"{there}: no longer required (may be missing)")
            problems += self.schemas.breaking(
                definition.get("schema", {}),
                new_headers[header].get("schema", {}),
                there,
                "response",
            )
        return problems


def event_changes(old: dict[str, Document], new: dict[str, Document]) -> list[str]:
    """Breaking changes between two sets of event schemas (file name -> schema): what consumers
    receive, so compared as responses."""
    problems = []
    for name, old_schema in sorted(old.items()):
        if name not in new:
            problems.append(f"event {name}: removed")
            continue
        comparison = SchemaComparison(old_schema, new[name])
        problems += comparison.breaking(old_schema, new[name], f"event {name}", "response")
    return problems

"""The client's methods, one per operation of ``app.contract.OPERATIONS``, derived from it.

Each operation becomes a method named after its ``command`` (``create``, ``get``, ``update``,
``delete``; a listing becomes ``<command>_page`` plus an iterator over every page): the
operation's path parameters are its positional arguments, the product fields its body may set
(from the field declarations) its keyword arguments, plus ``if_match`` when it is conditional and
``idempotency_key`` when it takes one. Adding an operation to the contract adds its method here.
"""

from __future__ import annotations

import inspect
import uuid
from collections.abc import Callable, Iterator, Mapping
from typing import Any, Final, Protocol
from urllib.parse import quote

from app import contract
from app.domain import model
from app.domain.fields import FieldDeclaration

IDEMPOTENCY_KEY_HEADER = contract.IDEMPOTENCY_KEY_HEADER  # makes a create safe to resend


class Unset:
    """The type of ``UNSET``: "leave this field alone", as opposed to None ("clear it")."""

    def __repr__(self) -> str:
        return "UNSET"


UNSET: Final = Unset()

# The fields each kind of request body sets (``contract.Operation.body``).
BODY_FIELDS: dict[str, tuple[FieldDeclaration, ...]] = {
    "create": model.CREATE_FIELDS,
    "update": model.UPDATE_FIELDS,
    "none": (),
}


class Invoker(Protocol):
    """What a derived method needs from the client: one call of an operation."""

    def invoke(
        self,
        operation: contract.Operation,
        path_values: tuple[str, ...] = (),
        *,
        fields: Mapping[str, Any] | None = None,
        if_match: int | None = None,
        idempotency_key: str | None = None,
        query: Mapping[str, str] | None = None,
    ) -> Any:
        """Send the operation's request; its success body (None for no content)."""


def python_name(json_name: str) -> str:
    """A field's keyword argument: its JSON name in snake case (``lastUpdateDate`` -> ...)."""
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in json_name)


def request_path(operation: contract.Operation, path_values: tuple[str, ...]) -> str:
    """The operation's path with each path parameter's value filled in (percent-encoded)."""
    values = dict(zip(operation.path_parameters, path_values))
    parts = [
        quote(values[part[1:-1]], safe="") if part.startswith("{") else part
        for part in operation.resource.split("/")
    ]
    return "/".join(parts)


def prepared_request(
    operation: contract.Operation,
    fields: Mapping[str, Any] | None,
    if_match: int | None,
    idempotency_key: str | None,
) -> tuple[Any, dict[str, str]]:
    """The JSON body (None without one) and the headers a call of ``operation`` sends.

    ``fields`` are by keyword name; ``UNSET`` leaves a field out. A create always sends an
    ``Idempotency-Key`` (a fresh one unless given), so re-sending it cannot create twice.
    """
    body: Any = None
    if operation.body != "none":
        body = {
            declared.json_name: fields[python_name(declared.json_name)]
            for declared in BODY_FIELDS[operation.body]
            if fields and not isinstance(fields.get(python_name(declared.json_name), UNSET), Unset)
        }
    headers: dict[str, str] = {}
    if operation.conditional and if_match is not None:
        headers["If-Match"] = f'"{if_match}"'
    if operation.idempotent:
        headers[IDEMPOTENCY_KEY_HEADER] = idempotency_key or str(uuid.uuid4())
    return body, headers


def _signature(operation: contract.Operation) -> inspect.Signature:
    """``(self, <path parameters>, <fields>, *, if_match, idempotency_key)`` as it applies."""
    positional = inspect.Parameter.POSITIONAL_OR_KEYWORD
    keyword = inspect.Parameter.KEYWORD_ONLY
    parameters = [inspect.Parameter("self", positional)]
    parameters += [
        inspect.Parameter(f"product_{name}" if name == "id" else name, positional)
        for name in operation.path_parameters
    ]
    # A create's fields may be passed positionally in declaration order (name, description, ...);
    # an update's only by keyword, since any subset of them may change.
    field_kind = positional if operation.body == "create" else keyword
    for declared in BODY_FIELDS[operation.body]:
        required = operation.body == "create" and declared.required
        default = inspect.Parameter.empty if required else UNSET
        parameters.append(
            inspect.Parameter(python_name(declared.json_name), field_kind, default=default)
        )
    if operation.conditional:
        parameters.append(inspect.Parameter("if_match", keyword, default=None))
    if operation.idempotent:
        parameters.append(inspect.Parameter("idempotency_key", keyword, default=None))
    return inspect.Signature(parameters)


def _method(operation: contract.Operation) -> Callable[..., Any]:
    """The method calling ``operation``, with the signature :func:`_signature` describes."""
    signature = _signature(operation)
    path_names = list(signature.parameters)[1 : 1 + len(operation.path_parameters)]
    field_names = [python_name(d.json_name) for d in BODY_FIELDS[operation.body]]

    def call(self: Invoker, *arguments: Any, **options: Any) -> Any:
        bound = signature.bind(self, *arguments, **options)
        bound.apply_defaults()
        values = bound.arguments
        return self.invoke(
            operation,
            tuple(values[name] for name in path_names),
            fields={name: values[name] for name in field_names},
            if_match=values.get("if_match"),
            idempotency_key=values.get("idempotency_key"),
        )

    call.__name__ = call.__qualname__ = operation.command
    call.__doc__ = f"{operation.summary} ({operation.method} {operation.resource})."
    setattr(call, "__signature__", signature)
    return call


def _page_method(operation: contract.Operation) -> Callable[..., Any]:
    def page(self: Invoker, page_size: int | None = None, next_token: str | None = None) -> Any:
        query = {}
        if page_size is not None:
            query["pageSize"] = str(page_size)
        if next_token is not None:
            query["nextToken"] = next_token
        return self.invoke(operation, query=query)

    page.__name__ = page.__qualname__ = f"{operation.command}_page"
    page.__doc__ = (
        f"{operation.summary}: one page, ``{{products, nextToken?}}`` (none on the last)."
    )
    return page


def _iterator(page_method: Callable[..., Any]) -> Callable[..., Iterator[Any]]:
    def iterate(self: Invoker, page_size: int | None = None) -> Iterator[Any]:
        token: str | None = None
        while True:
            page = page_method(self, page_size, token)
            yield from page["products"]
            token = page.get("nextToken")
            if not token:
                return

    iterate.__doc__ = "Every product, following ``nextToken`` from page to page."
    return iterate


def operation_methods() -> dict[str, Callable[..., Any]]:
    """Method name -> method, for every declared operation."""
    methods: dict[str, Callable[..., Any]] = {}
    for operation in contract.OPERATIONS:
        if operation.response == "page":
            page = _page_method(operation)
            methods[page.__name__] = page
            methods[f"iter{operation.resource.replace('/', '_')}"] = _iterator(page)
        else:
            methods[operation.command] = _method(operation)
    return methods

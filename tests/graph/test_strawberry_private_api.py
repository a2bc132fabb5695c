"""The private strawberry API productgraph stands on is still there, with the parameters it
is called with. graph/plain_execution.py, graph/direct_resolvers.py and graph/serving.py
reach under strawberry's public surface; pyproject.toml pins strawberry's minor version
for that reason. When this test fails after an upgrade, read the named function in the new
strawberry, adapt the module that calls it, then widen the pin: an upgrade is a deliberate
act."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from importlib import import_module
from typing import Any

import pytest

#: (module, attribute path, the parameters productgraph passes, by name, after ``self``)
PRIVATE_API: list[tuple[str, str, tuple[str, ...]]] = [
    ("strawberry.schema", "Schema._create_execution_context",
     ("query", "allowed_operation_types", "variable_values", "context_value", "root_value",
      "operation_name", "operation_extensions")),
    ("strawberry.schema", "Schema._get_execute_function", ()),
    ("strawberry.schema", "Schema._get_custom_context_kwargs", ("operation_extensions",)),
    ("strawberry.schema", "Schema._process_errors", ("errors", "execution_context")),
    ("strawberry.schema._graphql_core", "execution_context_class_kwargs",
     ("execution_context_class",)),
    ("strawberry.asgi", "GraphQL._validate_batch_request", ("request_data", "protocol")),
    ("strawberry.asgi", "GraphQL.execute_single",
     ("request", "request_adapter", "sub_response", "context", "root_value",
      "request_data")),
    ("strawberry.asgi", "GraphQL.parse_multipart", ("request",)),
    ("strawberry.execution", "optimized_is_awaitable", ("value",)),
]

#: Names productgraph imports or reads that are not strawberry's documented API.
PRIVATE_NAMES: list[tuple[str, str]] = [
    ("strawberry.schema.exceptions", "CannotGetOperationTypeError"),
    ("strawberry.schema.exceptions", "InvalidOperationTypeError"),
    ("strawberry.schema.schema_converter", "GraphQLCoreConverter.DEFINITION_BACKREF"),
    ("strawberry.types.fields.resolver", "StrawberryResolver.is_async"),
    ("strawberry.types.fields.resolver", "StrawberryResolver.info_parameter"),
    ("strawberry.types.fields.resolver", "StrawberryResolver.root_parameter"),
    ("strawberry.types.fields.resolver", "StrawberryResolver.parent_parameter"),
    ("strawberry.types.fields.resolver", "StrawberryResolver.self_parameter"),
]


def lookup(module: str, path: str) -> Any:
    found: Any = import_module(module)
    for name in path.split("."):
        if not hasattr(found, name):
            pytest.fail(f"strawberry no longer has {module}.{path}: productgraph's plain "
                        "execution path relies on it (see this module's docstring)")
        found = getattr(found, name)
    return found


@pytest.mark.parametrize(("module", "path", "parameters"), PRIVATE_API,
                         ids=[path for _, path, _ in PRIVATE_API])
def test_a_private_function_takes_the_parameters_productgraph_passes(
        module: str, path: str, parameters: tuple[str, ...]) -> None:
    function: Callable[..., Any] = lookup(module, path)
    accepted = [name for name in inspect.signature(function).parameters if name != "self"]
    missing = [name for name in parameters if name not in accepted]
    assert not missing, (
        f"strawberry's {module}.{path} changed signature: productgraph passes "
        f"{list(parameters)}, it now takes {accepted} (missing {missing})")
    positional = accepted[:len(parameters)]
    assert positional == list(parameters), (
        f"strawberry's {module}.{path} reordered its parameters: productgraph expects "
        f"{list(parameters)} first, it now takes {accepted}")


@pytest.mark.parametrize(("module", "path"), PRIVATE_NAMES,
                         ids=[path for _, path in PRIVATE_NAMES])
def test_a_private_name_is_still_there(module: str, path: str) -> None:
    lookup(module, path)


def test_the_view_still_validates_batches_through_the_overridden_hook() -> None:
    """graph/serving.py refuses batches in ``_validate_batch_request``: strawberry must
    still call it for every batched request."""
    from strawberry.http.async_base_view import AsyncBaseHTTPView

    source = inspect.getsource(AsyncBaseHTTPView)
    assert "self._validate_batch_request(" in source, (
        "strawberry's async view no longer calls _validate_batch_request: the batch limit "
        "of graph/serving.py would be skipped")

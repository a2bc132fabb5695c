"""The plain path of ``schema.execute``: a prepared, valid query runs straight on
graphql-core, without strawberry's per-operation extension machinery.

strawberry's ``Schema.execute`` runs every operation through four extension stages
(operation, parsing, validation, executing); each stage builds a context manager per
extension, inspects its hooks and enters them — about 40 µs an operation for productgraph's
two extensions, whose whole work is a cache lookup and two metric updates. When the query's
verdict is cached as valid (``graph.documents.DocumentCache``) and its operation type is
allowed, ``execute_plain`` does that work itself and calls graphql-core as strawberry would
(same executor class, awaitable check and operation extensions); errors go through
``Schema.process_errors`` (logged) as strawberry's do, and the result is strawberry's
``ExecutionResult`` with empty ``extensions``, as its own would be.

Anything else — a refusal, a syntax or validation error, an operation type not allowed, no
query — returns ``None`` and the caller takes strawberry's full path, which reports it the
usual way. So does every operation of a schema with an extension this module does not stand
in for (``PLAIN_EXTENSIONS``): adding an extension to the schema turns the plain path off.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from graphql import GraphQLError
from strawberry.execution import optimized_is_awaitable
from strawberry.schema._graphql_core import execution_context_class_kwargs
from strawberry.types import ExecutionResult
from strawberry.types.graphql import OperationType
from strawberry.utils.operation import get_operation_type

from graph.documents import DocumentCache, PreparedDocumentExtension
from graph.metrics import GraphQLMetrics, observe_operation

if TYPE_CHECKING:
    from strawberry.schema import Schema

#: The extensions whose whole effect the plain path reproduces.
PLAIN_EXTENSIONS = frozenset({GraphQLMetrics, PreparedDocumentExtension})
ALL_OPERATION_TYPES = frozenset(OperationType)


def plain_path_applies(schema: Schema) -> bool:
    """True when every extension of ``schema`` is one the plain path stands in for."""
    return (set(schema.extensions) <= PLAIN_EXTENSIONS and not schema.directives
            and not schema.config.enable_experimental_incremental_execution)


async def execute_plain(
    schema: Schema, documents: DocumentCache, query: str | None, *,
    variable_values: dict[str, Any] | None, context_value: Any, root_value: Any,
    operation_name: str | None, allowed_operation_types: Iterable[OperationType] | None,
    operation_extensions: dict[str, Any] | None,
) -> ExecutionResult | None:
    """Execute a query whose cached verdict is "valid"; ``None`` when strawberry's own path
    must run instead (see the module docstring)."""
    started = time.perf_counter()
    if not query:
        return None
    try:
        prepared = documents.prepare(query)
        operation_type = get_operation_type(prepared.document, operation_name)
    except Exception:  # refused, a syntax error, no such operation: strawberry reports it
        return None
    allowed = ALL_OPERATION_TYPES if allowed_operation_types is None \
        else allowed_operation_types
    if prepared.errors or operation_type not in allowed:
        return None

    context = schema._create_execution_context(
        query=query, allowed_operation_types=allowed, variable_values=variable_values,
        context_value=context_value, root_value=root_value, operation_name=operation_name,
        operation_extensions=operation_extensions)
    context.graphql_document = prepared.document
    context.pre_execution_errors = []
    result: ExecutionResult
    try:
        outcome = schema._get_execute_function()(
            schema._schema, prepared.document, root_value=root_value,
            context_value=context_value, variable_values=variable_values,
            operation_name=operation_name, is_awaitable=optimized_is_awaitable,
            **execution_context_class_kwargs(schema.execution_context_class),
            **schema._get_custom_context_kwargs(operation_extensions))
        if optimized_is_awaitable(outcome):
            outcome = await outcome
        result = ExecutionResult(data=outcome.data, errors=outcome.errors, extensions={})
    except Exception as exc:  # as strawberry: an error result, not a raise
        error = exc if isinstance(exc, GraphQLError) else \
            GraphQLError(str(exc), original_error=exc)
        result = ExecutionResult(data=None, errors=[error], extensions={})
    context.result = result
    if result.errors:
        context.pre_execution_errors = result.errors
        schema._process_errors(result.errors, context)
    observe_operation(time.perf_counter() - started, result.errors, result.data)
    return result

"""The plain path of execution: a prepared, valid operation runs straight on graphql-core,
without strawberry's per-operation extension machinery.

strawberry's ``Schema.execute`` runs every operation through four extension stages
(operation, parsing, validation, executing); each stage builds a context manager per
extension, inspects its hooks and enters them, while productgraph's two extensions do no
more than a cache lookup and two metric updates (bench/README.md has the measurements).
The view (graph/serving.py) prepares each query once (``graph.documents.DocumentCache``)
and selects its operation once: ``PreparedOperation`` carries both here, and
``execute_plain`` does the extensions' work itself and calls graphql-core as strawberry
would (same executor class, awaitable check and operation extensions); errors go through
``Schema.process_errors`` (logged) as strawberry's do, and the result is strawberry's
``ExecutionResult`` with empty ``extensions``, as its own would be. An operation strawberry
would refuse (no operation by that name, a type the request may not run) raises
strawberry's own exception, counted in the metrics as strawberry's path counts it.

A compiled single-root query (graph/compiler.py) runs without graphql-core's executor:
its ``DirectRun`` (graph/direct_execution.py) answers what ``execute`` would.

A schema with an extension this module does not stand in for (``PLAIN_EXTENSIONS``) takes
strawberry's full path: adding an extension to the schema turns the plain path off.

This module stands on strawberry's private API (``_create_execution_context``,
``_get_execute_function``, ``_get_custom_context_kwargs``, ``_process_errors``,
``strawberry.schema._graphql_core``); pyproject.toml pins strawberry's minor version and
tests/graph/test_strawberry_private_api.py fails when those names change.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from graphql import DocumentNode, GraphQLError, OperationDefinitionNode
from strawberry.execution import optimized_is_awaitable
from strawberry.schema._graphql_core import execution_context_class_kwargs
from strawberry.schema.exceptions import CannotGetOperationTypeError, InvalidOperationTypeError
from strawberry.types import ExecutionResult
from strawberry.types.graphql import OperationType

from graph.compiler import ANSWER_COST
from graph.documents import PreparedDocumentExtension
from graph.limits import select_operation
from graph.metrics import GraphQLMetrics, observe_operation

if TYPE_CHECKING:
    from strawberry.schema import Schema

#: The extensions whose whole effect the plain path reproduces.
PLAIN_EXTENSIONS = frozenset({GraphQLMetrics, PreparedDocumentExtension})
ALL_OPERATION_TYPES = frozenset(OperationType)
#: strawberry's operation type of each graphql-core one, by value (``OperationType(value)``
#: looked up once).
_OPERATION_TYPES = {kind.value: kind for kind in OperationType}


def plain_path_applies(schema: Schema) -> bool:
    """True when every extension of ``schema`` is one the plain path stands in for."""
    return (set(schema.extensions) <= PLAIN_EXTENSIONS and not schema.directives
            and not schema.config.enable_experimental_incremental_execution)


@dataclass(frozen=True)
class PreparedOperation:
    """One request's query, parsed, limit-checked and valid, with the operation it runs."""

    query: str
    document: DocumentNode
    #: The operation name the request gave (``None``: none given).
    name: str | None
    #: ``graph.limits.select_operation``'s pick: ``None`` when the name picks none.
    operation: OperationDefinitionNode | None

    @classmethod
    def select(cls, query: str, document: DocumentNode,
               name: str | None) -> PreparedOperation:
        return cls(query, document, name, select_operation(document, name))

    def operation_type(self) -> OperationType:
        """The operation's type as strawberry determines it: the named operation's, else
        the first operation's (graphql-core then reports a missing name when there are
        several); ``CannotGetOperationTypeError`` when there is none."""
        if self.name is None:
            definition = self.operation or next(
                (d for d in self.document.definitions
                 if isinstance(d, OperationDefinitionNode)), None)
        else:  # strawberry matches a given name exactly, even an empty one
            definition = self.operation if self.name else None
        if definition is None:
            raise CannotGetOperationTypeError(self.name)
        return _OPERATION_TYPES.get(definition.operation.value) \
            or OperationType(definition.operation.value)


def _executor_kwargs(schema: Schema, prepared: PreparedOperation) -> dict[str, Any]:
    """graphql-core's executor for ``prepared``: the compiled one (graph/compiler.py) when
    the schema has compiled operations and the operation compiles, else the schema's."""
    compiled = getattr(schema, "compiled", None)
    executor_class = compiled.executor_class(prepared) if compiled is not None else None
    if executor_class is not None:
        return {"executor_class": executor_class}
    return execution_context_class_kwargs(schema.execution_context_class)


@dataclass
class PlainResult(ExecutionResult):
    """strawberry's result, with the answer's ``actual_cost`` when the compiled plan
    counted it while building the answer (graph/compiler.py)."""

    answer_cost: int | None = None


def answer_cost(result: ExecutionResult) -> int | None:
    """The answer's ``actual_cost`` as the compiled plan counted it; ``None``: not counted
    (count it with ``graph.limits.actual_cost``)."""
    return getattr(result, "answer_cost", None)


async def execute_plain(
    schema: Schema, prepared: PreparedOperation, *,
    variable_values: dict[str, Any] | None, context_value: Any, root_value: Any,
    allowed_operation_types: Iterable[OperationType] | None,
    operation_extensions: dict[str, Any] | None,
) -> ExecutionResult:
    """Execute a prepared, valid operation on graphql-core (see the module docstring)."""
    started = time.perf_counter()
    allowed = ALL_OPERATION_TYPES if allowed_operation_types is None \
        else allowed_operation_types
    try:
        operation_type = prepared.operation_type()
        if operation_type not in allowed:
            raise InvalidOperationTypeError(operation_type)
    except (CannotGetOperationTypeError, InvalidOperationTypeError):
        # As strawberry's path: raised to the caller (the view answers 400), and counted
        # by GraphQLMetrics as an operation without errors.
        observe_operation(time.perf_counter() - started, None, None)
        raise

    query, document = prepared.query, prepared.document
    operation_name = prepared.name
    result: ExecutionResult
    compiled = getattr(schema, "compiled", None)
    direct = compiled.direct(prepared) if compiled is not None \
        and (variable_values is None or type(variable_values) is dict) else None
    try:
        if direct is not None:
            # graph/direct_execution.py: what graphql-core would answer, without it.
            data, errors, counted = await direct.run(context_value, root_value,
                                                     variable_values, operation_extensions)
            result = PlainResult(data=data, errors=errors, extensions={},
                                 answer_cost=counted)
        else:
            outcome = schema._get_execute_function()(
                schema._schema, document, root_value=root_value,
                context_value=context_value, variable_values=variable_values,
                operation_name=operation_name, is_awaitable=optimized_is_awaitable,
                **_executor_kwargs(schema, prepared),
                **schema._get_custom_context_kwargs(operation_extensions))
            if optimized_is_awaitable(outcome):
                outcome = await outcome
            counted = (outcome.extensions or {}).get(ANSWER_COST) \
                if type(outcome.extensions) is dict else None
            result = PlainResult(data=outcome.data, errors=outcome.errors, extensions={},
                                 answer_cost=counted)
    except Exception as exc:  # as strawberry: an error result, not a raise
        error = exc if isinstance(exc, GraphQLError) else \
            GraphQLError(str(exc), original_error=exc)
        result = ExecutionResult(data=None, errors=[error], extensions={})
    if result.errors:
        # strawberry's execution context exists for its extensions (none run here) and
        # for ``process_errors``: built only when there are errors to process.
        context = schema._create_execution_context(
            query=query, allowed_operation_types=allowed, variable_values=variable_values,
            context_value=context_value, root_value=root_value,
            operation_name=operation_name, operation_extensions=operation_extensions)
        context.graphql_document = document
        context.result = result
        context.pre_execution_errors = result.errors
        schema._process_errors(result.errors, context)
    observe_operation(time.perf_counter() - started, result.errors, result.data)
    return result

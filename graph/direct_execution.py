"""Direct execution of a compiled single-root query: graphql-core's executor is not built.

graphql-core runs every operation through ``Executor.build`` (schema check, operation
selection, variable coercion, an executor of some twenty attributes) and
``execute_operation`` (root fields collected again, three nested coroutines around the
root resolver). For an operation compiled by graph/compiler.py whose only root field is
compiled (``product(id: $id) { … }``, the shape of a product page), everything that work
decides is fixed per operation, except the variables. ``DirectRun`` decides it once, when
the operation is compiled, and per request does only what depends on the request:

1. **variables**: coerced by a plan made from the operation's variable definitions, for
   values that are trivially valid (a ``str`` for ``ID``/``String``, an ``int`` in 32 bits
   for ``Int``, a ``bool`` for ``Boolean``, ``null`` for a nullable type, a ``list`` of
   those, a nullable variable left out). Anything else — a default to apply, an enum, an
   input object, a value of another type, an error — goes to graphql-core's own
   ``get_variable_values``, with the arguments ``Executor.build`` gives it: the same
   values, errors, messages and locations, by construction;
2. **the root field's arguments**: a variable's coerced value, or a literal coerced once
   (immutable values only); a missing or ``null`` variable, a literal holding variables,
   a list or object literal: graphql-core's ``get_argument_values``, as today;
3. **the root resolver**, called with the ``info`` the executor class would build (its own
   ``build_resolve_info``: strawberry's, with the coerced variables and the operation
   extensions), awaited once;
4. **completion** by the generated completer, then the closure plan when it gives up,
   exactly as ``run_plan`` of graph/compiler.py does;
5. **the response**: ``(data, errors, answer cost)`` as ``ExecutionResult`` and the
   compiled executor's ``ANSWER_COST`` would carry them.

The executor the completion plan expects (``RunState.executor``: variables for nested
arguments, ``build_resolve_info`` for a nested resolver taking ``info``) is a ``Pending``:
it has those attributes, and anything else it is asked for — ``handle_field_error`` and
the collected errors above all — builds graphql-core's real executor for the request, as
``Executor.build`` would have built it, and is answered by that. A request with an error
therefore finishes on graphql-core's own error handling and ``build_response``: same
error order, paths, locations and null propagation. A warm request builds none.

Decided when the operation is compiled, else graphql-core's path as before: the document
names the operation graphql-core picks, the schema is valid and has no ``@defer`` or
``@stream``, the executor class is the compiled one, exactly one root field and it is
compiled. Per request: ``variables`` must be a dict (or none).
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from graphql import (
    FragmentDefinitionNode,
    GraphQLError,
    GraphQLList,
    GraphQLNonNull,
    GraphQLSchema,
    OperationDefinitionNode,
    Undefined,
    VariableNode,
    assert_valid_schema,
)
from graphql.execution.collect_fields import FragmentDetails
from graphql.execution.executor import default_field_resolver, default_type_resolver, to_nodes
from graphql.execution.get_variable_signature import get_variable_signature
from graphql.execution.values import (
    VariableValues,
    VariableValueSource,
    coerce_argument,
    get_argument_values,
    get_variable_values,
)
from graphql.pyutils import Path
from graphql.pyutils.is_awaitable import is_async_iterable as default_is_async_iterable
from graphql.type import (
    GraphQLBoolean,
    GraphQLID,
    GraphQLInt,
    GraphQLResolveInfoHelpers,
    GraphQLString,
)
from strawberry.execution import optimized_is_awaitable

from graph.compiled_plan import complete_root, has_variable
from graph.limits import actual_cost

if TYPE_CHECKING:
    from graphql import DocumentNode, GraphQLInputType
    from graphql.execution.executor import Executor

    from graph.compiled_plan import Complete, RunState

#: ``Executor.build``'s default, which ``graphql.execute`` keeps.
MAX_COERCION_ERRORS = 50
INT_MIN, INT_MAX = -(2**31), 2**31 - 1
#: What a coercer answers for a value it does not take: graphql-core then coerces all.
_SLOW = object()
#: Argument values a literal may coerce to and be shared by every request.
_IMMUTABLE = (str, int, float, bool, type(None), enum.Enum)

Coerce = Callable[[Any], Any]
#: A request's ``(data, errors, answer cost)``: what ``ExecutionResult`` and the compiled
#: executor's ``ANSWER_COST`` would hold.
Outcome = tuple[dict[str, Any] | None, list[GraphQLError] | None, int | None]


def _str(value: Any) -> Any:
    return value if type(value) is str else _SLOW


def _bool(value: Any) -> Any:
    return value if type(value) is bool else _SLOW


def _int(value: Any) -> Any:
    return value if type(value) is int and INT_MIN <= value <= INT_MAX else _SLOW


#: graphql-core's own scalars whose input coercion is the identity on these Python types
#: (``coerce_string``, ``coerce_id``, ``coerce_int``, ``coerce_boolean``).
_LEAVES: dict[int, Coerce] = {id(GraphQLString): _str, id(GraphQLID): _str,
                              id(GraphQLInt): _int, id(GraphQLBoolean): _bool}


def value_coercer(type_: GraphQLInputType) -> Coerce | None:
    """A coercer answering ``coerce_input_value(value, type_)`` for trivially valid
    values and ``_SLOW`` for any other; ``None``: no value of ``type_`` is trivial."""
    if isinstance(type_, GraphQLNonNull):
        inner = value_coercer(type_.of_type)
        if inner is None:
            return None

        def non_null(value: Any) -> Any:
            return _SLOW if value is None else inner(value)

        return non_null
    if isinstance(type_, GraphQLList):
        item = value_coercer(type_.of_type)
        if item is None:
            return None

        def list_of(value: Any) -> Any:
            if value is None:
                return None
            if type(value) is not list:
                return _SLOW       # a single value as a list of one: graphql-core's
            coerced = [item(v) for v in value]
            return _SLOW if _SLOW in coerced else coerced

        return list_of
    leaf = _LEAVES.get(id(type_))
    if leaf is None:
        return None

    def nullable(value: Any) -> Any:
        return None if value is None else leaf(value)

    return nullable


class VariablesPlan:
    """Coerces one operation's variables as ``get_variable_values`` does: itself for
    trivially valid values, else by calling it."""

    def __init__(self, schema: GraphQLSchema, operation: OperationDefinitionNode) -> None:
        self.schema = schema
        self.definitions = operation.variable_definitions or ()
        #: (name, signature, coercer, required) per variable; ``None``: always graphql-core's.
        self.steps: list[tuple[str, Any, Coerce | None, bool]] | None = []
        for definition in self.definitions:
            signature = get_variable_signature(schema, definition)
            if isinstance(signature, GraphQLError) or definition.default_value is not None:
                # An error to report, a default to coerce: graphql-core's, every time.
                self.steps = None
                break
            self.steps.append((signature.name, signature, value_coercer(signature.type),
                               isinstance(signature.type, GraphQLNonNull)))

    def coerce(self, inputs: dict[str, Any]) -> VariableValues | list[GraphQLError]:
        steps = self.steps
        if steps is not None:
            sources: dict[str, VariableValueSource] = {}
            coerced: dict[str, Any] = {}
            for name, signature, coerce, required in steps:
                value = inputs.get(name, Undefined)
                if value is Undefined:
                    if required:
                        break      # graphql-core's error
                    sources[name] = VariableValueSource(signature)
                    continue
                if coerce is None:
                    break
                done = coerce(value)
                if done is _SLOW:
                    break
                sources[name] = VariableValueSource(signature, value)
                coerced[name] = done
            else:
                return VariableValues(sources, coerced)
        return get_variable_values(self.schema, self.definitions, inputs,
                                   max_errors=MAX_COERCION_ERRORS, hide_suggestions=False)


class ArgumentsPlan:
    """The root field's arguments as ``get_argument_values`` gives them: a variable's
    coerced value, a literal's value coerced once; anything else by calling it."""

    def __init__(self, field_def: Any, details: Any) -> None:
        first = details[0]
        self.field_def = field_def
        self.node = first.node
        self.fragment_variables = first.fragment_variable_values
        #: (out name, constant value, variable name or None) in the field's argument
        #: order; ``None``: always graphql-core's.
        self.steps: list[tuple[str, Any, str | None]] | None = []
        self.none = not (field_def.args or self.node.arguments)
        nodes = {argument.name.value: argument for argument in self.node.arguments or ()}
        for name, arg_def in field_def.args.items():
            out = getattr(arg_def, "out_name", None) or name
            argument = nodes.get(name)
            if argument is not None and isinstance(argument.value, VariableNode):
                self.steps.append((out, None, argument.value.name.value))
                continue
            if argument is not None and has_variable(argument.value):
                self.steps = None
                break
            constant: dict[str, Any] = {}
            try:
                coerce_argument(constant, self.node, name, arg_def, argument, None, None)
            except Exception:  # raised again per request, as a field error
                self.steps = None
                break
            if out in constant:
                if not isinstance(constant[out], _IMMUTABLE):
                    self.steps = None   # a list or object: fresh per request, as today
                    break
                self.steps.append((out, constant[out], None))

    def values(self, variables: VariableValues) -> dict[str, Any]:
        if self.none:
            return {}
        steps = self.steps
        if steps is not None:
            coerced = variables.coerced
            values: dict[str, Any] = {}
            for out, value, variable in steps:
                if variable is not None:
                    value = coerced.get(variable)
                    if value is None:      # missing or null: defaults, errors
                        break
                values[out] = value
            else:
                return values
        return get_argument_values(self.field_def, self.node, variables,
                                   self.fragment_variables, False)


class Pending:
    """The request's executor as the completion plan sees it: what it reads without
    graphql-core's executor, and the real one, built on first need, for the rest."""

    __slots__ = ("_real", "context_value", "operation_extensions", "root_value",
                 "variable_values")

    #: Set per operation on a subclass (``DirectRun.pending_class``).
    run: DirectRun
    schema: GraphQLSchema
    operation: OperationDefinitionNode
    fragment_definitions: dict[str, FragmentDefinitionNode]
    fragments: dict[str, FragmentDetails]
    field_resolver: Any = staticmethod(default_field_resolver)
    is_awaitable: Any = staticmethod(optimized_is_awaitable)
    is_async_iterable: Any = staticmethod(default_is_async_iterable)
    hide_suggestions = False
    abort_signal = None
    middleware_manager = None

    def __init__(self, context_value: Any, root_value: Any, variable_values: VariableValues,
                 operation_extensions: dict[str, Any] | None) -> None:
        self._real: Executor[Any] | None = None
        self.context_value = context_value
        self.root_value = root_value
        self.variable_values = variable_values
        self.operation_extensions = operation_extensions

    @property
    def async_helpers(self) -> GraphQLResolveInfoHelpers:
        return GraphQLResolveInfoHelpers(gather=self.gather_async_work,
                                         track=self.track_async_work)

    def gather_async_work(self, values: Any) -> Any:
        return self.real().gather_async_work(values)

    def track_async_work(self, values: Any) -> None:
        self.real().track_async_work(values)

    def build_resolve_info(self, field_def: Any, field_nodes: Any, parent_type: Any,
                           path: Any) -> Any:
        # The executor class's own (strawberry's), reading this object's attributes.
        return self.run.build_info(self, field_def, field_nodes, parent_type, path)

    def real(self) -> Executor[Any]:
        """graphql-core's executor of this request, as ``Executor.build`` makes it."""
        real = self._real
        if real is None:
            make: Any = self.run.executor_class
            real = self._real = make(
                self.schema, self.fragment_definitions, self.fragments, self.root_value,
                self.context_value, self.operation, self.variable_values,
                default_field_resolver, default_type_resolver, default_field_resolver,
                False, None, optimized_is_awaitable, None, hide_suggestions=False,
                abort_signal=None, hooks=None,
                operation_extensions=self.operation_extensions)
        return real

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real(), name)


class DirectRun:
    """One compiled single-root query operation, executed without graphql-core's executor
    (see the module docstring)."""

    def __init__(self, schema: GraphQLSchema, operation: OperationDefinitionNode,
                 fragment_definitions: dict[str, FragmentDefinitionNode],
                 executor_class: type[Executor[Any]], key: str, details: Any,
                 complete: Complete, fast: Any, counts: bool, state: RunState,
                 cost_key: str) -> None:
        root_type = schema.query_type
        assert root_type is not None
        node = details[0].node
        self.field_def = field_def = root_type.fields[node.name.value]
        self.key = key
        self.details = details
        self.return_type = field_def.type
        self.parent_type = root_type
        self.field_nodes = to_nodes(details)
        self.path = Path(None, key, root_type.name)
        self.resolve = field_def.resolve or default_field_resolver
        self.complete = complete
        self.fast = fast
        #: Whether the compiled executor reports ``ANSWER_COST`` (it has generated code).
        self.counts = counts
        self.state = state
        #: Where the compiled executor's response carries the answer's cost.
        self.cost_key = cost_key
        self.executor_class = executor_class
        #: The executor class's ``build_resolve_info``, called on a ``Pending``.
        self.build_info: Any = executor_class.build_resolve_info
        self.variables = VariablesPlan(schema, operation)
        self.arguments = ArgumentsPlan(field_def, details)
        self.pending_class: type[Pending] = type("Pending", (Pending,), {
            "__slots__": (), "run": self, "schema": schema, "operation": operation,
            "fragment_definitions": fragment_definitions,
            "fragments": {name: FragmentDetails(definition)
                          for name, definition in fragment_definitions.items()}})

    @classmethod
    def of(cls, schema: GraphQLSchema, document: DocumentNode,
           operation: OperationDefinitionNode, operation_name: str | None,
           executor_class: type[Executor[Any]], grouped: Any, roots: dict[int, Complete],
           generated: dict[int, Any], state: RunState, cost_key: str) -> DirectRun | None:
        """The direct run of ``operation``, or ``None`` when graphql-core's path must
        run it (see the module docstring)."""
        if schema.get_directive("defer") or schema.get_directive("stream") \
                or len(grouped) != 1:
            return None
        try:
            assert_valid_schema(schema)
        except Exception:  # graphql-core raises it per request
            return None
        # The operation graphql-core's ``Executor.build`` picks, or none.
        picked = None
        fragment_definitions: dict[str, FragmentDefinitionNode] = {}
        for definition in document.definitions:
            if isinstance(definition, OperationDefinitionNode):
                if operation_name is None:
                    if picked is not None:
                        return None
                    picked = definition
                elif definition.name and definition.name.value == operation_name:
                    picked = definition
            elif isinstance(definition, FragmentDefinitionNode):
                if definition.variable_definitions:
                    return None
                fragment_definitions[definition.name.value] = definition
        if picked is not operation:
            return None
        ((key, details),) = grouped.items()
        complete = roots.get(id(details[0].node))
        if complete is None:
            return None
        return cls(schema, operation, fragment_definitions, executor_class, key, details,
                   complete, generated.get(id(details[0].node)), bool(generated), state,
                   cost_key)

    async def run(self, context_value: Any, root_value: Any,
                  raw_variables: dict[str, Any] | None,
                  operation_extensions: dict[str, Any] | None) -> Outcome:
        """Execute the operation: what graphql-core's ``execute`` would answer."""
        variables = self.variables.coerce(raw_variables or {})
        if type(variables) is list:
            return None, variables, None
        assert isinstance(variables, VariableValues)
        pending = self.pending_class(context_value, root_value, variables,
                                     operation_extensions)
        path = self.path
        info = self.build_info(pending, self.field_def, self.field_nodes, self.parent_type,
                               path)
        try:
            args = self.arguments.values(variables)
            result = self.resolve(root_value, info, **args)
            if optimized_is_awaitable(result):
                result = await result
        except Exception as raw:
            return self._field_error(pending, raw)
        completed = self._complete(pending, result)
        if type(completed) is tuple:
            return self._response(pending, {self.key: completed[0]}, completed[1])
        assert isinstance(completed, Exception)
        return self._field_error(pending, completed)

    def _complete(self, pending: Pending, result: Any
                  ) -> tuple[Any, dict[int, tuple[Any, int]] | None] | Exception:
        """``complete_root``, as ``run_plan`` of graph/compiler.py: the answer and its
        counted cost, or what the closures raised."""
        try:
            answer, cost = complete_root(self.state, pending, self.fast, self.complete,
                                         result, self.path)
        except Exception as raw:
            return raw
        return answer, {id(answer): (answer, cost)} if cost else None

    def _field_error(self, pending: Pending, raw: Exception) -> Outcome:
        """The root field failed: graphql-core's ``handle_field_error``; at a non-null
        root, the error nulls ``data`` (as ``execute_operation`` records it)."""
        executor = pending.real()
        try:
            executor.handle_field_error(raw, self.return_type, self.details, self.path)
        except GraphQLError as error:
            executor.collected_errors.add(error, None)
            return self._response(pending, None, None)
        return self._response(pending, {self.key: None}, None)

    def _response(self, pending: Pending, data: dict[str, Any] | None,
                  known: dict[int, tuple[Any, int]] | None) -> Outcome:
        executor = pending._real
        if executor is None:  # nothing needed graphql-core: no error was recorded
            return data, None, actual_cost(data, known) if self.counts else None
        executor.answer_costs = known  # type: ignore[attr-defined]  # CompiledExecutor
        response = executor.finish(executor.build_response(data))
        extensions = response.extensions  # type: ignore[union-attr]
        counted = extensions.get(self.cost_key) if type(extensions) is dict else None
        return response.data, response.errors, counted  # type: ignore[union-attr]

"""Compiled execution of validated operations (issue 14).

``CompiledOperations.executor_class(prepared)`` compiles a prepared, valid operation once
— per document and operation name; the plan does not depend on variable values, because
an operation with a directive is not compiled — and returns a graphql-core executor class
that runs it. That class is graphql-core's own executor with one change: the value each
compiled root field resolved is completed by the plan of ``graph.compiled_plan`` instead
of graphql-core's per-field ``complete_value``. Everything around it stays graphql-core's:
variable coercion and its errors, the root resolvers (async, with ``info`` and loaders as
on the normal path), root-level concurrency, error collection, the response.

Decided at compile time, per root field; what is not compiled runs on graphql-core as
before:

- not compiled at all: subscriptions and mutations, any directive in the document
  (``@skip``/``@include`` depend on variables), fragment variables;
- a root field runs uncompiled when its selection reaches an abstract type (``node``,
  ``nodes``, ``_entities``), introspection (``__schema``, ``__type``), or an async field
  resolver below the root. ``__typename`` is compiled (a constant).

Each compiled root field has two completers: the code generated for it
(graph/compiled_codegen.py), tried first, and the closure plan (graph/compiled_plan.py),
the semantic reference, which completes the value again whenever the generated code gives
up (an error, a null where none may be, anything unusual). The generated code also counts
the answer's ``actual_cost``; the executor hands the total to graph/plain_execution.py
(``ANSWER_COST``), so the view does not walk the answer again.

An operation whose only root field is compiled (a product page: ``product(id: $id)``)
does not even build that executor: ``CompiledOperations.direct`` hands
graph/plain_execution.py its ``DirectRun`` (graph/direct_execution.py), which coerces the
variables, calls the root resolver and runs the same completers itself, and builds
graphql-core's executor only when an error (or a read it does not stand in for) needs it.

``PRODUCTGRAPH_COMPILED_EXECUTION=off`` turns it off (``create_schema``); the differential
test (tests/graph/test_compiled_execution.py) compares both paths byte for byte.
"""

from __future__ import annotations

import contextlib
import os
from collections import OrderedDict
from typing import TYPE_CHECKING, Any

from graphql import (
    DirectiveNode,
    DocumentNode,
    ExecutionResult,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLSchema,
    OperationDefinitionNode,
    OperationType,
    Visitor,
    visit,
)
from graphql.execution.collect_fields import FragmentDetails, collect_fields
from graphql.execution.executor import Executor, to_nodes
from graphql.execution.incremental import IncrementalExecutor
from graphql.execution.values import get_argument_values
from graphql.pyutils import Path

from graph.compiled_codegen import Generated, Generator
from graph.compiled_plan import Complete, NotCompilable, PlanBuilder, RunState, complete_root
from graph.direct_execution import DirectRun
from graph.limits import actual_cost

if TYPE_CHECKING:
    from graph.plain_execution import PreparedOperation

SWITCH = "PRODUCTGRAPH_COMPILED_EXECUTION"
#: Where ``CompiledExecutor.build_response`` leaves the answer's ``actual_cost``
#: (graph/plain_execution.py moves it to the result: never part of a response).
ANSWER_COST = "productgraph.answer_cost"


def compiled_execution_enabled() -> bool:
    """On unless ``PRODUCTGRAPH_COMPILED_EXECUTION`` is ``off``/``0``/``false``."""
    return os.environ.get(SWITCH, "on").strip().lower() not in ("off", "0", "false", "no")


class _Unsupported(Visitor):
    """Finds what makes a whole document uncompilable."""

    def __init__(self) -> None:
        super().__init__()
        self.reason: str | None = None

    def enter_directive(self, node: DirectiveNode, *_args: Any) -> Any:
        self.reason = f"directive @{node.name.value}"
        return self.BREAK

    def enter_fragment_definition(self, node: FragmentDefinitionNode, *_args: Any) -> Any:
        if node.variable_definitions:
            self.reason = "fragment variables"
            return self.BREAK
        return None

    def enter_fragment_spread(self, node: FragmentSpreadNode, *_args: Any) -> Any:
        if getattr(node, "arguments", None):
            self.reason = "fragment arguments"
            return self.BREAK
        return None


class CompiledPlan:
    """The compiled root fields of one operation, and why the others are not."""

    def __init__(self, roots: dict[int, Complete], skipped: dict[str, str],
                 state: RunState, fields: int,
                 generated: dict[int, Generated] | None = None,
                 grouped: dict[str, Any] | None = None) -> None:
        #: ``id`` of each compiled root field's first node → its completer.
        self.roots = roots
        #: The same → its generated completer (graph/compiled_codegen.py), tried first.
        self.generated = generated or {}
        #: response key → why that root field runs on graphql-core.
        self.skipped = skipped
        self.state = state
        self.fields = fields
        #: The operation's root fields as graphql-core collects them (response key →
        #: field details): no directive, so they do not depend on variables.
        self.grouped = grouped or {}


def compile_operation(schema: GraphQLSchema, document: DocumentNode,
                      operation: OperationDefinitionNode,
                      generate: bool = True) -> CompiledPlan | str:
    """The plan of ``operation``, or why it cannot have one; with ``generate``, its
    generated completers too."""
    if operation.operation is not OperationType.QUERY:
        return f"{operation.operation.value} operation"
    finder = _Unsupported()
    visit(document, finder)
    if finder.reason:
        return finder.reason
    root_type = schema.query_type
    if root_type is None:
        return "no query type"
    fragments = {d.name.value: FragmentDetails(d) for d in document.definitions
                 if isinstance(d, FragmentDefinitionNode)}
    collected = collect_fields(schema, fragments, None, root_type, operation)  # type: ignore[arg-type]
    state = RunState()
    builder = PlanBuilder(schema, fragments, None, operation, state)
    generator = Generator(builder) if generate else None
    roots: dict[int, Complete] = {}
    generated: dict[int, Generated] = {}
    skipped: dict[str, str] = {}
    for key, details in collected.grouped_field_set.items():
        name = details[0].node.name.value
        field_def = root_type.fields.get(name)
        if field_def is None:
            skipped[key] = "introspection" if name.startswith("__") else "unknown field"
            continue
        try:
            roots[id(details[0].node)] = builder.value(field_def.type, root_type, name,
                                                       details)
        except NotCompilable as reason:
            skipped[key] = str(reason)
            continue
        if generator is not None:
            # A source too deep for Python's compiler: the closures alone.
            with contextlib.suppress(SyntaxError, RecursionError, MemoryError):
                generated[id(details[0].node)] = generator.root(field_def.type, root_type,
                                                                name, details)
    if not roots:
        return "; ".join(f"{k}: {v}" for k, v in skipped.items()) or "nothing to compile"
    return CompiledPlan(roots, skipped, state, builder.fields, generated,
                        collected.grouped_field_set)


def executor_class_for(plan: CompiledPlan, base: type[Executor[Any]]) -> type[Executor[Any]]:
    """``base`` completing the plan's root fields with the plan: the generated completer
    first; when it gives up (it raises: an error, a null where none may be), the closures
    complete the same value again and record what went wrong where it did."""
    roots = plan.roots
    generated = plan.generated
    state = plan.state

    class CompiledExecutor(base):  # type: ignore[valid-type,misc]
        #: ``id`` of each generated root answer → (the answer, its ``actual_cost``).
        answer_costs: dict[int, tuple[Any, int]] | None = None

        def execute_fields(self, parent_type: Any, source_value: Any, path: Any,
                           grouped_field_set: Any, position_context: Any) -> Any:
            # One compiled root field (``product``, ``products``, ``search`` …): resolved
            # and completed here, as ``execute_field`` would, without the gathering of
            # several root fields' awaitables.
            if path is not None or len(grouped_field_set) != 1 \
                    or self.middleware_manager or self.abort_signal is not None:
                return super().execute_fields(parent_type, source_value, path,
                                              grouped_field_set, position_context)
            ((key, details),) = grouped_field_set.items()
            complete = roots.get(id(details[0].node))
            if complete is None:
                return super().execute_fields(parent_type, source_value, path,
                                              grouped_field_set, position_context)
            return single_root(self, parent_type, source_value, key, details, complete)

        def complete_value(self, return_type: Any, field_details_list: Any, info: Any,
                           path: Any, result: Any, position_context: Any) -> Any:
            node_id = id(field_details_list[0].node)
            complete = roots.get(node_id) if path.prev is None else None
            if complete is None:
                return super().complete_value(return_type, field_details_list, info, path,
                                              result, position_context)
            return run_plan(self, node_id, complete, result, path)

        def build_response(self, data: dict[str, Any] | None) -> Any:
            response = super().build_response(data)
            if generated and isinstance(response, ExecutionResult):
                response.extensions = {ANSWER_COST: actual_cost(data, self.answer_costs)}
            return response

    def run_plan(executor: Any, node_id: int, complete: Complete, result: Any,
                 path: Any) -> Any:
        """A root value completed (``complete_root``); the generated answer's cost kept
        for ``build_response``."""
        answer, cost = complete_root(state, executor, generated.get(node_id), complete,
                                     result, path)
        if cost:
            costs = executor.answer_costs
            if costs is None:
                costs = executor.answer_costs = {}
            costs[id(answer)] = (answer, cost)
        return answer

    def single_root(executor: Any, parent_type: Any, source: Any, key: str,
                    details: Any, complete: Complete) -> Any:
        first = details[0]
        node = first.node
        field_def = parent_type.fields[node.name.value]
        return_type = field_def.type
        path = Path(None, key, parent_type.name)
        info = executor.build_resolve_info(field_def, to_nodes(details), parent_type, path)
        try:
            args = get_argument_values(
                field_def, node, executor.variable_values, first.fragment_variable_values,
                executor.hide_suggestions) if field_def.args or node.arguments else {}
            result = (field_def.resolve or executor.field_resolver)(source, info, **args)
        except Exception as raw:
            executor.handle_field_error(raw, return_type, details, path)
            return {key: None}
        if not executor.is_awaitable(result):
            return {key: completed(executor, id(node), result, return_type,
                                   details, path, complete)}

        async def awaited() -> dict[str, Any]:
            try:
                value = await result
            except Exception as raw:
                executor.handle_field_error(raw, return_type, details, path)
                return {key: None}
            return {key: completed(executor, id(node), value, return_type, details, path,
                                   complete)}

        return awaited()

    def completed(executor: Any, node_id: int, value: Any, return_type: Any, details: Any,
                  path: Path, complete: Complete) -> Any:
        try:
            return run_plan(executor, node_id, complete, value, path)
        except Exception as raw:
            executor.handle_field_error(raw, return_type, details, path)
            return None

    CompiledExecutor.__name__ = CompiledExecutor.__qualname__ = f"Compiled{base.__name__}"
    return CompiledExecutor


#: A compiled operation: its document, executor class (``None``: not compiled), why parts
#: are not compiled, and its direct run (``None``: through the executor class).
_Entry = tuple[DocumentNode, "type[Executor[Any]] | None", str, "DirectRun | None"]


class CompiledOperations:
    """Plans per (document, operation name), LRU-bounded like the document cache."""

    def __init__(self, schema: GraphQLSchema, base: type[Executor[Any]] | None = None,
                 size: int = 1000) -> None:
        self.schema = schema
        self.base = base or IncrementalExecutor
        self.size = size
        #: Generated code first, the closures as its fallback (graph/compiled_codegen.py);
        #: ``False``: the closures alone (``bench/plan.py`` compares the two).
        self.generate = True
        #: Executed without graphql-core's executor where that applies
        #: (graph/direct_execution.py); ``False``: always through the executor class.
        self.direct_execution = True
        self._entries: OrderedDict[tuple[int, str | None], _Entry] = OrderedDict()

    def _entry(self, prepared: PreparedOperation) -> _Entry | None:
        operation = prepared.operation
        if operation is None:
            return None
        key = (id(prepared.document), prepared.name)
        entry = self._entries.get(key)
        if entry is None or entry[0] is not prepared.document:
            entry = self._compile(prepared.document, operation, prepared.name)
            self._entries[key] = entry
            if len(self._entries) > self.size:
                self._entries.popitem(last=False)
        else:
            self._entries.move_to_end(key)
        return entry

    def executor_class(self, prepared: PreparedOperation) -> type[Executor[Any]] | None:
        """The compiled executor class of ``prepared``; ``None``: run it as before."""
        entry = self._entry(prepared)
        return entry[1] if entry is not None else None

    def direct(self, prepared: PreparedOperation) -> DirectRun | None:
        """How ``prepared`` runs without graphql-core's executor; ``None``: through the
        executor class (``executor_class``), or as before."""
        entry = self._entry(prepared)
        return entry[3] if entry is not None and self.direct_execution else None

    def clear(self) -> None:
        """Forget every plan (the next request of each operation compiles it again)."""
        self._entries.clear()

    def why_not(self, prepared: PreparedOperation) -> str:
        """Why ``prepared`` runs (partly) uncompiled; empty when all of it is compiled."""
        self.executor_class(prepared)
        entry = self._entries.get((id(prepared.document), prepared.name))
        return entry[2] if entry else "no operation"

    def _compile(self, document: DocumentNode, operation: OperationDefinitionNode,
                 name: str | None) -> _Entry:
        plan = compile_operation(self.schema, document, operation, self.generate)
        if isinstance(plan, str):
            return document, None, plan, None
        skipped = "; ".join(f"{k}: {v}" for k, v in plan.skipped.items())
        executor_class = executor_class_for(plan, self.base)
        direct = DirectRun.of(self.schema, document, operation, name, executor_class,
                              plan.grouped, plan.roots, plan.generated, plan.state,
                              ANSWER_COST)
        return document, executor_class, skipped, direct


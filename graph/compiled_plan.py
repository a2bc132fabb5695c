"""The compiled completion of one field's value: a tree of small closures, built once per
operation, that walks productgraph's objects and builds the answer as graphql-core's
``complete_value`` would — same values, same errors, same null propagation — without its
per-field machinery (no ``Path``, ``GraphQLResolveInfo`` or argument dict per field, no
type dispatch at run time).

graphql-jit (``src/execution.ts``) is the model: what the type system fixes (the type of
every position, the sub-selection of every object, which fields are plain reads) is
decided at compile time; what the data decides (null, an error, a list's length) at run
time. The semantics kept, from graphql-core 3.3's ``Executor``:

- a value that is an ``Exception`` is raised at its position (``complete_value``);
- a non-null position whose completion is ``None`` raises "Cannot return null for
  non-nullable field T.f."; an error at a non-null position propagates to the nearest
  nullable position, which answers ``None``, and the error is recorded there, once
  (``handle_field_error``, called on the request's executor with the real ``Path``);
- list items complete in order, each error at its item's path; scalars and enums through
  their ``coerce_output_value`` (fast paths only where that is the identity: ``str`` for
  String and ID, 32-bit ``int`` for Int, ``bool`` for Boolean, an enum member already
  seen);
- objects of a type with ``is_type_of`` check it (skipped when the value's class is the
  type's own strawberry class, where it holds).

These closures are the semantic reference of compiled execution: the generated code of
graph/compiled_codegen.py, which runs first, hands any value it cannot complete without
an error back to them.

What cannot be compiled raises ``NotCompilable`` at compile time (abstract types, async
field resolvers, …): the operation then runs on graphql-core as before. The paths of the
walk are plain tuples ``(parent, key, typename)``, turned into graphql-core ``Path``s only
for an error or a resolver that takes ``info``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from graphql import (
    GraphQLEnumType,
    GraphQLError,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLScalarType,
    GraphQLSchema,
    ListValueNode,
    ObjectValueNode,
    Undefined,
    VariableNode,
)
from graphql.execution.collect_fields import FieldDetails, collect_subfields
from graphql.execution.executor import Executor, invalid_return_type_error, to_nodes
from graphql.execution.values import get_argument_values
from graphql.pyutils import Path, is_iterable
from graphql.type import (
    GraphQLBoolean,
    GraphQLID,
    GraphQLInt,
    GraphQLString,
    TypeNameMetaFieldDef,
)
from strawberry.schema.schema_converter import GraphQLCoreConverter
from strawberry.types.field import StrawberryField

Complete = Callable[[Any, Any], Any]
INT_MIN, INT_MAX = -(2**31), 2**31 - 1
_BACKREF = GraphQLCoreConverter.DEFINITION_BACKREF


class NotCompilable(Exception):
    """This selection takes graphql-core's own path; the message says why."""


class RunState:
    """The executor of the request being completed. A compiled walk is synchronous from
    start to end, so one slot per plan is enough: no other request runs in between."""

    __slots__ = ("executor",)

    def __init__(self) -> None:
        self.executor: Executor[Any] | None = None


def complete_root(state: RunState, executor: Any, fast: Any, complete: Complete,
                  value: Any, path: Any) -> tuple[Any, int]:
    """A root field's value completed for ``executor``: by its generated completer
    (``fast``, graph/compiled_codegen.py), else — none, or it gave up (raised: an error, a
    null where none may be) — by the closures, which redo it exactly and raise what went
    wrong where it did. The answer and the cost the generated code counted (0: none)."""
    state.executor = executor
    try:
        if fast is not None:
            try:
                return fast(value, path)  # type: ignore[no-any-return]
            except Exception:  # the closures below redo it exactly
                pass
        return complete(value, path), 0
    finally:
        state.executor = None


def to_path(path: Any) -> Path | None:
    """A walk's tuple path as graphql-core's ``Path`` (it may already be one)."""
    if type(path) is tuple:
        return Path(to_path(path[0]), path[1], path[2])
    return path  # type: ignore[no-any-return]


class PlanBuilder:
    """Builds the closures of one operation's plan over one schema."""

    def __init__(self, schema: GraphQLSchema, fragments: dict[str, Any], variables: Any,
                 operation: Any, state: RunState) -> None:
        self.schema = schema
        self.fragments = fragments
        self.variables = variables
        self.operation = operation
        self.state = state
        self.fields = 0

    # -- values by type --------------------------------------------------------------

    def value(self, type_: GraphQLOutputType, parent: GraphQLObjectType, field_name: str,
              details: list[FieldDetails]) -> Complete:
        """The completer of a value of ``type_``: ``(value, path) -> answer``."""
        if isinstance(type_, GraphQLNonNull):
            return self.non_null(type_.of_type, parent, field_name, details)
        if isinstance(type_, GraphQLList):
            return self.list_of(type_.of_type, parent, field_name, details)
        if isinstance(type_, GraphQLScalarType | GraphQLEnumType):
            leaf = self.leaf(type_)
            return lambda value, _path: leaf(value)
        if isinstance(type_, GraphQLObjectType):
            return self.object_of(type_, details)
        raise NotCompilable(f"{parent.name}.{field_name}: abstract type {type_}")

    def non_null(self, inner: GraphQLOutputType, parent: GraphQLObjectType, field_name: str,
                 details: list[FieldDetails]) -> Complete:
        complete = self.value(inner, parent, field_name, details)
        message = f"Cannot return null for non-nullable field {parent.name}.{field_name}."

        def non_null(value: Any, path: Any) -> Any:
            if isinstance(value, Exception):
                raise value
            completed = complete(value, path)
            if completed is None:
                raise TypeError(message)
            return completed

        return non_null

    def list_of(self, item_type: GraphQLOutputType, parent: GraphQLObjectType,
                field_name: str, details: list[FieldDetails]) -> Complete:
        item = self.value(item_type, parent, field_name, details)
        state = self.state
        not_iterable = ("Expected Iterable, but did not find one for field"
                        f" '{parent.name}.{field_name}'.")

        def list_of(value: Any, path: Any) -> Any:
            if value is None or value is Undefined:
                return None
            if isinstance(value, Exception):
                raise value
            kind = type(value)
            if kind is not list and kind is not tuple:
                executor = state.executor
                assert executor is not None
                if executor.is_async_iterable(value):
                    raise TypeError(f"{parent.name}.{field_name}: an async iterable is "
                                    "not supported by the compiled plan")
                if not is_iterable(value):
                    raise GraphQLError(not_iterable)
            completed: list[Any] = []
            append = completed.append
            for index, entry in enumerate(value):
                item_path = (path, index, None)
                try:
                    append(item(entry, item_path))
                except Exception as raw:
                    executor = state.executor
                    assert executor is not None
                    executor.handle_field_error(raw, item_type, details, to_path(item_path))  # type: ignore[arg-type]
                    append(None)
            return completed

        return list_of

    def leaf(self, type_: GraphQLScalarType | GraphQLEnumType) -> Callable[[Any], Any]:
        """``value -> answer`` of a scalar or enum (its errors raised)."""
        coerce = Executor.complete_leaf_value

        def slow(value: Any) -> Any:
            if isinstance(value, Exception):
                raise value
            if value is None or value is Undefined:
                return None
            return coerce(type_, value)

        if type_ is GraphQLString or type_ is GraphQLID:
            return lambda value: value if type(value) is str else slow(value)
        if type_ is GraphQLInt:
            return lambda value: value if type(value) is int and INT_MIN <= value <= INT_MAX \
                else slow(value)
        if type_ is GraphQLBoolean:
            return lambda value: value if value is True or value is False else slow(value)
        if isinstance(type_, GraphQLEnumType):
            definition = (type_.extensions or {}).get(_BACKREF)
            member_type = getattr(definition, "wrapped_cls", None)
            if member_type is not None:
                names: dict[Any, Any] = {}

                def enum_leaf(value: Any) -> Any:
                    if type(value) is member_type:
                        name = names.get(value)
                        if name is None:
                            name = names[value] = slow(value)
                        return name
                    return slow(value)

                return enum_leaf
        return slow

    def subfields(self, type_: GraphQLObjectType, details: list[FieldDetails]
                  ) -> dict[str, list[FieldDetails]]:
        """The response keys selected on an object of ``type_`` and their fields."""
        collected = collect_subfields(self.schema, self.fragments, self.variables,
                                      self.operation, type_, details)
        if collected.new_defer_usages:
            raise NotCompilable(f"{type_.name}: @defer")
        return dict(collected.grouped_field_set)

    def object_of(self, type_: GraphQLObjectType, details: list[FieldDetails]) -> Complete:
        runners = [(key, self.field(type_, key, sub))
                   for key, sub in self.subfields(type_, details).items()]
        is_type_of = type_.is_type_of
        definition = (type_.extensions or {}).get(_BACKREF)
        own_class = getattr(definition, "origin", None)

        def object_of(value: Any, path: Any) -> Any:
            if value is None or value is Undefined:
                return None
            if isinstance(value, Exception):
                raise value
            if is_type_of is not None and type(value) is not own_class \
                    and not is_type_of(value, None):  # type: ignore[arg-type]
                raise invalid_return_type_error(type_, value, details)
            return {key: run(value, path) for key, run in runners}

        return object_of

    # -- fields ----------------------------------------------------------------------

    def field(self, parent: GraphQLObjectType, key: str,
              details: list[FieldDetails]) -> Callable[[Any, Any], Any]:
        """``(source, object path) -> answer`` of one response key of an object."""
        self.fields += 1
        node = details[0].node
        name = node.name.value
        if name == "__typename":
            typename = parent.name
            return lambda _source, _path: typename
        field_def = parent.fields.get(name)
        if field_def is None:
            if name.startswith("__"):
                raise NotCompilable(f"{parent.name}.{name}: introspection")
            raise NotCompilable(f"{parent.name}.{name}: no such field")
        if field_def is TypeNameMetaFieldDef:  # pragma: no cover — handled above
            raise NotCompilable("__typename")
        return_type = field_def.type
        complete = self.value(return_type, parent, name, details)
        state = self.state
        typename = parent.name
        resolve = field_def.resolve
        method = getattr(resolve, "direct_method", None)
        attribute = getattr(resolve, "direct_attribute", None)
        leaf_type = return_type.of_type if isinstance(return_type, GraphQLNonNull) \
            else return_type
        is_leaf = isinstance(leaf_type, GraphQLScalarType | GraphQLEnumType)

        def fail(raw: Exception, path: Any) -> None:
            executor = state.executor
            assert executor is not None
            executor.handle_field_error(raw, return_type, details, to_path(path))  # type: ignore[arg-type]

        if (method is not None or attribute is not None) and not node.arguments:
            if attribute is not None:
                def read(source: Any) -> Any:
                    return getattr(source, attribute)
            else:
                read = method  # type: ignore[assignment]
            if is_leaf:
                leaf = self.leaf(leaf_type)
                if leaf_type is return_type:
                    def leaf_field(source: Any, path: Any) -> Any:
                        try:
                            return leaf(read(source))
                        except Exception as raw:
                            fail(raw, (path, key, typename))
                            return None

                    return leaf_field
                message = f"Cannot return null for non-nullable field {typename}.{name}."

                def non_null_leaf_field(source: Any, path: Any) -> Any:
                    try:
                        value = leaf(read(source))
                        if value is None:
                            raise TypeError(message)
                        return value
                    except Exception as raw:
                        fail(raw, (path, key, typename))
                        return None

                return non_null_leaf_field

            def direct_field(source: Any, path: Any) -> Any:
                own = (path, key, typename)
                try:
                    return complete(read(source), own)
                except Exception as raw:
                    fail(raw, own)
                    return None

            return direct_field
        return self.resolved_field(parent, key, details, field_def, complete, fail)

    def resolved_field(self, parent: GraphQLObjectType, key: str,
                       details: list[FieldDetails], field_def: Any, complete: Complete,
                       fail: Callable[[Exception, Any], None]) -> Callable[[Any, Any], Any]:
        """A field with arguments or ``info``: its resolver called as graphql-core calls
        it (``info`` and the coerced arguments built per call)."""
        call = self.resolver_call(parent, key, details, field_def)

        def resolved(source: Any, path: Any) -> Any:
            own = (path, key, parent.name)
            try:
                return complete(call(source, own), own)
            except Exception as raw:
                fail(raw, own)
                return None

        return resolved

    def resolver_call(self, parent: GraphQLObjectType, key: str,
                      details: list[FieldDetails], field_def: Any) -> Callable[[Any, Any], Any]:
        """``(source, field path) -> value``: the field's resolver called with ``info``
        and its coerced arguments, as graphql-core's ``execute_field`` calls it; what it
        raises is raised. Arguments without variables are coerced once and kept (their
        coercion depends on nothing else); an awaitable result is closed and refused."""
        strawberry_field = (field_def.extensions or {}).get(_BACKREF)
        if isinstance(strawberry_field, StrawberryField) and (
                strawberry_field.is_async or strawberry_field.is_subscription):
            raise NotCompilable(f"{parent.name}.{key}: async resolver")
        state = self.state
        typename = parent.name
        first = details[0]
        node = first.node
        nodes = to_nodes(details)
        with_args = bool(field_def.args or node.arguments)
        constant_args = with_args and first.fragment_variable_values is None \
            and not any(has_variable(argument.value) for argument in node.arguments or ())
        kept: list[dict[str, Any]] = []

        def arguments(executor: Any) -> dict[str, Any]:
            if kept:
                return kept[0]
            if not with_args:
                return {}
            values = get_argument_values(
                field_def, node, executor.variable_values,
                first.fragment_variable_values, executor.hide_suggestions)
            if constant_args:
                kept.append(values)
            return values

        resolve = field_def.resolve
        if getattr(resolve, "direct_arguments", None) is not None:
            # graph/direct_resolvers.py: a method with plain arguments, no ``info``.
            def direct(source: Any, own: Any) -> Any:
                return resolve(source, None, **arguments(state.executor))

            direct.takes_path = False  # type: ignore[attr-defined]  # compiled_codegen
            return direct

        def call(source: Any, own: Any) -> Any:
            executor = state.executor
            assert executor is not None
            info = executor.build_resolve_info(field_def, nodes, parent, to_path(own))  # type: ignore[arg-type]
            resolve = field_def.resolve or executor.field_resolver
            result = resolve(source, info, **arguments(executor))
            if executor.is_awaitable(result):
                close = getattr(result, "close", None)
                if close is not None:
                    close()
                raise TypeError(f"{typename}.{key}: an awaitable is not supported by "
                                "the compiled plan")
            return result

        return call


def has_variable(value: Any) -> bool:
    """Whether an argument's literal holds a variable anywhere (lists, objects)."""
    if isinstance(value, VariableNode):
        return True
    if isinstance(value, ListValueNode):
        return any(has_variable(item) for item in value.values)
    if isinstance(value, ObjectValueNode):
        return any(has_variable(item.value) for item in value.fields)
    return False

"""Direct field resolution: graphql-core calls a field's method or reads its attribute
without strawberry's per-call wrapper, where that wrapper would do nothing.

strawberry resolves every field with a resolver through a chain built for the general case:
an ``Info`` object, argument conversion, field extensions, exception handlers, then the
method (about eight Python calls); a field without one through three calls to ``getattr``.
Most of productgraph's fields are neither: a synchronous method taking only ``self``
(``Product.title``, ``Variant.stock`` …) or a plain attribute (``Money.amount``). For
those, ``use_direct_resolvers`` gives graphql-core a resolver that calls the method with
the source (or reads the attribute) and nothing else — the same value, the same errors.

A method whose arguments are all plain scalars (``str``, ``int``, ``bool``, ``float``,
``ID``, optional or not: strawberry passes their values through unconverted) or lists of
them (strawberry copies the list: graphql-core shares a default between requests) gets one
too, which renames graphql-core's arguments to the method's parameters
(``Product.variants(onlyAvailable:)``). A method taking ``info`` gets strawberry's
``Info`` built as strawberry builds it (the schema's ``info_class`` over graphql-core's
info and the field); an async one returns its coroutine for graphql-core to await (the
root fields ``product(id:)``, ``products(ids:)``).

What graph/compiled_plan.py may call without graphql-core carries attributes:
``direct_attribute`` (the attribute read), ``direct_method`` (the synchronous method of
``self`` alone, called with the source), ``direct_arguments`` (a synchronous method with
arguments and no ``info``: the (GraphQL name, Python name) pairs; the resolver ignores its
``info``).

Left to strawberry: fields with other arguments (inputs, enums: strawberry converts
them), fields asking for ``root``/``parent``, fields with extensions or permission
classes, and every field of a schema with exception handlers.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from graphql import GraphQLObjectType, GraphQLResolveInfo
from strawberry import ID
from strawberry.schema.config import StrawberryConfig
from strawberry.schema.schema_converter import GraphQLCoreConverter
from strawberry.types.arguments import StrawberryArgument
from strawberry.types.base import StrawberryList, StrawberryOptional
from strawberry.types.field import StrawberryField

Resolve = Callable[..., Any]
#: Argument types strawberry passes to a resolver as graphql-core coerced them.
PLAIN_ARGUMENT_TYPES = (str, int, bool, float, ID)


def _unwrap(type_: Any) -> Any:
    """The type inside an optional (not a ``Maybe``: strawberry wraps those in ``Some``)."""
    return type_.of_type if type(type_) is StrawberryOptional else type_


def _is_plain(type_: Any) -> bool:
    return any(type_ is plain for plain in PLAIN_ARGUMENT_TYPES)


def _argument_kind(argument: StrawberryArgument) -> str | None:
    """``plain``, ``list`` (of plain scalars: copied), or ``None`` (strawberry converts)."""
    type_ = _unwrap(argument.type)
    if _is_plain(type_):
        return "plain"
    if type(type_) is StrawberryList and _is_plain(_unwrap(type_.of_type)):
        return "list"
    return None


def direct_resolver(field: StrawberryField,
                    config: StrawberryConfig | None = None) -> Resolve | None:
    """A resolver doing only what strawberry's would for ``field``, or ``None`` when
    strawberry's wrapper has work to do (converted arguments, extensions, ``root``).
    ``config``: the schema's, for the arguments' GraphQL names and the ``Info`` class."""
    if field.extensions or field.permission_classes \
            or type(field).get_result is not StrawberryField.get_result:
        return None
    resolver = field.base_resolver
    if resolver is None:
        if field.arguments:
            return None
        name = field.python_name

        def read(source: Any, info: GraphQLResolveInfo[Any]) -> Any:
            return getattr(source, name)

        read.direct_attribute = name  # type: ignore[attr-defined]  # graph/compiled_plan.py
        return read
    kinds = [_argument_kind(a) for a in field.arguments]
    if resolver.root_parameter or resolver.parent_parameter or not resolver.self_parameter \
            or None in kinds or ((field.arguments or resolver.info_parameter)
                                 and config is None):
        return None
    method = resolver.wrapped_func
    if not callable(method):
        return None
    if not field.arguments and not resolver.info_parameter:
        def call(source: Any, info: GraphQLResolveInfo[Any]) -> Any:
            return method(source)

        if not resolver.is_async:
            call.direct_method = method  # type: ignore[attr-defined]  # graph/compiled_plan.py
        return call
    assert config is not None
    renamed = tuple((config.name_converter.from_argument(a), a.python_name)
                    for a in field.arguments)
    lists = frozenset(python for (_, python), kind in zip(renamed, kinds, strict=True)
                      if kind == "list")
    info_parameter = resolver.info_parameter.name if resolver.info_parameter else None
    info_class = config.info_class

    if info_parameter is not None and not lists and all(
            graphql == python for graphql, python in renamed):
        # The arguments under their own names (``product(id:)``, ``node(id:)`` …):
        # graphql-core's dict is this call's own, it only gains the ``Info``.
        def call_as_named(source: Any, info: GraphQLResolveInfo[Any], **arguments: Any
                          ) -> Any:
            arguments[info_parameter] = info_class(_raw_info=info, _field=field)
            return method(source, **arguments)

        return call_as_named

    def call_with(source: Any, info: GraphQLResolveInfo[Any], **arguments: Any) -> Any:
        values = {python: arguments[graphql] for graphql, python in renamed
                  if graphql in arguments}
        for python in lists:
            if values.get(python) is not None:
                values[python] = list(values[python])
        if info_parameter is not None:
            values[info_parameter] = info_class(_raw_info=info, _field=field)
        return method(source, **values)

    if info_parameter is None and not resolver.is_async:
        call_with.direct_arguments = renamed  # type: ignore[attr-defined]  # compiled_plan
    return call_with


def use_direct_resolvers(schema: Any) -> int:
    """Install direct resolvers on a built strawberry schema's graphql-core types; returns
    how many fields got one."""
    if getattr(schema, "exception_handlers", None):
        return 0
    installed = 0
    for graphql_type in schema._schema.type_map.values():
        if not isinstance(graphql_type, GraphQLObjectType) or graphql_type.name.startswith("__"):
            continue
        for graphql_field in graphql_type.fields.values():
            field = (graphql_field.extensions or {}).get(GraphQLCoreConverter.DEFINITION_BACKREF)
            if not isinstance(field, StrawberryField) or field.is_subscription:
                continue
            resolve = direct_resolver(field, schema.config)
            if resolve is not None:
                graphql_field.resolve = resolve
                installed += 1
    return installed

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
``ID``, or optional ones: strawberry passes their values through unconverted) gets one
too, which renames graphql-core's arguments to the method's parameters
(``Product.variants(onlyAvailable:)``); it carries ``direct_arguments``, the (GraphQL
name, Python name) pairs, for graph/compiled_plan.py.

Left to strawberry: fields with other arguments (lists, inputs, enums: strawberry converts
them), fields asking for ``info``/``root``/``parent``, async resolvers, fields with
extensions or permission classes, and every field of a schema with exception handlers.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from graphql import GraphQLObjectType, GraphQLResolveInfo
from strawberry import ID
from strawberry.schema.name_converter import NameConverter
from strawberry.schema.schema_converter import GraphQLCoreConverter
from strawberry.types.arguments import StrawberryArgument
from strawberry.types.base import StrawberryOptional
from strawberry.types.field import StrawberryField

Resolve = Callable[..., Any]
#: Argument types strawberry passes to a resolver as graphql-core coerced them.
PLAIN_ARGUMENT_TYPES = (str, int, bool, float, ID)


def _plain(argument: StrawberryArgument) -> bool:
    type_ = argument.type
    if type(type_) is StrawberryOptional:  # not a ``Maybe``: strawberry wraps those
        type_ = type_.of_type
    return any(type_ is plain for plain in PLAIN_ARGUMENT_TYPES)


def direct_resolver(field: StrawberryField,
                    names: NameConverter | None = None) -> Resolve | None:
    """A resolver doing only what strawberry's would for ``field``, or ``None`` when
    strawberry's wrapper has work to do (converted arguments, info, extensions, async).
    ``names``: the schema's name converter, for the GraphQL names of the arguments."""
    if field.extensions or field.permission_classes:
        return None
    if field.arguments and (names is None or field.base_resolver is None
                            or not all(_plain(a) for a in field.arguments)):
        return None
    resolver = field.base_resolver
    if resolver is None:
        name = field.python_name

        def read(source: Any, info: GraphQLResolveInfo[Any]) -> Any:
            return getattr(source, name)

        read.direct_attribute = name  # type: ignore[attr-defined]  # graph/compiled_plan.py
        return read
    if resolver.is_async or resolver.info_parameter or resolver.root_parameter \
            or resolver.parent_parameter or not resolver.self_parameter:
        return None
    method = resolver.wrapped_func
    if not callable(method):
        return None
    if field.arguments:
        assert names is not None
        renamed = tuple((names.from_argument(a), a.python_name) for a in field.arguments)

        def call_with(source: Any, info: GraphQLResolveInfo[Any], **arguments: Any) -> Any:
            return method(source, **{python: arguments[graphql]
                                     for graphql, python in renamed if graphql in arguments})

        call_with.direct_method = method  # type: ignore[attr-defined]  # graph/compiled_plan.py
        call_with.direct_arguments = renamed  # type: ignore[attr-defined]
        return call_with

    def call(source: Any, info: GraphQLResolveInfo[Any]) -> Any:
        return method(source)

    call.direct_method = method  # type: ignore[attr-defined]  # graph/compiled_plan.py
    return call


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
            resolve = direct_resolver(field, schema.config.name_converter)
            if resolve is not None:
                graphql_field.resolve = resolve
                installed += 1
    return installed

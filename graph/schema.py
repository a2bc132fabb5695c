"""The schema object: the ``Query`` root and the Federation 2 subgraph schema."""

from __future__ import annotations

import dataclasses
import datetime
import decimal
from collections.abc import Callable, Iterable, Sequence
from typing import Annotated, Any, TypeVar

import strawberry
from graphql import GraphQLError
from strawberry.federation.schema import FederationAny
from strawberry.file_uploads import Upload
from strawberry.file_uploads.scalars import UploadDefinition
from strawberry.schema.types.base_scalars import DateTimeDefinition, DecimalDefinition
from strawberry.types import ExecutionResult, Info
from strawberry.types.graphql import OperationType

from channels.model import ProductRecord
from graph.catalog_types import CatalogProduct
from graph.category_query import CategoryQuery
from graph.compiler import CompiledOperations, compiled_execution_enabled
from graph.direct_resolvers import use_direct_resolvers
from graph.documents import DocumentCache, PreparedDocumentExtension
from graph.limits import OperationLimits
from graph.link_query import LinkQuery
from graph.listing_query import ListingQuery
from graph.metrics import GraphQLMetrics
from graph.plain_execution import PreparedOperation, execute_plain, plain_path_applies
from graph.subscriptions import Subscription
from graph.types import Node, Product, Seller, Variant
from graph.watch_types import Mutation, WatchQuery
from resolvers import products as product_resolvers
from resolvers.context import Context
from resolvers.errors import UserInputError
from resolvers.products import NodeRecord, ProductVariant

W = TypeVar("W")


def node_from_model(found: NodeRecord) -> Node:
    """The ``Node`` type that wraps what ``node(s)`` found."""
    if isinstance(found, ProductRecord):
        return Product.from_model(found)
    if isinstance(found, ProductVariant):
        return Variant.from_model(found)
    return Seller.from_model(found)


def each(found: Sequence[Any], wrap: Callable[[Any], W]) -> list[W | GraphQLError]:
    """Each record wrapped; a coded error stays in its slot (its item answers null)."""
    return [item if isinstance(item, GraphQLError) else wrap(item) for item in found]


@strawberry.type(description="Product data of Taobao, Tmall, 1688 and Weidian in one model.")
class Query(ListingQuery, CategoryQuery, LinkQuery, WatchQuery):
    @strawberry.field(description="One product by id (`{channel}_{sourceId}`); null with a "
                                  "coded error when it cannot be loaded.")
    async def product(
        self, info: Info[Context, Any],
        id: Annotated[strawberry.ID, strawberry.argument(
            description="`{channel}_{sourceId}`, e.g. `taobao_680123456789`.")],
    ) -> Product | None:
        return Product.from_model(await product_resolvers.resolve_product(info, id))

    @strawberry.field(description="Up to 100 products by id, in the order asked; a product that "
                                  "cannot be loaded is null with a coded error.")
    async def products(
        self, info: Info[Context, Any],
        ids: Annotated[list[strawberry.ID], strawberry.argument(
            description="At most 100 ids `{channel}_{sourceId}`; any mix of channels.")],
    ) -> list[Product | None]:
        return each(await product_resolvers.resolve_products(info, ids),  # type: ignore[return-value]
                    Product.from_model)

    @strawberry.field(description=(
        "Any object by its id: product, variant or seller. Products and variants are "
        "looked up (NOT_FOUND when the marketplace has none). A seller id "
        "(`{channel}_shop_{sellerId}`) is answered from the id alone and not checked: no "
        "marketplace API this server calls looks a shop up by id, so its `name` is the id "
        "and its other fields are null; a product's `seller` has them all."))
    async def node(
        self, info: Info[Context, Any],
        id: Annotated[strawberry.ID, strawberry.argument(description="The object's id.")],
    ) -> Node | None:
        return node_from_model(await product_resolvers.resolve_node(info, id))

    @strawberry.field(description="Objects by id, in the order asked (at most 100); as "
                                  "`node`, a seller id is answered from the id alone.")
    async def nodes(
        self, info: Info[Context, Any],
        ids: Annotated[list[strawberry.ID], strawberry.argument(description="The ids.")],
    ) -> list[Node | None]:
        return each(await product_resolvers.resolve_nodes(info, ids),  # type: ignore[return-value]
                    node_from_model)

    @strawberry.field(description="A Tmall catalog product (SPU): by `productId`, or by "
                                  "`categoryId` and `props` (its key properties).")
    async def catalog_product(
        self, info: Info[Context, Any],
        product_id: Annotated[strawberry.ID | None, strawberry.argument(
            description="The catalog product id.")] = None,
        category_id: Annotated[strawberry.ID | None, strawberry.argument(
            description="A leaf category id; needs `props`.")] = None,
        props: Annotated[str | None, strawberry.argument(
            description="Key properties as `pid:vid;pid:vid`; needs `categoryId`.")] = None,
    ) -> CatalogProduct | None:
        return CatalogProduct.from_model(await product_resolvers.resolve_catalog_product(
            info, product_id, category_id, props))


# The entities other subgraphs extend, each `@key(fields: "id")`. `@shareable` value types and
# `@tag` fields are marked in graph/types.py, each with its reason. `@inaccessible` is used
# nowhere, on purpose: it hides a field that exists only for federation's mechanics (a key or
# an `@requires` input no client should read), and every field here is public API.
ENTITIES = (Product, Variant, Seller)


class ProductGraphSchema(strawberry.federation.Schema):
    """The federation schema, with an ``_entities`` that answers each representation alone.

    strawberry's resolver pops ``__typename`` and looks it up unchecked, so one representation
    without it, or naming a type this subgraph does not own, fails the whole ``_entities``
    field and every entity of the gateway's batch with it. Here such a representation is
    ``null`` with ``INVALID_REPRESENTATION`` in its place; valid ones go on to the reference
    resolvers (``resolvers/entities.py``), whose ``INVALID_ID`` / ``NOT_FOUND`` errors are
    per entity too.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        #: Parse, limit and validation verdicts of direct ``execute`` calls and of
        #: strawberry's path: the default limits, development mode. The view prepares with
        #: its own (graph/serving.py).
        self.documents = DocumentCache(self._schema, OperationLimits(), introspection=True,
                                       suggestions=True)
        #: Set by ``create_schema``: a schema built otherwise executes as strawberry's does.
        self.plain_path = False
        #: Compiled operations of the plain path (graph/compiler.py); ``None``: off.
        self.compiled: CompiledOperations | None = None

    def process_errors(self, errors: list[GraphQLError],
                       execution_context: Any = None) -> None:
        """Log only what nobody expected. A coded error (``NOT_FOUND``, ``UPSTREAM_TIMEOUT``,
        a bad argument …) is an answer, already counted in the request's access-log line
        and in the metrics; logging each with a traceback would bury the real failures."""
        unexpected = [e for e in errors
                      if (e.extensions or {}).get("code") in (None, "INTERNAL_SERVER_ERROR")]
        if unexpected:
            super().process_errors(unexpected, execution_context)

    async def execute(
        self, query: str | None, variable_values: dict[str, Any] | None = None,
        context_value: Any | None = None, root_value: Any | None = None,
        operation_name: str | None = None,
        allowed_operation_types: Iterable[OperationType] | None = None,
        operation_extensions: dict[str, Any] | None = None,
    ) -> ExecutionResult:
        """strawberry's ``execute``; a query cached as valid takes the plain path
        (``graph.plain_execution``), the same answer without the extension machinery.
        The view prepares its queries itself and calls the plain path directly."""
        if self.plain_path and query:
            try:
                prepared = self.documents.prepare(query)
            except Exception:  # refused or a syntax error: strawberry's path reports it
                prepared = None
            if prepared is not None and not prepared.errors:
                return await execute_plain(
                    self, PreparedOperation.select(query, prepared.document, operation_name),
                    variable_values=variable_values, context_value=context_value,
                    root_value=root_value, allowed_operation_types=allowed_operation_types,
                    operation_extensions=operation_extensions)
        return await super().execute(query, variable_values, context_value, root_value,
                                     operation_name, allowed_operation_types,
                                     operation_extensions)

    # The signature is strawberry's: it builds the `_entities` field from these annotations.
    def entities_resolver(self, info: Info, representations: list[FederationAny]
                          ) -> list[FederationAny]:
        results: list[FederationAny] = []
        for index, representation in enumerate(representations):
            argument = f"representations[{index}]"
            problem = representation_problem(representation)
            if problem is not None:
                results.append(UserInputError(  # type: ignore[arg-type]
                    problem, argument=argument, code="INVALID_REPRESENTATION"))
                continue
            # Only the key goes on: the reference resolvers take exactly `id`.
            key = {"__typename": representation["__typename"],  # type: ignore[index]
                   "id": str(representation["id"])}  # type: ignore[index]
            results.extend(super().entities_resolver(info, [FederationAny(key)]))
        return results


def representation_problem(representation: object) -> str | None:
    """Why a representation cannot name one of this subgraph's entities, or None."""
    names = ", ".join(entity.__name__ for entity in ENTITIES)
    if not isinstance(representation, dict):
        return f"a representation must be an object with `__typename` and `id`; got " \
               f"{type(representation).__name__}"
    typename = representation.get("__typename")
    if typename not in {entity.__name__ for entity in ENTITIES}:
        return f"`__typename` must be one of productgraph's entities ({names}); got {typename!r}"
    key = representation.get("id")
    if not isinstance(key, str | int) or isinstance(key, bool) or not str(key).strip():
        return f"a {typename} representation needs its key `id` (a non-empty string)"
    return None


#: strawberry's scalars with a ``@specifiedBy`` URL, so a generated client knows their
#: format instead of typing them ``Any``.
SCALARS: dict[object, Any] = {
    datetime.datetime: dataclasses.replace(
        DateTimeDefinition,
        description="An instant as an RFC 3339 date-time with its UTC offset, e.g. "
                    "`2026-03-01T10:00:00+08:00`.",
        specified_by_url="https://scalars.graphql.org/andimarek/date-time"),
    decimal.Decimal: dataclasses.replace(
        DecimalDefinition,
        description="An exact decimal number as a string, e.g. `\"12.50\"`: never a "
                    "float (the General Decimal Arithmetic to-scientific-string format).",
        specified_by_url="https://speleotrove.com/decimal/daconvs.html#reftostr"),
    Upload: dataclasses.replace(
        UploadDefinition,
        description="A file sent as a part of a GraphQL multipart request.",
        specified_by_url="https://github.com/jaydenseric/graphql-multipart-request-spec"),
}


def create_schema() -> ProductGraphSchema:
    """The Federation 2 subgraph schema (strawberry emits Federation 2 only)."""
    built = ProductGraphSchema(query=Query, mutation=Mutation, subscription=Subscription,
                               types=list(ENTITIES), scalar_overrides=SCALARS,
                               extensions=[GraphQLMetrics, PreparedDocumentExtension])
    use_direct_resolvers(built)
    built.plain_path = plain_path_applies(built)
    if built.plain_path and compiled_execution_enabled():
        built.compiled = CompiledOperations(built._schema, built.execution_context_class)
    return built


schema = create_schema()

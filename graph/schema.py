"""The schema object: the ``Query`` root and the Federation 2 subgraph schema."""

from __future__ import annotations

from typing import Annotated, Any

import strawberry
from strawberry.types import Info

from graph.context import Context
from graph.types import CatalogProduct, Node, Product, Seller, Variant
from resolvers import products as product_resolvers
from resolvers.entities import (
    resolve_product_reference,
    resolve_seller_reference,
    resolve_variant_reference,
)

Product.resolve_reference = classmethod(resolve_product_reference)  # type: ignore[attr-defined]
Variant.resolve_reference = classmethod(resolve_variant_reference)  # type: ignore[attr-defined]
Seller.resolve_reference = classmethod(resolve_seller_reference)  # type: ignore[attr-defined]


@strawberry.type(description="Product data of Taobao, Tmall, 1688 and Weidian in one model.")
class Query:
    @strawberry.field(description="One product by id (`{channel}_{sourceId}`); null with a "
                                  "coded error when it cannot be loaded.")
    async def product(
        self, info: Info[Context, Any],
        id: Annotated[strawberry.ID, strawberry.argument(
            description="`{channel}_{sourceId}`, e.g. `taobao_680123456789`.")],
    ) -> Product | None:
        return await product_resolvers.resolve_product(info, id)

    @strawberry.field(description="Up to 100 products by id, in the order asked; a product that "
                                  "cannot be loaded is null with a coded error.")
    async def products(
        self, info: Info[Context, Any],
        ids: Annotated[list[strawberry.ID], strawberry.argument(
            description="At most 100 ids `{channel}_{sourceId}`; any mix of channels.")],
    ) -> list[Product | None]:
        return await product_resolvers.resolve_products(info, ids)

    @strawberry.field(description="Any object by its id: product, variant or seller.")
    async def node(
        self, info: Info[Context, Any],
        id: Annotated[strawberry.ID, strawberry.argument(description="The object's id.")],
    ) -> Node | None:
        return await product_resolvers.resolve_node(info, id)  # type: ignore[no-any-return]

    @strawberry.field(description="Objects by id, in the order asked (at most 100).")
    async def nodes(
        self, info: Info[Context, Any],
        ids: Annotated[list[strawberry.ID], strawberry.argument(description="The ids.")],
    ) -> list[Node | None]:
        return await product_resolvers.resolve_nodes(info, ids)

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
        return await product_resolvers.resolve_catalog_product(
            info, product_id, category_id, props)


def create_schema() -> strawberry.federation.Schema:
    """The Federation 2 subgraph schema (strawberry emits Federation 2 only)."""
    return strawberry.federation.Schema(query=Query, types=[Product, Variant, Seller])


schema = create_schema()

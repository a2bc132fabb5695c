"""The ``Query`` fields that find products: keyword and image search, the own shop's listing
for incremental sync, any shop's listing, and product links. ``graph.schema.Query`` inherits
them. Each turns its GraphQL arguments (enums, the filter input) into the plain ones of
``resolvers/listings.py`` and wraps the result in its connection type."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, cast

import strawberry
from strawberry.file_uploads import Upload
from strawberry.types import Info

from graph.listing_types import (
    ImageSearchConnection,
    ParsedProductUrl,
    ProductConnection,
    ProductFilter,
    ProductSortKey,
    ShopProductSortKey,
)
from graph.types import Product
from graph.values import Channel
from resolvers import listings
from resolvers.context import Context
from resolvers.errors import UserInputError

_SEARCH_SORTS = {ProductSortKey.RELEVANCE: "relevance", ProductSortKey.SALES: "sales",
                 ProductSortKey.NEWEST: "newest"}
_SHOP_SORTS = {ShopProductSortKey.MODIFIED: "modified", ShopProductSortKey.LIST_TIME: "list_time",
               ShopProductSortKey.DELIST_TIME: "delist_time", ShopProductSortKey.STOCK: "num",
               ShopProductSortKey.SALES: "sold_quantity"}


def search_sort(sort_key: ProductSortKey, reverse: bool) -> str:
    """The aggregator's sort key for ``sortKey``/``reverse`` (seed 003)."""
    if sort_key is ProductSortKey.PRICE:
        return "price_desc" if reverse else "price_asc"
    if reverse:
        raise UserInputError(f"`reverse` is only supported with sortKey PRICE; "
                             f"{sort_key.value} has one order", argument="reverse")
    return _SEARCH_SORTS[sort_key]


def shop_order(sort_key: ShopProductSortKey, reverse: bool) -> str:
    """TOP's ``order_by`` (``<key>:<asc|desc>``) for ``sortKey``/``reverse``."""
    return f"{_SHOP_SORTS[sort_key]}:{'desc' if reverse else 'asc'}"


@strawberry.type
class ListingQuery:
    @strawberry.field(description="Products of one marketplace matching a keyword, as a "
                                  "Relay connection. A channel whose upstream cannot search "
                                  "answers CAPABILITY_NOT_SUPPORTED.")
    async def search(
        self, info: Info[Context, Any],
        channel: Annotated[Channel, strawberry.argument(  # type: ignore[valid-type]
            description="The marketplace to search.")],
        query: Annotated[str | None, strawberry.argument(
            description="Keywords; empty or null lists everything the filter allows.")] = None,
        first: Annotated[int, strawberry.argument(description="Page size, 1 to 100.")] = 20,
        after: Annotated[str | None, strawberry.argument(
            description="`endCursor` of the previous page of this same query.")] = None,
        filter: Annotated[ProductFilter | None, strawberry.argument(
            description="Price, category and stock filters.")] = None,
        sort_key: Annotated[ProductSortKey, strawberry.argument(
            description="The order.")] = ProductSortKey.RELEVANCE,
        reverse: Annotated[bool, strawberry.argument(
            description="Descending price (sortKey PRICE only).")] = False,
    ) -> ProductConnection:
        f = filter or ProductFilter()
        return ProductConnection.from_model(await listings.resolve_search(
            info, channel, query, first, after, sort=search_sort(sort_key, reverse),
            price_min=f.price_min, price_max=f.price_max,
            category_id=None if f.category_id is None else str(f.category_id),
            in_stock_only=bool(f.in_stock_only)))

    @strawberry.field(description="Products that look like an image, given by URL (passed to "
                                  "the marketplace, never fetched by this server) or uploaded "
                                  "(multipart; JPEG, PNG or WebP, at most 5 MB).")
    async def search_by_image(
        self, info: Info[Context, Any],
        channel: Annotated[Channel, strawberry.argument(  # type: ignore[valid-type]
            description="The marketplace to search.")],
        image_url: Annotated[str | None, strawberry.argument(
            description="A public http(s) image URL; exactly one of imageUrl and image.")] = None,
        image: Annotated[Upload | None, strawberry.argument(
            description="An uploaded image (GraphQL multipart request).")] = None,
        first: Annotated[int, strawberry.argument(description="Page size, 1 to 100.")] = 20,
        after: Annotated[str | None, strawberry.argument(
            description="`endCursor` of the previous page (send the same image again).")]
        = None,
    ) -> ImageSearchConnection:
        return ImageSearchConnection.from_model(await listings.resolve_search_by_image(
            info, channel, image_url, cast("listings.Upload | None", image), first, after))

    @strawberry.field(description="The on-sale items of the configured Taobao/Tmall shop "
                                  "(TOP taobao.items.onsale.get), for an ERP's incremental "
                                  "sync: page through one modification window at a time. At "
                                  "most 20000 items per window (PAGE_DEPTH_EXCEEDED past it).")
    async def shop_products(
        self, info: Info[Context, Any],
        channel: Annotated[Channel, strawberry.argument(  # type: ignore[valid-type]
            description="TAOBAO or TMALL.")],
        first: Annotated[int, strawberry.argument(description="Page size, 1 to 200.")] = 40,
        after: Annotated[str | None, strawberry.argument(
            description="`endCursor` of the previous page of this same query.")] = None,
        query: Annotated[str | None, strawberry.argument(
            description="Only items whose title contains this.")] = None,
        modified_since: Annotated[datetime | None, strawberry.argument(
            description="Only items modified at or after this instant (with offset).")] = None,
        modified_until: Annotated[datetime | None, strawberry.argument(
            description="Only items modified before this instant (exclusive).")] = None,
        sort_key: Annotated[ShopProductSortKey, strawberry.argument(
            description="The order; MODIFIED suits a sync.")] = ShopProductSortKey.MODIFIED,
        reverse: Annotated[bool, strawberry.argument(
            description="Descending instead of ascending.")] = False,
    ) -> ProductConnection:
        return ProductConnection.from_model(await listings.resolve_shop_products(
            info, channel, query, first, after, modified_since, modified_until,
            order_by=shop_order(sort_key, reverse)))

    @strawberry.field(description="Any shop's items, given the shop's `Seller.id`, as a Relay "
                                  "connection: a price monitor's or buying agent's view of "
                                  "another shop. Served where the deployment has a route that "
                                  "lists a given shop (a standard-model aggregator's search by "
                                  "shop); TOP's seller API lists only the session's own shop "
                                  "(see shopProducts) and no affiliate (淘宝客) method lists a "
                                  "given shop's items, so without an aggregator this answers "
                                  "CAPABILITY_NOT_SUPPORTED.")
    async def seller_products(
        self, info: Info[Context, Any],
        seller_id: Annotated[strawberry.ID, strawberry.argument(
            description="The shop: a `Seller.id`, `<channel>_shop_<shopId>`.")],
        query: Annotated[str | None, strawberry.argument(
            description="Only the shop's items matching these keywords.")] = None,
        first: Annotated[int, strawberry.argument(description="Page size, 1 to 100.")] = 20,
        after: Annotated[str | None, strawberry.argument(
            description="`endCursor` of the previous page of this same query.")] = None,
        sort_key: Annotated[ProductSortKey, strawberry.argument(
            description="The order.")] = ProductSortKey.RELEVANCE,
        reverse: Annotated[bool, strawberry.argument(
            description="Descending price (sortKey PRICE only).")] = False,
    ) -> ProductConnection:
        return ProductConnection.from_model(await listings.resolve_seller_products(
            info, str(seller_id), query, first, after, sort=search_sort(sort_key, reverse)))

    @strawberry.field(description="The product behind a marketplace link (Taobao, Tmall, 1688, "
                                  "Weidian; desktop and mobile forms). The link is parsed, never "
                                  "fetched; any other link answers UNSUPPORTED_URL.")
    async def product_by_url(
        self, info: Info[Context, Any],
        url: Annotated[str, strawberry.argument(description="A product page URL.")],
    ) -> Product | None:
        return Product.from_model(await listings.resolve_product_by_url(info, url))

    @strawberry.field(description="Which product a marketplace link points to, without loading "
                                  "it; UNSUPPORTED_URL for any other link.")
    def parse_product_url(
        self,
        url: Annotated[str, strawberry.argument(description="A product page URL.")],
    ) -> ParsedProductUrl | None:
        return ParsedProductUrl.from_model(listings.resolve_parse_product_url(url))

"""The ``Query`` fields that find products: keyword and image search, a shop's listing for
incremental sync, and product links. ``graph.schema.Query`` inherits them."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import strawberry
from strawberry.file_uploads import Upload
from strawberry.types import Info

from graph.context import Context
from graph.listing_types import (
    ImageSearchConnection,
    ParsedProductUrl,
    ProductConnection,
    ProductFilter,
    ProductSortKey,
    ShopProductSortKey,
)
from graph.types import Channel, Product
from resolvers import listings


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
        return await listings.resolve_search(info, channel, query, first,
                                             after, filter, sort_key, reverse)

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
        return await listings.resolve_search_by_image(
            info, channel, image_url, image, first, after)

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
        return await listings.resolve_shop_products(
            info, channel, query, first, after, modified_since,
            modified_until, sort_key, reverse)

    @strawberry.field(description="The product behind a marketplace link (Taobao, Tmall, 1688, "
                                  "Weidian; desktop and mobile forms). The link is parsed, never "
                                  "fetched; any other link answers UNSUPPORTED_URL.")
    async def product_by_url(
        self, info: Info[Context, Any],
        url: Annotated[str, strawberry.argument(description="A product page URL.")],
    ) -> Product | None:
        return await listings.resolve_product_by_url(info, url)

    @strawberry.field(description="Which product a marketplace link points to, without loading "
                                  "it; UNSUPPORTED_URL for any other link.")
    def parse_product_url(
        self,
        url: Annotated[str, strawberry.argument(description="A product page URL.")],
    ) -> ParsedProductUrl | None:
        return listings.resolve_parse_product_url(url)

"""GraphQL types of the listings: Relay connections of products (built ``from_model`` of a
``resolvers.listings.ListingResult``), their filter and sort inputs, the image-search crop
region, and a parsed product link."""

from __future__ import annotations

import enum
from decimal import Decimal

import strawberry

from channels import model
from channels.urls import ParsedProductUrl as ParsedUrl
from graph.types import Product
from graph.values import Channel
from resolvers.listings import ListingEdge, ListingResult


@strawberry.type(description="Where a page sits in its listing (Relay).")
class PageInfo:
    has_next_page: bool = strawberry.field(description="True when `endCursor` leads on.")
    has_previous_page: bool = strawberry.field(
        description="True when the page does not start at the listing's first product.")
    start_cursor: str | None = strawberry.field(description="The cursor of the first edge.")
    end_cursor: str | None = strawberry.field(
        description="The cursor of the last edge: pass it as `after` for the next page.")

    @classmethod
    def from_model(cls, result: ListingResult) -> PageInfo:
        return cls(has_next_page=result.has_next_page,
                   has_previous_page=result.has_previous_page,
                   start_cursor=result.start_cursor, end_cursor=result.end_cursor)


@strawberry.type(description="One product of a listing, with its cursor.")
class ProductEdge:
    cursor: str = strawberry.field(description="Opaque; pass as `after` to continue after it.")
    record: strawberry.Private[model.ProductRecord]
    error: strawberry.Private[Exception | None] = None

    @classmethod
    def from_model(cls, edge: ListingEdge) -> ProductEdge:
        return cls(cursor=edge.cursor, record=edge.record, error=edge.error)

    @strawberry.field(description="The product: listing fields resolve from the listing, "
                                  "detail fields (variants, description…) load on demand. "
                                  "Null with a coded error when its detail cannot be loaded.")
    def node(self) -> Product | None:
        if self.error is not None:
            raise self.error
        return Product.from_model(self.record)


@strawberry.type(description="A page of products (Relay connection).")
class ProductConnection:
    edges: list[ProductEdge] = strawberry.field(description="The products of this page.")
    page_info: PageInfo = strawberry.field(description="How to get the next page.")
    total_count: int | None = strawberry.field(
        description="How many products the whole listing has, when the upstream says.")

    @classmethod
    def from_model(cls, result: ListingResult) -> ProductConnection:
        return cls(edges=[ProductEdge.from_model(e) for e in result.edges],
                   page_info=PageInfo.from_model(result), total_count=result.total)


@strawberry.type(description="A rectangle in an image, in pixels from the top-left corner.")
class ImageRegion:
    x: int = strawberry.field(description="Left edge.")
    y: int = strawberry.field(description="Top edge.")
    width: int = strawberry.field(description="Width.")
    height: int = strawberry.field(description="Height.")

    @classmethod
    def from_model(cls, box: tuple[int, int, int, int]) -> ImageRegion:
        """From the upstream's corners ``(x1, y1, x2, y2)``."""
        x1, y1, x2, y2 = box
        return cls(x=x1, y=y1, width=max(0, x2 - x1), height=max(0, y2 - y1))


@strawberry.type(description="A page of products that look like an image.")
class ImageSearchConnection:
    edges: list[ProductEdge] = strawberry.field(description="The products of this page.")
    page_info: PageInfo = strawberry.field(description="How to get the next page.")
    total_count: int | None = strawberry.field(
        description="How many products the whole listing has, when the upstream says.")
    region: ImageRegion | None = strawberry.field(
        description="The part of the image the marketplace searched for (its detected "
                    "subject, seed 003 `pic_region_info`).")

    @classmethod
    def from_model(cls, result: ListingResult) -> ImageSearchConnection:
        return cls(edges=[ProductEdge.from_model(e) for e in result.edges],
                   page_info=PageInfo.from_model(result), total_count=result.total,
                   region=ImageRegion.from_model(result.region) if result.region else None)


@strawberry.enum(description="How `search` orders products.")
class ProductSortKey(enum.Enum):
    RELEVANCE = "RELEVANCE"
    PRICE = "PRICE"
    SALES = "SALES"
    NEWEST = "NEWEST"


@strawberry.enum(description="How `shopProducts` orders a shop's items (ascending unless "
                             "`reverse`).")
class ShopProductSortKey(enum.Enum):
    MODIFIED = "MODIFIED"
    LIST_TIME = "LIST_TIME"
    DELIST_TIME = "DELIST_TIME"
    STOCK = "STOCK"
    SALES = "SALES"


@strawberry.input(description="Narrows a `search`.")
class ProductFilter:
    price_min: Decimal | None = strawberry.field(
        default=None, description="Lowest unit price (yuan), inclusive.")
    price_max: Decimal | None = strawberry.field(
        default=None, description="Highest unit price (yuan), inclusive.")
    category_id: strawberry.ID | None = strawberry.field(
        default=None, description="Only this marketplace category.")
    in_stock_only: bool | None = strawberry.field(
        default=None, description="Only products that can be bought now.")


@strawberry.type(description="A product link, parsed: which marketplace and which product.")
class ParsedProductUrl:
    channel: Channel = strawberry.field(description="The marketplace.")  # type: ignore[valid-type]
    source_id: str = strawberry.field(description="The marketplace's product id.")
    id: strawberry.ID = strawberry.field(description="The product's id in this API.")
    canonical_url: str = strawberry.field(description="The marketplace's canonical page.")

    @classmethod
    def from_model(cls, parsed: ParsedUrl) -> ParsedProductUrl:
        return cls(channel=parsed.channel, source_id=parsed.source_id,
                   id=strawberry.ID(parsed.id), canonical_url=parsed.canonical_url)

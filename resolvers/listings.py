"""Root resolvers that find products: ``search``, ``searchByImage``, ``shopProducts``,
``productByUrl`` and ``parseProductUrl``.

A listing page is one upstream page (two when the client's ``first`` does not line up with
the cursor's offset). Its items are summary records — CORE and whatever else the listing
carries; when the query selects more (variants, description…), the missing parts of every
node of the page are loaded in one wave through the request's loader and merged in, so a
page of 20 search results that selects ``variants`` costs the search call plus one detail
wave, never one call per field.
"""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from channels.errors import ChannelError
from channels.model import Channel, Part, ProductRecord
from channels.urls import parse_product_url
from graph.errors import UserInputError, to_graphql_error
from graph.listing_types import (
    ImageRegion,
    ImageSearchConnection,
    PageInfo,
    ParsedProductUrl,
    ProductConnection,
    ProductEdge,
    ProductFilter,
    ProductSortKey,
    ShopProductSortKey,
)
from graph.types import Product
from resolvers.cursors import decode_cursor, encode_cursor, fingerprint
from resolvers.selection import PART_OF_FIELD, product_parts
from resolvers.selection import _children as selection_children
from resolvers.selection import _fields as selection_fields

if TYPE_CHECKING:
    from strawberry.file_uploads import Upload
    from strawberry.types import Info

    from graph.context import Context

MAX_SEARCH_FIRST = 100
MAX_IMAGE_BYTES = 5 * 1024 * 1024
MAX_IMAGE_URL_LENGTH = 2048
SHOP_CHANNELS = (Channel.TAOBAO, Channel.TMALL)
CORE_FIELDS = frozenset(name for name, part in PART_OF_FIELD.items() if part is Part.CORE)

_SEARCH_SORTS = {ProductSortKey.RELEVANCE: "relevance", ProductSortKey.SALES: "sales",
                 ProductSortKey.NEWEST: "newest"}
_SHOP_SORTS = {ShopProductSortKey.MODIFIED: "modified", ShopProductSortKey.LIST_TIME: "list_time",
               ShopProductSortKey.DELIST_TIME: "delist_time", ShopProductSortKey.STOCK: "num",
               ShopProductSortKey.SALES: "sold_quantity"}


#: Product fields a seed-003 list item answers in full (its CORE is otherwise partial).
SEARCH_CORE_FIELDS = frozenset({"sourceUrl", "title", "price"})
#: ... and those a ``taobao.items.onsale.get`` Item answers.
ONSALE_CORE_FIELDS = SEARCH_CORE_FIELDS | {
    "totalStock", "availableForSale", "salesCount", "category", "status", "listedAt",
    "updatedAt"}


@dataclass(frozen=True, slots=True)
class Page:
    """One upstream page, whatever the listing: summary records and the total."""

    items: tuple[ProductRecord, ...]
    total: int | None
    region: tuple[int, int, int, int] | None = None


FetchPage = Callable[[int, int], Awaitable[Page]]  # (1-based page, page size) → Page


# -- paging ----------------------------------------------------------------------------

def check_first(first: int, limit: int) -> None:
    if not 1 <= first <= limit:
        raise UserInputError(f"`first` must be between 1 and {limit}; got {first}",
                             argument="first")


async def window(fetch: FetchPage, start: int, first: int) -> Page:
    """``first`` items from absolute offset ``start``, in upstream pages of ``first``."""
    page_no = start // first + 1
    skip = start % first
    page = await fetch(page_no, first)
    items = list(page.items[skip:])
    more = page.total is None or page_no * first < page.total
    if skip and len(page.items) == first and more:
        items += (await fetch(page_no + 1, first)).items
    return Page(tuple(items[:first]), page.total, page.region)


async def connection(info: Info[Context, Any], fetch: FetchPage, *, first: int,
                     after: str | None, query: str, core_fields: frozenset[str]
                     ) -> tuple[list[ProductEdge], PageInfo, Page]:
    start = decode_cursor(after, query) + 1 if after is not None else 0
    try:
        page = await window(fetch, start, first)
    except ChannelError as exc:
        raise to_graphql_error(exc) from exc
    records = await with_details(info, page.items, core_fields)
    edges = [ProductEdge(cursor=encode_cursor(start + i, first, query), record=r, error=e)
             for i, (r, e) in enumerate(records)]
    end = start + len(edges)
    has_next = end < page.total if page.total is not None else len(edges) == first
    info_ = PageInfo(has_next_page=has_next, has_previous_page=start > 0,
                     start_cursor=edges[0].cursor if edges else None,
                     end_cursor=edges[-1].cursor if edges else None)
    return edges, info_, page


def node_fields(info: Info[Context, Any]) -> set[str]:
    """The names of the fields selected on ``edges { node { … } }``."""
    raw = info._raw_info
    fields = list(selection_fields(
        (c for node in raw.field_nodes for c in selection_children(node)), raw.fragments))
    for step in ("edges", "node"):
        fields = [c for f in fields if f.name.value == step
                  for c in selection_fields(selection_children(f), raw.fragments)]
    return {f.name.value for f in fields}


async def with_details(info: Info[Context, Any], records: Sequence[ProductRecord],
                       core_fields: frozenset[str]) -> list[tuple[ProductRecord, Exception | None]]:
    """Each listing record with the parts the query selects and the listing lacks, all
    loaded in one wave; a product whose detail fails keeps its error beside it.

    A listing's CORE is partial: when the query selects a core field the listing does not
    answer (``core_fields``), CORE is loaded too and the detail's CORE replaces it.
    """
    wanted = product_parts(info, ("edges", "node"))
    missing: set[Part] = set()
    if Part.CORE in wanted and node_fields(info) & CORE_FIELDS - core_fields:
        missing.add(Part.CORE)
    for record in records:
        missing |= wanted - record.loaded_parts()
    if not missing or not records:
        return [(r, None) for r in records]
    needy = [r for r in records if Part.CORE in missing or wanted - r.loaded_parts()]
    answers = await info.context.loader.load_products_or_errors(
        [(r.channel, r.source_id) for r in needy], missing)
    loaded = {(r.channel, r.source_id): a for r, a in zip(needy, answers, strict=True)}
    result: list[tuple[ProductRecord, Exception | None]] = []
    for record in records:
        answer = loaded.get((record.channel, record.source_id))
        if answer is None:
            result.append((record, None))
        elif isinstance(answer, BaseException):
            result.append((record, to_graphql_error(answer)))
        else:
            # The detail's parts win; the listing fills in what the detail did not load.
            result.append((answer.merged(record), None))
    return result


# -- search ----------------------------------------------------------------------------

def _search_sort(sort_key: ProductSortKey, reverse: bool) -> str:
    if sort_key is ProductSortKey.PRICE:
        return "price_desc" if reverse else "price_asc"
    if reverse:
        raise UserInputError(f"`reverse` is only supported with sortKey PRICE; "
                             f"{sort_key.value} has one order", argument="reverse")
    return _SEARCH_SORTS[sort_key]


def _check_filter(filter: ProductFilter | None) -> ProductFilter:
    f = filter or ProductFilter()
    for name, value in (("priceMin", f.price_min), ("priceMax", f.price_max)):
        if value is not None and (not value.is_finite() or value < 0):
            raise UserInputError(f"`filter.{name}` must be a non-negative amount; got {value}",
                                 argument=f"filter.{name}")
    if f.price_min is not None and f.price_max is not None and f.price_min > f.price_max:
        raise UserInputError(f"`filter.priceMin` ({f.price_min}) is above `filter.priceMax` "
                             f"({f.price_max})", argument="filter.priceMin")
    if f.category_id is not None and not str(f.category_id).strip().isdigit():
        raise UserInputError(f"`filter.categoryId` must be a number; got {f.category_id!r}",
                             argument="filter.categoryId")
    return f


async def resolve_search(
    info: Info[Context, Any], channel: Channel, query: str | None, first: int,
    after: str | None, filter: ProductFilter | None, sort_key: ProductSortKey, reverse: bool,
) -> ProductConnection:
    check_first(first, MAX_SEARCH_FIRST)
    f = _check_filter(filter)
    sort = _search_sort(sort_key, reverse)
    keyword = (query or "").strip()
    if len(keyword) > 200:
        raise UserInputError("`query` is at most 200 characters", argument="query")
    try:
        searcher = info.context.registry.searcher(channel)
    except ChannelError as exc:
        raise to_graphql_error(exc, argument="channel") from exc
    price_min = Decimal(f.price_min) if f.price_min is not None else None
    price_max = Decimal(f.price_max) if f.price_max is not None else None
    category_id = str(f.category_id).strip() if f.category_id is not None else None

    async def fetch(page: int, size: int) -> Page:
        listing = await searcher.search(
            channel, keyword=keyword, page=page, page_size=size, sort=sort,
            price_min=price_min, price_max=price_max, category_id=category_id,
            in_stock_only=bool(f.in_stock_only))
        return Page(listing.items, listing.total)

    key = fingerprint("search", channel.value, keyword, str(price_min), str(price_max),
                      category_id, bool(f.in_stock_only), sort)
    edges, page_info, page = await connection(info, fetch, first=first, after=after, query=key,
                                              core_fields=SEARCH_CORE_FIELDS)
    return ProductConnection(edges=edges, page_info=page_info, total_count=page.total)


# -- search by image -------------------------------------------------------------------

def image_content_type(data: bytes) -> str | None:
    """JPEG, PNG or WebP by their magic bytes (never by the client's content type)."""
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


async def read_image(image: Upload) -> tuple[bytes, str]:
    """The upload's bytes and type, or ``BAD_USER_INPUT`` naming `image`."""
    # strawberry hands over the framework's file (Starlette `UploadFile`); read one byte past
    # the limit so an oversized upload is refused without reading all of it.
    data = await image.read(MAX_IMAGE_BYTES + 1)  # type: ignore[attr-defined]
    if len(data) > MAX_IMAGE_BYTES:
        raise UserInputError(f"`image` is larger than {MAX_IMAGE_BYTES // (1024 * 1024)} MB",
                             argument="image")
    if not data:
        raise UserInputError("`image` is empty", argument="image")
    content_type = image_content_type(data)
    if content_type is None:
        raise UserInputError("`image` must be a JPEG, PNG or WebP image", argument="image")
    return data, content_type


def _check_image_url(url: str) -> str:
    url = url.strip()
    if (len(url) > MAX_IMAGE_URL_LENGTH or not url.isascii()
            or not url.lower().startswith(("http://", "https://"))):
        raise UserInputError("`imageUrl` must be an http(s) URL of at most "
                             f"{MAX_IMAGE_URL_LENGTH} characters", argument="imageUrl")
    return url


async def resolve_search_by_image(
    info: Info[Context, Any], channel: Channel, image_url: str | None, image: Upload | None,
    first: int, after: str | None,
) -> ImageSearchConnection:
    check_first(first, MAX_SEARCH_FIRST)
    if (image_url is None) == (image is None):
        raise UserInputError("searchByImage takes exactly one of `imageUrl` and `image`",
                             argument="image")
    try:
        searcher = info.context.registry.searcher(channel)
    except ChannelError as exc:
        raise to_graphql_error(exc, argument="channel") from exc
    if image is not None:
        data, content_type = await read_image(image)
        key = fingerprint("image", channel.value, hashlib.sha256(data).hexdigest())
        decode_cursor(after, key) if after is not None else None  # refuse before uploading
        try:
            image_id: str | None = await searcher.upload_image(channel, data, content_type)
        except ChannelError as exc:
            raise to_graphql_error(exc, argument="image") from exc
        url = None
    else:
        # Passed upstream as it is: the server never fetches a client's URL itself.
        url = _check_image_url(image_url or "")
        key = fingerprint("image", channel.value, url)
        image_id = None

    async def fetch(page: int, size: int) -> Page:
        listing = await searcher.search_by_image(channel, image_url=url, image_id=image_id,
                                                 page=page, page_size=size)
        return Page(listing.items, listing.total, listing.region)

    edges, page_info, page = await connection(info, fetch, first=first, after=after, query=key,
                                              core_fields=SEARCH_CORE_FIELDS)
    region = None
    if page.region is not None:
        x1, y1, x2, y2 = page.region
        region = ImageRegion(x=x1, y=y1, width=max(0, x2 - x1), height=max(0, y2 - y1))
    return ImageSearchConnection(edges=edges, page_info=page_info, total_count=page.total,
                                 region=region)


# -- shop listing ----------------------------------------------------------------------

def _whole_second_ceil(value: datetime) -> datetime:
    floor = value.replace(microsecond=0)
    return floor if floor == value else floor + timedelta(seconds=1)


def _aware(value: datetime | None, argument: str) -> datetime | None:
    if value is not None and value.utcoffset() is None:
        raise UserInputError(f"`{argument}` needs a UTC offset, e.g. "
                             "2026-03-01T10:00:00+08:00", argument=argument)
    return value


async def resolve_shop_products(
    info: Info[Context, Any], channel: Channel, query: str | None, first: int,
    after: str | None, modified_since: datetime | None, modified_until: datetime | None,
    sort_key: ShopProductSortKey, reverse: bool,
) -> ProductConnection:
    if channel not in SHOP_CHANNELS:
        raise UserInputError(f"`channel` must be TAOBAO or TMALL for shopProducts (the TOP "
                             f"seller listing); got {channel.name}", argument="channel")
    try:
        lister = info.context.registry.shop_lister(channel)
    except ChannelError as exc:
        raise to_graphql_error(exc, argument="channel") from exc
    check_first(first, lister.max_page_size)
    since = _aware(modified_since, "modifiedSince")
    until = _aware(modified_until, "modifiedUntil")
    if since is not None and until is not None and since >= until:
        raise UserInputError("`modifiedSince` must be before `modifiedUntil`",
                             argument="modifiedSince")
    # TOP bounds ``modified`` inclusively to the second; the API's window is [since, until).
    start = _whole_second_ceil(since) if since else None
    end = _whole_second_ceil(until) - timedelta(seconds=1) if until else None
    order_by = f"{_SHOP_SORTS[sort_key]}:{'desc' if reverse else 'asc'}"
    keyword = (query or "").strip()

    async def fetch(page: int, size: int) -> Page:
        listing = await lister.list_onsale(channel, page_no=page, page_size=size,
                                            query=keyword or None, start_modified=start,
                                            end_modified=end, order_by=order_by)
        return Page(listing.items, listing.total)

    key = fingerprint("shop", channel.value, keyword, start, end, order_by)
    edges, page_info, page = await connection(info, fetch, first=first, after=after, query=key,
                                              core_fields=ONSALE_CORE_FIELDS)
    return ProductConnection(edges=edges, page_info=page_info, total_count=page.total)


# -- links -----------------------------------------------------------------------------

async def resolve_product_by_url(info: Info[Context, Any], url: str) -> Product | None:
    try:
        parsed = parse_product_url(url)
        record = await info.context.loader.load_parts(parsed.channel, parsed.source_id,
                                                      product_parts(info))
    except ChannelError as exc:
        raise to_graphql_error(exc, argument="url") from exc
    return Product(record=record)


def resolve_parse_product_url(url: str) -> ParsedProductUrl:
    try:
        parsed = parse_product_url(url)
    except ChannelError as exc:
        raise to_graphql_error(exc, argument="url") from exc
    return ParsedProductUrl(channel=parsed.channel, source_id=parsed.source_id,
                            id=parsed.id, canonical_url=parsed.canonical_url)  # type: ignore[arg-type]

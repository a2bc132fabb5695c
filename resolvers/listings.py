"""Root resolvers that find products: ``search``, ``searchByImage``, ``shopProducts`` (the
session's own shop), ``sellerProducts`` (any shop), ``productByUrl`` and ``parseProductUrl``.

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
from typing import TYPE_CHECKING, Any, Protocol

from graphql import GraphQLError

from channels.errors import ChannelError
from channels.model import Channel, ListingPage, Part, ProductRecord
from channels.urls import ParsedProductUrl, parse_product_url
from resolvers.cursors import decode_cursor, encode_cursor, fingerprint
from resolvers.errors import UserInputError, to_graphql_error
from resolvers.freshness import note_uncacheable
from resolvers.ids import parse_id
from resolvers.page_cache import normalized_keyword, page_key
from resolvers.selection import PART_OF_FIELD, product_parts, selected_field_names

if TYPE_CHECKING:
    from strawberry.types import Info

    from resolvers.context import Context


class Upload(Protocol):
    """An uploaded file as strawberry hands it over (Starlette's ``UploadFile``)."""

    async def read(self, size: int = -1) -> bytes: ...

MAX_SEARCH_FIRST = 100
MAX_IMAGE_BYTES = 5 * 1024 * 1024
MAX_IMAGE_URL_LENGTH = 2048
SHOP_CHANNELS = (Channel.TAOBAO, Channel.TMALL)
CORE_FIELDS = frozenset(name for name, part in PART_OF_FIELD.items() if part is Part.CORE)


#: Product fields a seed-003 list item answers in full (its CORE is otherwise partial).
SEARCH_CORE_FIELDS = frozenset({"sourceUrl", "title", "price"})
#: ... and those a ``taobao.items.onsale.get`` Item answers.
ONSALE_CORE_FIELDS = SEARCH_CORE_FIELDS | {
    "totalStock", "availableForSale", "salesCount", "category", "status", "listedAt",
    "updatedAt"}


@dataclass(frozen=True, slots=True)
class ListingEdge:
    """One product of a page: its cursor, its record, and the error of its detail when the
    parts the query selects beyond the listing's could not be loaded."""

    cursor: str
    record: ProductRecord
    error: GraphQLError | None = None


@dataclass(frozen=True, slots=True)
class ListingResult:
    """One page of a listing as the client asked for it (``graph/`` makes it a Relay
    connection): the edges, whether more lie before and after, the listing's total, and for
    an image search the region the marketplace searched for (``x1, y1, x2, y2``)."""

    edges: tuple[ListingEdge, ...]
    has_next_page: bool
    has_previous_page: bool
    total: int | None
    region: tuple[int, int, int, int] | None = None

    @property
    def start_cursor(self) -> str | None:
        return self.edges[0].cursor if self.edges else None

    @property
    def end_cursor(self) -> str | None:
        return self.edges[-1].cursor if self.edges else None


FetchPage = Callable[[int, int], Awaitable[ListingPage]]  # (1-based page, page size) → page


# -- paging ----------------------------------------------------------------------------

def check_first(first: int, limit: int) -> None:
    """Relay allows ``first: 0``: no edges, but a true ``pageInfo`` and ``totalCount``."""
    if not 0 <= first <= limit:
        raise UserInputError(f"`first` must be between 0 and {limit}; got {first}",
                             argument="first")


async def window(fetch: FetchPage, start: int, first: int) -> ListingPage:
    """``first`` items from absolute offset ``start``, in upstream pages of ``first``."""
    page_no = start // first + 1
    skip = start % first
    page = await fetch(page_no, first)
    items = list(page.items[skip:])
    more = page.total is None or page_no * first < page.total
    if skip and len(page.items) == first and more:
        items += (await fetch(page_no + 1, first)).items
    return ListingPage(items=tuple(items[:first]), total=page.total, page=page_no,
                       page_size=first, region=page.region)


async def listing(info: Info[Context, Any], fetch: FetchPage, *, first: int,
                  after: str | None, query: str, core_fields: frozenset[str]) -> ListingResult:
    """The page ``first``/``after`` name, its products with the parts the query selects."""
    start = decode_cursor(after, query) + 1 if after is not None else 0
    try:
        # ``first: 0`` still asks for one item: whether there is a next page, and the total.
        page = await window(fetch, start, max(first, 1))
    except ChannelError as exc:
        raise to_graphql_error(exc) from exc
    if first == 0:
        more = bool(page.items) if page.total is None else start < page.total
        return ListingResult(edges=(), has_next_page=more, has_previous_page=start > 0,
                             total=page.total, region=page.region)
    records = await with_details(info, page.items, core_fields)
    edges = tuple(ListingEdge(cursor=encode_cursor(start + i, first, query), record=r, error=e)
                  for i, (r, e) in enumerate(records))
    end = start + len(edges)
    has_next = end < page.total if page.total is not None else len(edges) == first
    return ListingResult(edges=edges, has_next_page=has_next, has_previous_page=start > 0,
                         total=page.total, region=page.region)


async def with_details(info: Info[Context, Any], records: Sequence[ProductRecord],
                       core_fields: frozenset[str]
                       ) -> list[tuple[ProductRecord, GraphQLError | None]]:
    """Each listing record with the parts the query selects and the listing lacks, all
    loaded in one wave; a product whose detail fails keeps its error beside it.

    A listing's CORE is partial: when the query selects a core field the listing does not
    answer (``core_fields``), CORE is loaded too and the detail's CORE replaces it.
    """
    wanted = product_parts(info, ("edges", "node"))
    missing: set[Part] = set()
    if Part.CORE in wanted and \
            selected_field_names(info, ("edges", "node")) & CORE_FIELDS - core_fields:
        missing.add(Part.CORE)
    for record in records:
        missing |= wanted - record.loaded_parts()
    if not missing or not records:
        return [(r, None) for r in records]
    needy = [r for r in records if Part.CORE in missing or wanted - r.loaded_parts()]
    answers = await info.context.loader.load_products_or_errors(
        [(r.channel, r.source_id) for r in needy], missing)
    loaded = {(r.channel, r.source_id): a for r, a in zip(needy, answers, strict=True)}
    result: list[tuple[ProductRecord, GraphQLError | None]] = []
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

def search_keyword(query: str | None) -> str:
    keyword = (query or "").strip()
    if len(keyword) > 200:
        raise UserInputError("`query` is at most 200 characters", argument="query")
    return keyword


async def cached_page(info: Info[Context, Any], call: Callable[[], Awaitable[ListingPage]],
                      *key: object) -> ListingPage:
    """The upstream page ``call`` answers, cached under ``key`` (resolvers/page_cache.py);
    a failed fetch never is."""
    pages = info.context.fetcher.pages
    if pages is None:
        note_uncacheable("search cache off")
        return await call()
    return await pages.get(page_key(*key), call)


def check_filter(price_min: Decimal | None, price_max: Decimal | None,
                 category_id: str | None) -> str | None:
    """Refuse a filter that cannot match (naming ``filter.<field>``); the category id
    stripped."""
    for name, value in (("priceMin", price_min), ("priceMax", price_max)):
        if value is not None and (not value.is_finite() or value < 0):
            raise UserInputError(f"`filter.{name}` must be a non-negative amount; got {value}",
                                 argument=f"filter.{name}")
    if price_min is not None and price_max is not None and price_min > price_max:
        raise UserInputError(f"`filter.priceMin` ({price_min}) is above `filter.priceMax` "
                             f"({price_max})", argument="filter.priceMin")
    if category_id is not None and not (str(category_id).strip().isascii()
                                        and str(category_id).strip().isdigit()):
        raise UserInputError(f"`filter.categoryId` must be a number; got {category_id!r}",
                             argument="filter.categoryId")
    return str(category_id).strip() if category_id is not None else None


async def resolve_search(
    info: Info[Context, Any], channel: Channel, query: str | None, first: int,
    after: str | None, *, sort: str, price_min: Decimal | None = None,
    price_max: Decimal | None = None, category_id: str | None = None,
    in_stock_only: bool = False,
) -> ListingResult:
    """One page of a keyword search; ``sort`` is one of ``channels.standard.SORT_KEYS``."""
    check_first(first, MAX_SEARCH_FIRST)
    category = check_filter(price_min, price_max, category_id)
    keyword = search_keyword(query)
    try:
        searcher = info.context.registry.searcher(channel)
    except ChannelError as exc:
        raise to_graphql_error(exc, argument="channel") from exc

    async def fetch(page: int, size: int) -> ListingPage:
        return await cached_page(info, lambda: searcher.search(
            channel, keyword=keyword, page=page, page_size=size, sort=sort,
            price_min=price_min, price_max=price_max, category_id=category,
            in_stock_only=in_stock_only),
            "search", channel.value, normalized_keyword(keyword), price_min, price_max,
            category, in_stock_only, sort, page, size)

    key = fingerprint("search", channel.value, keyword, str(price_min), str(price_max),
                      category, in_stock_only, sort)
    return await listing(info, fetch, first=first, after=after, query=key,
                         core_fields=SEARCH_CORE_FIELDS)


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
    data = await image.read(MAX_IMAGE_BYTES + 1)
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
) -> ListingResult:
    check_first(first, MAX_SEARCH_FIRST)
    note_uncacheable("searchByImage")     # image search pages are not cached
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

    async def fetch(page: int, size: int) -> ListingPage:
        return await searcher.search_by_image(channel, image_url=url, image_id=image_id,
                                              page=page, page_size=size)

    return await listing(info, fetch, first=first, after=after, query=key,
                         core_fields=SEARCH_CORE_FIELDS)


# -- shop listing ----------------------------------------------------------------------

def _whole_second_ceil(value: datetime) -> datetime:
    floor = value.replace(microsecond=0)
    return floor if floor == value else floor + timedelta(seconds=1)


#: The years a marketplace's listing filter can mean: each upstream converts the time to
#: its own zone (TOP: Asia/Shanghai), which overflows at the edges of ``datetime``.
LISTING_YEARS = range(1970, 9999)


def _aware(value: datetime | None, argument: str) -> datetime | None:
    if value is None:
        return None
    if value.utcoffset() is None:
        raise UserInputError(f"`{argument}` needs a UTC offset, e.g. "
                             "2026-03-01T10:00:00+08:00", argument=argument)
    if value.year not in LISTING_YEARS:
        raise UserInputError(f"`{argument}` must be between {LISTING_YEARS.start} and "
                             f"{LISTING_YEARS.stop - 1}, got {value.isoformat()}",
                             argument=argument)
    return value


async def resolve_shop_products(
    info: Info[Context, Any], channel: Channel, query: str | None, first: int,
    after: str | None, modified_since: datetime | None, modified_until: datetime | None,
    *, order_by: str,
) -> ListingResult:
    """One page of the configured shop's on-sale items; ``order_by`` is TOP's
    ``<key>:<asc|desc>``. Never cached, nor is an answer that holds it (the module
    docstring of resolvers/page_cache.py says why)."""
    note_uncacheable("shopProducts")
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
    keyword = (query or "").strip()

    async def fetch(page: int, size: int) -> ListingPage:
        return await lister.list_onsale(channel, page_no=page, page_size=size,
                                        query=keyword or None, start_modified=start,
                                        end_modified=end, order_by=order_by)

    key = fingerprint("shop", channel.value, keyword, start, end, order_by)
    return await listing(info, fetch, first=first, after=after, query=key,
                         core_fields=ONSALE_CORE_FIELDS)


# -- any shop's listing ----------------------------------------------------------------

#: The longest shop id accepted (a Taobao nick is at most 32 characters; numeric ids fewer).
MAX_SHOP_ID_LENGTH = 64


def shop_of(seller_id: str) -> tuple[Channel, str]:
    """The channel and the shop id of a ``Seller.id`` (``<channel>_shop_<id>``)."""
    try:
        parsed = parse_id(seller_id, argument="sellerId")
    except ChannelError as exc:
        raise to_graphql_error(exc, argument="sellerId") from exc
    shop = parsed.source_id.strip()
    if parsed.kind != "seller" or not shop or len(shop) > MAX_SHOP_ID_LENGTH \
            or not shop.isprintable():
        shown = seller_id if len(seller_id) <= 60 else seller_id[:57] + "..."
        raise UserInputError(f"`sellerId` must be a Seller.id `<channel>_shop_<shopId>` (a "
                             f"shop id of at most {MAX_SHOP_ID_LENGTH} printable "
                             f"characters); got {shown!r}", argument="sellerId")
    return parsed.channel, shop


async def resolve_seller_products(info: Info[Context, Any], seller_id: str,
                                  query: str | None, first: int, after: str | None, *,
                                  sort: str) -> ListingResult:
    """One page of any shop's items, through the upstream that can list a given shop (an
    aggregator's search by shop); ``sort`` is one of ``channels.standard.SORT_KEYS``."""
    channel, shop = shop_of(seller_id)
    check_first(first, MAX_SEARCH_FIRST)
    keyword = search_keyword(query)
    try:
        searcher = info.context.registry.shop_searcher(channel)
    except ChannelError as exc:
        raise to_graphql_error(exc, argument="sellerId") from exc

    async def fetch(page: int, size: int) -> ListingPage:
        return await cached_page(info, lambda: searcher.search_shop(
            channel, shop_id=shop, keyword=keyword or None, page=page, page_size=size,
            sort=sort), "shop", channel.value, shop, normalized_keyword(keyword), sort,
            page, size)

    key = fingerprint("seller", channel.value, shop, keyword, sort)
    return await listing(info, fetch, first=first, after=after, query=key,
                         core_fields=SEARCH_CORE_FIELDS)


# -- links -----------------------------------------------------------------------------

async def resolve_product_by_url(info: Info[Context, Any], url: str) -> ProductRecord:
    try:
        parsed = parse_product_url(url)
        return await info.context.loader.load_parts(parsed.channel, parsed.source_id,
                                                    product_parts(info))
    except ChannelError as exc:
        raise to_graphql_error(exc, argument="url") from exc


def resolve_parse_product_url(url: str) -> ParsedProductUrl:
    try:
        return parse_product_url(url)
    except ChannelError as exc:
        raise to_graphql_error(exc, argument="url") from exc

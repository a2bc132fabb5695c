"""The protocol every channel adapter implements, and the registry that finds them.

An adapter serves one or more public channels (TOP serves both Taobao and Tmall) and knows
nothing of GraphQL. ``fetch`` never raises for one bad id: it returns a record *or* a typed
error per id, so one missing product never fails its batch (strawberry's DataLoader
contract, see ``resolvers/loaders.py``).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from channels.errors import CapabilityNotSupported, ChannelError, InvalidId
from channels.model import (
    CatalogProductRecord,
    Category,
    Channel,
    ListingPage,
    Part,
    ProductRecord,
)

if TYPE_CHECKING:
    from channels.share_links import LinkResolver

FetchResult = Mapping[str, ProductRecord | Exception]


@runtime_checkable
class ChannelAdapter(Protocol):
    """One upstream: its channels, its batch limit, and its fetch calls."""

    #: The public channels this adapter answers for.
    channels: tuple[Channel, ...]
    #: The most ids one upstream call can carry (1 where the upstream has no batch call).
    batch_limit: int
    #: The parts one upstream call can return together; a channel whose one detail call
    #: returns everything lists every part.
    parts_per_call: frozenset[Part]

    def validate_source_id(self, channel: Channel, source_id: str) -> str:
        """Return the canonical source id, or raise ``InvalidId`` naming the expected form."""
        ...

    async def fetch(
        self, channel: Channel, source_ids: Sequence[str], parts: frozenset[Part]
    ) -> FetchResult:
        """Fetch ``parts`` of at most ``batch_limit`` products, one result per id."""
        ...

    async def aclose(self) -> None:
        """Close the adapter's HTTP client."""
        ...


@runtime_checkable
class CatalogCapable(Protocol):
    async def fetch_catalog_product(
        self, *, product_id: str | None = None, category_id: str | None = None,
        props: str | None = None,
    ) -> CatalogProductRecord:
        ...


@runtime_checkable
class CategoryTree(Protocol):
    """An upstream that names categories and lists a category's children (TOP
    ``taobao.itemcats.get``). Answers carry ``id``, ``name``, ``parent_id`` ("0" for a
    root) and ``is_leaf``; paths are built from parents by the caller."""

    #: The most ids one ``fetch_categories`` call carries.
    category_batch_limit: int

    async def fetch_categories(self, ids: Sequence[str]) -> dict[str, Category]:
        """The categories of ``ids`` that exist (unknown ids are left out)."""
        ...

    async def fetch_child_categories(self, parent_id: str) -> list[Category]:
        """The children of ``parent_id`` ("0": the roots), in the upstream's order."""
        ...


@runtime_checkable
class Searchable(Protocol):
    """An upstream that can search a marketplace by keyword and by image (seed 003).

    Pages are 1-based with at most 100 items; each item is a summary record (CORE, and
    MEDIA when the listing carries a thumbnail) — the detail parts load separately.
    """

    async def search(
        self, channel: Channel, *, keyword: str, page: int, page_size: int,
        sort: str | None = None, price_min: Decimal | None = None,
        price_max: Decimal | None = None, category_id: str | None = None,
        in_stock_only: bool = False,
    ) -> ListingPage:
        ...

    async def search_by_image(
        self, channel: Channel, *, image_url: str | None = None, image_id: str | None = None,
        page: int, page_size: int,
    ) -> ListingPage:
        ...

    async def upload_image(self, channel: Channel, data: bytes, content_type: str) -> str:
        ...


@runtime_checkable
class ShopListing(Protocol):
    """An upstream that lists one shop's items on sale (TOP ``taobao.items.onsale.get``).

    Pages are 1-based, at most ``max_page_size`` items each; each item is a summary record
    (CORE and SELLER). ``start_modified`` / ``end_modified`` bound the items' modification
    time inclusively; ``order_by`` is ``<key>:<asc|desc>``.
    """

    #: The largest ``page_size`` ``list_onsale`` takes.
    max_page_size: int

    async def list_onsale(
        self, channel: Channel, *, page_no: int, page_size: int, query: str | None = None,
        start_modified: datetime | None = None, end_modified: datetime | None = None,
        order_by: str = "modified:asc",
    ) -> ListingPage:
        ...


@runtime_checkable
class ShopSearch(Protocol):
    """An upstream that lists *any* shop's items by the shop's id (an aggregator's search by
    shop: ``channels/standard.py``). Pages are 1-based, at most 100 items, summary records;
    ``sort`` is one of the search's keys (``channels.standard.SORT_KEYS``)."""

    async def search_shop(
        self, channel: Channel, *, shop_id: str, page: int, page_size: int,
        keyword: str | None = None, sort: str | None = None,
    ) -> ListingPage:
        ...


async def fetch_each(
    source_ids: Sequence[str],
    fetch_one: Callable[[str], Awaitable[ProductRecord]],
    slots: asyncio.Semaphore,
) -> dict[str, ProductRecord | Exception]:
    """The fan-out of an upstream with no batch call: one ``fetch_one`` per id, at most
    ``slots`` at once, and a typed error in the place of each id that failed."""

    async def one(source_id: str) -> ProductRecord | Exception:
        async with slots:
            try:
                return await fetch_one(source_id)
            except ChannelError as exc:
                return exc

    results = await asyncio.gather(*(one(source_id) for source_id in source_ids))
    return dict(zip(source_ids, results, strict=True))


def numeric_source_id(channel: Channel, source_id: str, *, max_digits: int = 20) -> str:
    """Validate a marketplace's numeric id (TOP ``num_iid``, 1688 ``offerId``)."""
    if not source_id.isascii() or not source_id.isdigit() or len(source_id) > max_digits:
        raise InvalidId(
            f"{channel.value} product ids are `{channel.value}_<digits>` with up to "
            f"{max_digits} digits; got `{channel.value}_{source_id[:40]}`",
            channel=channel,
        )
    return source_id.lstrip("0") or "0"


class ChannelRegistry:
    """Maps each public channel to the adapter that serves it."""

    def __init__(self, adapters: Sequence[ChannelAdapter],
                 searchers: Mapping[Channel, Searchable] | None = None,
                 links: LinkResolver | None = None) -> None:
        """``links`` finds products in pasted text (``productByText``)."""
        self._adapters = list(adapters)
        self.links = links
        self._by_channel: dict[Channel, ChannelAdapter] = {}
        for adapter in adapters:
            for channel in adapter.channels:
                self._by_channel[channel] = adapter
        self._searchers = dict(searchers or {})

    def searcher(self, channel: Channel) -> Searchable:
        """The upstream that searches ``channel``: its own adapter when that can search,
        else the one configured for search; ``CapabilityNotSupported`` when none can."""
        found = self._searchers.get(channel) or self._by_channel.get(channel)
        if isinstance(found, Searchable):
            return found
        raise CapabilityNotSupported(
            f"search is not available for channel {channel.name}: its configured upstream "
            "cannot search the marketplace (configure PRODUCTGRAPH_STANDARD_URL for an "
            "aggregator that can)", channel=channel)

    def shop_lister(self, channel: Channel) -> ShopListing:
        """The adapter of ``channel`` when it can list a shop's items;
        ``CapabilityNotSupported`` when none is configured or it cannot."""
        adapter = self.adapter(channel)
        if isinstance(adapter, ShopListing):
            return adapter
        raise CapabilityNotSupported(
            f"shopProducts needs the TOP gateway for {channel.name}; the upstream configured "
            "for it cannot list a shop", channel=channel)

    def shop_searcher(self, channel: Channel) -> ShopSearch:
        """The upstream that lists any shop's items on ``channel`` (the configured searcher,
        an aggregator); ``CapabilityNotSupported`` when none can."""
        found = self._searchers.get(channel) or self._by_channel.get(channel)
        if isinstance(found, ShopSearch):
            return found
        raise CapabilityNotSupported(
            f"listing another shop's items is not available for channel {channel.name}: "
            "the marketplace APIs configured cannot (TOP's seller API lists only the "
            "session's own shop, see shopProducts, and no affiliate (淘宝客) method lists a "
            "given shop's items); configure PRODUCTGRAPH_STANDARD_URL for an aggregator "
            "that can", channel=channel)

    def category_tree(self, channel: Channel) -> CategoryTree:
        """The adapter of ``channel`` when it has a category tree;
        ``CapabilityNotSupported`` when it has none."""
        adapter = self.adapter(channel)
        if isinstance(adapter, CategoryTree):
            return adapter
        raise CapabilityNotSupported(
            f"channel {channel.name} has no category tree in productgraph: its products "
            "carry their category's name", channel=channel)

    def adapter(self, channel: Channel) -> ChannelAdapter:
        try:
            return self._by_channel[channel]
        except KeyError:
            raise CapabilityNotSupported(
                f"no adapter is configured for channel {channel.name}", channel=channel
            ) from None

    def __contains__(self, channel: Channel) -> bool:
        return channel in self._by_channel

    @property
    def adapters(self) -> list[ChannelAdapter]:
        return list(self._adapters)

    async def aclose(self) -> None:
        closing: list[ChannelAdapter | Searchable] = [*self._adapters]
        closing += [s for s in self._searchers.values() if s not in closing]
        for adapter in dict.fromkeys(closing):
            close = getattr(adapter, "aclose", None)
            if close is not None:
                await close()

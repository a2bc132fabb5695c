"""The protocol every channel adapter implements, and the registry that finds them.

An adapter serves one or more public channels (TOP serves both Taobao and Tmall) and knows
nothing of GraphQL. ``fetch`` never raises for one bad id: it returns a record *or* a typed
error per id, so one missing product never fails its batch (strawberry's DataLoader
contract, see ``resolvers/loaders.py``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Protocol, runtime_checkable

from channels.errors import CapabilityNotSupported, InvalidId
from channels.model import CatalogProductRecord, Channel, Part, ProductRecord

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

    def __init__(self, adapters: Sequence[ChannelAdapter]) -> None:
        self._adapters = list(adapters)
        self._by_channel: dict[Channel, ChannelAdapter] = {}
        for adapter in adapters:
            for channel in adapter.channels:
                self._by_channel[channel] = adapter

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
        for adapter in self._adapters:
            await adapter.aclose()

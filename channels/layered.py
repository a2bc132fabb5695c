"""One channel served by several sources, each answering the parts it can, in one wave.

The affiliate API answers a Taobao item's title, prices, images and shop but no SKU
matrix; a seed-003 aggregator answers the SKUs. ``LayeredAdapter([affiliate, aggregator])``
gives each part to the first source whose ``parts_per_call`` holds it, asks every source
concurrently for its parts of the same ids, and merges the records: a query that selects
``variants`` costs the affiliate batch plus the aggregator's calls for those items, at once.

Each part is taken only from the source that owns it (an aggregator's detail answers every
part, but CORE still comes from the affiliate), so ``source_of`` says truthfully where each
part came from (``Product.sources``). A part no source answers stays unloaded.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import replace

from channels.base import ChannelAdapter, FetchResult
from channels.errors import ChannelError
from channels.model import Channel, Part, ProductRecord

#: The route each adapter class stands for, in ``Product.sources``' channel-agnostic names,
#: for the adapters that do not name themselves (``source_name``).
_SOURCE_OF_CLASS = {
    "TopAdapter": "SELLER_API",
    "StandardAdapter": "AGGREGATOR",
    "Alibaba1688AggregatorAdapter": "AGGREGATOR",
    "Alibaba1688OpenAdapter": "OPEN_PLATFORM",
    "WeidianAdapter": "OPEN_PLATFORM",
}


def source_name(adapter: object) -> str:
    """``adapter``'s route: its ``source_name``, else its class's (``OPEN_PLATFORM`` for an
    adapter of a marketplace's own API that names none)."""
    named = getattr(adapter, "source_name", None)
    if isinstance(named, str):
        return named
    return _SOURCE_OF_CLASS.get(type(adapter).__name__, "OPEN_PLATFORM")


def part_source(adapter: object, part: Part) -> str | None:
    """Which source answers ``part`` through ``adapter`` (``None``: none does)."""
    source_of = getattr(adapter, "source_of", None)
    if callable(source_of):
        found = source_of(part)
        return found if isinstance(found, str) or found is None else None
    return source_name(adapter)


class LayeredAdapter:
    """``layers[0]`` is the primary source: its ids, its batch limit; the others fill in
    the parts it lacks."""

    def __init__(self, layers: Sequence[ChannelAdapter],
                 channels: tuple[Channel, ...] | None = None) -> None:
        if not layers:
            raise ValueError("a layered adapter needs at least one source")
        self.layers = list(layers)
        self.channels = channels or layers[0].channels
        self.batch_limit = layers[0].batch_limit
        self._owner: dict[Part, ChannelAdapter] = {}
        for layer in self.layers:
            for part in layer.parts_per_call:
                self._owner.setdefault(part, layer)
        self.parts_per_call = frozenset(self._owner)

    def __repr__(self) -> str:
        return f"LayeredAdapter({self.layers!r})"

    def validate_source_id(self, channel: Channel, source_id: str) -> str:
        return self.layers[0].validate_source_id(channel, source_id)

    def source_of(self, part: Part) -> str | None:
        owner = self._owner.get(part)
        return None if owner is None else source_name(owner)

    async def fetch(
        self, channel: Channel, source_ids: Sequence[str], parts: frozenset[Part]
    ) -> FetchResult:
        """Each source's parts of every id, concurrently; an id fails when any source
        failed it (the query asked for the parts that source owns)."""
        asks: dict[int, tuple[ChannelAdapter, set[Part]]] = {}
        for part in parts:
            owner = self._owner.get(part)
            if owner is not None:
                asks.setdefault(id(owner), (owner, set()))[1].add(part)
        if not asks:
            owner = self.layers[0]
            asks[id(owner)] = (owner, {Part.CORE})
        plans = list(asks.values())
        answers = await asyncio.gather(
            *(layer.fetch(channel, source_ids, frozenset(owned)) for layer, owned in plans),
            return_exceptions=True)
        out: dict[str, ProductRecord | Exception] = {}
        for source_id in source_ids:
            merged = ProductRecord(channel, source_id)
            failed: Exception | None = None
            for (_, owned), answer in zip(plans, answers, strict=True):
                result = answer.get(source_id) if isinstance(answer, dict) else answer
                if isinstance(result, ProductRecord):
                    merged = _with_parts(merged, result, owned)
                elif failed is None:
                    failed = result if isinstance(result, Exception) else ChannelError(
                        f"{channel.value} source returned no answer for {source_id}",
                        channel=channel)
            out[source_id] = failed if failed is not None else merged
        return out

    async def aclose(self) -> None:
        for layer in self.layers:
            await layer.aclose()


def _with_parts(record: ProductRecord, source: ProductRecord,
                owned: set[Part]) -> ProductRecord:
    """``record`` with ``source``'s values of the parts in ``owned`` (and its emptiness)."""
    changes: dict[str, object] = {p.value: source.part(p) for p in owned
                                  if source.part(p) is not None}
    empty = record.empty_parts | (source.empty_parts & frozenset(owned))
    return replace(record, **changes, empty_parts=empty,  # type: ignore[arg-type]
                   request_id=record.request_id or source.request_id)

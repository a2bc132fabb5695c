"""The process-wide side of loading: validate ids, then ask each channel in batches.

``ProductFetcher`` is shared by every request of a process (the per-request loaders call
it). It is where ids are validated against the channel's id form and split by the
channel's batch limit, and it is the one place the cache and the in-flight coalescing of
identical calls plug in.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping

from channels.base import ChannelRegistry
from channels.errors import ChannelError, UpstreamError
from channels.model import Channel, Part, ProductRecord

Answer = ProductRecord | BaseException


class ProductFetcher:
    """Fetches parts of products from the channels, one batch per ``batch_limit`` ids."""

    def __init__(self, registry: ChannelRegistry) -> None:
        self.registry = registry

    async def fetch(
        self, channel: Channel, wanted: Mapping[str, frozenset[Part]]
    ) -> dict[str, Answer]:
        """Fetch, for each source id, the parts wanted; one answer per id, never a raise."""
        answers: dict[str, Answer] = {}
        try:
            adapter = self.registry.adapter(channel)
        except ChannelError as exc:
            return dict.fromkeys(wanted, exc)

        valid: dict[str, str] = {}  # canonical id -> id as asked
        for source_id in wanted:
            try:
                valid[adapter.validate_source_id(channel, source_id)] = source_id
            except ChannelError as exc:
                answers[source_id] = exc
        if not valid:
            return answers

        parts: frozenset[Part] = frozenset().union(*(wanted[s] for s in valid.values()))
        ids = list(valid)
        size = max(1, adapter.batch_limit)
        chunks = [ids[i:i + size] for i in range(0, len(ids), size)]
        results = await asyncio.gather(
            *(adapter.fetch(channel, chunk, parts) for chunk in chunks), return_exceptions=True
        )
        for chunk, result in zip(chunks, results, strict=True):
            for canonical in chunk:
                asked = valid[canonical]
                if isinstance(result, BaseException):
                    answers[asked] = _as_channel_error(result, channel)
                else:
                    answers[asked] = result.get(canonical) or UpstreamError(
                        f"{channel.name} returned no answer for {canonical}", channel=channel
                    )
        return answers


def _as_channel_error(exc: BaseException, channel: Channel) -> BaseException:
    if isinstance(exc, ChannelError | asyncio.CancelledError):
        return exc
    return UpstreamError(f"{channel.name} upstream failed ({type(exc).__name__})",
                         channel=channel)

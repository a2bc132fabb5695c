"""Batches that stay open until their request is built, so ids that arrive while a batch
waits for its budget slot join it instead of starting calls of their own.

The loading layer (``resolvers.fetcher``) puts ids into an ``OpenBatch`` and hands it to an
``OpenBatchFetcher`` adapter at once; the adapter *seals* it at the last moment — inside
the attempt, after its budget slot was granted, when it builds the signed request — and
reads the ids (and the union of the parts they need: TOP's ``fields``) from it then. Until
then more ids, from any request and any channel the adapter serves, are added up to
``limit``: a tight budget never turns one batch of 20 into 20 calls of 1.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol, runtime_checkable

from channels.model import Channel, Part, ProductRecord

#: ``(channel, canonical source id)``: one product as asked for.
BatchKey = tuple[Channel, str]
OpenBatchResult = Mapping[BatchKey, ProductRecord | Exception]


class OpenBatch:
    """Products waiting for one upstream call. ``shared_ids``: the channels share one id
    space on the wire (TOP's ``num_iid`` for Taobao and Tmall), so ``taobao_X`` and
    ``tmall_X`` take one place; otherwise each channel's ids count apart."""

    __slots__ = ("_sealed", "limit", "shared_ids", "wanted")

    def __init__(self, limit: int, *, shared_ids: bool = True) -> None:
        self.limit = max(1, limit)
        self.shared_ids = shared_ids
        self.wanted: dict[BatchKey, set[Part]] = {}
        self._sealed = False

    def _wire(self, key: BatchKey) -> object:
        return key[1] if self.shared_ids else key

    @property
    def sealed(self) -> bool:
        return self._sealed

    @property
    def size(self) -> int:
        """Ids on the wire."""
        return len({self._wire(k) for k in self.wanted})

    def has_room_for(self, channel: Channel, source_id: str) -> bool:
        if self._sealed:
            return False
        key = (channel, source_id)
        if key in self.wanted:
            return True
        wire = self._wire(key)
        return self.size < self.limit or any(self._wire(k) == wire for k in self.wanted)

    def add(self, channel: Channel, source_id: str, parts: frozenset[Part] | set[Part]) -> None:
        if not self.has_room_for(channel, source_id):
            raise ValueError("the batch is sealed or full")
        self.wanted.setdefault((channel, source_id), set()).update(parts)

    def seal(self) -> dict[BatchKey, frozenset[Part]]:
        """Close the batch (idempotent) and return what it carries."""
        self._sealed = True
        return {key: frozenset(parts) for key, parts in self.wanted.items()}

    def wire_ids(self) -> list[str]:
        """The distinct source ids, in the order they joined."""
        return list(dict.fromkeys(source_id for _, source_id in self.wanted))

    def parts(self) -> frozenset[Part]:
        """The union of the parts every id needs (one call carries them all)."""
        return frozenset().union(*self.wanted.values()) if self.wanted else frozenset()


@runtime_checkable
class OpenBatchFetcher(Protocol):
    """An adapter that reads its batch when it sends it (see the module docstring)."""

    #: Whether ids of different channels share a batch call (``OpenBatch.shared_ids``).
    shares_ids_across_channels: bool

    async def fetch_open(self, batch: OpenBatch) -> OpenBatchResult:
        """Seal ``batch`` when its request is built and answer every key it then holds: a
        record or a typed error each. Raising is allowed only before sealing."""
        ...

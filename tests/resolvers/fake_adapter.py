"""An in-test channel adapter: our own ``channels.base.ChannelAdapter`` protocol, answered
from memory. It records every call, can be held open on an ``asyncio.Event`` (so a test
decides when an upstream call answers), and notices when a call is cancelled."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from channels.base import FetchResult, numeric_source_id
from channels.errors import NotFound
from channels.model import (
    Channel,
    Description,
    Image,
    ImageKind,
    LocalizedText,
    Media,
    Part,
    PriceTrio,
    ProductCore,
    ProductRecord,
    SellerRecord,
    VariantSet,
)


@dataclass(frozen=True)
class Call:
    channel: Channel
    ids: tuple[str, ...]
    parts: frozenset[Part]


class FakeAdapter:
    """Serves Taobao ids of digits. Call ``n`` (1-based) titles every product
    ``"item <id> v<n>"``, so a test can tell a cached answer from a fresh call.

    - ``gate``: when set to an unset ``Event``, every call waits for it before answering;
    - ``missing``: ids answered ``NotFound``;
    - ``raises``: an exception every call raises instead of answering;
    - ``forget``: parts answered as if never asked for (an adapter's bug).

    CATALOG is always answered "loaded, empty" (no catalog product)."""

    channels = (Channel.TAOBAO,)

    def __init__(self, *, batch_limit: int = 20,
                 parts_per_call: frozenset[Part] = frozenset(Part)) -> None:
        self.batch_limit = batch_limit
        self.parts_per_call = parts_per_call
        self.calls: list[Call] = []
        self.gate: asyncio.Event | None = None
        self.missing: set[str] = set()
        self.raises: BaseException | None = None
        self.forget: frozenset[Part] = frozenset()
        self.started = asyncio.Event()      # set when a call has begun
        self.cancelled = asyncio.Event()    # set when a call in progress was cancelled
        self.closed = False

    def validate_source_id(self, channel: Channel, source_id: str) -> str:
        return numeric_source_id(channel, source_id)

    async def fetch(self, channel: Channel, source_ids: Sequence[str],
                    parts: frozenset[Part]) -> FetchResult:
        self.calls.append(Call(channel, tuple(source_ids), parts))
        version = len(self.calls)
        self.started.set()
        try:
            if self.gate is not None:
                await self.gate.wait()
        except asyncio.CancelledError:
            self.cancelled.set()
            raise
        if self.raises is not None:
            raise self.raises
        answers: dict[str, ProductRecord | Exception] = {}
        for source_id in source_ids:
            if source_id in self.missing:
                answers[source_id] = NotFound(f"taobao_{source_id} does not exist",
                                              channel=channel)
            else:
                answers[source_id] = record(channel, source_id, parts - self.forget, version)
        return answers

    async def aclose(self) -> None:
        self.closed = True

    def hold(self) -> asyncio.Event:
        """Hold every call open until the returned event is set."""
        self.gate = asyncio.Event()
        return self.gate


def record(channel: Channel, source_id: str, parts: frozenset[Part],
           version: int) -> ProductRecord:
    """The product ``source_id`` with ``parts`` loaded, as call ``version`` answers it."""
    values: dict[str, object] = {}
    if Part.CORE in parts:
        values["core"] = ProductCore(
            title=LocalizedText(title(source_id, version)),
            source_url=f"https://item.taobao.com/item.htm?id={source_id}",
            price=PriceTrio(Decimal("9.90")))
    if Part.MEDIA in parts:
        values["media"] = Media(images=(Image(f"https://img.example/{source_id}.jpg",
                                              ImageKind.MAIN, 0),))
    if Part.VARIANTS in parts:
        values["variants"] = VariantSet(options=(), variants=())
    if Part.DESCRIPTION in parts:
        values["description"] = Description(html=f"<p>{source_id}</p>")
    if Part.SELLER in parts:
        values["seller"] = SellerRecord(channel, "seller-1", "A shop")
    empty = frozenset({Part.CATALOG} & parts)
    return ProductRecord(channel, source_id, **values,  # type: ignore[arg-type]
                         empty_parts=empty)


def title(source_id: str, version: int) -> str:
    return f"item {source_id} v{version}"


def title_of(answer: ProductRecord | BaseException) -> str:
    """The title of an answer that must be a record with its core."""
    assert isinstance(answer, ProductRecord), answer
    assert answer.core is not None, answer
    return answer.core.title.original


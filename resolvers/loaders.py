"""Per-request dataloaders: every product lookup of one GraphQL request goes through here.

Keys are ``(channel, source id, part)``. Within one tick of the event loop the loader
collects every key the resolvers asked for, then ``ProductPartsBatcher`` dedupes them,
groups them by channel, asks each channel for the union of the parts wanted (TOP's
``fields`` carries several parts in one call), splits the ids by the channel's batch limit,
and runs every batch of every channel concurrently — one upstream wave per query level
that needs data, not one call per product or per part.

Loaders are built per request (``resolvers.context``): their memo must never leak between
requests or users. What is shared across requests — the cache and in-flight coalescing —
lives in ``resolvers.fetcher.ProductFetcher``.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import NamedTuple

from strawberry.dataloader import DataLoader

from channels.model import Channel, Part, ProductRecord
from resolvers.fetcher import ProductFetcher

#: The parts of a lookup that names none.
CORE_ONLY = frozenset((Part.CORE,))


class PartKey(NamedTuple):
    """One part of one product: the unit the loaders batch and the cache stores."""

    channel: Channel
    source_id: str
    part: Part


class ProductPartLoader(DataLoader[PartKey, ProductRecord]):
    """Loads ``PartKey``s; each value is the product record holding (at least) that part."""

    def __init__(self, fetcher: ProductFetcher) -> None:
        self.fetcher = fetcher
        super().__init__(load_fn=self._batch, max_batch_size=None)

    async def _batch(self, keys: Sequence[PartKey]) -> list[ProductRecord | BaseException]:
        wanted: dict[Channel, dict[str, set[Part]]] = defaultdict(lambda: defaultdict(set))
        for key in keys:
            wanted[key.channel][key.source_id].add(key.part)
        fetches = [self.fetcher.fetch(channel, {sid: frozenset(p) for sid, p in ids.items()})
                   for channel, ids in wanted.items()]
        # One channel (the usual case) is awaited as it is: no task, no extra loop turn.
        per_channel = [await fetches[0]] if len(fetches) == 1 else \
            await asyncio.gather(*fetches)
        results: dict[tuple[Channel, str], ProductRecord | BaseException] = {}
        for channel, answers in zip(wanted, per_channel, strict=True):
            for source_id, answer in answers.items():
                results[(channel, source_id)] = answer
        return [results[(key.channel, key.source_id)] for key in keys]

    async def load_parts(
        self, channel: Channel, source_id: str, parts: Iterable[Part]
    ) -> ProductRecord:
        """Load several parts of one product and merge them into one record: answered at
        once when they are all fresh in the in-process cache, as ``load_products`` would
        (without its lists and its two coroutines)."""
        wanted = (parts if type(parts) is frozenset else frozenset(parts)) or CORE_ONLY
        record = self.fetcher.cached(channel, source_id, wanted)
        if record is not None:
            return record
        (answer,) = await self._load_batched([(channel, source_id)], wanted)
        if isinstance(answer, BaseException):
            raise answer
        return answer

    async def load_products(
        self, products: Sequence[tuple[Channel, str]], parts: Iterable[Part]
    ) -> list[ProductRecord]:
        """Load ``parts`` of many products in one wave; raises the first product's error.

        Use ``load_products_or_errors`` where one product's failure must not fail the rest.
        """
        answers = await self.load_products_or_errors(products, parts)
        for answer in answers:
            if isinstance(answer, BaseException):
                raise answer
        return answers  # type: ignore[return-value]

    async def load_products_or_errors(
        self, products: Sequence[tuple[Channel, str]], parts: Iterable[Part]
    ) -> list[ProductRecord | BaseException]:
        """``parts`` of each product, or its error, in order. Products whose parts are all
        fresh in the in-process cache are answered at once (``ProductFetcher.cached``):
        batching them would save no upstream call; the rest load in one batch."""
        wanted = frozenset(parts) or CORE_ONLY
        answers: list[ProductRecord | BaseException | None] = [
            self.fetcher.cached(channel, source_id, wanted) for channel, source_id in products]
        missing = [i for i, answer in enumerate(answers) if answer is None]
        if missing:
            loaded = await self._load_batched([products[i] for i in missing], wanted)
            for index, answer in zip(missing, loaded, strict=True):
                answers[index] = answer
        return answers  # type: ignore[return-value]

    async def _load_batched(
        self, products: Sequence[tuple[Channel, str]], parts: Iterable[Part]
    ) -> list[ProductRecord | BaseException]:
        part_list = sorted(set(parts), key=lambda p: p.value) or [Part.CORE]
        keys = [PartKey(ch, sid, p) for ch, sid in products for p in part_list]
        # Awaited one by one rather than gathered: they resolve together (one batch), so
        # after the first the rest are done, and no gathering future or callbacks are made.
        answers: list[ProductRecord | BaseException] = []
        for future in [self.load(key) for key in keys]:
            try:
                answers.append(await future)
            except asyncio.CancelledError as exc:
                task = asyncio.current_task()
                if task is not None and task.cancelling():
                    raise  # this request is being cancelled, not just that key's batch
                answers.append(exc)
            except Exception as exc:
                answers.append(exc)
        merged: list[ProductRecord | BaseException] = []
        width = len(part_list)
        for index in range(len(products)):
            chunk = answers[index * width:(index + 1) * width]
            error = next((a for a in chunk if isinstance(a, BaseException)), None)
            if error is not None:
                merged.append(error)
                continue
            record: ProductRecord = chunk[0]  # type: ignore[assignment]
            for other in chunk[1:]:
                if other is not record:
                    record = record.merged(other)  # type: ignore[arg-type]
            merged.append(record)
        return merged

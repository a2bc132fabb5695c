"""The process-wide side of loading: validate ids, the shared cache, coalescing, batches.

``ProductFetcher`` is shared by every request of a process (the per-request loaders call
it). For each ``(channel, canonical id, part)`` a request needs it:

1. looks the part up in the shared cache (``resolvers.part_cache``): a fresh entry is
   served; a stale one (past its TTL, within its max age) is served at once and one
   background refresh is started unless one already runs — if that refresh fails (the
   upstream is down, banning us with TOP code 7, or timing out) the stale part keeps being
   served until its max age;
2. joins the upstream call already in flight for that key, if any (single flight: a
   thousand identical concurrent queries cost one upstream call);
3. registers one future per key nobody is fetching; on the loop's next turn the keys every
   request registered meanwhile are split by the channel's ``batch_limit`` into batches
   that all start at once (so concurrent queries for different products share calls too).

Batches run as their own tasks, and requesters wait with ``asyncio.wait`` (which never
cancels what it waits for): a client that disconnects cancels only its own wait, and the
batch still answers every other waiter. When the last requester of a batch is cancelled,
the batch is cancelled too (its upstream call is dropped: nobody would read the answer,
and a hung upstream should not hold connections for clients that left). Background
refreshes have no requester and always run to the end.

What is cached: only parts an upstream call answered completely (a part the adapter left
unloaded is passed on but not stored), never an error — except ``NotFound``, remembered
for ``PRODUCTGRAPH_CACHE_TTL_NOT_FOUND`` seconds (30 by default): a deleted item asked for
over and over would otherwise cost one upstream call per query, and 30 s is short enough
for a relisted item to come back quickly.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping, Sequence

from channels.base import CatalogCapable, ChannelAdapter, ChannelRegistry
from channels.batching import BatchKey, OpenBatch, OpenBatchFetcher
from channels.errors import ChannelError, NotFound, UpstreamError
from channels.memo import remember
from channels.model import CatalogProductRecord, Channel, Part, ProductRecord
from resolvers.freshness import current as current_freshness
from resolvers.page_cache import PageCache
from resolvers.part_cache import CachedPart, FreshPeek, PartCache

log = logging.getLogger("productgraph.fetcher")

Answer = ProductRecord | BaseException
#: ``(channel, canonical source id, part)``: the unit that is cached and coalesced.
Key = tuple[Channel, str, Part]
#: What a key resolves to: the part's record, ``None`` (loaded, empty) or an error.
PartAnswer = object

ALL_PARTS = frozenset(Part)
#: How many (product, parts) lookups ``ProductFetcher.cached`` keeps prepared.
_WARM_SIZE = 10_000
#: ``cached``'s preparation of an id the adapter refuses.
_REFUSED = object()
#: Catalog products are keyed ``(Channel.TMALL, "spu:<product id>", Part.CATALOG)``.
SPU_PREFIX = "spu:"


class ProductFetcher:
    """Fetches parts of products through the cache and the channels, one upstream call per
    key at a time across all requests, one batch per ``batch_limit`` ids."""

    def __init__(self, registry: ChannelRegistry, cache: PartCache | None = None) -> None:
        """``cache`` ``None`` disables caching; in-flight coalescing always applies."""
        self.registry = registry
        self.cache = cache
        self._inflight: dict[Key, asyncio.Future[PartAnswer]] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._open: dict[tuple[int, Channel | None], list[_Batch]] = {}
        self._waiters: dict[asyncio.Future[PartAnswer], int] = {}
        self._batch_of: dict[asyncio.Future[PartAnswer], _Batch] = {}
        #: Background refreshes of stale entries started (each deduplicated per key).
        self.refreshes_started = 0
        #: ``cached``'s preparations per (channel, id as asked, parts).
        self._warm: dict[tuple[Channel, str, frozenset[Part]], _Warm | object] = {}
        #: Search pages, over the same cache backend (``None``: not cached).
        self.pages: PageCache | None = PageCache(cache) if cache is not None else None

    async def fetch(
        self, channel: Channel, wanted: Mapping[str, frozenset[Part]], *, fresh: bool = False
    ) -> dict[str, Answer]:
        """Fetch, for each source id, the parts wanted; one answer per id, never a raise.

        ``fresh``: skip the cache lookup (an upstream call answers, or joins one in flight,
        which is as fresh); the answer still refreshes the cache. The watcher polls so."""
        answers: dict[str, Answer] = {}
        try:
            adapter = self.registry.adapter(channel)
        except ChannelError as exc:
            return dict.fromkeys(wanted, exc)

        asked_as: dict[str, list[str]] = {}  # canonical id -> the ids as asked
        needed: dict[str, set[Part]] = {}
        for source_id, parts in wanted.items():
            try:
                canonical = adapter.validate_source_id(channel, source_id)
            except ChannelError as exc:
                answers[source_id] = exc
                continue
            asked_as.setdefault(canonical, []).append(source_id)
            needed.setdefault(canonical, set()).update(parts or (Part.CORE,))
        if not needed:
            return answers

        keys: list[Key] = [(channel, c, p) for c, parts in needed.items() for p in parts]
        values: dict[Key, PartAnswer] = {}
        missing: list[Key] = keys
        stale: list[Key] = []
        if self.cache is not None and not fresh:
            missing = []
            for key, lookup in zip(keys, await self.cache.get_many(keys), strict=True):
                if lookup.entry is None:
                    missing.append(key)
                    continue
                values[key] = _answer_of(lookup.entry, channel)
                if lookup.stale:
                    stale.append(key)

        # No await from here to the registration: a key is either in flight or started.
        waiting: dict[Key, asyncio.Future[PartAnswer]] = {}
        to_start: list[Key] = []
        for key in missing:
            future = self._inflight.get(key)
            if future is None:
                to_start.append(key)
            else:
                waiting[key] = future
        waiting.update(self._start(adapter, channel, to_start))
        refresh = [key for key in stale if key not in self._inflight]
        if refresh:
            self.refreshes_started += len(refresh)
            self._start(adapter, channel, refresh)  # nobody waits: served stale meanwhile

        if waiting:
            await self._wait(set(waiting.values()))
            for key, future in waiting.items():
                values[key] = future.result()
            self._note_fetched(waiting)

        for canonical, asked in asked_as.items():
            answer = _record_of(channel, canonical, needed[canonical], values)
            for source_id in asked:
                answers[source_id] = answer
        return answers

    def _note_fetched(self, keys: Mapping[Key, object]) -> None:
        """The request's freshness (resolvers/freshness.py): a part just fetched, or
        joined in flight, is fresh for its TTL from now — as the cache stores it; without
        a cache it has no freshness at all."""
        freshness = current_freshness()
        if freshness is None:
            return
        if self.cache is None:
            freshness.refuse("part cache off")
            return
        ttl = self.cache.ttl_s
        freshness.note(min(ttl[part] for _, _, part in keys))

    def cached(self, channel: Channel, source_id: str,
               parts: frozenset[Part]) -> ProductRecord | None:
        """The record of ``parts`` from fresh in-process cache entries alone, without
        awaiting: no batch, no loop turn. ``None`` when any part needs ``fetch`` (missing,
        stale, "not found", a Redis cache, an id the adapter refuses).

        What the lookup needs besides the entries (the canonical id, the cache keys, the
        record's fields) is prepared once per product and parts (``_Warm``), and while the
        entries stay the same the record built from them is answered again: it is frozen,
        and only a new entry (a refresh) changes what it would hold."""
        cache = self.cache
        if cache is None:
            return None
        memo = (channel, source_id, parts)
        warm = self._warm.get(memo)
        if warm is None:
            warm = self._prepare_warm(channel, source_id, parts)
        if warm is _REFUSED:
            return None
        assert isinstance(warm, _Warm)
        entries = cache.peek_prepared(warm.peek)
        if entries is None:
            return None
        record = warm.record
        if record is not None:
            for entry, seen in zip(entries, warm.entries, strict=True):
                if entry is not seen:
                    break
            else:
                return record
        canonical = warm.canonical
        answer = _record_of(channel, canonical, set(warm.parts), {
            (channel, canonical, part): entry.value
            for part, entry in zip(warm.parts, entries, strict=True)})
        if not isinstance(answer, ProductRecord):  # an error stored as a part: not a record
            return None
        warm.entries = entries
        warm.record = answer
        return answer

    def _prepare_warm(self, channel: Channel, source_id: str,
                      parts: frozenset[Part]) -> _Warm | object:
        """``cached``'s preparation for these parts of this product (``_REFUSED``: an id
        the adapter refuses, or no adapter), remembered (the oldest forgotten first)."""
        try:
            canonical = self.registry.adapter(channel).validate_source_id(channel, source_id)
        except ChannelError:
            warm: _Warm | object = _REFUSED
        else:
            ordered = sorted(parts, key=lambda p: p.value)
            warm = _Warm(canonical, ordered, FreshPeek(
                [(channel, canonical, part) for part in ordered]))
        return remember(self._warm, (channel, source_id, parts), warm, _WARM_SIZE)

    def _start(self, adapter: ChannelAdapter, channel: Channel,
               keys: Sequence[Key]) -> dict[Key, asyncio.Future[PartAnswer]]:
        """Register a future per key and put each key into an open batch of its upstream
        (cross-request batching: a hundred concurrent one-product queries cost five batch
        calls, not a hundred). A batch stays open until its request is built: keys that
        arrive while it waits for its budget slot join it, up to ``batch_limit``."""
        if not keys:
            return {}
        loop = asyncio.get_running_loop()
        started: dict[Key, asyncio.Future[PartAnswer]] = {}
        via_spu = _catalog_via_spu(adapter)
        for key in keys:
            future = started[key] = self._inflight[key] = loop.create_future()
            parts = {key[2]}
            if via_spu and key[2] is Part.CATALOG:
                parts.add(Part.CORE)       # the item's core names its SPU
            batch = self._open_batch(adapter, key[0], key[1])
            batch.open.add(key[0], key[1], parts)
            batch.futures[key] = future
            self._batch_of[future] = batch
        return started

    async def _wait(self, futures: set[asyncio.Future[PartAnswer]]) -> None:
        """Wait for ``futures``; if cancelled, cancel the batches nobody else waits for."""
        for future in futures:
            self._waiters[future] = self._waiters.get(future, 0) + 1
        try:
            await asyncio.wait(futures)
        except asyncio.CancelledError:
            orphaned = set()
            for future in futures:
                self._waiters[future] -= 1
                if not self._waiters[future]:
                    del self._waiters[future]
                batch = self._batch_of.get(future)
                if batch is not None:
                    orphaned.add(batch)
            for batch in orphaned:
                if not any(f in self._waiters for f in batch.futures.values()) and batch.task:
                    batch.task.cancel()
            raise
        for future in futures:
            self._waiters[future] -= 1
            if not self._waiters[future]:
                del self._waiters[future]

    def _open_batch(self, adapter: ChannelAdapter, channel: Channel,
                    source_id: str) -> _Batch:
        """An open batch of ``adapter`` with room for the id, or a new one (started now: it
        runs on the loop's next turn, so every key registered meanwhile joins it)."""
        shared = isinstance(adapter, OpenBatchFetcher) and adapter.shares_ids_across_channels
        group: tuple[int, Channel | None] = (id(adapter), None if shared else channel)
        batches = self._open.setdefault(group, [])
        for batch in batches:
            if batch.open.has_room_for(channel, source_id):
                return batch
        batch = _Batch(adapter, group, OpenBatch(adapter.batch_limit, shared_ids=shared))
        batches.append(batch)
        batch.task = asyncio.get_running_loop().create_task(self._run_batch(batch))
        self._tasks.add(batch.task)
        batch.task.add_done_callback(self._tasks.discard)
        return batch

    def _close_batch(self, batch: _Batch) -> None:
        batches = self._open.get(batch.group)
        if batches is not None and batch in batches:
            batches.remove(batch)
            if not batches:
                del self._open[batch.group]

    async def _call_batch(self, batch: _Batch) -> tuple[dict[BatchKey, frozenset[Part]],
                                                         Mapping[BatchKey, object]]:
        """The batch's upstream call: what it carried and an answer per key."""
        adapter = batch.adapter
        if isinstance(adapter, OpenBatchFetcher):
            try:
                result: Mapping[BatchKey, object] = await adapter.fetch_open(batch.open)
            except Exception as exc:
                wanted = batch.open.seal()
                return wanted, {k: _as_channel_error(exc, k[0]) for k in wanted}
            return batch.open.seal(), result
        # An adapter that takes its ids up front: the batch closes now, one channel.
        wanted = batch.open.seal()
        self._close_batch(batch)
        channel = next(iter(wanted))[0]
        ids = [source_id for _, source_id in wanted]
        parts = frozenset().union(*wanted.values())
        try:
            answers = await adapter.fetch(channel, ids, parts)
        except Exception as exc:
            return wanted, dict.fromkeys(wanted, _as_channel_error(exc, channel))
        # One call carries the union of the parts its ids need (TOP's ``fields``).
        return {k: parts for k in wanted}, {k: answers.get(k[1]) for k in wanted}

    async def _run_batch(self, batch: _Batch) -> None:
        adapter, futures = batch.adapter, batch.futures
        to_cache: dict[Key, object | None] = {}
        not_found: dict[str, list[Key]] = {}
        via_spu = _catalog_via_spu(adapter)
        try:
            wanted, result = await self._call_batch(batch)
            self._close_batch(batch)
            spu_of: dict[BatchKey, str | None] = {}
            for (channel, source_id), parts in wanted.items():
                answer: object = result.get((channel, source_id)) or UpstreamError(
                    f"{channel.name} returned no answer for {source_id}", channel=channel)
                item_parts = parts - {Part.CATALOG} if via_spu else parts
                if isinstance(answer, ProductRecord):
                    storable = (answer.loaded_parts() if adapter.parts_per_call >= ALL_PARTS
                                else item_parts & answer.loaded_parts())
                    for part in storable:
                        to_cache[(channel, source_id, part)] = answer.part(part)
                    for part in item_parts:
                        _resolve(futures.get((channel, source_id, part)), answer.part(part))
                    if via_spu and Part.CATALOG in parts:
                        core = answer.core
                        spu_of[(channel, source_id)] = core.catalog_product_id if core else None
                else:
                    if isinstance(answer, NotFound):
                        not_found.setdefault(answer.message, []).extend(
                            (channel, source_id, p) for p in parts)
                    for part in parts:
                        _resolve(futures.get((channel, source_id, part)), answer)
            if spu_of:
                await self._attach_catalogs(adapter, spu_of, futures, to_cache)
            # Waiters have their answers; keys stay "in flight" (done) until the cache has
            # them, so no request in between starts a second call for the same key.
            if self.cache is not None:
                if to_cache:
                    await self.cache.put_many(to_cache)
                for message, keys in not_found.items():
                    await self.cache.put_not_found(keys, message)
        finally:
            self._close_batch(batch)
            batch.open.seal()
            for key, future in futures.items():
                _resolve(future, UpstreamError(
                    f"{key[0].name} fetch was interrupted", channel=key[0]))
                self._batch_of.pop(future, None)
                if self._inflight.get(key) is future:
                    del self._inflight[key]

    # -- catalog products (Tmall SPUs): one call per distinct SPU per freshness period

    async def _attach_catalogs(self, adapter: ChannelAdapter,
                               spu_of: Mapping[BatchKey, str | None],
                               futures: Mapping[Key, asyncio.Future[PartAnswer]],
                               to_cache: dict[Key, object | None]) -> None:
        """Resolve the CATALOG part of each item from its SPU, through ``catalog``."""
        spus = list(dict.fromkeys(spu for spu in spu_of.values() if spu))
        answers = await asyncio.gather(*(self._catalog_answer(adapter, spu) for spu in spus))
        by_spu = dict(zip(spus, answers, strict=True))
        for (channel, source_id), spu in spu_of.items():
            key = (channel, source_id, Part.CATALOG)
            answer = by_spu.get(spu) if spu else None
            if isinstance(answer, NotFound):
                answer = None                  # a dangling SPU link: no catalog product
            if not isinstance(answer, BaseException):
                to_cache[key] = answer
            _resolve(futures.get(key), answer)

    async def catalog_product(self, channel: Channel,
                              product_id: str) -> CatalogProductRecord:
        """The catalog product ``product_id`` of ``channel``'s adapter, through the same
        cache and single flight as the items' CATALOG parts: raises its error."""
        adapter = self.registry.adapter(channel)
        answer = await self._catalog_answer(adapter, product_id)
        if isinstance(answer, BaseException):
            raise answer
        assert isinstance(answer, CatalogProductRecord)
        return answer

    async def _catalog_answer(self, adapter: ChannelAdapter, spu: str) -> PartAnswer:
        key: Key = (Channel.TMALL, SPU_PREFIX + spu, Part.CATALOG)
        stale = False
        if self.cache is not None:
            lookup = (await self.cache.get_many([key]))[0]
            if lookup.entry is not None:
                if not lookup.stale:
                    return _answer_of(lookup.entry, Channel.TMALL)
                stale = True
        future = self._inflight.get(key)
        if future is None:
            future = self._inflight[key] = asyncio.get_running_loop().create_future()
            task = asyncio.get_running_loop().create_task(
                self._run_catalog(adapter, spu, key, future))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
            if stale:
                self.refreshes_started += 1
        if stale:
            assert lookup.entry is not None
            return _answer_of(lookup.entry, Channel.TMALL)   # served stale while it refreshes
        await asyncio.wait({future})
        self._note_fetched({key: None})
        return future.result()

    async def _run_catalog(self, adapter: ChannelAdapter, spu: str, key: Key,
                           future: asyncio.Future[PartAnswer]) -> None:
        try:
            if not isinstance(adapter, CatalogCapable):
                raise NotFound("catalog products are a Tmall (TOP) feature",
                               channel=Channel.TMALL)
            try:
                record: PartAnswer = await adapter.fetch_catalog_product(product_id=spu)
            except ChannelError as exc:
                _resolve(future, exc)
                if isinstance(exc, NotFound) and self.cache is not None:
                    await self.cache.put_not_found([key], exc.message)
                return
            except Exception as exc:
                _resolve(future, _as_channel_error(exc, Channel.TMALL))
                return
            _resolve(future, record)
            if self.cache is not None:
                await self.cache.put_many({key: record})
        finally:
            _resolve(future, UpstreamError("tmall catalog fetch was interrupted",
                                           channel=Channel.TMALL))
            if self._inflight.get(key) is future:
                del self._inflight[key]

    @property
    def in_flight(self) -> int:
        """Keys being fetched right now (for tests and diagnostics)."""
        return sum(1 for f in self._inflight.values() if not f.done())

    async def drain(self) -> None:
        """Wait for every batch in flight, background refreshes included."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def aclose(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*list(self._tasks), return_exceptions=True)
        if self.cache is not None:
            await self.cache.aclose()


class _Warm:
    """``ProductFetcher.cached``'s preparation for some parts of one product: the canonical
    id, the parts in the record's order, their prepared cache lookup, and the last record
    built with the entries it was built from."""

    __slots__ = ("canonical", "entries", "parts", "peek", "record")

    def __init__(self, canonical: str, parts: list[Part], peek: FreshPeek) -> None:
        self.canonical = canonical
        self.parts = parts
        self.peek = peek
        self.entries: list[CachedPart] = []
        self.record: ProductRecord | None = None


class _Batch:
    """One upstream call being prepared or made: its open batch, the futures it resolves."""

    __slots__ = ("adapter", "futures", "group", "open", "task")

    def __init__(self, adapter: ChannelAdapter, group: tuple[int, Channel | None],
                 open_batch: OpenBatch) -> None:
        self.adapter = adapter
        self.group = group
        self.open = open_batch
        self.futures: dict[Key, asyncio.Future[PartAnswer]] = {}
        self.task: asyncio.Task[None] | None = None


def _catalog_via_spu(adapter: ChannelAdapter) -> bool:
    """Whether the adapter's CATALOG part is a second call per catalog product (TOP's SPU):
    then the fetcher resolves it by SPU id, cached and single-flight on its own."""
    return Part.CATALOG not in adapter.parts_per_call and isinstance(adapter, CatalogCapable)


def _resolve(future: asyncio.Future[PartAnswer] | None, answer: PartAnswer) -> None:
    if future is not None and not future.done():
        future.set_result(answer)


def _answer_of(entry: CachedPart, channel: Channel) -> PartAnswer:
    if entry.missing is not None:
        return NotFound(entry.missing, channel=channel)
    return entry.value


def _record_of(channel: Channel, source_id: str, parts: set[Part],
               values: Mapping[Key, PartAnswer]) -> Answer:
    """One record from its parts' answers, or the first error among them."""
    loaded: dict[str, object] = {}
    empty: set[Part] = set()
    for part in sorted(parts, key=lambda p: p.value):
        value = values[(channel, source_id, part)]
        if isinstance(value, BaseException):
            return value
        if value is None:
            empty.add(part)
        else:
            loaded[part.value] = value
    return ProductRecord(channel, source_id, **loaded,  # type: ignore[arg-type]
                         empty_parts=frozenset(empty))


def _as_channel_error(exc: BaseException, channel: Channel) -> BaseException:
    if isinstance(exc, ChannelError):
        return exc
    log.exception("adapter %s raised instead of returning an error", channel.name,
                  exc_info=exc)
    return UpstreamError(f"{channel.name} upstream failed ({type(exc).__name__})",
                         channel=channel)

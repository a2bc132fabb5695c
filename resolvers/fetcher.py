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

from channels.base import ChannelAdapter, ChannelRegistry
from channels.errors import ChannelError, NotFound, UpstreamError
from channels.model import Channel, Part, ProductRecord
from resolvers.part_cache import CachedPart, PartCache

log = logging.getLogger("productgraph.fetcher")

Answer = ProductRecord | BaseException
#: ``(channel, canonical source id, part)``: the unit that is cached and coalesced.
Key = tuple[Channel, str, Part]
#: What a key resolves to: the part's record, ``None`` (loaded, empty) or an error.
PartAnswer = object

ALL_PARTS = frozenset(Part)


class ProductFetcher:
    """Fetches parts of products through the cache and the channels, one upstream call per
    key at a time across all requests, one batch per ``batch_limit`` ids."""

    def __init__(self, registry: ChannelRegistry, cache: PartCache | None = None) -> None:
        """``cache`` ``None`` disables caching; in-flight coalescing always applies."""
        self.registry = registry
        self.cache = cache
        self._inflight: dict[Key, asyncio.Future[PartAnswer]] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._pending: dict[Channel, _PendingBatches] = {}
        self._waiters: dict[asyncio.Future[PartAnswer], int] = {}
        self._batch_of: dict[asyncio.Future[PartAnswer], asyncio.Task[None]] = {}
        #: Background refreshes of stale entries started (each deduplicated per key).
        self.refreshes_started = 0

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

        for canonical, asked in asked_as.items():
            answer = _record_of(channel, canonical, needed[canonical], values)
            for source_id in asked:
                answers[source_id] = answer
        return answers

    def cached(self, channel: Channel, source_id: str,
               parts: frozenset[Part]) -> ProductRecord | None:
        """The record of ``parts`` from fresh in-process cache entries alone, without
        awaiting: no batch, no loop turn. ``None`` when any part needs ``fetch`` (missing,
        stale, "not found", a Redis cache, an id the adapter refuses)."""
        if self.cache is None:
            return None
        try:
            canonical = self.registry.adapter(channel).validate_source_id(channel, source_id)
        except ChannelError:
            return None
        keys: list[Key] = [(channel, canonical, p) for p in parts]
        values = self.cache.peek_fresh(keys)
        if values is None:
            return None
        answer = _record_of(channel, canonical, set(parts), dict(zip(keys, values, strict=True)))
        return answer if isinstance(answer, ProductRecord) else None

    def _start(self, adapter: ChannelAdapter, channel: Channel,
               keys: Sequence[Key]) -> dict[Key, asyncio.Future[PartAnswer]]:
        """Register a future per key; the batches that resolve them start on the loop's next
        turn, together with the keys other requests start meanwhile (cross-request batching:
        a hundred concurrent one-product queries cost five batch calls, not a hundred)."""
        if not keys:
            return {}
        loop = asyncio.get_running_loop()
        pending = self._pending.get(channel)
        if pending is None:
            pending = self._pending[channel] = _PendingBatches(adapter)
            loop.call_soon(self._flush, channel)
        started: dict[Key, asyncio.Future[PartAnswer]] = {}
        for key in keys:
            started[key] = self._inflight[key] = loop.create_future()
            pending.parts_of.setdefault(key[1], set()).add(key[2])
        pending.futures.update(started)
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
                if not any(f in self._waiters for f, t in self._batch_of.items() if t is batch):
                    batch.cancel()
            raise
        for future in futures:
            self._waiters[future] -= 1
            if not self._waiters[future]:
                del self._waiters[future]

    def _flush(self, channel: Channel) -> None:
        """Start the batches of every key registered for ``channel`` since the last flush."""
        pending = self._pending.pop(channel)
        adapter, parts_of = pending.adapter, pending.parts_of
        ids = list(parts_of)
        size = max(1, adapter.batch_limit)
        for i in range(0, len(ids), size):
            chunk = ids[i:i + size]
            # One call carries the union of the parts its ids need (TOP's ``fields``).
            parts = frozenset().union(*(parts_of[s] for s in chunk))
            futures = {(channel, s, p): pending.futures[(channel, s, p)]
                       for s in chunk for p in parts_of[s]}
            task = asyncio.create_task(self._run_batch(adapter, channel, chunk, parts, futures))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
            for future in futures.values():
                self._batch_of[future] = task

    async def _run_batch(self, adapter: ChannelAdapter, channel: Channel, ids: list[str],
                         parts: frozenset[Part],
                         futures: dict[Key, asyncio.Future[PartAnswer]]) -> None:
        to_cache: dict[Key, object | None] = {}
        not_found: dict[str, list[Key]] = {}
        try:
            result: Mapping[str, object]
            try:
                result = await adapter.fetch(channel, ids, parts)
            except Exception as exc:
                result = dict.fromkeys(ids, _as_channel_error(exc, channel))
            for source_id in ids:
                answer: object = result.get(source_id) or UpstreamError(
                    f"{channel.name} returned no answer for {source_id}", channel=channel)
                if isinstance(answer, ProductRecord):
                    storable = (answer.loaded_parts() if adapter.parts_per_call >= ALL_PARTS
                                else parts & answer.loaded_parts())
                    for part in storable:
                        to_cache[(channel, source_id, part)] = answer.part(part)
                    for part in parts:
                        _resolve(futures.get((channel, source_id, part)), answer.part(part))
                else:
                    if isinstance(answer, NotFound):
                        not_found.setdefault(answer.message, []).extend(
                            (channel, source_id, p) for p in parts)
                    for part in parts:
                        _resolve(futures.get((channel, source_id, part)), answer)
            # Waiters have their answers; keys stay "in flight" (done) until the cache has
            # them, so no request in between starts a second call for the same key.
            if self.cache is not None:
                if to_cache:
                    await self.cache.put_many(to_cache)
                for message, keys in not_found.items():
                    await self.cache.put_not_found(keys, message)
        finally:
            for key, future in futures.items():
                _resolve(future, UpstreamError(
                    f"{channel.name} fetch was interrupted", channel=channel))
                self._batch_of.pop(future, None)
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


class _PendingBatches:
    """Keys of one channel registered during this turn of the event loop."""

    __slots__ = ("adapter", "futures", "parts_of")

    def __init__(self, adapter: ChannelAdapter) -> None:
        self.adapter = adapter
        self.parts_of: dict[str, set[Part]] = {}
        self.futures: dict[Key, asyncio.Future[PartAnswer]] = {}


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

"""The watcher: one poller per watched product, whatever the number of subscribers,
webhooks and instances.

- **Interest** is ref-counted per product: each subscription holds its ids while it runs,
  each webhook its ids while it is registered. A product nobody watches is not polled.
- **One poll loop** per process. Every product is due once per ``interval_s``; the due ones
  are grouped by channel and split by the channel's batch limit, and each batch goes
  through the process-wide ``ProductFetcher`` with ``fresh=True`` (no cache answer; an
  interactive query in flight for the same key is joined, and the answer refreshes the
  cache for everyone).
- **Within a share of the budget.** Before a batch the watcher takes one slot per upstream
  call it will cost from its own limiter of ``budget_share × qps`` for that upstream
  (shared by all instances through Redis when configured). The upstream client's limiter
  still holds every call to the whole budget, so the watcher never uses more than its
  share and interactive queries always keep ``(1 − share) × qps``.
- **Across instances** (Redis): before polling a product an instance takes its lease
  (``SET productgraph:watch:lease:<id> NX PX``) for one interval; only the holder polls and
  records it, and the bus (``resolvers.watch.bus``) carries its events to every instance.
- **Pushes.** A marketplace that pushes changes (TOP's TMC, 1688's message service) plugs in
  as a ``ChangeSource``: it reports records through ``Watcher.observed`` and claims the
  products it covers, which the poller then skips.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import time
from collections import Counter, defaultdict
from collections.abc import Awaitable, Callable, Iterable
from typing import Any, Protocol

from prometheus_client import Counter as MetricCounter
from prometheus_client import Gauge

from channels.base import ChannelRegistry
from channels.errors import ChannelError
from channels.model import Channel, Part, ProductRecord
from channels.policy import DEFAULT_QPS
from channels.ratelimit import Budget, LocalQpsLimiter, QpsLimiter, RedisQpsLimiter, Slot
from resolvers.fetcher import ProductFetcher
from resolvers.ids import parse_product_id

log = logging.getLogger("productgraph.watch")

WATCH_ROUNDS = MetricCounter("productgraph_watch_rounds_total",
                             "Poll rounds that polled at least one product (finished).")
WATCH_POLLS = MetricCounter("productgraph_watch_polls_total", "Products polled.")
WATCH_CALLS = MetricCounter("productgraph_watch_upstream_calls_total",
                            "Upstream calls the watcher took budget slots for.", ["upstream"])
WATCHED = Gauge("productgraph_watch_products", "Products watched by this instance.")

WATCHED_PARTS = frozenset({Part.CORE, Part.VARIANTS})
LEASE_PREFIX = "productgraph:watch:lease:"

#: Called with each polled record: records it, publishes its event.
Observer = Callable[[ProductRecord], Awaitable[None]]


class ChangeSource(Protocol):
    """Something that reports product changes to the watcher. The poller is the one built
    in; a consumer of a marketplace's pushes (TMC, 1688 messages) would be another: it
    calls ``watcher.observed(record)`` for each change message it turns into a record
    (or ``watcher.poll_now(id)`` when the message says only *that* something changed)."""

    def covers(self, product_id: str) -> bool:
        """True when this source reports ``product_id``'s changes (the poller skips it)."""
        ...

    async def start(self) -> None: ...

    async def aclose(self) -> None: ...


class Watcher:
    def __init__(self, fetcher: ProductFetcher, registry: ChannelRegistry, *,
                 interval_s: float, budget_share: float, observer: Observer,
                 redis: Any = None, sources: Iterable[ChangeSource] = ()) -> None:
        self.fetcher = fetcher
        self.registry = registry
        self.interval_s = interval_s
        self.budget_share = budget_share
        self.observer = observer
        self.redis = redis
        self.sources = list(sources)
        self.interest: Counter[str] = Counter()
        self._next_due: dict[str, float] = {}
        self._limiters: dict[str, QpsLimiter] = {}
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._instance = f"{id(self):x}-{time.time_ns():x}"
        #: Upstream calls the watcher spent (slots taken), per upstream.
        self.calls: Counter[str] = Counter()
        self.polls = 0

    # -- interest ------------------------------------------------------------------------

    def watch(self, product_ids: Iterable[str]) -> list[str]:
        """Hold interest in ``product_ids`` (release with ``unwatch`` of the list returned)."""
        held = list(dict.fromkeys(product_ids))
        for product_id in held:
            self.interest[product_id] += 1
            if product_id not in self._next_due:
                self._next_due[product_id] = 0.0  # a new product is polled at once
                self._wake.set()
        WATCHED.set(len(self.interest))
        return held

    def unwatch(self, held: Iterable[str]) -> None:
        for product_id in held:
            self.interest[product_id] -= 1
            if self.interest[product_id] <= 0:
                del self.interest[product_id]
                self._next_due.pop(product_id, None)
        WATCHED.set(len(self.interest))

    @property
    def watched(self) -> frozenset[str]:
        return frozenset(self.interest)

    def poll_now(self, product_id: str) -> None:
        if product_id in self._next_due:
            self._next_due[product_id] = 0.0
            self._wake.set()

    async def observed(self, record: ProductRecord) -> None:
        """A record a push source delivers: recorded as a poll's would be."""
        await self.observer(record)

    # -- the loop ------------------------------------------------------------------------

    async def start(self) -> None:
        for source in self.sources:
            await source.start()
        self._task = asyncio.create_task(self._run())

    async def aclose(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        for source in self.sources:
            await source.aclose()

    async def _run(self) -> None:
        while True:
            try:
                await self.poll_due()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("watch: poll round failed")
            now = time.monotonic()
            upcoming = min(self._next_due.values(), default=now + self.interval_s)
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(),
                                       timeout=max(0.05, min(upcoming - now, self.interval_s)))

    async def poll_due(self) -> None:
        """Poll every product whose time has come, batch by batch, each within budget."""
        now = time.monotonic()
        due = [p for p, at in self._next_due.items() if at <= now
               and not any(s.covers(p) for s in self.sources)]
        if not due:
            return
        for product_id in due:
            self._next_due[product_id] = now + self.interval_s
        by_channel: dict[Channel, list[str]] = defaultdict(list)
        for product_id in await self._leased(due):
            try:
                channel, source_id = parse_product_id(product_id)
            except Exception:
                continue
            by_channel[channel].append(source_id)
        await asyncio.gather(*(self._poll_channel(channel, ids)
                               for channel, ids in by_channel.items()))
        if by_channel:
            WATCH_ROUNDS.inc()

    async def _poll_channel(self, channel: Channel, source_ids: list[str]) -> None:
        try:
            adapter = self.registry.adapter(channel)
        except ChannelError:
            return
        size = max(1, adapter.batch_limit)
        calls_per_batch = 1 if adapter.parts_per_call >= WATCHED_PARTS else len(WATCHED_PARTS)
        upstream, limiter = self._limiter(adapter)
        batches = [source_ids[i:i + size] for i in range(0, len(source_ids), size)]
        pending: list[asyncio.Task[None]] = []
        for batch in batches:
            # Held until the batch's answer, as the upstream client holds its own
            # (channels/ratelimit.py): the share counts calls in flight, not just sent.
            slots = [await limiter.acquire() for _ in range(calls_per_batch)]
            self.calls[upstream] += calls_per_batch
            WATCH_CALLS.labels(upstream).inc(calls_per_batch)
            pending.append(asyncio.create_task(self._poll_batch(channel, batch, slots)))
        await asyncio.gather(*pending)

    async def _poll_batch(self, channel: Channel, source_ids: list[str],
                          slots: list[Slot]) -> None:
        try:
            answers = await self.fetcher.fetch(
                channel, dict.fromkeys(source_ids, WATCHED_PARTS), fresh=True)
        finally:
            for slot in slots:
                slot.release()
        self.polls += len(source_ids)
        WATCH_POLLS.inc(len(source_ids))
        for source_id, answer in answers.items():
            if isinstance(answer, ProductRecord):
                try:
                    await self.observer(answer)
                except Exception:
                    log.exception("watch: recording %s_%s failed", channel.value, source_id)
            else:
                log.info("watch: %s_%s not observed (%s)", channel.value, source_id,
                         type(answer).__name__)

    def _limiter(self, adapter: Any) -> tuple[str, QpsLimiter]:
        client = getattr(adapter, "client", None)
        upstream = getattr(client, "upstream", None) or adapter.channels[0].value
        limiter = self._limiters.get(upstream)
        if limiter is None:
            policy = getattr(client, "policy", None)
            qps = getattr(policy, "qps", None) or DEFAULT_QPS.get(upstream, 10.0)
            budget = Budget.per_second(max(qps * self.budget_share, 1e-3))
            limiter = (RedisQpsLimiter(self.redis, f"watch:{upstream}", budget)
                       if self.redis is not None else LocalQpsLimiter(budget, name="watch"))
            self._limiters[upstream] = limiter
        return upstream, limiter

    async def _leased(self, product_ids: list[str]) -> list[str]:
        """The products this instance polls now: all without Redis, else those whose lease
        it took (another instance polls the rest this interval)."""
        if self.redis is None:
            return product_ids
        ttl_ms = max(1, math.floor(self.interval_s * 1000 * 0.9))
        try:
            async with self.redis.pipeline(transaction=False) as pipe:
                for product_id in product_ids:
                    pipe.set(LEASE_PREFIX + product_id, self._instance, nx=True, px=ttl_ms)
                granted = await pipe.execute()
        except Exception as exc:  # Redis down: poll them here (at worst twice, never none)
            log.warning("watch: lease check failed (%s)", type(exc).__name__)
            return product_ids
        return [p for p, ok in zip(product_ids, granted, strict=True) if ok]

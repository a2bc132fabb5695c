"""The event bus: every ``ChangeEvent`` observed reaches every subscriber of its product.

``LocalBus`` fans events out to this process's subscribers. ``RedisBus`` also publishes
each event on the Redis channel ``productgraph:watch:events`` and relays what other
instances publish, so a subscriber connected to any instance sees the events of the one
instance that polls the product.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import secrets
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from resolvers.watch.events import ChangeEvent

log = logging.getLogger("productgraph.watch")

REDIS_CHANNEL = "productgraph:watch:events"
#: Events a slow subscriber may have waiting before the oldest are dropped (it can resume
#: from the database with ``after``).
QUEUE_SIZE = 1000


class Subscription:
    """One subscriber's queue of events for its products."""

    def __init__(self, bus: LocalBus, product_ids: frozenset[str]) -> None:
        self.bus = bus
        self.product_ids = product_ids
        self.queue: asyncio.Queue[ChangeEvent] = asyncio.Queue(QUEUE_SIZE)

    def put(self, event: ChangeEvent) -> None:
        if self.queue.full():
            self.queue.get_nowait()
        self.queue.put_nowait(event)

    async def get(self) -> ChangeEvent:
        return await self.queue.get()

    def close(self) -> None:
        self.bus.unsubscribe(self)


class LocalBus:
    def __init__(self) -> None:
        self._by_product: dict[str, set[Subscription]] = defaultdict(set)

    def subscribe(self, product_ids: Iterable[str]) -> Subscription:
        subscription = Subscription(self, frozenset(product_ids))
        for product_id in subscription.product_ids:
            self._by_product[product_id].add(subscription)
        return subscription

    def unsubscribe(self, subscription: Subscription) -> None:
        for product_id in subscription.product_ids:
            subscribers = self._by_product.get(product_id)
            if subscribers is not None:
                subscribers.discard(subscription)
                if not subscribers:
                    del self._by_product[product_id]

    def dispatch(self, event: ChangeEvent) -> None:
        for subscription in list(self._by_product.get(event.product_id, ())):
            subscription.put(event)

    async def publish(self, event: ChangeEvent) -> None:
        self.dispatch(event)

    async def start(self) -> None:
        return None

    async def aclose(self) -> None:
        return None


class RedisBus(LocalBus):
    def __init__(self, redis: Any) -> None:
        super().__init__()
        self.redis = redis
        self.origin = secrets.token_hex(8)
        self._task: asyncio.Task[None] | None = None

    async def publish(self, event: ChangeEvent) -> None:
        self.dispatch(event)
        message = json.dumps({"origin": self.origin, "event": event.as_json()})
        try:
            await self.redis.publish(REDIS_CHANNEL, message)
        except Exception as exc:  # subscribers elsewhere resume from the database
            log.warning("watch: publishing to Redis failed (%s)", type(exc).__name__)

    async def start(self) -> None:
        self._task = asyncio.create_task(self._relay())

    async def _relay(self) -> None:
        while True:
            try:
                pubsub = self.redis.pubsub()
                await pubsub.subscribe(REDIS_CHANNEL)
                async for message in pubsub.listen():
                    if message.get("type") != "message":
                        continue
                    data = json.loads(message["data"])
                    if data.get("origin") != self.origin:
                        self.dispatch(ChangeEvent.from_json(data["event"]))
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("watch: Redis relay failed (%s); retrying", type(exc).__name__)
                await asyncio.sleep(1.0)

    async def aclose(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

"""``WatchService``: the process-wide watch feature, started and stopped by the app's
lifespan. It joins the database (``resolvers.storage``), the watcher, the event bus and
the webhook deliverer, and is what the GraphQL layer talks to.

The database is opened at start-up when it already exists (a PostgreSQL URL, or a SQLite
file from an earlier run: its pending webhook deliveries resume at once), else on first
use, so a server nobody uses for watching never creates a file.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Sequence
from decimal import Decimal
from typing import Any

import httpx

from channels.base import ChannelRegistry
from channels.model import ProductRecord
from resolvers.fetcher import ProductFetcher
from resolvers.storage import WatchStore, Webhook, now_us, sqlite_path
from resolvers.watch.bus import LocalBus, RedisBus
from resolvers.watch.config import WatchSettings
from resolvers.watch.events import ChangeEvent, WatchedField, WatchedState
from resolvers.watch.watcher import Watcher
from resolvers.watch.webhooks import Deliverer, check_target, outbox_for

log = logging.getLogger("productgraph.watch")


class WatchService:
    def __init__(self, settings: WatchSettings, fetcher: ProductFetcher,
                 registry: ChannelRegistry, *, redis: Any = None,
                 webhook_transport: httpx.AsyncBaseTransport | None = None) -> None:
        self.settings = settings
        self.bus = RedisBus(redis) if redis is not None else LocalBus()
        self.watcher = Watcher(fetcher, registry, interval_s=settings.interval_s,
                               budget_share=settings.budget_share, observer=self._record,
                               redis=redis)
        self._store: WatchStore | None = None
        self._opening = asyncio.Lock()
        self._webhook_transport = webhook_transport
        self.deliverer: Deliverer | None = None
        self._webhook_interest: dict[str, list[str]] = {}
        self._sync_task: asyncio.Task[None] | None = None
        #: Set by the app: production mode, and whether API keys guard ``/graphql``.
        self.production = False
        self.keys_configured = False

    # -- life ----------------------------------------------------------------------------

    async def start(self) -> None:
        await self.bus.start()
        await self.watcher.start()
        path = sqlite_path(self.settings.database_url)
        if path is None or path.exists():
            await self.store()
        self._sync_task = asyncio.create_task(self._sync_webhooks_forever())

    async def aclose(self) -> None:
        if self._sync_task is not None:
            self._sync_task.cancel()
            await asyncio.gather(self._sync_task, return_exceptions=True)
        await self.watcher.aclose()
        if self.deliverer is not None:
            await self.deliverer.aclose()
        await self.bus.aclose()
        if self._store is not None:
            await self._store.aclose()

    async def store(self) -> WatchStore:
        """The database, opened (and migrated) on first use; the deliverer starts with it."""
        if self._store is not None:
            return self._store
        async with self._opening:
            if self._store is None:
                store = WatchStore(self.settings.database_url)
                await store.open()
                s = self.settings
                self.deliverer = Deliverer(
                    store, backoff_base_s=s.webhook_backoff_base_s,
                    max_attempts=s.webhook_max_attempts, timeout_s=s.webhook_timeout_s,
                    allow_private=s.webhook_allow_private, transport=self._webhook_transport)
                self._store = store
                await self.deliverer.start()
                await self.sync_webhooks()
        return self._store

    async def existing_store(self) -> WatchStore | None:
        """The database when it exists (reads of a never-used one answer "nothing" and
        create no file)."""
        path = sqlite_path(self.settings.database_url)
        if self._store is None and path is not None and not path.exists():
            return None
        return await self.store()

    # -- observing -----------------------------------------------------------------------

    async def _record(self, record: ProductRecord) -> None:
        store = await self.store()
        event = await store.observe(record.id, WatchedState.from_record(record), now_us(),
                                    outbox_for)
        if event is None:
            return
        if self.deliverer is not None:
            self.deliverer.wake()
        await self.bus.publish(event)

    async def changes(self, product_ids: Sequence[str], fields: frozenset[WatchedField],
                      min_price_change: Decimal | None, after: int | None
                      ) -> AsyncIterator[ChangeEvent]:
        """The events of ``product_ids`` from now on (after ``after``: the stored ones
        first), filtered; the products are watched while the iterator runs."""
        subscription = self.bus.subscribe(product_ids)  # before the replay: nothing lost
        held = self.watcher.watch(product_ids)
        try:
            seen: dict[str, int] = {}
            if after is not None:
                for event in await (await self.store()).events_after(product_ids, after):
                    seen[event.product_id] = event.seq
                    wanted = event.filtered(fields, min_price_change)
                    if wanted is not None:
                        yield wanted
            floor = after or 0
            while True:
                event = await subscription.get()
                if event.seq <= seen.get(event.product_id, floor):
                    continue
                seen[event.product_id] = event.seq
                wanted = event.filtered(fields, min_price_change)
                if wanted is not None:
                    yield wanted
        finally:
            subscription.close()
            self.watcher.unwatch(held)

    # -- webhooks ------------------------------------------------------------------------

    async def register_webhook(self, url: str, product_ids: Sequence[str],
                               fields: frozenset[WatchedField],
                               min_price_change: Decimal | None) -> Webhook:
        await check_target(url, allow_private=self.settings.webhook_allow_private)
        hook = await (await self.store()).add_webhook(
            url, product_ids, fields, None if min_price_change is None else str(min_price_change))
        await self.sync_webhooks()
        return hook

    async def delete_webhook(self, webhook_id: str) -> bool:
        deleted = await (await self.store()).delete_webhook(webhook_id)
        await self.sync_webhooks()
        return deleted

    async def sync_webhooks(self) -> None:
        """Hold interest in exactly the registered webhooks' products (registrations made
        on another instance included)."""
        if self._store is None:
            return
        hooks = {h.id: list(h.product_ids) for h in await self._store.webhooks()}
        for hook_id in set(self._webhook_interest) - set(hooks):
            self.watcher.unwatch(self._webhook_interest.pop(hook_id))
        for hook_id in set(hooks) - set(self._webhook_interest):
            self._webhook_interest[hook_id] = self.watcher.watch(hooks[hook_id])

    async def _sync_webhooks_forever(self) -> None:
        while True:
            await asyncio.sleep(max(1.0, min(self.settings.interval_s, 10.0)))
            try:
                await self.sync_webhooks()
            except Exception as exc:
                log.warning("watch: reading webhooks failed (%s)", type(exc).__name__)


def canonical_product_ids(registry: ChannelRegistry, ids: Sequence[str], *,
                          argument: str, limit: int) -> list[str]:
    """``ids`` as the watcher keys them (``{channel}_{canonical source id}``), deduplicated;
    raises the coded error of the first bad one (``resolvers.errors``)."""
    from channels.model import product_id
    from resolvers.errors import UserInputError
    from resolvers.ids import parse_product_id

    if not ids:
        raise UserInputError(f"`{argument}` must name at least one product", argument=argument)
    if len(ids) > limit:
        raise UserInputError(f"`{argument}` takes at most {limit} ids; got {len(ids)}",
                             argument=argument)
    found = []
    for index, raw in enumerate(ids):
        channel, source_id = parse_product_id(raw, argument=f"{argument}[{index}]")
        canonical = registry.adapter(channel).validate_source_id(channel, source_id)
        found.append(product_id(channel, canonical))
    return list(dict.fromkeys(found))

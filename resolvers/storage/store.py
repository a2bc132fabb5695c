"""``WatchStore``: the watch tables through one async layer (SQLAlchemy 2 Core over
``aiosqlite`` or ``asyncpg``).

- ``observe`` records one observation of a product in one transaction: the change rows
  under the next sequence number, the new snapshot, and an outbox row for every webhook
  that wants the event. The snapshot row is locked (``SELECT … FOR UPDATE`` on
  PostgreSQL, the one writer of SQLite), and ``(product_id, seq, field, variant_id)`` is
  unique, so sequence numbers are gap-free and monotonic per product however many
  instances observe it.
- history, resume (events after a sequence number), webhooks and the outbox's life:
  claim the due rows, mark them delivered, retried or dead-lettered.

SQLite is the embedded default (one process: its writes are serialized here); PostgreSQL
serves several instances (``PRODUCTGRAPH_DATABASE_URL=postgresql://…``).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import secrets
import time
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from resolvers.storage import tables
from resolvers.storage.migrations import migrate
from resolvers.watch.events import ChangeEvent, FieldChange, WatchedField, WatchedState, diff

DEFAULT_DATABASE_URL = "sqlite:///productgraph-watch.db"


def now_us() -> int:
    return int(time.time() * 1_000_000)


def async_url(url: str) -> str:
    """``sqlite:///path`` / ``postgresql://…`` with the async driver named."""
    scheme, sep, rest = url.partition("://")
    if not sep:
        raise ValueError("must be sqlite:///path or postgresql://user@host:port/db")
    driver = {"sqlite": "sqlite+aiosqlite", "postgresql": "postgresql+asyncpg",
              "postgres": "postgresql+asyncpg"}.get(scheme.lower())
    if driver is None and scheme.lower() in ("sqlite+aiosqlite", "postgresql+asyncpg"):
        driver = scheme.lower()
    if driver is None:
        raise ValueError("must be sqlite:///path or postgresql://user@host:port/db")
    return f"{driver}://{rest}"


def sqlite_path(url: str) -> Path | None:
    """The file of a ``sqlite:///path`` URL (``None`` for PostgreSQL or ``:memory:``)."""
    scheme, _, rest = url.partition("://")
    if not scheme.lower().startswith("sqlite"):
        return None
    path = rest[1:] if rest.startswith("/") else rest
    return None if path in ("", ":memory:") else Path(path)


@dataclass(frozen=True, slots=True)
class Webhook:
    id: str
    url: str
    secret: str
    product_ids: tuple[str, ...]
    fields: frozenset[WatchedField]
    min_price_change: str | None
    created_at_us: int

    def __repr__(self) -> str:  # the secret never reaches a log line
        return f"Webhook(id={self.id!r}, url={self.url!r}, ids={len(self.product_ids)})"


@dataclass(frozen=True, slots=True)
class Delivery:
    id: str
    webhook_id: str
    product_id: str
    seq: int
    payload: str
    status: str
    attempts: int
    next_attempt_at_us: int
    last_error: str | None
    last_status_code: int | None
    created_at_us: int
    delivered_at_us: int | None


@dataclass(frozen=True, slots=True)
class HistoryPoint:
    variant_id: str
    observed_at_us: int
    old: str | None
    new: str | None


#: Given an event and the registered webhooks, the ``(webhook id, payload)`` to deliver.
OutboxFor = Callable[[ChangeEvent, Sequence[Webhook]], list[tuple[str, str]]]


class WatchStore:
    def __init__(self, url: str, *, echo: bool = False) -> None:
        self.url = url
        path = sqlite_path(url)
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
        self.dialect = "sqlite" if url.lower().startswith("sqlite") else "postgresql"
        options: dict[str, Any] = {"echo": echo}
        if self.dialect == "sqlite":
            options["connect_args"] = {"timeout": 30}
        else:
            options.update(pool_size=5, max_overflow=5, pool_pre_ping=True)
        self.engine: AsyncEngine = create_async_engine(async_url(url), **options)
        if self.dialect == "sqlite":
            sa.event.listen(self.engine.sync_engine, "connect", _sqlite_pragmas)
        # SQLite has one writer; within this process writes wait here, not on its lock.
        self._write_lock = asyncio.Lock()

    async def open(self) -> None:
        await migrate(self.engine)

    async def aclose(self) -> None:
        await self.engine.dispose()

    @contextlib.asynccontextmanager
    async def _write(self) -> AsyncIterator[AsyncConnection]:
        async with self._write_lock, self.engine.begin() as conn:
            yield conn

    # -- observations --------------------------------------------------------------------

    async def observe(self, product_id: str, state: WatchedState, observed_at_us: int,
                      outbox_for: OutboxFor | None = None) -> ChangeEvent | None:
        """Record an observation; the event it makes (``None``: a baseline or no change)."""
        for attempt in range(3):
            try:
                return await self._observe(product_id, state, observed_at_us, outbox_for)
            except IntegrityError:  # another instance took this seq or made the baseline
                if attempt == 2:
                    raise
        return None

    async def _observe(self, product_id: str, state: WatchedState, observed_at_us: int,
                       outbox_for: OutboxFor | None) -> ChangeEvent | None:
        s = tables.snapshots
        async with self._write() as conn:
            row = (await conn.execute(
                sa.select(s.c.seq, s.c.state).where(s.c.product_id == product_id)
                .with_for_update())).first()
            encoded = json.dumps(state.as_json(), sort_keys=True)
            if row is None:
                await conn.execute(s.insert().values(
                    product_id=product_id, seq=0, state=encoded, observed_at_us=observed_at_us))
                return None
            changes = diff(WatchedState.from_json(json.loads(row.state)), state)
            if not changes:
                await conn.execute(s.update().where(s.c.product_id == product_id)
                                   .values(observed_at_us=observed_at_us))
                return None
            seq = int(row.seq) + 1
            event = ChangeEvent(product_id, seq, observed_at_us, changes)
            await conn.execute(tables.changes.insert(), [
                {"product_id": product_id, "seq": seq, "observed_at_us": observed_at_us,
                 "field": c.field.value, "variant_id": c.variant_id, "old_value": c.old,
                 "new_value": c.new} for c in changes])
            await conn.execute(s.update().where(s.c.product_id == product_id).values(
                seq=seq, state=encoded, observed_at_us=observed_at_us))
            if outbox_for is not None:
                hooks = await self._webhooks(conn, product_id)
                rows = [{"id": "dlv_" + secrets.token_hex(12), "webhook_id": hook_id,
                         "product_id": product_id, "seq": seq, "payload": payload,
                         "status": "PENDING", "attempts": 0, "next_attempt_at_us": 0,
                         "claimed_until_us": 0, "created_at_us": observed_at_us}
                        for hook_id, payload in outbox_for(event, hooks)]
                if rows:
                    await conn.execute(tables.outbox.insert(), rows)
            return event

    async def last_seq(self, product_id: str) -> int:
        s = tables.snapshots
        async with self.engine.connect() as conn:
            value = await conn.scalar(sa.select(s.c.seq).where(s.c.product_id == product_id))
        return int(value or 0)

    async def events_after(self, product_ids: Iterable[str], after: int) -> list[ChangeEvent]:
        """Stored events of ``product_ids`` with a sequence number above ``after``, per
        product in order (a resuming subscriber's replay)."""
        c = tables.changes
        ids = list(product_ids)
        async with self.engine.connect() as conn:
            rows = (await conn.execute(
                sa.select(c.c.product_id, c.c.seq, c.c.observed_at_us, c.c.field,
                          c.c.variant_id, c.c.old_value, c.c.new_value, c.c.id)
                .where(c.c.product_id.in_(ids), c.c.seq > after)
                .order_by(c.c.product_id, c.c.seq, c.c.id))).all()
        events: list[ChangeEvent] = []
        group: list[Any] = []
        for row in [*rows, None]:
            if group and (row is None or (row.product_id, row.seq) !=
                          (group[0].product_id, group[0].seq)):
                events.append(ChangeEvent(group[0].product_id, int(group[0].seq),
                                          int(group[0].observed_at_us),
                                          tuple(FieldChange(WatchedField(r.field), r.variant_id,
                                                            r.old_value, r.new_value)
                                                for r in group)))
                group = []
            if row is not None:
                group.append(row)
        return events

    async def history(self, product_id: str, field: WatchedField, *, since_us: int | None,
                      until_us: int | None, variant_id: str | None = None,
                      limit: int = 1000) -> list[HistoryPoint]:
        c = tables.changes
        query = sa.select(c.c.variant_id, c.c.observed_at_us, c.c.old_value, c.c.new_value
                          ).where(c.c.product_id == product_id, c.c.field == field.value)
        if since_us is not None:
            query = query.where(c.c.observed_at_us >= since_us)
        if until_us is not None:
            query = query.where(c.c.observed_at_us <= until_us)
        if variant_id is not None:
            query = query.where(c.c.variant_id == variant_id)
        query = query.order_by(c.c.observed_at_us, c.c.variant_id).limit(limit)
        async with self.engine.connect() as conn:
            rows = (await conn.execute(query)).all()
        return [HistoryPoint(r.variant_id, int(r.observed_at_us), r.old_value, r.new_value)
                for r in rows]

    # -- webhooks ------------------------------------------------------------------------

    async def add_webhook(self, url: str, product_ids: Sequence[str],
                          fields: Iterable[WatchedField],
                          min_price_change: str | None) -> Webhook:
        hook = Webhook(id="wh_" + secrets.token_hex(10), url=url,
                       secret="whsec_" + secrets.token_urlsafe(32),
                       product_ids=tuple(dict.fromkeys(product_ids)),
                       fields=frozenset(fields), min_price_change=min_price_change,
                       created_at_us=now_us())
        async with self._write() as conn:
            await conn.execute(tables.webhooks.insert().values(
                id=hook.id, url=hook.url, secret=hook.secret,
                product_ids=json.dumps(list(hook.product_ids)),
                fields=json.dumps(sorted(f.value for f in hook.fields)),
                min_price_change=min_price_change, created_at_us=hook.created_at_us))
        return hook

    async def delete_webhook(self, webhook_id: str) -> bool:
        w = tables.webhooks
        async with self._write() as conn:
            result = await conn.execute(w.delete().where(w.c.id == webhook_id))
        return bool(result.rowcount)

    async def webhooks(self) -> list[Webhook]:
        async with self.engine.connect() as conn:
            return await self._webhooks(conn, None)

    async def webhook(self, webhook_id: str) -> Webhook | None:
        return next((h for h in await self.webhooks() if h.id == webhook_id), None)

    async def _webhooks(self, conn: AsyncConnection, product_id: str | None) -> list[Webhook]:
        w = tables.webhooks
        rows = (await conn.execute(sa.select(w).order_by(w.c.created_at_us))).all()
        hooks = [Webhook(r.id, r.url, r.secret, tuple(json.loads(r.product_ids)),
                         frozenset(WatchedField(f) for f in json.loads(r.fields)),
                         r.min_price_change, int(r.created_at_us)) for r in rows]
        return [h for h in hooks if product_id is None or product_id in h.product_ids]

    # -- the outbox ----------------------------------------------------------------------

    async def claim_due(self, limit: int, hold_s: float) -> list[Delivery]:
        """Pending deliveries whose time has come, each held for ``hold_s`` by this
        deliverer (no other instance sends it meanwhile)."""
        o = tables.outbox
        now = now_us()
        async with self._write() as conn:
            rows = (await conn.execute(
                sa.select(o).where(o.c.status == "PENDING", o.c.next_attempt_at_us <= now,
                                   o.c.claimed_until_us <= now)
                .order_by(o.c.next_attempt_at_us, o.c.created_at_us).limit(limit)
                .with_for_update(skip_locked=True))).all()
            if rows:
                await conn.execute(o.update().where(o.c.id.in_([r.id for r in rows]))
                                   .values(claimed_until_us=now + int(hold_s * 1_000_000)))
        return [_delivery(r) for r in rows]

    async def next_due_us(self) -> int | None:
        o = tables.outbox
        async with self.engine.connect() as conn:
            value = await conn.scalar(sa.select(sa.func.min(o.c.next_attempt_at_us))
                                      .where(o.c.status == "PENDING"))
        return None if value is None else int(value)

    async def mark_delivered(self, delivery_id: str, status_code: int) -> None:
        o = tables.outbox
        async with self._write() as conn:
            await conn.execute(o.update().where(o.c.id == delivery_id).values(
                status="DELIVERED", attempts=o.c.attempts + 1, delivered_at_us=now_us(),
                last_status_code=status_code, last_error=None, claimed_until_us=0))

    async def mark_failed(self, delivery_id: str, *, error: str, status_code: int | None,
                          retry_at_us: int | None) -> None:
        """One more failed attempt: retried at ``retry_at_us``, or dead-lettered (None)."""
        o = tables.outbox
        values: dict[str, Any] = {"attempts": o.c.attempts + 1, "last_error": error[:500],
                                  "last_status_code": status_code, "claimed_until_us": 0}
        if retry_at_us is None:
            values["status"] = "DEAD_LETTERED"
        else:
            values["next_attempt_at_us"] = retry_at_us
        async with self._write() as conn:
            await conn.execute(o.update().where(o.c.id == delivery_id).values(**values))

    async def deliveries(self, *, status: str | None = None, webhook_id: str | None = None,
                         limit: int = 100) -> list[Delivery]:
        o = tables.outbox
        query = sa.select(o)
        if status is not None:
            query = query.where(o.c.status == status)
        if webhook_id is not None:
            query = query.where(o.c.webhook_id == webhook_id)
        query = query.order_by(o.c.created_at_us.desc()).limit(limit)
        async with self.engine.connect() as conn:
            return [_delivery(r) for r in (await conn.execute(query)).all()]


def _delivery(r: Any) -> Delivery:
    return Delivery(r.id, r.webhook_id, r.product_id, int(r.seq), r.payload, r.status,
                    int(r.attempts), int(r.next_attempt_at_us), r.last_error,
                    r.last_status_code, int(r.created_at_us),
                    None if r.delivered_at_us is None else int(r.delivered_at_us))


def _sqlite_pragmas(dbapi_connection: Any, _: Any) -> None:
    cursor = dbapi_connection.cursor()
    # WAL: readers never wait for the writer; NORMAL sync is durable across a process
    # kill (the case that matters: an outbox row survives SIGKILL).
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()

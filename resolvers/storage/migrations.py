"""Versioned migrations: an ordered list of steps, each applied once, recorded in
``schema_version``. Start-up applies the missing ones in one transaction; on PostgreSQL an
advisory lock makes instances starting together take turns (the second sees the first's
versions and applies nothing).

A step is a function of a synchronous SQLAlchemy connection (run through
``AsyncConnection.run_sync``), so it can use Core DDL that renders right on both
databases, or plain SQL. Never edit a released step: append a new one.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from resolvers.storage import tables

Step = Callable[[sa.Connection], None]

#: An arbitrary, fixed key for ``pg_advisory_xact_lock``.
_MIGRATION_LOCK = 1_704_170_017


def _v1_watch_tables(conn: sa.Connection) -> None:
    for table in (tables.snapshots, tables.changes, tables.webhooks, tables.outbox):
        table.create(conn)


MIGRATIONS: list[tuple[int, str, Step]] = [
    (1, "snapshots, changes, webhooks, outbox", _v1_watch_tables),
]


def _apply(conn: sa.Connection) -> list[int]:
    if conn.dialect.name == "postgresql":
        conn.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": _MIGRATION_LOCK})
    tables.schema_version.create(conn, checkfirst=True)
    done = set(conn.execute(sa.select(tables.schema_version.c.version)).scalars())
    applied = []
    for version, _, step in MIGRATIONS:
        if version in done:
            continue
        step(conn)
        conn.execute(tables.schema_version.insert().values(
            version=version, applied_at_us=int(time.time() * 1_000_000)))
        applied.append(version)
    return applied


async def migrate(engine: AsyncEngine) -> list[int]:
    """Apply every missing migration; the versions applied now."""
    async with engine.begin() as conn:
        return await conn.run_sync(_apply)


def latest_version() -> int:
    return MIGRATIONS[-1][0]

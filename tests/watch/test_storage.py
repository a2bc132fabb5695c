"""The watch database, on SQLite and on PostgreSQL: migrations, sequence numbers,
history, resume and the outbox's life."""

from __future__ import annotations

import asyncio
import json

import pytest

from resolvers.storage import WatchStore, now_us
from resolvers.storage.migrations import latest_version, migrate
from resolvers.watch.events import WatchedField, WatchedState


def state(price: str, stock: int, title: str = "T") -> WatchedState:
    return WatchedState(title=title, status="ON_SALE", available=stock > 0,
                        prices={"": price, "sku1": price}, stock={"sku1": stock})


@pytest.fixture
async def store(database_url: str):
    opened = WatchStore(database_url)
    await opened.open()
    yield opened
    await opened.aclose()


async def test_migrations_apply_once(store: WatchStore) -> None:
    assert await migrate(store.engine) == []  # applied by open(); nothing left
    assert latest_version() >= 1


async def test_a_baseline_then_changes_with_monotonic_sequence(store: WatchStore) -> None:
    assert await store.observe("taobao_1", state("10.00", 5), now_us()) is None
    assert await store.observe("taobao_1", state("10.00", 5), now_us()) is None
    first = await store.observe("taobao_1", state("9.00", 5), now_us())
    second = await store.observe("taobao_1", state("9.00", 0), now_us())
    assert first is not None and second is not None
    assert (first.seq, second.seq) == (1, 2)
    assert {(c.field, c.variant_id, c.old, c.new) for c in first.changes} == {
        (WatchedField.PRICE, "", "10.00", "9.00"), (WatchedField.PRICE, "sku1", "10.00", "9.00")}
    assert {c.field for c in second.changes} == {WatchedField.STOCK, WatchedField.AVAILABILITY}
    replay = await store.events_after(["taobao_1"], 1)
    assert [e.seq for e in replay] == [2]
    assert replay[0].changes == second.changes


async def test_concurrent_observers_never_share_a_sequence_number(store: WatchStore) -> None:
    await store.observe("taobao_2", state("1.00", 1), now_us())
    await asyncio.gather(*(store.observe("taobao_2", state(f"{p}.00", 1), now_us())
                           for p in range(2, 12)))
    seqs = [e.seq for e in await store.events_after(["taobao_2"], 0)]
    assert seqs == sorted(set(seqs)) and seqs[0] == 1 and len(seqs) >= 1
    assert await store.last_seq("taobao_2") == seqs[-1]


async def test_price_history_per_variant_between_times(store: WatchStore) -> None:
    await store.observe("taobao_3", state("10.00", 5), now_us())
    await store.observe("taobao_3", state("11.00", 5), 2_000_000_000_000_000)
    await store.observe("taobao_3", state("12.00", 5), 3_000_000_000_000_000)
    points = await store.history("taobao_3", WatchedField.PRICE, since_us=None,
                                 until_us=None, variant_id="sku1")
    assert [(p.old, p.new) for p in points] == [("10.00", "11.00"), ("11.00", "12.00")]
    later = await store.history("taobao_3", WatchedField.PRICE,
                                since_us=2_500_000_000_000_000, until_us=None)
    assert {p.new for p in later} == {"12.00"}


async def test_outbox_rows_written_with_the_event_and_their_life(store: WatchStore) -> None:
    hook = await store.add_webhook("https://example.com/hook", ["taobao_4"],
                                   [WatchedField.PRICE], None)
    assert "whsec_" not in repr(hook)
    await store.observe("taobao_4", state("10.00", 5), now_us())

    def outbox_for(event, hooks):
        return [(h.id, json.dumps(event.as_json())) for h in hooks]

    event = await store.observe("taobao_4", state("9.50", 5), now_us(), outbox_for)
    assert event is not None
    [claimed] = await store.claim_due(10, hold_s=30)
    assert claimed.webhook_id == hook.id and json.loads(claimed.payload)["sequence"] == 1
    assert await store.claim_due(10, hold_s=30) == []  # held by the first claim
    await store.mark_failed(claimed.id, error="HTTP 500", status_code=500, retry_at_us=0)
    [again] = await store.claim_due(10, hold_s=30)
    assert again.attempts == 1
    await store.mark_failed(again.id, error="HTTP 500", status_code=500, retry_at_us=None)
    [dead] = await store.deliveries(status="DEAD_LETTERED")
    assert dead.attempts == 2 and dead.last_status_code == 500
    assert await store.claim_due(10, hold_s=30) == []

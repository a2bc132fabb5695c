"""``ProductFetcher`` (resolvers/fetcher.py) over an in-test adapter and the real
``PartCache`` on ``LruMemoryCache``, on a fake clock: single flight, batching across
requests, cancel accounting, errors, the negative cache and stale-while-revalidate.

Events order what the adapter sees; ``asyncio.sleep(0)`` appears only where the fetcher's
contract is "on the loop's next turn" (it flushes its batches with ``loop.call_soon``)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable
from typing import TypeVar

import pytest

from channels.base import ChannelRegistry
from channels.errors import InvalidId, NotFound, UpstreamError
from channels.model import Channel, Part, ProductRecord
from resolvers.fetcher import ProductFetcher
from resolvers.part_cache import LruMemoryCache, PartCache
from tests.channels.fake_clock import FakeClock
from tests.resolvers.fake_adapter import FakeAdapter, title, title_of

TAOBAO = Channel.TAOBAO
CORE = frozenset({Part.CORE})
TTL_S = 10.0
MAX_AGE_S = 100.0
NOT_FOUND_TTL_S = 30.0
#: Not a timing assertion: a bound on waits that would never end if the fetcher broke its
#: contract (an answer that waited for a held refresh, a batch nobody cancels), so that
#: such a test fails instead of hanging the run.
HANG_GUARD_S = 10.0

T = TypeVar("T")


async def within(awaitable: Awaitable[T]) -> T:
    async with asyncio.timeout(HANG_GUARD_S):
        return await awaitable


async def happens(event: asyncio.Event) -> None:
    await within(event.wait())


async def settle(fetcher: ProductFetcher) -> None:
    """Let every batch registered so far run to its end. ``drain`` waits for the batches
    that have started; one registered this turn starts on the next (``call_soon``)."""
    await asyncio.sleep(0)
    await fetcher.drain()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def adapter() -> FakeAdapter:
    return FakeAdapter(batch_limit=20)


@pytest.fixture
def cache(clock: FakeClock) -> PartCache:
    return PartCache(LruMemoryCache(1000), ttl_s=dict.fromkeys(Part, TTL_S),
                     max_age_s=dict.fromkeys(Part, MAX_AGE_S),
                     not_found_ttl_s=NOT_FOUND_TTL_S, clock=clock)


@pytest.fixture
async def fetcher(adapter: FakeAdapter, cache: PartCache) -> AsyncIterator[ProductFetcher]:
    fetcher = ProductFetcher(ChannelRegistry([adapter]), cache)
    yield fetcher
    await fetcher.aclose()


# -- single flight ---------------------------------------------------------------------

async def test_concurrent_fetches_of_one_key_cost_one_call_and_all_get_the_answer(
        fetcher: ProductFetcher, adapter: FakeAdapter) -> None:
    release = adapter.hold()
    waiters = [asyncio.create_task(fetcher.fetch(TAOBAO, {"7": CORE})) for _ in range(50)]
    await happens(adapter.started)
    # One more arrives while the call is under way: it joins it too.
    late = asyncio.create_task(fetcher.fetch(TAOBAO, {"7": CORE}))
    await asyncio.sleep(0)   # a new task takes its first step on the next loop turn
    assert fetcher.in_flight == 1
    release.set()
    answers = await within(asyncio.gather(*waiters, late))
    assert {title_of(a["7"]) for a in answers} == {title("7", 1)}
    assert len(adapter.calls) == 1
    assert fetcher.in_flight == 0


async def test_ids_asked_in_two_spellings_are_one_key(
        fetcher: ProductFetcher, adapter: FakeAdapter) -> None:
    answers = await fetcher.fetch(TAOBAO, {"7": CORE, "0007": CORE})
    assert [c.ids for c in adapter.calls] == [("7",)]
    assert title_of(answers["7"]) == title_of(answers["0007"]) == title("7", 1)


# -- batching across requests ----------------------------------------------------------

async def test_keys_of_one_loop_turn_are_split_by_the_batch_limit_with_the_union_of_parts(
        fetcher: ProductFetcher, adapter: FakeAdapter) -> None:
    ids = [str(n) for n in range(1, 46)]
    # Three callers in the same turn, each with its own ids and parts.
    asked = {
        **{i: frozenset({Part.CORE}) for i in ids[:15]},
        **{i: frozenset({Part.CORE, Part.MEDIA}) for i in ids[15:30]},
        **{i: frozenset({Part.VARIANTS}) for i in ids[30:]},
    }
    callers = [ids[:15], ids[15:30], ids[30:]]
    answers = await within(asyncio.gather(*(
        fetcher.fetch(TAOBAO, {i: asked[i] for i in mine}) for mine in callers)))

    assert sorted(len(c.ids) for c in adapter.calls) == [5, 20, 20]
    assert sorted(i for c in adapter.calls for i in c.ids) == sorted(ids)   # each id once
    for call in adapter.calls:
        assert call.parts == frozenset().union(*(asked[i] for i in call.ids)), call
    # Each caller gets exactly the parts it asked for, whatever else its batch carried.
    for mine, got in zip(callers, answers, strict=True):
        for i in mine:
            answer = got[i]
            assert isinstance(answer, ProductRecord)
            assert answer.loaded_parts() == asked[i], (i, answer)


async def test_keys_registered_after_the_flush_start_their_own_batch(
        fetcher: ProductFetcher, adapter: FakeAdapter) -> None:
    release = adapter.hold()
    first = asyncio.create_task(fetcher.fetch(TAOBAO, {"1": CORE}))
    await happens(adapter.started)
    adapter.started.clear()
    second = asyncio.create_task(fetcher.fetch(TAOBAO, {"2": CORE}))
    await happens(adapter.started)
    assert [c.ids for c in adapter.calls] == [("1",), ("2",)]
    release.set()
    assert title_of((await within(first))["1"]) == title("1", 1)
    assert title_of((await within(second))["2"]) == title("2", 2)


# -- cancel accounting -----------------------------------------------------------------

async def test_a_cancelled_waiter_of_a_key_leaves_its_call_to_the_other_waiter(
        fetcher: ProductFetcher, adapter: FakeAdapter) -> None:
    release = adapter.hold()
    leaving = asyncio.create_task(fetcher.fetch(TAOBAO, {"7": CORE}))
    staying = asyncio.create_task(fetcher.fetch(TAOBAO, {"7": CORE}))
    await happens(adapter.started)
    leaving.cancel()
    with pytest.raises(asyncio.CancelledError):
        await leaving
    assert fetcher.in_flight == 1
    release.set()
    assert title_of((await within(staying))["7"]) == title("7", 1)
    assert not adapter.cancelled.is_set()
    assert len(adapter.calls) == 1


async def test_a_batch_still_answers_its_other_ids_when_one_requester_leaves(
        fetcher: ProductFetcher, adapter: FakeAdapter) -> None:
    release = adapter.hold()
    leaving = asyncio.create_task(fetcher.fetch(TAOBAO, {"1": CORE}))
    staying = asyncio.create_task(fetcher.fetch(TAOBAO, {"2": CORE}))
    await happens(adapter.started)
    assert [c.ids for c in adapter.calls] == [("1", "2")]   # one batch for both
    leaving.cancel()
    with pytest.raises(asyncio.CancelledError):
        await leaving
    release.set()
    assert title_of((await within(staying))["2"]) == title("2", 1)
    assert not adapter.cancelled.is_set()


async def test_when_the_last_waiter_leaves_the_call_is_cancelled_and_the_key_freed(
        fetcher: ProductFetcher, adapter: FakeAdapter) -> None:
    adapter.hold()   # never released: a hung upstream
    waiters = [asyncio.create_task(fetcher.fetch(TAOBAO, {"7": CORE})) for _ in range(2)]
    await happens(adapter.started)
    for waiter in waiters:
        waiter.cancel()
        with pytest.raises(asyncio.CancelledError):
            await waiter
    await happens(adapter.cancelled)   # the adapter's call itself was cancelled
    await fetcher.drain()
    assert fetcher.in_flight == 0

    adapter.gate = None
    again = await within(fetcher.fetch(TAOBAO, {"7": CORE}))
    assert title_of(again["7"]) == title("7", 2)   # a fresh call, nothing left behind
    assert len(adapter.calls) == 2


# -- errors ----------------------------------------------------------------------------

async def test_an_adapter_that_raises_gives_each_id_an_upstream_error_and_caches_nothing(
        fetcher: ProductFetcher, adapter: FakeAdapter, cache: PartCache,
        caplog: pytest.LogCaptureFixture) -> None:
    adapter.raises = KeyError("bug in a mapping function")
    answers = await fetcher.fetch(TAOBAO, {"1": CORE, "2": CORE})
    for answer in answers.values():
        assert isinstance(answer, UpstreamError)
        assert answer.channel is TAOBAO
        assert "KeyError" in answer.message
    assert any(r.name == "productgraph.fetcher" and r.levelno == logging.ERROR
               for r in caplog.records)
    assert len(cache.backend) == 0

    adapter.raises = None
    answers = await fetcher.fetch(TAOBAO, {"1": CORE, "2": CORE})
    assert title_of(answers["1"]) == title("1", 2)   # asked again: nothing was remembered
    assert len(adapter.calls) == 2


async def test_an_id_the_adapter_refuses_costs_no_call(
        fetcher: ProductFetcher, adapter: FakeAdapter) -> None:
    answers = await fetcher.fetch(TAOBAO, {"abc": CORE, "1": CORE})
    assert isinstance(answers["abc"], InvalidId)
    assert title_of(answers["1"]) == title("1", 1)
    assert [c.ids for c in adapter.calls] == [("1",)]


async def test_not_found_is_remembered_for_its_ttl_then_asked_again(
        fetcher: ProductFetcher, adapter: FakeAdapter, clock: FakeClock) -> None:
    adapter.missing = {"404"}
    first = (await fetcher.fetch(TAOBAO, {"404": CORE}))["404"]
    await fetcher.drain()
    assert isinstance(first, NotFound)
    clock.advance(NOT_FOUND_TTL_S - 1)
    second = (await fetcher.fetch(TAOBAO, {"404": CORE}))["404"]
    assert isinstance(second, NotFound)
    assert second.message == first.message
    assert len(adapter.calls) == 1
    clock.advance(1)
    assert isinstance((await fetcher.fetch(TAOBAO, {"404": CORE}))["404"], NotFound)
    assert len(adapter.calls) == 2


# -- stale-while-revalidate ------------------------------------------------------------

async def test_stale_is_served_at_once_while_one_refresh_runs(
        fetcher: ProductFetcher, adapter: FakeAdapter, clock: FakeClock) -> None:
    await fetcher.fetch(TAOBAO, {"7": CORE})
    await fetcher.drain()                   # the answer is in the cache
    clock.advance(TTL_S + 1)                # past the TTL, within the max age
    release = adapter.hold()                # the refresh hangs until released
    adapter.started.clear()

    # The refresh is held open meanwhile: an answer that waited for it would never come.
    stale = [await within(fetcher.fetch(TAOBAO, {"7": CORE})) for _ in range(3)]
    assert {title_of(a["7"]) for a in stale} == {title("7", 1)}
    assert fetcher.refreshes_started == 1   # one refresh for three stale answers
    await happens(adapter.started)
    assert len(adapter.calls) == 2

    release.set()
    await fetcher.drain()
    fresh = await fetcher.fetch(TAOBAO, {"7": CORE})
    assert title_of(fresh["7"]) == title("7", 2)
    assert len(adapter.calls) == 2          # the refresh filled the cache
    assert fetcher.refreshes_started == 1


async def test_a_failed_refresh_keeps_the_stale_part_served(
        fetcher: ProductFetcher, adapter: FakeAdapter, clock: FakeClock) -> None:
    await fetcher.fetch(TAOBAO, {"7": CORE})
    await fetcher.drain()
    clock.advance(TTL_S + 1)
    adapter.raises = ConnectionResetError("the marketplace is down")
    for attempt in (1, 2):
        answer = await fetcher.fetch(TAOBAO, {"7": CORE})
        assert title_of(answer["7"]) == title("7", 1)
        await settle(fetcher)
        assert fetcher.refreshes_started == attempt   # each failed, the next is tried
        assert len(adapter.calls) == 1 + attempt


async def test_past_max_age_the_part_is_a_miss_and_is_fetched(
        fetcher: ProductFetcher, adapter: FakeAdapter, clock: FakeClock) -> None:
    await fetcher.fetch(TAOBAO, {"7": CORE})
    await fetcher.drain()
    clock.advance(MAX_AGE_S)
    answer = await fetcher.fetch(TAOBAO, {"7": CORE})
    assert title_of(answer["7"]) == title("7", 2)
    assert fetcher.refreshes_started == 0
    assert len(adapter.calls) == 2


# -- the cached() fast path ------------------------------------------------------------

async def test_cached_answers_fresh_entries_without_awaiting_and_none_otherwise(
        fetcher: ProductFetcher, adapter: FakeAdapter, clock: FakeClock) -> None:
    both = frozenset({Part.CORE, Part.MEDIA})
    assert fetcher.cached(TAOBAO, "7", CORE) is None              # cold
    await fetcher.fetch(TAOBAO, {"7": both, "8": frozenset({Part.CATALOG})})
    adapter.missing = {"404"}
    await fetcher.fetch(TAOBAO, {"404": CORE})
    await fetcher.drain()

    hit = fetcher.cached(TAOBAO, "0007", both)                     # canonicalized id
    assert isinstance(hit, ProductRecord)
    assert hit.loaded_parts() == both and title_of(hit) == title("7", 1)
    empty = fetcher.cached(TAOBAO, "8", frozenset({Part.CATALOG}))
    assert empty is not None and empty.catalog is None and empty.has(Part.CATALOG)
    assert fetcher.cached(TAOBAO, "7", both | {Part.VARIANTS}) is None   # a part missing
    assert fetcher.cached(TAOBAO, "404", CORE) is None            # "not found" goes to fetch
    assert fetcher.cached(TAOBAO, "abc", CORE) is None            # an id the adapter refuses
    assert fetcher.cached(Channel.WEIDIAN, "7", CORE) is None     # no adapter for it
    clock.advance(TTL_S)
    assert fetcher.cached(TAOBAO, "7", CORE) is None              # stale: fetch refreshes
    assert len(adapter.calls) == 2


async def test_cached_answers_each_refresh_and_counts_and_notes_every_lookup(
        fetcher: ProductFetcher, adapter: FakeAdapter, clock: FakeClock) -> None:
    """Asked again and again, ``cached`` counts a hit per part and notes the freshness
    left every time, and answers what a refresh stored as soon as it is stored."""
    from resolvers.freshness import Freshness, tracking
    from resolvers.part_cache import CACHE_REQUESTS

    both = frozenset({Part.CORE, Part.MEDIA})
    await fetcher.fetch(TAOBAO, {"7": both})
    await fetcher.drain()
    hits = CACHE_REQUESTS.labels(Part.CORE.value, "hit")
    counted = hits.value
    for elapsed in (1.0, 2.0, 3.0):
        clock.advance(1.0)
        with tracking(Freshness(3600.0)) as freshness:
            assert title_of(fetcher.cached(TAOBAO, "7", both)) == title("7", 1)
        assert freshness.fresh_for == pytest.approx(TTL_S - elapsed)
    assert hits.value == counted + 3
    clock.advance(TTL_S)                       # stale: refreshed by the next fetch
    assert fetcher.cached(TAOBAO, "7", both) is None
    await fetcher.fetch(TAOBAO, {"7": both})
    await fetcher.drain()
    assert title_of(fetcher.cached(TAOBAO, "7", both)) == title("7", 2)


async def test_without_a_cache_every_fetch_calls_and_cached_is_none(
        adapter: FakeAdapter) -> None:
    fetcher = ProductFetcher(ChannelRegistry([adapter]), cache=None)
    for version in (1, 2):
        assert title_of((await fetcher.fetch(TAOBAO, {"7": CORE}))["7"]) == title("7", version)
    assert fetcher.cached(TAOBAO, "7", CORE) is None
    await fetcher.aclose()

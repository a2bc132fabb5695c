"""resolvers/freshness.py: a request's tracker sees only its own reads, only lowers, and
nothing is noted without one."""

from __future__ import annotations

import asyncio
import time

from resolvers.freshness import Freshness, current, note_fresh_for, note_uncacheable, tracking
from resolvers.rates import RateBook


def test_notes_only_lower_and_stale_or_refused_is_uncacheable() -> None:
    freshness = Freshness(3600)
    with tracking(freshness):
        note_fresh_for(60)
        note_fresh_for(600)
        assert freshness.fresh_for == 60 and freshness.cacheable
        note_fresh_for(0)
        assert not freshness.cacheable and freshness.uncacheable == "stale data"
        note_uncacheable("shopProducts")
        assert freshness.uncacheable == "stale data"     # the first reason is kept
    assert current() is None
    note_uncacheable("nobody is tracking")                # no tracker: nothing happens


async def test_concurrent_requests_never_see_each_others_reads() -> None:
    async def request(reads: list[float], refuse: bool) -> Freshness:
        with tracking(Freshness(3600)) as freshness:
            for remaining in reads:
                await asyncio.sleep(0)
                note_fresh_for(remaining)
            # A task the request starts (its dataloader's batch) notes into its tracker.
            await asyncio.get_running_loop().create_task(_child(refuse))
            return freshness

    one, two = await asyncio.gather(request([50, 40], True), request([500], False))
    assert one.fresh_for == 40 and one.uncacheable == "child"
    assert two.fresh_for == 500 and two.cacheable


async def _child(refuse: bool) -> None:
    if refuse:
        note_uncacheable("child")


def test_rates_with_a_url_are_fresh_until_their_next_refresh() -> None:
    fixed = RateBook()
    with tracking(Freshness(3600)) as bundled:
        fixed.current()
    assert bundled.fresh_for == 3600                  # the bundled table never changes
    refreshed = RateBook(url="http://127.0.0.1:9/rates.xml")
    with tracking(Freshness(3600)) as before_refresh:
        refreshed.current()
    assert not before_refresh.cacheable               # not refreshed yet
    refreshed.next_refresh_at = time.monotonic() + 100
    with tracking(Freshness(3600)) as after:
        refreshed.current()
    assert 0 < after.fresh_for <= 100

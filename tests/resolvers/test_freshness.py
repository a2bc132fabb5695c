"""resolvers/freshness.py: a request's tracker sees only its own reads, only lowers, and
nothing is noted without one."""

from __future__ import annotations

import asyncio

from resolvers.freshness import Freshness, current, note_fresh_for, note_uncacheable, tracking


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

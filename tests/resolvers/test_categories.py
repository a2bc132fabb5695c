"""CategoryFetcher: one upstream call per loop-turn batch of missing ids, single flight,
paths in waves of parents, a day's cache with stale-while-revalidate, errors not cached."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import pytest

from channels.base import ChannelRegistry
from channels.errors import UpstreamError
from channels.model import Category, Channel, Part
from resolvers.categories import CategoryFetcher
from resolvers.freshness import Freshness, tracking
from resolvers.part_cache import LruMemoryCache, PartCache

TREE = {
    "16": Category("16", "女装/女士精品", parent_id="0", is_leaf=False),
    "50000436": Category("50000436", "T恤", parent_id="16", is_leaf=True),
    "162103": Category("162103", "毛衣", parent_id="16", is_leaf=True),
    "30": Category("30", "男装", parent_id="0", is_leaf=False),
    "50011123": Category("50011123", "衬衫", parent_id="30", is_leaf=True),
}


class FakeTree:
    """A TOP-like adapter with only the category tree; records its calls."""

    channels = (Channel.TAOBAO, Channel.TMALL)
    batch_limit = 20
    parts_per_call = frozenset(Part)
    category_batch_limit = 2

    def __init__(self) -> None:
        self.calls: list[list[str]] = []
        self.fail = False

    def validate_source_id(self, channel: Channel, source_id: str) -> str:
        return source_id

    async def fetch(self, channel, source_ids, parts):  # type: ignore[no-untyped-def]
        raise NotImplementedError

    async def fetch_categories(self, ids: Sequence[str]) -> dict[str, Category]:
        self.calls.append(list(ids))
        await asyncio.sleep(0)
        if self.fail:
            raise UpstreamError("down", channel=Channel.TAOBAO, retryable=True)
        return {i: TREE[i] for i in ids if i in TREE}

    async def fetch_child_categories(self, parent_id: str) -> list[Category]:
        self.calls.append([f"children:{parent_id}"])
        return [c for c in TREE.values() if c.parent_id == parent_id]

    async def aclose(self) -> None:
        pass


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def tree() -> FakeTree:
    return FakeTree()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def fetcher(tree: FakeTree, clock: Clock) -> CategoryFetcher:
    cache = PartCache(LruMemoryCache(1000), timeout_s=None, clock=clock)
    return CategoryFetcher(ChannelRegistry([tree]), cache, clock=clock)  # type: ignore[list-item]


async def test_concurrent_paths_cost_one_call_per_wave(fetcher: CategoryFetcher,
                                                       tree: FakeTree) -> None:
    tree.category_batch_limit = 999
    paths = await asyncio.gather(
        fetcher.path(Channel.TAOBAO, "50000436"), fetcher.path(Channel.TMALL, "162103"),
        fetcher.path(Channel.TAOBAO, "50011123"), fetcher.path(Channel.TAOBAO, "50000436"))
    assert [[c.name for c in p or ()] for p in paths] == [
        ["女装/女士精品", "T恤"], ["女装/女士精品", "毛衣"], ["男装", "衬衫"],
        ["女装/女士精品", "T恤"]]
    # Wave 1: the three leaves (Taobao and Tmall share the tree); wave 2: both parents.
    assert [sorted(c) for c in tree.calls] == [["162103", "50000436", "50011123"],
                                               ["16", "30"]]
    tree.calls.clear()
    assert (await fetcher.path(Channel.TMALL, "50011123")) == (TREE["30"], TREE["50011123"])
    assert tree.calls == []  # warm: no call


async def test_a_batch_is_split_by_the_call_limit(fetcher: CategoryFetcher,
                                                  tree: FakeTree) -> None:
    found = await fetcher.categories(Channel.TAOBAO, ["16", "30", "50000436", "404"])
    assert found["404"] is None and found["16"] == TREE["16"]
    assert [len(c) for c in tree.calls] == [2, 2]
    tree.calls.clear()
    assert (await fetcher.category(Channel.TAOBAO, "404")) is None
    assert tree.calls == []  # "unknown" is cached too


async def test_errors_are_raised_and_not_cached(fetcher: CategoryFetcher,
                                                tree: FakeTree) -> None:
    tree.fail = True
    with pytest.raises(UpstreamError):
        await fetcher.category(Channel.TAOBAO, "16")
    tree.fail = False
    assert (await fetcher.category(Channel.TAOBAO, "16")) == TREE["16"]
    assert len(tree.calls) == 2


async def test_stale_names_are_served_and_refreshed_once(fetcher: CategoryFetcher,
                                                         tree: FakeTree, clock: Clock) -> None:
    await fetcher.category(Channel.TAOBAO, "16")
    clock.now += 86400 + 1  # past a day: stale
    tree.fail = True
    assert (await fetcher.category(Channel.TAOBAO, "16")) == TREE["16"]  # served at once
    assert (await fetcher.category(Channel.TAOBAO, "16")) == TREE["16"]
    await asyncio.sleep(0.01)
    assert fetcher.refreshes_started >= 1
    assert len(tree.calls) <= 3  # one refresh in flight at a time, failing: stale kept
    assert (await fetcher.category(Channel.TAOBAO, "16")) == TREE["16"]
    clock.now += 7 * 86400  # past a week: gone
    with pytest.raises(UpstreamError):
        await fetcher.category(Channel.TAOBAO, "16")


async def test_children_cache_their_nodes(fetcher: CategoryFetcher, tree: FakeTree) -> None:
    roots = await fetcher.children(Channel.TAOBAO, "0")
    assert [c.id for c in roots] == ["16", "30"]
    kids = await fetcher.children(Channel.TAOBAO, "16")
    assert [c.name for c in kids] == ["T恤", "毛衣"]
    tree.calls.clear()
    assert (await fetcher.path(Channel.TAOBAO, "162103")) == (TREE["16"], TREE["162103"])
    assert await fetcher.children(Channel.TAOBAO, "16") == kids
    assert tree.calls == []


async def test_no_cache_still_single_flights(tree: FakeTree) -> None:
    fetcher = CategoryFetcher(ChannelRegistry([tree]))  # type: ignore[list-item]
    await asyncio.gather(*(fetcher.category(Channel.TAOBAO, "16") for _ in range(50)))
    assert tree.calls == [["16"]]


async def test_a_request_reading_names_is_fresh_for_what_is_left_of_them(
        fetcher: CategoryFetcher, tree: FakeTree, clock: Clock) -> None:
    with tracking(Freshness(1e9)) as fetched:
        await fetcher.category(Channel.TAOBAO, "16")
    assert fetched.fresh_for == fetcher.ttl_s          # just fetched: its whole TTL
    clock.now += 100
    with tracking(Freshness(1e9)) as cached:
        await fetcher.category(Channel.TAOBAO, "16")
    assert cached.fresh_for == fetcher.ttl_s - 100 and cached.cacheable
    clock.now += fetcher.ttl_s                         # stale: served while it refreshes
    with tracking(Freshness(1e9)) as stale:
        await fetcher.category(Channel.TAOBAO, "16")
    assert not stale.cacheable

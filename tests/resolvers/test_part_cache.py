"""``PartCache`` (resolvers/part_cache.py) on a fake clock: each part's TTL and max age,
the LRU bound of the in-process backend, the synchronous ``peek_fresh`` and its counting,
"loaded, empty" and "not found" entries, and a backend that fails is bypassed, never
raised."""

from __future__ import annotations

import logging
from collections.abc import Sequence

import pytest
from prometheus_client import REGISTRY

from channels.model import Channel, Description, Image, ImageKind, Media, Part
from resolvers.part_cache import Lookup, LruMemoryCache, PartCache, redis_cache
from tests.channels.fake_clock import FakeClock
from tests.processes import free_port

TAOBAO = Channel.TAOBAO
MEDIA = Media(images=(Image("https://img.example/1.jpg", ImageKind.MAIN, 0),))
DESCRIPTION = Description(html="<p>cotton</p>")


def key(source_id: str, part: Part = Part.MEDIA) -> tuple[Channel, str, Part]:
    return (TAOBAO, source_id, part)


def counted(part: Part, result: str) -> float:
    return REGISTRY.get_sample_value("productgraph_cache_requests_total",
                                     {"part": part.value, "result": result}) or 0.0


def state(lookup: Lookup) -> str:
    return "gone" if lookup.entry is None else "stale" if lookup.stale else "fresh"


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def memory_cache(clock: FakeClock, max_entries: int = 100, **options: object) -> PartCache:
    return PartCache(LruMemoryCache(max_entries), clock=clock, **options)  # type: ignore[arg-type]


async def test_each_part_is_fresh_then_stale_then_gone_by_its_own_ttl_and_max_age(
        clock: FakeClock) -> None:
    cache = memory_cache(clock, ttl_s={**dict.fromkeys(Part, 600.0), Part.MEDIA: 10.0},
                         max_age_s={**dict.fromkeys(Part, 900.0), Part.MEDIA: 50.0})
    await cache.put_many({key("1", Part.MEDIA): MEDIA, key("1", Part.DESCRIPTION): DESCRIPTION})
    keys = [key("1", Part.MEDIA), key("1", Part.DESCRIPTION)]
    for age, expected in ((0, ["fresh", "fresh"]), (9.9, ["fresh", "fresh"]),
                          (10, ["stale", "fresh"]), (49.9, ["stale", "fresh"]),
                          (50, ["gone", "fresh"]), (600, ["gone", "stale"]),
                          (900, ["gone", "gone"])):
        clock.now = 1000.0 + age
        lookups = await cache.get_many(keys)
        assert [state(lookup) for lookup in lookups] == expected, age
        if expected[1] != "gone":
            assert lookups[1].entry is not None and lookups[1].entry.value == DESCRIPTION


async def test_a_max_age_below_the_ttl_never_cuts_the_ttl_short(clock: FakeClock) -> None:
    cache = memory_cache(clock, ttl_s=dict.fromkeys(Part, 60.0),
                         max_age_s=dict.fromkeys(Part, 5.0))
    await cache.put_many({key("1"): MEDIA})
    clock.advance(59)
    assert [state(lookup) for lookup in await cache.get_many([key("1")])] == ["fresh"]
    clock.advance(1)
    assert [state(lookup) for lookup in await cache.get_many([key("1")])] == ["gone"]


async def test_the_memory_backend_is_bounded_and_evicts_the_least_recently_used(
        clock: FakeClock) -> None:
    cache = memory_cache(clock, max_entries=3)
    for source_id in ("a", "b", "c"):
        await cache.put_many({key(source_id): MEDIA})
    await cache.get_many([key("a")])             # a is used again before d pushes b out
    await cache.put_many({key("d"): MEDIA})
    assert len(cache.backend) == 3
    found = await cache.get_many([key(s) for s in ("a", "b", "c", "d")])
    assert [state(lookup) for lookup in found] == ["fresh", "gone", "fresh", "fresh"]


def test_the_bound_must_hold_at_least_one_entry() -> None:
    with pytest.raises(ValueError, match="max_entries"):
        LruMemoryCache(0)


async def test_peek_fresh_answers_only_when_every_part_is_fresh_and_counts_only_then(
        clock: FakeClock) -> None:
    cache = memory_cache(clock, ttl_s=dict.fromkeys(Part, 10.0))
    await cache.put_many({key("1", Part.MEDIA): MEDIA,
                          key("1", Part.DESCRIPTION): DESCRIPTION})
    await cache.put_not_found([key("404")], "taobao_404 does not exist")
    keys = [key("1", Part.MEDIA), key("1", Part.DESCRIPTION)]
    hits = {p: counted(p, "hit") for p in Part}

    assert cache.peek_fresh(keys) == [MEDIA, DESCRIPTION]
    assert counted(Part.MEDIA, "hit") - hits[Part.MEDIA] == 1
    assert counted(Part.DESCRIPTION, "hit") - hits[Part.DESCRIPTION] == 1

    before = {(p, r): counted(p, r) for p in Part for r in ("hit", "stale", "miss")}
    assert cache.peek_fresh([*keys, key("1", Part.VARIANTS)]) is None   # one part missing
    assert cache.peek_fresh([key("404")]) is None                        # "not found"
    clock.advance(10)
    assert cache.peek_fresh(keys) is None                                # stale
    assert {(p, r): counted(p, r) for p, r in before} == before          # nothing counted


async def test_peek_fresh_is_none_with_a_backend_that_must_be_awaited(clock: FakeClock) -> None:
    cache = PartCache(redis_cache(f"redis://127.0.0.1:{free_port()}/0", timeout_s=1.0),
                      timeout_s=1.0, clock=clock)
    assert cache.peek_fresh([key("1")]) is None
    await cache.aclose()


async def test_a_part_loaded_empty_reads_back_as_empty_not_as_a_miss(clock: FakeClock) -> None:
    cache = memory_cache(clock)
    await cache.put_many({key("1", Part.CATALOG): None})   # a Taobao item with no SPU
    [lookup] = await cache.get_many([key("1", Part.CATALOG)])
    assert lookup.entry is not None and not lookup.stale
    assert lookup.entry.value is None and lookup.entry.missing is None
    assert cache.peek_fresh([key("1", Part.CATALOG)]) == [None]


async def test_not_found_is_an_entry_for_its_own_ttl_and_none_when_that_is_zero(
        clock: FakeClock) -> None:
    cache = memory_cache(clock, not_found_ttl_s=30.0)
    await cache.put_not_found([key("404")], "taobao_404 does not exist")
    [lookup] = await cache.get_many([key("404")])
    assert lookup.entry is not None and lookup.entry.missing == "taobao_404 does not exist"
    clock.advance(30)
    assert [state(lookup) for lookup in await cache.get_many([key("404")])] == ["gone"]

    never = memory_cache(clock, not_found_ttl_s=0)
    await never.put_not_found([key("404")], "taobao_404 does not exist")
    assert len(never.backend) == 0


# -- a backend that fails --------------------------------------------------------------

class FailingBackend:
    """A cache server that fails every round trip with ``error``, counting the attempts
    (which a real dead server cannot tell a test)."""

    def __init__(self, error: Exception) -> None:
        self.error = error
        self.attempts = 0

    async def multi_get(self, keys: Sequence[str]) -> list[object]:
        self.attempts += 1
        raise self.error

    async def multi_set(self, pairs: Sequence[tuple[str, object]],
                        ttl: float | None = None) -> None:
        self.attempts += 1
        raise self.error


async def test_a_dead_redis_is_bypassed_on_reads_and_writes_and_never_raises(
        clock: FakeClock) -> None:
    cache = PartCache(redis_cache(f"redis://127.0.0.1:{free_port()}/0", timeout_s=1.0),
                      timeout_s=1.0, clock=clock)
    bypassed = counted(Part.MEDIA, "bypass")
    assert [state(lookup) for lookup in await cache.get_many([key("1"), key("2")])] == [
        "gone", "gone"]
    await cache.put_many({key("1"): MEDIA})
    assert cache.bypassed == 2
    assert counted(Part.MEDIA, "bypass") - bypassed == 2   # one per key looked up
    await cache.aclose()


async def test_after_a_failure_the_backend_is_left_alone_for_retry_after(
        clock: FakeClock) -> None:
    backend = FailingBackend(ConnectionRefusedError("connection refused"))
    cache = PartCache(backend, timeout_s=1.0, retry_after_s=5.0, clock=clock)
    for _ in range(3):
        assert [state(lookup) for lookup in await cache.get_many([key("1")])] == ["gone"]
        await cache.put_many({key("1"): MEDIA})
    assert backend.attempts == 1            # one failure, then it is left alone
    assert cache.bypassed == 6
    clock.advance(5)
    await cache.get_many([key("1")])
    assert backend.attempts == 2            # tried again once the pause is over


async def test_an_unexpected_backend_error_is_logged_and_bypassed(
        clock: FakeClock, caplog: pytest.LogCaptureFixture) -> None:
    backend = FailingBackend(RuntimeError("an entry that cannot be unpickled"))
    cache = PartCache(backend, timeout_s=None, clock=clock)
    assert [state(lookup) for lookup in await cache.get_many([key("1")])] == ["gone"]
    await cache.put_many({key("1"): MEDIA})
    assert cache.bypassed == 2
    failures = [r for r in caplog.records
                if r.name == "productgraph.cache" and r.levelno == logging.ERROR]
    assert len(failures) == 2

"""The shared budget in a real redis-server: several processes (limiters on separate
connections) never exceed it together, an entry holds its place until the call's answer,
and when Redis dies mid-way each process falls back to its share of the budget."""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Iterator

import pytest
import redis.asyncio as redis_asyncio
from prometheus_client import REGISTRY

from channels.ratelimit import Budget, BudgetExhausted, RedisQpsLimiter
from tests.redis_server import running_redis


@pytest.fixture
def redis_url() -> Iterator[str]:
    with running_redis() as url:
        yield url


def over_budget(arrivals: list[float], budget: Budget) -> list[float]:
    return [x for x in arrivals
            if sum(1 for y in arrivals if y <= x and not y + budget.window_s <= x)
            > budget.limit]


async def test_three_processes_with_slow_calls_never_exceed_the_shared_budget(
    redis_url: str,
) -> None:
    budget = Budget.per_second(4)
    connections = [redis_asyncio.Redis.from_url(redis_url) for _ in range(3)]
    limiters = [RedisQpsLimiter(c, "top", budget) for c in connections]
    rng = random.Random(3)
    arrivals: list[float] = []

    async def one(limiter: RedisQpsLimiter) -> None:
        slot = await limiter.acquire()
        await asyncio.sleep(rng.uniform(0, 0.05))         # grant → gateway
        arrivals.append(time.monotonic())
        await asyncio.sleep(rng.uniform(0.05, 0.4))      # the gateway answers slowly
        slot.release()

    await asyncio.gather(*(one(limiter) for limiter in limiters for _ in range(5)))
    assert len(arrivals) == 15
    assert over_budget(arrivals, budget) == []
    for connection in connections:
        await connection.aclose()


async def test_a_call_in_flight_holds_its_place_until_its_answer(redis_url: str) -> None:
    budget = Budget.per_second(1)
    a, b = (redis_asyncio.Redis.from_url(redis_url) for _ in range(2))
    first, second = RedisQpsLimiter(a, "top", budget), RedisQpsLimiter(b, "top", budget)
    slot = await first.acquire()
    waiting = asyncio.ensure_future(second.acquire())
    await asyncio.sleep(1.3)                 # past the window of the grant: still in flight
    assert not waiting.done()
    slot.release()
    answered = time.monotonic()
    (await waiting).release()
    assert time.monotonic() - answered >= 0.95           # one window after the answer
    # A caller whose deadline comes before the next slot is refused at once.
    started = time.monotonic()
    with pytest.raises(BudgetExhausted) as refused:
        await first.acquire(deadline=time.monotonic() + 0.3)
    assert time.monotonic() - started < 0.3
    assert refused.value.retry_after is not None and refused.value.retry_after > 0
    for connection in (a, b):
        await connection.aclose()


async def test_when_redis_dies_each_process_keeps_only_its_share(redis_url: str) -> None:
    budget = Budget.per_second(8)
    connection = redis_asyncio.Redis.from_url(redis_url, socket_connect_timeout=0.2)
    limiter = RedisQpsLimiter(connection, "weidian-share", budget, fallback_share=0.25)
    before = REGISTRY.get_sample_value(
        "productgraph_upstream_redis_fallbacks_total",
        {"channel": "weidian-share", "purpose": "qps"}) or 0.0
    slot = await limiter.acquire()
    slot.release()
    await asyncio.sleep(0.05)                           # the release reaches Redis
    await redis_asyncio.Redis.from_url(redis_url).shutdown(nosave=True)

    arrivals: list[float] = []

    async def one() -> None:
        granted = await limiter.acquire()
        arrivals.append(time.monotonic())
        granted.release()

    await asyncio.gather(*(one() for _ in range(5)))
    assert len(arrivals) == 5
    # 8/s × 0.25 = 2/s while Redis is down.
    assert over_budget(arrivals, Budget.per_second(2)) == []
    assert arrivals[-1] - arrivals[0] >= 0.9
    after = REGISTRY.get_sample_value(
        "productgraph_upstream_redis_fallbacks_total",
        {"channel": "weidian-share", "purpose": "qps"})
    assert after is not None and after > before
    await connection.aclose()

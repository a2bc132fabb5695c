"""QPS budgets belong to upstreams, not marketplaces: Taobao over TOP and Taobao over the
standard aggregator are two services with two quotas. End to end against the in-process
sandbox, and a real redis-server where the budgets are shared state."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator

import httpx
import pytest
import redis.asyncio as redis_asyncio

from channels.model import Channel, Part
from channels.policy import UpstreamPolicy
from channels.standard import StandardAdapter
from channels.top import TopAdapter
from sandbox import credentials
from sandbox.app import create_sandbox_app
from sandbox.catalog_top import TOP_ITEMS, is_tmall
from tests.redis_server import running_redis

TAOBAO_IDS = [str(n) for n in sorted(TOP_ITEMS) if not is_tmall(n)]
CORE = frozenset({Part.CORE})


@pytest.fixture
def redis_url() -> Iterator[str]:
    with running_redis() as url:
        yield url


def standard(sandbox_app: object, **options: object) -> StandardAdapter:
    return StandardAdapter(
        base_url="http://sandbox" + credentials.STANDARD_PATH, token=credentials.STANDARD_TOKEN,
        channels=(Channel.TAOBAO, Channel.TMALL, Channel.ALIBABA_1688, Channel.WEIDIAN),
        transport=httpx.ASGITransport(app=sandbox_app), **options)  # type: ignore[arg-type]


def top(sandbox_app: object, **options: object) -> TopAdapter:
    return TopAdapter(
        app_key=credentials.TOP_APP_KEY, app_secret=credentials.TOP_APP_SECRET,
        session=credentials.TOP_SESSION, gateway_url="http://sandbox" + credentials.TOP_PATH,
        transport=httpx.ASGITransport(app=sandbox_app), **options)  # type: ignore[arg-type]


async def test_the_standard_aggregator_is_called_at_most_10_times_a_second_by_default() -> None:
    """Its first channel is Taobao, yet it gets the aggregator's 10/s, not TOP's 40/s."""
    sandbox_app = create_sandbox_app()
    sandbox = sandbox_app.state.sandbox
    aggregator = standard(sandbox_app)
    try:
        started = time.monotonic()
        fetches = [asyncio.create_task(aggregator.fetch(Channel.TAOBAO, [i], CORE))
                   for i in TAOBAO_IDS[:12]]
        await asyncio.sleep(0.5)
        assert sandbox.calls["standard.products/detail"] == 10   # the rest wait their slot
        results = await asyncio.gather(*fetches)
        assert time.monotonic() - started >= 0.9
        assert sandbox.calls["standard.products/detail"] == 12
        answers = [r[i] for r, i in zip(results, TAOBAO_IDS[:12], strict=True)]
        assert not [a for a in answers if isinstance(a, Exception)]
    finally:
        await aggregator.aclose()


async def test_taobao_over_top_and_over_the_aggregator_have_separate_budgets(
        redis_url: str) -> None:
    """With the budgets in Redis (several instances), TOP spending its last slot of the
    second must not hold back a call to the aggregator, nor the other way round."""
    redis = redis_asyncio.from_url(redis_url)
    sandbox_app = create_sandbox_app()
    one_a_second = UpstreamPolicy(qps=1)
    gateway = top(sandbox_app, policy=one_a_second, redis=redis)
    aggregator = standard(sandbox_app, policy=one_a_second, redis=redis)
    try:
        for first, second in ((gateway, aggregator), (aggregator, gateway)):
            await redis.flushall()
            started = time.monotonic()
            for adapter in (first, second):
                answer = await adapter.fetch(Channel.TAOBAO, [TAOBAO_IDS[0]], CORE)
                assert not isinstance(answer[TAOBAO_IDS[0]], Exception)
            assert time.monotonic() - started < 0.5, "one upstream waited for the other's slot"
        assert sorted(await redis.keys("productgraph:qps:*")) == [
            b"productgraph:qps:standard", b"productgraph:qps:taobao"]

        # Each budget still holds: a second call to the same upstream waits for its slot.
        started = time.monotonic()
        await gateway.fetch(Channel.TAOBAO, [TAOBAO_IDS[1]], CORE)
        assert time.monotonic() - started >= 0.5
    finally:
        await gateway.aclose()
        await aggregator.aclose()
        await redis.aclose()

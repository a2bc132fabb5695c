"""What the marketplaces pay for our queries: the shared cache, single flight across
requests, stale-while-revalidate, the QPS budget and bans, all end to end over the
in-process sandbox (and a real redis-server where state is shared)."""

from __future__ import annotations

import asyncio
import re
import socket
import time
from collections.abc import Callable, Iterator

import pytest

from sandbox.app import create_sandbox_app
from tests.conftest import GraphQLClient, serve_app
from tests.redis_server import running_redis

SEED_000 = "taobao_680123456789"
TITLE = "query ($id: ID!) { product(id: $id) { id title { original } } }"
PRICE = "query ($id: ID!) { product(id: $id) { id price { display { amount } } } }"
FULL = """query ($ids: [ID!]!) { products(ids: $ids) {
    id title { original } price { display { amount } }
    variants { skuId price { display { amount } } } images { url } } }"""


def taobao_ids(count: int) -> list[str]:
    from sandbox.catalog_top import TOP_ITEMS, is_tmall

    return [f"taobao_{n}" for n in sorted(TOP_ITEMS) if not is_tmall(n)][:count]


def total_calls(gql: GraphQLClient) -> int:
    return sum(gql.sandbox.calls.values())


async def until(condition: Callable[[], bool], what: str) -> None:
    """Let the event loop run until ``condition`` holds: an ordering by what happened,
    never by a guessed sleep (bounded, so a broken server fails instead of hanging)."""
    for _ in range(20_000):
        if condition():
            return
        await asyncio.sleep(0.001)
    raise AssertionError(f"never happened: {what}")


def waiting(gql: GraphQLClient) -> int:
    """Requests waiting on the fetcher's calls in flight."""
    return sum(gql.app.state.fetcher._waiters.values())


async def metric(gql: GraphQLClient, name: str, **labels: str) -> float:
    """One sample of ``GET /metrics`` (0 when the series does not exist yet)."""
    text = (await gql.http.get("/metrics")).text
    for line in text.splitlines():
        if not line.startswith(name + "{") and not line.startswith(name + " "):
            continue
        found = dict(re.findall(r'(\w+)="([^"]*)"', line.split(" ")[0]))
        if all(found.get(k) == v for k, v in labels.items()):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


async def test_forty_items_cold_cost_two_batch_calls_and_warm_cost_none() -> None:
    ids = taobao_ids(40)
    async with serve_app() as gql:
        cold = await gql.execute(FULL, {"ids": ids})
        assert "errors" not in cold, cold["errors"]
        assert [p["id"] for p in cold["data"]["products"]] == ids
        assert sum(bool(p["images"] and p["variants"]) for p in cold["data"]["products"]) > 30
        assert dict(gql.sandbox.calls) == {"taobao.items.seller.list.get": 2}
        fields = set(gql.sandbox.last_params["taobao.items.seller.list.get"]["fields"]
                     .split(","))
        assert {"title", "sku", "item_img"} <= fields

        gql.sandbox.reset()
        hits = await metric(gql, "productgraph_cache_requests_total", part="variants",
                            result="hit")
        # Executed over the part cache (no-cache: not replayed by the response cache).
        warm = (await gql.http.post("/graphql", json={"query": FULL, "variables": {"ids": ids}},
                                    headers={"Cache-Control": "no-cache"})).json()
        assert warm == cold
        assert total_calls(gql) == 0
        assert await metric(gql, "productgraph_cache_requests_total",
                            part="variants", result="hit") >= hits + 40


async def test_a_thousand_identical_concurrent_cold_queries_cost_one_upstream_call() -> None:
    async with serve_app() as gql:
        gql.sandbox.faults.latency_ms = 50   # the call is still in flight as the rest arrive
        results = await asyncio.gather(*(gql.execute(TITLE, {"id": SEED_000})
                                         for _ in range(1000)))
        assert {r["data"]["product"]["title"]["original"] for r in results} == {
            "2026 Summer New Casual Cotton Short Sleeve T-shirt"}
        assert not any("errors" in r for r in results)
        assert total_calls(gql) == 1


async def test_concurrent_queries_for_different_products_share_batch_calls() -> None:
    ids = taobao_ids(40)
    async with serve_app() as gql:
        gql.sandbox.faults.latency_ms = 20
        results = await asyncio.gather(*(gql.execute(TITLE, {"id": i}) for i in ids))
        assert [r["data"]["product"]["id"] for r in results] == ids
        assert total_calls(gql) <= 4   # 40 ids, 20 per call: 2 when all land in one turn


async def test_a_cancelled_requester_does_not_fail_the_others_waiting_for_its_call() -> None:
    async with serve_app() as gql:
        gql.sandbox.faults.latency_ms = 200
        first = asyncio.create_task(gql.execute(TITLE, {"id": SEED_000}))
        await until(lambda: total_calls(gql) == 1, "the first request's upstream call")
        second = asyncio.create_task(gql.execute(TITLE, {"id": SEED_000}))
        await until(lambda: waiting(gql) == 2, "the second request joins that call")
        first.cancel()              # the client that started the call goes away
        result = await second
        assert result["data"]["product"]["id"] == SEED_000
        assert total_calls(gql) == 1
        gql.sandbox.reset()
        assert (await gql.execute(TITLE, {"id": SEED_000}))["data"]["product"]
        assert total_calls(gql) == 0   # the call finished and filled the cache


async def test_when_its_only_requester_goes_away_the_upstream_call_is_dropped() -> None:
    async with serve_app() as gql:
        gql.sandbox.faults.latency_ms = 600_000   # only dropping the call can end it
        alone = asyncio.create_task(gql.execute(TITLE, {"id": SEED_000}))
        await until(lambda: gql.app.state.fetcher.in_flight == 1, "the upstream call")
        alone.cancel()
        await until(lambda: gql.app.state.fetcher.in_flight == 0, "the call is dropped")
        gql.sandbox.faults.latency_ms = 0
        assert (await gql.execute(TITLE, {"id": SEED_000}))["data"]["product"]


async def test_stale_is_served_at_once_with_one_refresh_and_while_the_upstream_is_down(
) -> None:
    env = {"PRODUCTGRAPH_CACHE_TTL_CORE": "0.3", "PRODUCTGRAPH_CACHE_MAX_AGE_CORE": "60"}
    async with serve_app(env) as gql:
        first = await gql.execute(PRICE, {"id": SEED_000})
        await asyncio.sleep(0.35)            # past the TTL, well within the max age
        gql.sandbox.reset()
        gql.sandbox.faults.latency_ms = 1500  # a refresh takes 1.5 s
        stale = await asyncio.gather(*(gql.execute(PRICE, {"id": SEED_000}) for _ in range(5)))
        assert all(r == first for r in stale)
        # Answered while the refresh is still at the gateway: none of them waited for it.
        assert gql.app.state.fetcher.in_flight == 1
        await gql.app.state.fetcher.drain()
        assert total_calls(gql) == 1         # one background refresh for five requests
        assert await metric(gql, "productgraph_cache_requests_total",
                            part="core", result="stale") >= 5

        # The upstream goes down: the stale price keeps being served, without errors.
        await asyncio.sleep(0.35)
        gql.sandbox.faults.latency_ms = 0
        gql.sandbox.faults.fail_rate = 1.0
        for _ in range(3):
            assert await gql.execute(PRICE, {"id": SEED_000}) == first
        await gql.app.state.fetcher.drain()
        assert total_calls(gql) > 1          # the refreshes were tried, and failed


async def test_past_max_age_the_part_is_fetched_again() -> None:
    env = {"PRODUCTGRAPH_CACHE_TTL_CORE": "0.1", "PRODUCTGRAPH_CACHE_MAX_AGE_CORE": "0.2"}
    async with serve_app(env) as gql:
        await gql.execute(TITLE, {"id": SEED_000})
        await asyncio.sleep(0.25)
        gql.sandbox.faults.fail_rate = 1.0
        result = await gql.execute(TITLE, {"id": SEED_000})
        assert result["data"]["product"] is None
        assert result["errors"][0]["extensions"]["code"] == "UPSTREAM_ERROR"


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_a_dead_redis_cache_never_fails_a_query_and_is_counted() -> None:
    # The part cache's behaviour: the response cache (which would replay the second
    # answer) is off.
    env = {"PRODUCTGRAPH_CACHE_URL": f"redis://127.0.0.1:{_closed_port()}/0",
           "PRODUCTGRAPH_RESPONSE_CACHE": "off"}
    async with serve_app(env) as gql:
        before = await metric(gql, "productgraph_cache_requests_total",
                              part="core", result="bypass")
        for _ in range(2):
            result = await gql.execute(TITLE, {"id": SEED_000})
            assert result["data"]["product"]["id"] == SEED_000, result
        assert total_calls(gql) == 2          # nothing cached, nothing failed
        after = await metric(gql, "productgraph_cache_requests_total",
                             part="core", result="bypass")
        assert after - before >= 2
        assert gql.app.state.fetcher.cache.bypassed >= 2


async def test_the_memory_cache_is_bounded_and_evicts_the_least_recently_used() -> None:
    a, b, c, d = taobao_ids(4)
    async with serve_app({"PRODUCTGRAPH_CACHE_MAX_ENTRIES": "3",
                          "PRODUCTGRAPH_RESPONSE_CACHE": "off"}) as gql:
        for pid in (a, b, c, a, d):          # a is used again before d pushes b out
            await gql.execute(TITLE, {"id": pid})
        assert len(gql.app.state.fetcher.cache.backend) == 3
        gql.sandbox.reset()
        for pid in (a, c, d):
            await gql.execute(TITLE, {"id": pid})
        assert total_calls(gql) == 0
        await gql.execute(TITLE, {"id": b})
        assert total_calls(gql) == 1


async def test_a_missing_product_is_remembered_briefly() -> None:
    async with serve_app({"PRODUCTGRAPH_CACHE_TTL_NOT_FOUND": "0.2"}) as gql:
        for _ in range(2):
            result = await gql.execute(TITLE, {"id": "taobao_999999999999"})
            assert result["errors"][0]["extensions"]["code"] == "NOT_FOUND"
        assert total_calls(gql) == 1
        await asyncio.sleep(0.25)
        await gql.execute(TITLE, {"id": "taobao_999999999999"})
        assert total_calls(gql) == 2


async def test_five_hundred_cold_queries_stay_within_the_qps_budget() -> None:
    # One call per item (no batch method), so the 100 items cost 100 calls at 40/s, the
    # gateway's own quota (a sliding window of arrivals that answers code 7 when crossed).
    env = {"PRODUCTGRAPH_TAOBAO_QPS": "40", "PRODUCTGRAPH_TAOBAO_BATCH_METHOD": ""}
    ids = taobao_ids(100)
    async with serve_app(env) as gql:
        gql.sandbox.faults.qps_limit = 40
        started = time.monotonic()
        results = await asyncio.gather(*(gql.execute(TITLE, {"id": ids[i % 100]})
                                         for i in range(500)))
        elapsed = time.monotonic() - started
        errors = [e for r in results for e in r.get("errors", [])]
        assert errors == [], (len(errors), sorted(gql.sandbox.per_second.items()))
        assert [r["data"]["product"]["id"] for r in results] == [ids[i % 100]
                                                                 for i in range(500)]
        assert total_calls(gql) == 100
        assert max(gql.sandbox.per_second.values()) <= 40
        assert elapsed >= 1.5   # the budget spread them over seconds


async def test_a_code_7_ban_stops_every_call_and_serves_cache_or_rate_limited() -> None:
    cached, other = taobao_ids(2)
    async with serve_app() as gql:
        await gql.execute(TITLE, {"id": cached})
        gql.sandbox.reset()
        gql.sandbox.faults.ban_seconds = 3
        gql.sandbox.faults.ban_until = 0.0
        banned = await gql.execute(TITLE, {"id": other})
        [error] = banned["errors"]
        assert error["extensions"]["code"] == "RATE_LIMITED"
        assert error["extensions"]["retryAfter"] >= 2.9
        assert total_calls(gql) == 1               # the call that was answered code 7

        again = await gql.execute(TITLE, {"id": taobao_ids(3)[2]})
        assert again["errors"][0]["extensions"]["code"] == "RATE_LIMITED"
        assert again["errors"][0]["extensions"]["retryAfter"] >= 2.5
        assert (await gql.execute(TITLE, {"id": cached}))["data"]["product"]["id"] == cached
        assert total_calls(gql) == 1               # no call reached the gateway in the ban


@pytest.fixture
def redis_url() -> Iterator[str]:
    with running_redis() as url:
        yield url


async def test_two_instances_share_one_redis_cache_and_one_qps_budget(redis_url: str) -> None:
    env = {"PRODUCTGRAPH_CACHE_URL": redis_url, "PRODUCTGRAPH_TAOBAO_QPS": "5",
           "PRODUCTGRAPH_TAOBAO_BATCH_METHOD": ""}
    sandbox_app = create_sandbox_app()   # one marketplace, two productgraph instances
    async with serve_app(env, sandbox_app) as one, \
            serve_app(env, sandbox_app) as two:
        result = await one.execute(TITLE, {"id": SEED_000})
        assert result["data"]["product"]["id"] == SEED_000
        assert total_calls(one) == 1
        assert await two.execute(TITLE, {"id": SEED_000}) == result
        assert total_calls(two) == 1               # served from the shared cache

        # Ten distinct cold items, five through each instance: one budget of 5/s.
        ids = taobao_ids(11)[1:]
        one.sandbox.reset()
        started = time.monotonic()
        await asyncio.gather(*(client.execute(TITLE, {"id": pid})
                               for client, pid in zip([one, two] * 5, ids, strict=True)))
        elapsed = time.monotonic() - started
        assert total_calls(one) == 10
        assert max(one.sandbox.per_second.values()) <= 5
        assert elapsed >= 0.9   # 10 calls at 5/s shared: the second five wait a second

"""Acceptance (issue 12): a real ``productgraph serve`` against a real ``productgraph
sandbox`` whose TOP gateway enforces ``qps_limit`` (sliding 1-s window, code 7 and a ban
over it). The server never trips it, sheds what it cannot serve in time with RATE_LIMITED
and ``retryAfter``, and pays the minimum of calls — all read from the sandbox's own
counters (``GET /_sandbox/stats``), never from wall-clock timings."""

from __future__ import annotations

import asyncio
import math
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from sandbox.catalog_top import SHARED_SPU_ITEM_IDS, TOP_ITEMS, is_tmall
from tests.processes import free_port, productgraph, running, sandbox_env

BATCH = "taobao.items.seller.list.get"
SPU = "taobao.product.get.tmall"
ALL_IDS = [f"{'tmall' if is_tmall(n) else 'taobao'}_{n}" for n in sorted(TOP_ITEMS)]
ONE = "query ($id: ID!) { product(id: $id) { id title { original } } }"


@pytest.fixture
def sandbox_url() -> Iterator[str]:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with running(productgraph("sandbox", "--port", str(port)), ready_url=url + "/_sandbox/stats"):
        yield url


def serve(sandbox_url: str, **env: str) -> Any:
    port = free_port()
    return running(productgraph("serve", "--port", str(port)),
                   ready_url=f"http://127.0.0.1:{port}/healthz",
                   env={**sandbox_env(sandbox_url), **env}), f"http://127.0.0.1:{port}"


def stats(sandbox_url: str) -> dict[str, Any]:
    return httpx.get(sandbox_url + "/_sandbox/stats").json()  # type: ignore[no-any-return]


def faults(sandbox_url: str, **values: Any) -> None:
    httpx.post(sandbox_url + "/_sandbox/faults", json=values).raise_for_status()


async def burst(url: str, ids: list[str]) -> list[httpx.Response]:
    """One concurrent single-product query per id, all at once."""
    limits = httpx.Limits(max_connections=len(ids), max_keepalive_connections=len(ids))
    async with httpx.AsyncClient(base_url=url, timeout=120, limits=limits) as client:
        return list(await asyncio.gather(*(
            client.post("/graphql", json={"query": ONE, "variables": {"id": i}})
            for i in ids)))


@pytest.mark.parametrize("qps", [1, 2, 5])
async def test_a_cold_burst_never_trips_the_gateway_and_costs_the_minimum_of_batches(
    sandbox_url: str, qps: int,
) -> None:
    """200 concurrent cold queries over 100 distinct items, against a gateway that bans
    over ``qps``: zero code-7 rejections, all answered with data, at most 6 batch calls
    (the minimum 5, plus a first batch that may leave before the burst has arrived)."""
    faults(sandbox_url, qps_limit=qps)
    server, url = serve(sandbox_url, PRODUCTGRAPH_TAOBAO_QPS=str(qps))
    ids = ALL_IDS[:100] * 2
    with server:
        responses = await burst(url, ids)
    seen = stats(sandbox_url)
    assert seen["rejectedTotal"] == 0, seen["rejected"]
    bodies = [r.json() for r in responses]
    assert [r.status_code for r in responses] == [200] * 200
    failed = [b for b in bodies if b.get("errors") or not b["data"]["product"]]
    assert failed == []
    assert [b["data"]["product"]["id"] for b in bodies] == ids
    assert math.ceil(100 / 20) <= seen["calls"][BATCH] <= 6
    assert seen["peakPerSecondByGateway"]["top"] <= qps


async def test_under_a_tight_budget_and_deadline_each_query_is_answered_or_refused_coded(
    sandbox_url: str,
) -> None:
    """2 calls/s and a 2-s upstream deadline, 200 concurrent cold queries over 200 distinct
    items: what can be fetched in time is data, the rest RATE_LIMITED with a positive
    retryAfter — no REQUEST_TIMEOUT, no HTTP 5xx, and the gateway never trips."""
    faults(sandbox_url, qps_limit=2, latency_ms=100)
    server, url = serve(sandbox_url, PRODUCTGRAPH_TAOBAO_QPS="2",
                        PRODUCTGRAPH_UPSTREAM_DEADLINE="2")
    ids = ALL_IDS[:200]
    with server:
        responses = await burst(url, ids)
    assert [r.status_code for r in responses] == [200] * 200
    answered = refused = 0
    for response in responses:
        body = response.json()
        if body["data"] and body["data"]["product"]:
            answered += 1
            continue
        codes = [e["extensions"]["code"] for e in body["errors"]]
        assert codes == ["RATE_LIMITED"], body["errors"]
        assert body["errors"][0]["extensions"]["retryAfter"] > 0
        refused += 1
    assert answered >= 20 and answered + refused == 200
    assert stats(sandbox_url)["rejectedTotal"] == 0


async def test_taobao_and_tmall_ids_share_one_batch_call(sandbox_url: str) -> None:
    taobao = [i for i in ALL_IDS if i.startswith("taobao_")][:10]
    tmall = [i for i in ALL_IDS if i.startswith("tmall_")][:10]
    server, url = serve(sandbox_url)
    query = "query ($ids: [ID!]!) { products(ids: $ids) { id title { original } } }"
    with server:
        async with httpx.AsyncClient(base_url=url, timeout=60) as client:
            body = (await client.post("/graphql", json={
                "query": query, "variables": {"ids": taobao + tmall}})).json()
    assert "errors" not in body, body["errors"]
    assert [p["id"] for p in body["data"]["products"]] == taobao + tmall
    assert stats(sandbox_url)["calls"] == {BATCH: 1}


async def test_items_sharing_spus_cost_one_call_per_spu_and_a_later_lookup_none(
    sandbox_url: str,
) -> None:
    items = [f"tmall_{n}" for n in SHARED_SPU_ITEM_IDS]
    query = """query ($ids: [ID!]!) { products(ids: $ids) {
        id catalogProduct { id name } } }"""
    server, url = serve(sandbox_url)
    with server:
        async with httpx.AsyncClient(base_url=url, timeout=60) as client:
            body = (await client.post("/graphql", json={
                "query": query, "variables": {"ids": items}})).json()
            assert "errors" not in body, body["errors"]
            spus = {p["catalogProduct"]["id"] for p in body["data"]["products"]}
            assert len(spus) == 4
            assert stats(sandbox_url)["calls"] == {BATCH: 1, SPU: 4}
            one = sorted(spus)[0]
            again = (await client.post("/graphql", json={
                "query": "query ($id: ID!) { catalogProduct(productId: $id) { id } }",
                "variables": {"id": one}})).json()
    assert again["data"]["catalogProduct"]["id"] == one
    assert stats(sandbox_url)["calls"] == {BATCH: 1, SPU: 4}

"""Acceptance: what a client sees when the marketplaces misbehave.

In process (the sandbox behind ``httpx.ASGITransport``): under injected 5xx, garbage bodies
and code-7 bans every failed field is null with a coded error and the response is never an
HTTP 500. Real processes on loopback (``httpx.ASGITransport`` ignores timeouts and never
disconnects): a client that hangs up cancels its upstream call (graph/disconnect.py); a
hung upstream answers UPSTREAM_TIMEOUT within the configured deadline; and after 1,000
timed-out calls the connection pool still serves.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from channels.errors import UpstreamTimeout
from channels.model import Channel, Part
from channels.policy import UpstreamPolicy
from channels.top import TopAdapter
from sandbox import credentials
from sandbox.catalog_1688 import OFFERS
from sandbox.catalog_top import TOP_ITEMS, is_tmall
from sandbox.catalog_weidian import ITEMS as WEIDIAN_ITEMS
from tests.conftest import GraphQLClient
from tests.processes import free_port, productgraph, running, sandbox_env

TAOBAO = [f"taobao_{n}" for n in sorted(TOP_ITEMS) if not is_tmall(n)][:4]
TMALL = [f"tmall_{n}" for n in sorted(TOP_ITEMS) if is_tmall(n)][:2]
ALIBABA = [f"1688_{n}" for n in list(OFFERS)[:2]]
WEIDIAN = [f"weidian_{n}" for n in list(WEIDIAN_ITEMS)[:2]]
IDS = TAOBAO + TMALL + ALIBABA + WEIDIAN

QUERY = """query ($ids: [ID!]!, $one: ID!, $representations: [_Any!]!) {
  products(ids: $ids) { id title { original } price { display { amount } }
                        variants { skuId stock } images { url } seller { name } }
  product(id: $one) { id title { original } variants { skuId } }
  _entities(representations: $representations) { ... on Product { id title { original } } }
}"""
VARIABLES = {"ids": IDS, "one": TAOBAO[0],
             "representations": [{"__typename": "Product", "id": i} for i in IDS[::3]]}

FAULTS = {
    "5xx and isp errors": {"fail_rate": 1.0},
    "garbage bodies": {"garbage_rate": 1.0},
    "code-7 ban": {"ban_seconds": 30},
    "a mix": {"fail_rate": 0.4, "garbage_rate": 0.3},
}


def uncoded(errors: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [e for e in errors if not (e.get("extensions") or {}).get("code")]


@pytest.mark.parametrize("faults", FAULTS.values(), ids=FAULTS.keys())
async def test_every_failed_field_carries_a_code_and_no_500(
        gql: GraphQLClient, faults: dict[str, Any]) -> None:
    for name, value in faults.items():
        setattr(gql.sandbox.faults, name, value)
    response = await gql.post(QUERY, VARIABLES)
    assert response.status_code == 200, response.text
    body = response.json()
    errors = body.get("errors") or []
    assert errors, "every upstream failing must show as errors"
    assert uncoded(errors) == []
    # A failed product is null in its place; the list keeps its order and length.
    products = body["data"]["products"]
    assert len(products) == len(IDS)
    failed_paths = {tuple(e["path"]) for e in errors if e.get("path")}
    for index, product in enumerate(products):
        if product is None:
            assert ("products", index) in failed_paths
    if "ban_seconds" in faults:
        assert {"RATE_LIMITED"} <= {e["extensions"]["code"] for e in errors}


async def test_faults_off_again_serves_everything(gql: GraphQLClient) -> None:
    gql.sandbox.faults.fail_rate = 1.0
    assert (await gql.post(QUERY, VARIABLES)).json().get("errors")
    gql.sandbox.faults.fail_rate = 0.0
    body = await gql.execute(QUERY, VARIABLES)
    assert "errors" not in body, body["errors"]
    assert [p["id"] for p in body["data"]["products"]] == IDS


# -- real processes ----------------------------------------------------------------------

ONE = '{ product(id: "' + TAOBAO[0] + '") { id title { original } } }'


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


def set_faults(sandbox_url: str, **faults: Any) -> None:
    httpx.post(sandbox_url + "/_sandbox/faults", json=faults).raise_for_status()


def sandbox_stats(sandbox_url: str) -> dict[str, Any]:
    return httpx.get(sandbox_url + "/_sandbox/stats").json()  # type: ignore[no-any-return]


def wait_for_disconnect(sandbox_url: str) -> dict[str, Any]:
    """The sandbox's stats once it has seen a caller hang up (bounded: 10 s)."""
    for _ in range(200):
        stats = sandbox_stats(sandbox_url)
        if stats["disconnected"]:
            return stats
        time.sleep(0.05)
    return stats


def test_the_sandbox_notices_a_caller_that_hangs_up(sandbox_url: str) -> None:
    """The instrument the next test reads: a TOP call dropped during its latency."""
    set_faults(sandbox_url, latency_ms=60_000)   # only a hang-up ends this call early
    with pytest.raises(httpx.ReadTimeout):
        httpx.post(sandbox_url + credentials.TOP_PATH, data={"method": "taobao.item.get"},
                   timeout=0.3)
    wait_for_disconnect(sandbox_url)
    stats = sandbox_stats(sandbox_url)
    assert (stats["disconnected"], stats["inFlight"]) == (1, 0)


def test_a_client_that_hangs_up_cancels_its_upstream_call(sandbox_url: str) -> None:
    set_faults(sandbox_url, latency_ms=60_000)   # only a dropped call ends before that
    process, server = serve(sandbox_url)
    with process:
        with pytest.raises(httpx.ReadTimeout):
            httpx.post(server + "/graphql", json={"query": ONE}, timeout=0.3)
        # The upstream call had most of a minute to go: productgraph must drop it.
        stats = wait_for_disconnect(sandbox_url)
        assert stats["calls"] == {"taobao.items.seller.list.get": 1}
        assert stats["disconnected"] == 1, "the upstream call went on after the client left"
        assert stats["inFlight"] == 0
        # The server is not left with anything: the next client is served at once.
        set_faults(sandbox_url, latency_ms=0)
        answer = httpx.post(server + "/graphql", json={"query": ONE}, timeout=5).json()
        assert answer["data"]["product"]["id"] == TAOBAO[0], answer


@pytest.mark.parametrize("env", [
    {"PRODUCTGRAPH_UPSTREAM_TIMEOUT": "1"},      # default deadline: 2 x the timeout
    {"PRODUCTGRAPH_UPSTREAM_TIMEOUT": "1", "PRODUCTGRAPH_UPSTREAM_DEADLINE": "1.5"},
], ids=["default deadline", "configured deadline"])
def test_a_hung_upstream_answers_upstream_timeout_within_the_deadline(
        sandbox_url: str, env: dict[str, str]) -> None:
    set_faults(sandbox_url, timeout_rate=1.0, hang_s=5)
    process, server = serve(sandbox_url, **env)
    with process:
        response = httpx.post(server + "/graphql", json={"query": ONE}, timeout=20)
        attempts = sum(sandbox_stats(sandbox_url)["calls"].values())
    assert response.status_code == 200
    body = response.json()
    assert body["data"]["product"] is None
    assert [e["extensions"]["code"] for e in body["errors"]] == ["UPSTREAM_TIMEOUT"]
    # The first attempt waits its whole timeout (1 s) and is retried; the deadline cuts the
    # retry short: two attempts, not the 3 the retry policy would make without it (the
    # hang is 5 s, so no attempt ends any other way).
    assert attempts == 2


async def test_after_1000_timeouts_the_connection_pool_still_serves(sandbox_url: str) -> None:
    set_faults(sandbox_url, timeout_rate=1.0, hang_s=1.0)
    adapter = TopAdapter(
        app_key=credentials.TOP_APP_KEY, app_secret=credentials.TOP_APP_SECRET,
        session=credentials.TOP_SESSION, gateway_url=sandbox_url + credentials.TOP_PATH,
        timeout_s=0.1, concurrency=100,
        policy=UpstreamPolicy(qps=100_000, max_retries=0, breaker_failures=1_000_000))
    source_id = TAOBAO[0].removeprefix("taobao_")
    try:
        results = await asyncio.gather(*(
            adapter.fetch(Channel.TAOBAO, [source_id], frozenset({Part.CORE}))
            for _ in range(1000)), return_exceptions=True)
        timeouts = sum(isinstance(r, UpstreamTimeout)
                       or (isinstance(r, dict) and isinstance(r.get(source_id), UpstreamTimeout))
                       for r in results)
        assert timeouts == 1000, {type(r).__name__ for r in results}

        set_faults(sandbox_url, timeout_rate=0.0)
        # Let the sandbox finish the 1,000 handlers still sleeping out their hang, then the
        # same adapter (the same pool) must serve again. A leaked or wedged pool fails every
        # try; a few tries only absorb a loaded machine answering slower than the 0.1 s
        # timeout this test gives each call.
        await asyncio.sleep(1.5)
        for _ in range(5):
            answer = await adapter.fetch(Channel.TAOBAO, [source_id], frozenset({Part.CORE}))
            record = answer[source_id]
            if not isinstance(record, UpstreamTimeout):
                break
            await asyncio.sleep(0.5)
        assert not isinstance(record, BaseException), record
        assert record.core is not None
        assert record.core.title.original == TOP_ITEMS[int(source_id)]["title"]
    finally:
        await adapter.client.aclose()

"""The shared upstream protection of ``UpstreamClient.call``: budget, bans, retries, breaker,
deadline and metrics. Virtual time (``FakeClock``) wherever the behaviour is about time."""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import Any

import httpx
import pytest
import redis.asyncio as redis_asyncio
from prometheus_client import REGISTRY
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from channels.breaker import CircuitOpen
from channels.errors import (
    NotFound,
    RateLimited,
    Unauthenticated,
    UpstreamError,
    UpstreamTimeout,
)
from channels.http import UpstreamClient
from channels.model import Channel
from channels.policy import UpstreamPolicy
from tests.channels.fake_clock import FakeClock
from tests.redis_server import running_redis

API_LEVEL_BAN = "accesscontrol.limited-by-api-access-count"
APP_LEVEL_BAN = "accesscontrol.limited-by-app-access-count"


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def redis_url() -> Iterator[str]:
    with running_redis() as url:
        yield url


def make_client(clock: FakeClock | None = None, *, channel: Channel = Channel.TAOBAO,
                transport: httpx.AsyncBaseTransport | None = None,
                redis: Any = None, **policy: Any) -> UpstreamClient:
    options: dict[str, Any] = {"qps": 1000.0, **policy}
    timing: dict[str, Any] = {} if clock is None else {"clock": clock, "sleep": clock.sleep}
    return UpstreamClient(
        channel, "http://upstream.test", transport=transport, policy=UpstreamPolicy(**options),
        redis=redis, rng=random.Random(4), **timing,
    )


class Script:
    """An ``attempt`` that raises the queued errors in turn, then answers ``"ok"``."""

    def __init__(self, *errors: Exception) -> None:
        self.errors = list(errors)
        self.attempts = 0

    async def __call__(self) -> str:
        self.attempts += 1
        if self.errors:
            raise self.errors.pop(0)
        return "ok"


def transient(status: int = 503) -> UpstreamError:
    return UpstreamError("taobao answered 503", channel=Channel.TAOBAO, http_status=status,
                         retryable=True)


def requests_total(channel: str, method: str, outcome: str) -> float:
    value = REGISTRY.get_sample_value(
        "productgraph_upstream_requests_total",
        {"channel": channel, "method": method, "outcome": outcome},
    )
    return value or 0.0


def max_in_window(times: list[float], window: float) -> int:
    ordered = sorted(times)
    return max(sum(1 for t in ordered[i:] if t < start + window)
               for i, start in enumerate(ordered))


# --- the QPS budget -----------------------------------------------------------------------


async def test_budget_spaces_fifty_calls_so_no_second_sees_more_than_ten(clock: FakeClock) -> None:
    client = make_client(clock, qps=10)
    sent: list[float] = []

    async def attempt() -> str:
        sent.append(clock())
        return "ok"

    results = await asyncio.gather(*(client.call("taobao.item.get", attempt) for _ in range(50)))

    assert results == ["ok"] * 50                     # nobody failed because of the budget
    assert max_in_window(sent, 1.0) == 10
    assert max(sent) - min(sent) >= 4.0               # 50 calls at 10/s need four more seconds


async def test_each_request_of_a_multi_request_attempt_takes_a_slot(clock: FakeClock) -> None:
    sent: list[float] = []

    async def gateway(request: Request) -> JSONResponse:
        sent.append(clock())
        return JSONResponse({"ok": True})

    app = Starlette(routes=[Route("/rest", gateway)])
    client = make_client(clock, qps=2, transport=httpx.ASGITransport(app=app))

    async def two_requests() -> None:
        await client.request("GET", "/rest", api="token.get")
        await client.request("GET", "/rest", api="offer.get")

    await asyncio.gather(client.call("offer.get", two_requests),
                         client.call("offer.get", two_requests))

    assert len(sent) == 4
    assert max_in_window(sent, 1.0) == 2
    await client.aclose()


async def test_two_processes_sharing_redis_never_exceed_the_budget_together(
    redis_url: str,
) -> None:
    connections = [redis_asyncio.Redis.from_url(redis_url) for _ in range(2)]
    clients = [make_client(qps=10, redis=connection) for connection in connections]
    sent: list[float] = []

    async def attempt() -> str:
        sent.append(time.monotonic())
        return "ok"

    results = await asyncio.gather(
        *(client.call("taobao.item.get", attempt) for client in clients for _ in range(8))
    )

    assert results == ["ok"] * 16
    # 0.95 s, not 1 s: grants are timed on the Redis server, recorded here a little later.
    assert max_in_window(sent, 0.95) <= 10
    assert max(sent) - min(sent) >= 0.9               # the last six waited for the next second
    for connection in connections:
        await connection.aclose()


async def test_a_redis_outage_falls_back_to_a_share_of_the_budget(clock: FakeClock) -> None:
    """Cut off from Redis, a process keeps only ``fallback_share`` (0.25) of the budget —
    5/s becomes 1.25/s, one call a second — so N instances never spend N budgets."""
    dead = redis_asyncio.Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.2)
    client = make_client(clock, channel=Channel.WEIDIAN, qps=5, redis=dead)
    before = REGISTRY.get_sample_value(
        "productgraph_upstream_redis_fallbacks_total", {"channel": "weidian", "purpose": "qps"}
    ) or 0.0
    sent: list[float] = []

    async def attempt() -> str:
        sent.append(clock())
        return "ok"

    results = await asyncio.gather(*(client.call("vdian.item.get", attempt) for _ in range(10)))

    assert results == ["ok"] * 10
    assert max_in_window(sent, 1.0) == 1
    after = REGISTRY.get_sample_value(
        "productgraph_upstream_redis_fallbacks_total", {"channel": "weidian", "purpose": "qps"}
    )
    assert after is not None and after > before
    await dead.aclose()


# --- bans (TOP code 7) --------------------------------------------------------------------


def code7(seconds: float, sub_code: str = API_LEVEL_BAN) -> RateLimited:
    return RateLimited("taobao App Call Limited", channel=Channel.TAOBAO, sub_code=sub_code,
                       upstream_code="7", retry_after=seconds)


async def test_a_ban_blocks_that_api_until_it_ends_and_no_other(clock: FakeClock) -> None:
    client = make_client(clock)
    banned = Script(code7(3))

    with pytest.raises(RateLimited):
        await client.call("taobao.item.get", banned)
    assert banned.attempts == 1                       # a rate limit is never retried

    clock.advance(1.0)
    with pytest.raises(RateLimited) as refused:
        await client.call("taobao.item.get", banned)
    assert banned.attempts == 1                       # refused without calling the upstream
    assert refused.value.retry_after == pytest.approx(2.0)
    assert refused.value.sub_code == API_LEVEL_BAN
    assert "2 s" in refused.value.message

    other = Script()
    assert await client.call("taobao.items.inside.list.get", other) == "ok"

    clock.advance(2.0)
    assert await client.call("taobao.item.get", banned) == "ok"
    assert banned.attempts == 2


async def test_an_app_level_ban_blocks_every_api_of_the_channel(clock: FakeClock) -> None:
    client = make_client(clock)
    with pytest.raises(RateLimited):
        await client.call("taobao.item.get", Script(code7(60, APP_LEVEL_BAN)))

    other = Script()
    with pytest.raises(RateLimited) as refused:
        await client.call("taobao.items.inside.list.get", other)
    assert other.attempts == 0
    assert refused.value.retry_after == pytest.approx(60.0)


async def test_a_ban_is_shared_through_redis(redis_url: str) -> None:
    connections = [redis_asyncio.Redis.from_url(redis_url) for _ in range(2)]
    first, second = (make_client(redis=connection) for connection in connections)
    with pytest.raises(RateLimited):
        await first.call("taobao.item.get", Script(code7(3)))

    elsewhere = Script()
    with pytest.raises(RateLimited) as refused:
        await second.call("taobao.item.get", elsewhere)
    assert elsewhere.attempts == 0
    assert 2.0 < (refused.value.retry_after or 0) <= 3.0
    assert refused.value.sub_code == API_LEVEL_BAN
    assert await second.call("taobao.item.seller.get", Script()) == "ok"
    for connection in connections:
        await connection.aclose()


# --- retries and the deadline -------------------------------------------------------------


async def test_a_transient_failure_twice_then_success_takes_three_attempts(
    clock: FakeClock,
) -> None:
    client = make_client(clock)
    attempt = Script(transient(), UpstreamTimeout("slow", channel=Channel.TAOBAO))

    assert await client.call("taobao.item.get", attempt) == "ok"

    assert attempt.attempts == 3
    first, second = clock.sleeps[-2:]
    assert 0.0 <= first <= 0.1 and 0.0 <= second <= 0.2   # full jitter under base * 2**n


async def test_retries_stop_after_two_and_the_last_failure_is_raised(clock: FakeClock) -> None:
    client = make_client(clock)
    last = transient(502)
    attempt = Script(transient(), transient(), last)

    with pytest.raises(UpstreamError) as failed:
        await client.call("taobao.item.get", attempt)

    assert failed.value is last
    assert attempt.attempts == 3


@pytest.mark.parametrize("error", [
    Unauthenticated("taobao rejected the session", channel=Channel.TAOBAO),
    NotFound("no such item", channel=Channel.TAOBAO),
    UpstreamError("isv.invalid-parameter", channel=Channel.TAOBAO, sub_code="isv.invalid-parameter",
                  retryable=False),
])
async def test_caller_errors_are_not_retried(clock: FakeClock, error: Exception) -> None:
    client = make_client(clock)
    attempt = Script(error)
    with pytest.raises(type(error)):
        await client.call("taobao.item.get", attempt)
    assert attempt.attempts == 1


async def test_a_call_that_is_not_idempotent_is_not_retried(clock: FakeClock) -> None:
    client = make_client(clock)
    attempt = Script(transient())
    with pytest.raises(UpstreamError):
        await client.call("taobao.item.update", attempt, idempotent=False)
    assert attempt.attempts == 1


async def test_the_deadline_bounds_the_whole_call() -> None:
    client = make_client(deadline_s=0.2)

    async def hangs() -> str:
        await asyncio.Event().wait()   # never answers: only the deadline ends the call
        return "late"

    with pytest.raises(UpstreamTimeout) as timed_out:
        await client.call("taobao.item.get", hangs)
    assert "0.2 s deadline" in timed_out.value.message


# --- the circuit breaker ------------------------------------------------------------------


async def test_the_breaker_opens_fails_fast_and_closes_after_a_good_probe(
    clock: FakeClock,
) -> None:
    client = make_client(clock, breaker_failures=3, breaker_cooldown_s=10, max_retries=0)
    for _ in range(3):
        with pytest.raises(UpstreamError):
            await client.call("taobao.item.get", Script(transient()))
    assert client.breaker.state == "open"

    untouched = Script()
    with pytest.raises(CircuitOpen) as refused:
        await client.call("taobao.item.get", untouched)
    assert untouched.attempts == 0
    assert refused.value.code == "UPSTREAM_ERROR"
    assert refused.value.retry_after == pytest.approx(10.0)
    assert refused.value.message == (
        "taobao upstream circuit is open after 3 consecutive failures; retrying in 10 s"
    )

    clock.advance(10.0)
    assert client.breaker.state == "half_open"
    release = asyncio.Event()

    async def slow_probe() -> str:
        await release.wait()
        return "ok"

    probe = asyncio.create_task(client.call("taobao.item.get", slow_probe))
    await asyncio.sleep(0)
    with pytest.raises(CircuitOpen):                  # one probe at a time
        await client.call("taobao.item.get", untouched)
    release.set()
    assert await probe == "ok"
    assert client.breaker.state == "closed"
    assert await client.call("taobao.item.get", untouched) == "ok"


async def test_a_failed_probe_opens_the_circuit_again(clock: FakeClock) -> None:
    client = make_client(clock, breaker_failures=2, breaker_cooldown_s=5, max_retries=0)
    for _ in range(2):
        with pytest.raises(UpstreamError):
            await client.call("taobao.item.get", Script(transient()))
    clock.advance(5.0)
    with pytest.raises(UpstreamError):
        await client.call("taobao.item.get", Script(transient()))
    assert client.breaker.state == "open"


async def test_answers_that_are_refusals_do_not_open_the_circuit(clock: FakeClock) -> None:
    client = make_client(clock, breaker_failures=2, max_retries=0)
    for _ in range(4):
        with pytest.raises(NotFound):
            await client.call("taobao.item.get", Script(NotFound("gone", channel=Channel.TAOBAO)))
    assert client.breaker.state == "closed"


# --- metrics ------------------------------------------------------------------------------


async def test_metrics_count_each_outcome(clock: FakeClock) -> None:
    client = make_client(clock, channel=Channel.ALIBABA_1688, breaker_failures=1,
                         breaker_cooldown_s=30, max_retries=1)
    method = "metrics.probe"
    before = {o: requests_total("1688", method, o)
              for o in ("ok", "upstream_error", "rate_limited", "banned", "circuit_open")}
    latency_before = REGISTRY.get_sample_value(
        "productgraph_upstream_latency_seconds_count", {"channel": "1688", "method": method}
    ) or 0.0

    assert await client.call(method, Script(transient())) == "ok"    # 1 error + 1 ok
    with pytest.raises(RateLimited):
        await client.call(method, Script(RateLimited("slow down", channel=Channel.ALIBABA_1688,
                                                     retry_after=5)))
    with pytest.raises(RateLimited):
        await client.call(method, Script())                           # banned
    clock.advance(6)
    with pytest.raises(UpstreamError):
        await client.call(method, Script(transient(), transient()))  # opens the circuit
    with pytest.raises(CircuitOpen):
        await client.call(method, Script())

    moved = {o: requests_total("1688", method, o) - before[o] for o in before}
    assert moved == {"ok": 1, "upstream_error": 3, "rate_limited": 1, "banned": 1,
                     "circuit_open": 1}
    latency_after = REGISTRY.get_sample_value(
        "productgraph_upstream_latency_seconds_count", {"channel": "1688", "method": method}
    )
    assert latency_after == latency_before + 5       # attempts that reached the upstream


# --- the real HTTP path -------------------------------------------------------------------


@pytest.fixture
async def flaky_gateway(clock: FakeClock) -> AsyncIterator[tuple[UpstreamClient, list[int]]]:
    """A gateway that answers 503 twice, then 200, behind a real ``UpstreamClient``."""
    answered: list[int] = []

    async def item(request: Request) -> JSONResponse:
        status = 503 if len(answered) < 2 else 200
        answered.append(status)
        return JSONResponse({"item": {"num_iid": request.query_params["id"]}}, status_code=status)

    app = Starlette(routes=[Route("/item", item)])
    client = make_client(clock, transport=httpx.ASGITransport(app=app))
    yield client, answered
    await client.aclose()


async def test_503_twice_then_200_through_http(
    flaky_gateway: tuple[UpstreamClient, list[int]],
) -> None:
    client, answered = flaky_gateway

    def get_item(num_iid: str) -> Callable[[], Awaitable[dict[str, Any]]]:
        async def attempt() -> dict[str, Any]:
            response = await client.request("GET", "/item", api="taobao.item.get",
                                            params={"id": num_iid})
            if response.status_code >= 500:
                raise UpstreamError(f"taobao answered HTTP {response.status_code}",
                                    channel=Channel.TAOBAO, http_status=response.status_code,
                                    retryable=True)
            payload: dict[str, Any] = response.json()
            return payload
        return attempt

    before = requests_total("taobao", "taobao.item.get", "upstream_error")
    payload = await client.call("taobao.item.get", get_item("680123456789"))

    assert payload == {"item": {"num_iid": "680123456789"}}
    assert answered == [503, 503, 200]
    assert client.calls["taobao.item.get"] == 3
    assert requests_total("taobao", "taobao.item.get", "upstream_error") - before == 2

"""The budget is never exceeded at the gateway, whatever the burst, the call durations and
the event-loop lag: a property test on virtual time (``FakeClock``).

The gateway counts a call when it *arrives*, in a sliding window: call X is over the budget
when more than ``limit`` calls (X included) arrived in ``(x - window, x]``. The simulation
puts an arbitrary delay between a grant and the arrival (event-loop lag, the network, a
connection pool), an arbitrary service time, an arbitrary delay before the answer is seen,
and wakes the limiter's own sleeps late by an arbitrary lag.
"""

from __future__ import annotations

import asyncio
import random

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from channels.errors import RateLimited
from channels.http import UpstreamClient, call_deadline
from channels.model import Channel
from channels.policy import UpstreamPolicy
from channels.ratelimit import Budget, BudgetExhausted, LocalQpsLimiter
from tests.channels.fake_clock import FakeClock

QPS = st.one_of(st.sampled_from([0.1, 0.5, 1.0, 2.0, 5.0, 7.5, 40.0, 1000.0]),
                st.floats(min_value=0.1, max_value=1000.0))
SECONDS = st.floats(min_value=0.0, max_value=2.0)
CALL = st.tuples(st.floats(min_value=0.0, max_value=3.0),   # when it is asked for
                 SECONDS,                                    # grant → arrival
                 SECONDS,                                    # service time
                 st.floats(min_value=0.0, max_value=0.5))    # answer → seen
EXAMPLES = settings(max_examples=60, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])


def over_budget(arrivals: list[float], budget: Budget) -> list[float]:
    """Arrivals whose window ``(x - window, x]`` holds more than ``limit`` calls."""
    return [x for x in arrivals
            if sum(1 for y in arrivals if y <= x and not y + budget.window_s <= x)
            > budget.limit]


def lagging(clock: FakeClock, lags: list[float]):  # type: ignore[no-untyped-def]
    """The limiter's sleeps, each woken late by the next lag of ``lags`` (cycled)."""
    turn = iter(range(1 << 30))

    async def sleep(seconds: float) -> None:
        await clock.sleep(seconds + lags[next(turn) % len(lags)])

    return sleep


@EXAMPLES
@given(qps=QPS, calls=st.lists(CALL, min_size=1, max_size=60),
       lags=st.lists(st.floats(min_value=0.0, max_value=0.3), min_size=1, max_size=5))
def test_no_window_at_the_gateway_holds_more_than_the_budget(
    qps: float, calls: list[tuple[float, float, float, float]], lags: list[float],
) -> None:
    budget = Budget.per_second(qps)
    arrivals: list[float] = []

    async def main() -> None:
        clock = FakeClock()
        limiter = LocalQpsLimiter(budget, clock=clock, sleep=lagging(clock, lags))

        async def one(asked: float, transit: float, service: float, back: float) -> None:
            await clock.sleep(asked)
            slot = await limiter.acquire()
            await clock.sleep(transit)
            arrivals.append(clock())
            await clock.sleep(service + back)
            slot.release()

        await asyncio.gather(*(one(*call) for call in calls))

    asyncio.run(main())
    assert len(arrivals) == len(calls)          # nobody failed because of the budget
    assert over_budget(arrivals, budget) == []


@EXAMPLES
@given(qps=QPS, calls=st.lists(CALL, min_size=1, max_size=40),
       failures=st.floats(min_value=0.0, max_value=0.5),
       deadline=st.floats(min_value=0.5, max_value=6.0), seed=st.integers(0, 1000))
def test_retries_and_refusals_through_the_client_never_exceed_it_either(
    qps: float, calls: list[tuple[float, float, float, float]], failures: float,
    deadline: float, seed: int,
) -> None:
    """Through ``UpstreamClient``: every attempt (retries too) holds its own slot; a call
    that cannot be granted before its deadline is refused with a positive ``retryAfter``,
    at once or at the deadline — never later, never a timeout."""
    budget = Budget.per_second(qps)
    arrivals: list[float] = []
    rng = random.Random(seed)
    outcomes: list[str] = []

    async def main() -> None:
        clock = FakeClock()
        durations = iter(calls * 4)

        async def gateway(request: httpx.Request) -> httpx.Response:
            _, transit, service, _ = next(durations)
            await clock.sleep(transit)
            arrivals.append(clock())
            await clock.sleep(service)
            if rng.random() < failures:
                return httpx.Response(503)
            return httpx.Response(200, json={"ok": True})

        client = UpstreamClient(
            Channel.TAOBAO, "http://top.test", transport=httpx.MockTransport(gateway),
            policy=UpstreamPolicy(qps=qps, deadline_s=60.0, backoff_base_s=0.05),
            clock=clock, sleep=clock.sleep, rng=random.Random(seed))

        async def attempt() -> str:
            response = await client.request("GET", "/rest", api="item.get")
            if response.status_code != 200:
                from channels.errors import UpstreamError
                raise UpstreamError("503", channel=Channel.TAOBAO, retryable=True)
            return "ok"

        async def one(asked: float) -> None:
            await clock.sleep(asked)
            due = clock() + deadline
            call_deadline.set(due)
            try:
                await client.call("item.get", attempt)
                outcomes.append("ok")
            except BudgetExhausted as exc:
                assert exc.retry_after is not None and exc.retry_after > 0
                assert clock() <= due + 1e-9           # refused by the deadline, not after
                outcomes.append("refused")
            except RateLimited:
                outcomes.append("refused")
            except Exception as exc:                   # a 503 after the last retry
                outcomes.append(type(exc).__name__)

        await asyncio.gather(*(one(call[0]) for call in calls))
        await client.aclose()

    asyncio.run(main())
    assert len(outcomes) == len(calls)
    assert over_budget(arrivals, budget) == []


async def test_a_call_that_cannot_be_granted_in_time_is_refused_at_once() -> None:
    clock = FakeClock()
    limiter = LocalQpsLimiter(Budget.per_second(1), clock=clock, sleep=clock.sleep)
    first = await limiter.acquire(deadline=clock() + 2)
    first.release()                                  # answered at once: free again at +1 s
    second = limiter.acquire(deadline=clock() + 0.5)
    try:
        await second
    except BudgetExhausted as exc:
        assert exc.code == "RATE_LIMITED"
        assert exc.retry_after is not None and 0 < exc.retry_after <= 1.0
        assert clock.sleeps == []                    # at once: it never waited
    else:
        raise AssertionError("the second call should have been refused")
    granted = await limiter.acquire(deadline=clock() + 1.5)   # feasible: it waits 1 s
    assert clock() == 1001.0
    granted.release()


async def test_a_full_queue_refuses_at_once() -> None:
    clock = FakeClock()
    limiter = LocalQpsLimiter(Budget.per_second(1), clock=clock, sleep=clock.sleep,
                              queue_limit=2)
    held = await limiter.acquire()                   # in flight: everybody else waits
    waiting = [asyncio.ensure_future(limiter.acquire()) for _ in range(2)]
    await asyncio.sleep(0)
    assert limiter.waiting == 2
    try:
        await limiter.acquire()
    except BudgetExhausted as exc:
        assert exc.retry_after is not None and exc.retry_after > 0
    else:
        raise AssertionError("a third waiter should have been refused")
    held.release()
    for future in waiting:                           # served in order, each after the last
        (await future).release()
    assert clock() == 1002.0


async def test_a_waiter_is_woken_by_an_answer_not_by_polling() -> None:
    """With every slot in flight, the next caller sleeps on nothing: it is woken when an
    answer comes back, then waits out the window after that answer."""
    clock = FakeClock()
    limiter = LocalQpsLimiter(Budget.per_second(2), clock=clock, sleep=clock.sleep)
    a, b = await limiter.acquire(), await limiter.acquire()
    third = asyncio.ensure_future(limiter.acquire())
    for _ in range(5):
        await asyncio.sleep(0)
    assert not third.done() and clock.sleeps == []
    clock.advance(3.0)                               # a long call: the answer comes at +3 s
    a.release()
    slot = await third
    assert clock() == 1004.0                         # one window after that answer
    for s in (b, slot):
        s.release()

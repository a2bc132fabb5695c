"""The shared HTTP layer: one ``httpx.AsyncClient`` (its own connection pool) per upstream.

Adapters build requests; this module sends them and turns transport failures into the
typed errors of ``channels.errors``. It never puts a URL, a query string or a body into an
error message: those carry app keys, sessions and tokens.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import random
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator
from contextlib import AbstractContextManager
from contextvars import ContextVar
from typing import Any, Protocol, TypeVar

import httpx

from channels.bans import ALL_APIS, BanList
from channels.breaker import CircuitBreaker, CircuitOpen
from channels.clock import Clock, Sleep
from channels.errors import ChannelError, RateLimited, UpstreamError, UpstreamTimeout
from channels.metrics import BUDGET_WAIT, UPSTREAM_LATENCY, UPSTREAM_REQUESTS, UPSTREAM_RETRIES
from channels.model import Channel
from channels.policy import DEFAULT_QPS, UpstreamPolicy, default_policy, policy_for_channel
from channels.ratelimit import (
    Budget,
    BudgetExhausted,
    LocalQpsLimiter,
    QpsLimiter,
    RedisQpsLimiter,
    Slot,
)
from channels.retry import full_jitter_backoff, is_transient

DEFAULT_TIMEOUT_S = 10.0

T = TypeVar("T")
logger = logging.getLogger(__name__)


class _SlotCredit:
    """The budget slot ``call`` took before an attempt, spent by the attempt's first request;
    later requests of the attempt take their own slots, bounded by the same ``deadline``."""

    __slots__ = ("deadline", "slot")

    def __init__(self, slot: Slot, deadline: float) -> None:
        self.slot: Slot | None = slot
        self.deadline = deadline


_slot_credit: ContextVar[_SlotCredit | None] = ContextVar("_slot_credit", default=None)

#: The absolute time (``time.monotonic``, the clock of the server's clients) by which the
#: caller needs its answer — set by the server for each GraphQL request from its timeout, so
#: a call that cannot get a budget slot in time is refused at once (``RateLimited`` with
#: ``retryAfter``) instead of waiting past it. ``None``: only the policy's deadline applies.
call_deadline: ContextVar[float | None] = ContextVar("call_deadline", default=None)


class UpstreamObservation(Protocol):
    """What a ``RequestObserver``'s context manager yields: told the HTTP answer of each
    request its attempt sends."""

    def answered(self, http_method: str, status_code: int) -> None: ...


#: Watches every upstream attempt made in this context: called with the channel and the
#: api, it returns a context manager held open for the attempt — its request and the
#: parsing of the answer, so a failure the body names (TOP's ``error_response`` in a 200)
#: reaches it as the typed ``ChannelError``, a deadline as ``TimeoutError``.
#: graph/observability.py counts the calls per GraphQL request and opens a tracing span.
RequestObserver = Callable[[Channel, str], AbstractContextManager[UpstreamObservation | None]]
request_observer: ContextVar[RequestObserver | None] = ContextVar("request_observer",
                                                                   default=None)
_observation: ContextVar[UpstreamObservation | None] = ContextVar("_observation",
                                                                  default=None)


class UpstreamClient:
    """Sends one upstream's requests through its own pool, with a timeout per call."""

    def __init__(
        self,
        channel: Channel,
        base_url: str,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        timeout_s: float = DEFAULT_TIMEOUT_S,
        max_connections: int = 64,
        user_agent: str = "productgraph/0.1",
        policy: UpstreamPolicy | None = None,
        redis: Any = None,
        limiter: QpsLimiter | None = None,
        bans: BanList | None = None,
        breaker: CircuitBreaker | None = None,
        clock: Clock = time.monotonic,
        sleep: Sleep = asyncio.sleep,
        rng: random.Random | None = None,
        upstream: str | None = None,
    ) -> None:
        """``upstream`` names the service called (``top``, ``standard``, …; default: the
        channel's name): the QPS budget and the bans are keyed by it, so one marketplace
        reached through two upstreams (Taobao over TOP and over the standard aggregator)
        never shares a budget. ``policy`` defaults to the upstream's (``channels.policy``),
        else the channel's; with ``redis`` (a ``redis.asyncio.Redis``) the QPS budget and
        bans are shared by every process using it. ``limiter``, ``bans`` and ``breaker`` may
        be passed to share them between clients (Taobao and Tmall use one TOP app);
        ``clock``, ``sleep`` and ``rng`` are for tests.
        """
        self.channel = channel
        self.upstream = upstream or channel.value
        self.base_url = base_url
        self.calls: Counter[str] = Counter()
        self.policy = policy or (default_policy(self.upstream) if self.upstream in DEFAULT_QPS
                                 else policy_for_channel(channel))
        self._clock = clock
        self._sleep = sleep
        self._rng = rng or random.Random()
        if limiter is None:
            budget = Budget.per_second(self.policy.qps)
            queue_limit = self.policy.effective_queue_limit
            limiter = (
                RedisQpsLimiter(redis, self.upstream, budget, clock=clock, sleep=sleep,
                                qps=self.policy.qps, queue_limit=queue_limit,
                                fallback_share=self.policy.fallback_share,
                                lease_s=self.policy.deadline_s)
                if redis is not None
                else LocalQpsLimiter(budget, clock=clock, sleep=sleep, queue_limit=queue_limit,
                                     name=self.upstream)
            )
        self.limiter: QpsLimiter = limiter
        self.bans = bans or BanList(self.upstream, redis=redis, clock=clock)
        self.breaker = breaker or CircuitBreaker(
            channel, failure_threshold=self.policy.breaker_failures,
            cooldown_s=self.policy.breaker_cooldown_s, clock=clock,
        )
        def new_http() -> httpx.AsyncClient:
            return httpx.AsyncClient(
                base_url=base_url,
                transport=transport,
                timeout=httpx.Timeout(timeout_s, connect=min(timeout_s, 5.0)),
                limits=httpx.Limits(max_connections=max_connections,
                                    max_keepalive_connections=max_connections),
                headers={"User-Agent": user_agent, "Accept-Encoding": "gzip"},
                follow_redirects=False,
            )

        self._new_http = new_http
        self._http = new_http()
        # At most ``max_connections`` requests are handed to httpx at once, so the pool never
        # makes a request wait for a connection: httpcore 1.0.9 can leak a pool slot for good
        # when a request is cancelled (a timeout is a cancellation inside httpcore) while it
        # waits for one under contention (encode/httpcore#1093), until every request fails
        # with PoolTimeout against a healthy upstream.
        self._connection_slots = asyncio.Semaphore(max_connections)
        self._retired: set[asyncio.Task[None]] = set()

    async def request(
        self,
        http_method: str,
        url: str,
        *,
        api: str,
        params: dict[str, str] | None = None,
        data: dict[str, str] | None = None,
        json: Any = None,
        headers: dict[str, str] | None = None,
    ) -> httpx.Response:
        """Send one request to ``api`` within the QPS budget; transport failures become
        ``UpstreamTimeout``/``UpstreamError``. The request holds its budget slot until its
        answer (or failure) is back: only then is it known to have reached the gateway."""
        credit = _slot_credit.get()
        if credit is not None and credit.slot is not None:
            slot, credit.slot = credit.slot, None  # ``call`` already waited for this slot
        else:
            slot = await self._acquire_slot(
                credit.deadline if credit is not None else self._wait_deadline())
        try:
            return await self._send(slot, http_method, url, api=api, params=params, data=data,
                                    json=json, headers=headers)
        finally:
            slot.release()

    async def _send(self, slot: Slot, http_method: str, url: str, *, api: str,
                    params: dict[str, str] | None, data: dict[str, str] | None, json: Any,
                    headers: dict[str, str] | None) -> httpx.Response:
        self.calls[api] += 1
        try:
            async with self._connection_slots:
                response = await self._http.request(
                    http_method, url, params=params, data=data, json=json, headers=headers)
        except httpx.PoolTimeout as exc:
            # A free pool slot was guaranteed above, so the pool has leaked its slots (see
            # ``__init__``): serve every later request from a fresh pool.
            self._renew_pool()
            raise UpstreamTimeout(
                f"{self.channel.name} did not answer {api} in time (connection pool renewed)",
                channel=self.channel, retryable=True,
            ) from exc
        except httpx.TimeoutException as exc:
            raise UpstreamTimeout(
                f"{self.channel.name} did not answer {api} in time", channel=self.channel
            ) from exc
        except httpx.TransportError as exc:
            raise UpstreamError(
                f"{self.channel.name} could not be reached for {api} ({type(exc).__name__})",
                channel=self.channel, retryable=True,
            ) from exc
        observation = _observation.get()
        if observation is not None:
            observation.answered(http_method, response.status_code)
        return response

    async def call(self, api: str, attempt: Callable[[], Awaitable[T]], *,
                   idempotent: bool = True) -> T:
        """Run one logical upstream call: ``attempt`` sends the request(s) and parses the
        answer, raising typed errors. This is where bans, the QPS budget, the circuit breaker
        and retries apply, so every adapter gets them by routing its calls through here:

        1. a ban on ``api`` (or the channel) raises ``RateLimited`` without any request;
        2. an open circuit raises ``CircuitOpen`` (an ``UpstreamError``) without any request;
        3. each attempt waits for a slot of the QPS budget (its first request uses it; more
           requests in one attempt each wait for their own), each slot held until that
           request's answer; a slot that cannot be had in time — by ``policy.deadline_s`` from
           now, or the context's ``call_deadline`` if earlier — is refused at once with
           ``BudgetExhausted`` (a ``RateLimited`` with ``retry_after``);
        4. a ``RateLimited`` with ``retry_after`` from the upstream starts a ban; a transient
           failure of an ``idempotent`` call is retried up to ``policy.max_retries`` times
           with full-jitter backoff, all within the same deadline.
        """
        name = self.channel.value
        ban = await self.bans.active(api)
        if ban is not None:
            UPSTREAM_REQUESTS.labels(name, api, "banned").inc()
            what = "every call" if ban.api == ALL_APIS else api
            raise RateLimited(
                f"{name} is rate limiting {what} ({ban.sub_code or 'rate limited'}); "
                f"no call until the ban ends in {math.ceil(ban.remaining_s)} s",
                channel=self.channel, sub_code=ban.sub_code, retry_after=ban.remaining_s,
            )
        try:
            self.breaker.before_call()
        except CircuitOpen:
            UPSTREAM_REQUESTS.labels(name, api, "circuit_open").inc()
            raise
        try:
            result = await self._attempts(api, attempt, idempotent)
        except BudgetExhausted as exc:
            UPSTREAM_REQUESTS.labels(name, api, "budget_refused").inc()
            self.breaker.record_abandoned()       # nothing was asked of the upstream
            exc.channel = self.channel
            raise
        except ChannelError as exc:
            if is_transient(exc):
                self.breaker.record_failure()
            else:
                self.breaker.record_success()     # it answered, if only with a refusal
            raise
        except BaseException:
            self.breaker.record_abandoned()
            raise
        self.breaker.record_success()
        return result

    async def _attempts(self, api: str, attempt: Callable[[], Awaitable[T]],
                        idempotent: bool) -> T:
        deadline = self._clock() + self.policy.deadline_s
        wait_until = self._wait_deadline(deadline)
        retries = 0
        while True:
            slot = await self._acquire_slot(wait_until)
            remaining = deadline - self._clock()
            if remaining <= 0:
                slot.release(sent=False)
                raise self._deadline_error(api, retries)
            credit = _SlotCredit(slot, wait_until)
            token = _slot_credit.set(credit)
            started = self._clock()
            timeout = asyncio.timeout(remaining)
            try:
                with self._observed(api):
                    async with timeout:
                        result = await attempt()
            except TimeoutError as exc:
                if not timeout.expired():
                    raise
                self._observe(api, "upstream_timeout", started)
                raise self._deadline_error(api, retries) from exc
            except ChannelError as exc:
                self._observe(api, exc.code.lower(), started)
                if isinstance(exc, RateLimited) and exc.retry_after:
                    await self.bans.record(api, exc.retry_after, exc.sub_code)
                # No retry whose slot could only come after the wait deadline.
                delay = self._retry_delay(exc, retries, idempotent, wait_until)
                if delay is None:
                    raise
                retries += 1
                UPSTREAM_RETRIES.labels(self.channel.value, api).inc()
                await self._sleep(delay)
                continue
            except Exception:
                self._observe(api, "internal_error", started)
                raise
            finally:
                _slot_credit.reset(token)
                if credit.slot is not None:
                    # The attempt sent nothing through ``request`` — it may have reached the
                    # upstream some other way, so its slot counts until now.
                    credit.slot.release()
            self._observe(api, "ok", started)
            return result

    @contextlib.contextmanager
    def _observed(self, api: str) -> Iterator[None]:
        """One attempt under the context's ``request_observer``, if any."""
        observer = request_observer.get()
        if observer is None:
            yield
            return
        with observer(self.channel, api) as observation:
            token = _observation.set(observation)
            try:
                yield
            finally:
                _observation.reset(token)

    def _retry_delay(self, error: ChannelError, retries: int, idempotent: bool,
                     deadline: float) -> float | None:
        """Seconds to wait before retrying, or ``None`` when this failure is final."""
        if not idempotent or retries >= self.policy.max_retries or not is_transient(error):
            return None
        delay = full_jitter_backoff(retries, base_s=self.policy.backoff_base_s,
                                    cap_s=self.policy.backoff_cap_s, rng=self._rng)
        if error.retry_after:                     # e.g. a 503 with Retry-After
            delay = max(delay, error.retry_after)
        if self._clock() + delay >= deadline:
            return None
        return delay

    def _deadline_error(self, api: str, retries: int) -> UpstreamTimeout:
        return UpstreamTimeout(
            f"{self.channel.value} did not answer {api} within the "
            f"{self.policy.deadline_s:g} s deadline ({retries + 1} attempts)",
            channel=self.channel,
        )

    def _wait_deadline(self, deadline: float | None = None) -> float:
        """The latest a budget slot may be granted: the call's deadline (``policy.deadline_s``
        from when it was asked for, the wait for the slot included), or the context's
        ``call_deadline`` if that is earlier. Only the wait is bounded by ``call_deadline``:
        an attempt that was sent keeps the policy's deadline."""
        if deadline is None:
            deadline = self._clock() + self.policy.deadline_s
        bound = call_deadline.get()
        return deadline if bound is None else min(deadline, bound)

    async def _acquire_slot(self, deadline: float) -> Slot:
        started = self._clock()
        slot = await self.limiter.acquire(deadline=deadline)
        BUDGET_WAIT.labels(self.channel.value).observe(max(0.0, self._clock() - started))
        return slot

    def _observe(self, api: str, outcome: str, started: float) -> None:
        UPSTREAM_REQUESTS.labels(self.channel.value, api, outcome).inc()
        UPSTREAM_LATENCY.labels(self.channel.value, api).observe(
            max(0.0, self._clock() - started))

    def _renew_pool(self) -> None:
        old, self._http = self._http, self._new_http()
        logger.warning("%s: the upstream connection pool leaked its slots; renewed it",
                       self.upstream)

        async def retire() -> None:
            with contextlib.suppress(Exception):
                await old.aclose()

        task = asyncio.get_running_loop().create_task(retire())
        self._retired.add(task)
        task.add_done_callback(self._retired.discard)

    async def aclose(self) -> None:
        await self._http.aclose()

"""The QPS budget, as the gateway counts it, and admission control in front of it.

**The rule.** A call holds its place in the budget's log from its grant until its answer (or
failure) comes back; a grant is allowed while fewer than ``limit`` entries are *active* —
in flight, or ended less than ``window_s`` ago. So the next grant waits for ``window_s``
after the *answer* of the call ``limit`` places earlier, not after its grant.

**Why the gateway never sees more than ``limit`` calls in any ``window_s``.** Take a call X
and any call Y that reached the gateway before X. If Y was active when X was granted, it
counts against X's grant; if it was not, Y's answer came back at least ``window_s`` before
X's grant, and Y reached the gateway no later than its answer came back, while X reached it
no earlier than its grant: Y arrived at least ``window_s`` before X. So the calls that reach
the gateway less than ``window_s`` before X (and X itself) were all active at X's grant,
and there were at most ``limit`` of them. No assumption on transit time, event-loop lag,
retries or bursts is needed — only that a request leaves after its grant and that its
answer comes after its arrival, whatever the latency. Grants are timed on one clock
(this process's monotonic clock, or the Redis server's for the shared limiter); the
gateway's clock only has to tick at the same rate.

**Admission control.** ``acquire(deadline=…)`` takes the absolute time by which the call
must be answered. The limiter estimates when the caller would be granted (its place in the
queue, the known end times, a running estimate of call duration for the calls in flight);
if that plus the expected duration passes the deadline, or the queue already holds
``queue_limit`` waiters, it raises ``BudgetExhausted`` (a ``RateLimited`` with
``retry_after`` = the estimate) at once. A wait that looked feasible but runs out is
refused at the deadline the same way, never left to time out.

``RedisQpsLimiter`` keeps the log in one sorted set per upstream (``productgraph:qps:<name>``)
on the Redis server's clock, so every worker and instance shares one budget; when Redis
fails, a process falls back to a local limiter holding only ``fallback_share`` of the
budget, so N instances cut off from Redis never multiply it.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import math
import secrets
import time
from collections import deque
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Protocol

from channels.clock import Clock, Sleep
from channels.errors import RateLimited
from channels.metrics import BUDGET_REFUSED
from channels.redis_fallback import RedisFallback

#: Share of the budget one process keeps while Redis (the shared log) is unreachable.
DEFAULT_FALLBACK_SHARE = 0.25
#: How often a process asks Redis again when every slot of the shared log is in flight.
REDIS_POLL_S = 0.02


@dataclass(frozen=True)
class Budget:
    """At most ``limit`` calls in any ``window_s`` seconds."""

    limit: int
    window_s: float

    @classmethod
    def per_second(cls, qps: float) -> Budget:
        """``qps`` calls a second, as the gateway counts them (on arrival, sliding window):
        ``floor(qps)`` per second from 1 up, one every ``1/qps`` seconds below."""
        if qps <= 0 or not math.isfinite(qps):
            raise ValueError(f"qps must be positive, got {qps}")
        if qps >= 1:
            return cls(limit=math.floor(qps), window_s=1.0)
        return cls(limit=1, window_s=1.0 / qps)

    @property
    def spacing_s(self) -> float:
        return self.window_s / self.limit


class BudgetExhausted(RateLimited):
    """Refused locally: no slot of the budget can be had before the call's deadline (or the
    queue is full). Not a ban, not an upstream answer: nothing was sent."""


class Slot(Protocol):
    """One granted place in the budget, held until the call's answer (or failure)."""

    def release(self, *, sent: bool = True) -> None:
        """The answer came back (or the call failed) now. ``sent=False``: the request was
        never handed to the transport, so it cannot count at the gateway."""
        ...


class QpsLimiter(Protocol):
    budget: Budget

    async def acquire(self, *, deadline: float | None = None) -> Slot:
        """A slot, once the caller may send one request; ``BudgetExhausted`` when none can
        be had before ``deadline`` (absolute, on the limiter's clock)."""
        ...


class SlotContext:
    """``async with limiter_slot(limiter, deadline) as slot``: released on the way out."""

    def __init__(self, limiter: QpsLimiter, deadline: float | None = None) -> None:
        self._limiter = limiter
        self._deadline = deadline
        self._slot: Slot | None = None

    async def __aenter__(self) -> Slot:
        self._slot = await self._limiter.acquire(deadline=self._deadline)
        return self._slot

    async def __aexit__(self, exc_type: type[BaseException] | None,
                        exc: BaseException | None, tb: TracebackType | None) -> None:
        if self._slot is not None:
            self._slot.release()


def refusal(name: str, budget: Budget, why: str, wait: float) -> BudgetExhausted:
    """The ``BudgetExhausted`` of a call refused for ``why`` (``deadline``, ``queue full``),
    counted; ``retry_after`` is the expected wait (at least one slot's spacing)."""
    BUDGET_REFUSED.labels(name or "-", why.replace(" ", "_")).inc()
    retry_after = max(wait, budget.spacing_s)
    return BudgetExhausted(
        f"the {name or 'upstream'} budget of {budget.limit} calls per {budget.window_s:g} s "
        f"has no slot before this request's deadline ({why}); retry in {retry_after:.2f} s",
        retry_after=retry_after, sub_code="budget." + why.replace(" ", "-"))


class DurationEstimate:
    """A running estimate of how long a call holds its slot (grant to answer): the mean of
    the first five, then an exponentially weighted average (weight 0.2)."""

    __slots__ = ("_samples", "seconds")

    def __init__(self) -> None:
        self.seconds = 0.0
        self._samples = 0

    def add(self, taken: float) -> None:
        self._samples += 1
        self.seconds += max(0.2, 1 / self._samples) * (max(0.0, taken) - self.seconds)


class _LocalSlot:
    __slots__ = ("_limiter", "done", "granted")

    def __init__(self, limiter: LocalQpsLimiter, granted: float) -> None:
        self._limiter = limiter
        self.granted = granted
        self.done = False

    def release(self, *, sent: bool = True) -> None:
        if not self.done:
            self.done = True
            self._limiter._release(self, sent)


class _Waiter:
    __slots__ = ("wakeup",)

    def __init__(self) -> None:
        self.wakeup: asyncio.Future[None] | None = None

    def wake(self) -> None:
        if self.wakeup is not None and not self.wakeup.done():
            self.wakeup.set_result(None)


class LocalQpsLimiter:
    """The budget of one process. Waiters are served in arrival order (FIFO), each woken
    when the slot it waits for can be free (an answer came back, or an ended entry leaves
    the window) — no polling; all waits go through the injected ``sleep`` and ``clock``."""

    def __init__(self, budget: Budget, *, clock: Clock = time.monotonic,
                 sleep: Sleep = asyncio.sleep, queue_limit: int | None = None,
                 name: str = "") -> None:
        """``queue_limit``: the most callers that may wait at once (``None``: unbounded);
        past it a caller is refused at once. ``name`` labels the refusals' metric."""
        self.budget = budget
        self.queue_limit = queue_limit
        self.name = name
        self._clock = clock
        self._sleep = sleep
        self._in_flight: set[_LocalSlot] = set()
        self._ended: deque[float] = deque()      # end times, ascending (one clock)
        self._waiters: deque[_Waiter] = deque()
        self.duration = DurationEstimate()

    # -- state

    def _prune(self, now: float) -> None:
        window = self.budget.window_s
        ended = self._ended
        while ended and ended[0] + window <= now:
            ended.popleft()

    def _active(self) -> int:
        return len(self._in_flight) + len(self._ended)

    @property
    def waiting(self) -> int:
        return len(self._waiters)

    def estimate_wait(self, position: int, now: float | None = None) -> float:
        """Seconds until the caller at ``position`` in the queue (0: the head) is expected to
        be granted: each slot frees ``window`` after its (known or expected) end, then serves
        the next waiter for one expected call duration plus ``window``."""
        now = self._clock() if now is None else now
        self._prune(now)
        window, limit = self.budget.window_s, self.budget.limit
        frees = [max(now, end + window) for end in self._ended]
        frees += [max(now, s.granted + self.duration.seconds) + window for s in self._in_flight]
        frees += [now] * (limit - len(frees))
        frees.sort()
        rounds, index = divmod(position, limit)
        return max(0.0, frees[index] - now + rounds * (self.duration.seconds + window))

    def _refusal(self, why: str, wait: float) -> BudgetExhausted:
        return refusal(self.name, self.budget, why, wait)

    # -- acquire / release

    def _grant(self, now: float) -> _LocalSlot:
        slot = _LocalSlot(self, now)
        self._in_flight.add(slot)
        return slot

    def _release(self, slot: _LocalSlot, sent: bool) -> None:
        self._in_flight.discard(slot)
        now = self._clock()
        if sent:
            self._ended.append(now)
            self.duration.add(now - slot.granted)
        if self._waiters:
            self._waiters[0].wake()

    def try_acquire(self) -> _LocalSlot | None:
        """A slot now if one is free and nobody waits, else ``None`` (never waits)."""
        now = self._clock()
        self._prune(now)
        if not self._waiters and self._active() < self.budget.limit:
            return self._grant(now)
        return None

    async def acquire(self, *, deadline: float | None = None) -> _LocalSlot:
        now = self._clock()
        self._prune(now)
        if not self._waiters and self._active() < self.budget.limit:
            return self._grant(now)
        # The last moment a grant still leaves the expected call duration before the deadline.
        last_grant = None if deadline is None else deadline - self.duration.seconds
        position = len(self._waiters)
        if self.queue_limit is not None and position >= self.queue_limit:
            raise self._refusal("queue full", self.estimate_wait(position, now))
        if last_grant is not None:
            expected = self.estimate_wait(position, now)
            if now + expected > last_grant:
                raise self._refusal("deadline", expected)
        waiter = _Waiter()
        self._waiters.append(waiter)
        try:
            while True:
                now = self._clock()
                self._prune(now)
                head = self._waiters[0] is waiter
                if head and self._active() < self.budget.limit:
                    self._waiters.popleft()
                    slot = self._grant(now)
                    if self._waiters:
                        self._waiters[0].wake()
                    return slot
                if last_grant is not None and now >= last_grant:
                    raise self._refusal("deadline", self.estimate_wait(
                        self._waiters.index(waiter), now))
                wake_at = last_grant
                if head and self._ended and len(self._in_flight) < self.budget.limit:
                    frees = self._ended[0] + self.budget.window_s
                    wake_at = frees if wake_at is None else min(wake_at, frees)
                await self._wait(waiter, None if wake_at is None else wake_at - now)
        finally:
            if waiter in self._waiters:
                was_head = self._waiters[0] is waiter
                self._waiters.remove(waiter)
                if was_head and self._waiters:
                    self._waiters[0].wake()

    async def _wait(self, waiter: _Waiter, seconds: float | None) -> None:
        """Until ``waiter`` is woken, or ``seconds`` pass (``None``: no timer)."""
        waiter.wakeup = asyncio.get_running_loop().create_future()
        try:
            if seconds is None:
                await waiter.wakeup
                return
            timer = asyncio.ensure_future(self._sleep(max(0.0, seconds)))
            try:
                await asyncio.wait({waiter.wakeup, timer}, return_when=asyncio.FIRST_COMPLETED)
            finally:
                timer.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await timer
        finally:
            waiter.wakeup = None


# -- the shared log in Redis --------------------------------------------------------------

# KEYS[1] the log; ARGV: limit, window (µs), member, lease (µs).
# Entries are scored by their end: a completed call by its completion time, a call in flight
# by its lease end (grant + deadline + window), so a crashed process's entry expires.
# Returns {1, 0} when granted, else {0, µs until a slot may free (0: all in flight)}.
# TIME in a script that writes needs effect replication, the default since Redis 5.
_ACQUIRE_LUA = """
local key = KEYS[1]
local limit = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
redis.call('ZREMRANGEBYSCORE', key, '-inf', now - window)
if redis.call('ZCARD', key) < limit then
  redis.call('ZADD', key, now + tonumber(ARGV[4]), ARGV[3])
  redis.call('PEXPIRE', key, math.ceil((tonumber(ARGV[4]) + window) / 1000) + 1000)
  return {1, 0}
end
local oldest = redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')
local ends = tonumber(oldest[2])
if ends <= now then
  return {0, math.max(1, ends + window - now)}
end
return {0, 0}
"""

# KEYS[1] the log; ARGV: member. The call answered now: its entry ends now
# (XX: an entry already expired is not brought back).
_RELEASE_LUA = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
redis.call('ZADD', KEYS[1], 'XX', now, ARGV[1])
return 1
"""

# KEYS[1] the log; ARGV: member. The request was never sent: its entry goes.
_CANCEL_LUA = """
redis.call('ZREM', KEYS[1], ARGV[1])
return 1
"""


class _RedisSlot:
    __slots__ = ("_limiter", "done", "granted", "member")

    def __init__(self, limiter: RedisQpsLimiter, member: str, granted: float) -> None:
        self._limiter = limiter
        self.member = member
        self.granted = granted
        self.done = False

    def release(self, *, sent: bool = True) -> None:
        if not self.done:
            self.done = True
            self._limiter._release(self, sent)


class RedisQpsLimiter:
    """One budget shared by every process that uses the same Redis and ``channel_name``."""

    def __init__(
        self,
        redis: Any,
        channel_name: str,
        budget: Budget,
        *,
        fallback: LocalQpsLimiter | None = None,
        fallback_share: float = DEFAULT_FALLBACK_SHARE,
        qps: float | None = None,
        queue_limit: int | None = None,
        lease_s: float = 30.0,
        sleep: Sleep = asyncio.sleep,
        clock: Clock = time.monotonic,
    ) -> None:
        """``fallback`` (default: a local limiter of ``qps × fallback_share``, ``qps``
        defaulting to the budget's rate) serves while Redis is unreachable. ``lease_s``
        bounds an in-flight entry when no deadline is given."""
        self.budget = budget
        self.key = f"productgraph:qps:{channel_name}"
        self.queue_limit = queue_limit
        self._redis = redis
        self._acquire = redis.register_script(_ACQUIRE_LUA)
        self._release_script = redis.register_script(_RELEASE_LUA)
        self._cancel_script = redis.register_script(_CANCEL_LUA)
        rate = (qps if qps is not None else budget.limit / budget.window_s) * fallback_share
        self.fallback = fallback or LocalQpsLimiter(
            Budget.per_second(rate), clock=clock, sleep=sleep, queue_limit=queue_limit,
            name=channel_name)
        self.name = channel_name
        self.duration = DurationEstimate()
        self._guard = RedisFallback(channel_name, "qps", clock=clock)
        self._sleep = sleep
        self._clock = clock
        self._lease_s = lease_s
        self._waiting = 0
        self._lock = asyncio.Lock()   # one ask in flight per process; local waiters queue
        self._pending: set[asyncio.Task[Any]] = set()

    async def acquire(self, *, deadline: float | None = None) -> Slot:
        now = self._clock()
        last_grant = None if deadline is None else deadline - self.duration.seconds
        # This process's waiters queue here; each is expected to take one slot's spacing.
        expected = self._waiting * self.budget.spacing_s
        if self.queue_limit is not None and self._waiting >= self.queue_limit:
            raise refusal(self.name, self.budget, "queue full", expected)
        if last_grant is not None and now + expected > last_grant:
            raise refusal(self.name, self.budget, "deadline", expected)
        self._waiting += 1
        try:
            try:
                async with asyncio.timeout(None if last_grant is None
                                           else max(0.0, last_grant - now)):
                    await self._lock.acquire()
            except TimeoutError:
                raise refusal(self.name, self.budget, "deadline",
                              self._waiting * self.budget.spacing_s) from None
            try:
                return await self._acquire_locked(deadline, last_grant)
            finally:
                self._lock.release()
        finally:
            self._waiting -= 1

    async def _acquire_locked(self, deadline: float | None, last_grant: float | None) -> Slot:
        while True:
            now = self._clock()
            lease = (self._lease_s if deadline is None else max(0.0, deadline - now)) \
                + self.budget.window_s
            member = secrets.token_hex(8)
            answer = await self._guard.run(functools.partial(self._ask, member, lease))
            if answer is None:
                # Redis is down: this process keeps only its share of the budget meanwhile.
                return await self.fallback.acquire(deadline=deadline)
            granted, wait_us = answer
            if granted:
                return _RedisSlot(self, member, self._clock())
            wait = wait_us / 1_000_000 if wait_us else REDIS_POLL_S
            now = self._clock()
            if last_grant is not None and now + wait > last_grant:
                raise refusal(self.name, self.budget, "deadline", wait)
            await self._sleep(wait)

    async def _ask(self, member: str, lease_s: float) -> tuple[int, int]:
        window_us = round(self.budget.window_s * 1_000_000)
        result = await self._acquire(
            keys=[self.key],
            args=[self.budget.limit, window_us, member, round(lease_s * 1_000_000)])
        return int(result[0]), int(result[1])

    def _release(self, slot: _RedisSlot, sent: bool) -> None:
        if sent:
            self.duration.add(self._clock() - slot.granted)
        script = self._release_script if sent else self._cancel_script
        args = [slot.member]

        async def update() -> None:
            # Until this lands the entry keeps its lease end: later than the truth, so safe.
            await self._guard.run(lambda: script(keys=[self.key], args=args))

        try:
            task = asyncio.get_running_loop().create_task(update())
        except RuntimeError:
            return
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)

"""A virtual monotonic clock: ``sleep`` parks the caller, and time jumps to the earliest
wake-up once every task has run as far as it can (the event loop is idle).

Concurrent sleepers wake in the order of their wake-up times, as with a real clock, but no
test ever waits for real time. A lone sleeper sees its ``sleep`` return at once with the
clock moved forward.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools


class FakeClock:
    def __init__(self, start: float = 1000.0) -> None:
        self.now = start
        self.sleeps: list[float] = []
        self._sleepers: list[tuple[float, int, asyncio.Future[None]]] = []
        self._order = itertools.count()
        self._driver: asyncio.Task[None] | None = None

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        loop = asyncio.get_running_loop()
        wake = loop.create_future()
        heapq.heappush(self._sleepers, (self.now + max(0.0, seconds), next(self._order), wake))
        if self._driver is None or self._driver.done():
            self._driver = loop.create_task(self._drive())
        await wake

    async def _drive(self) -> None:
        loop = asyncio.get_running_loop()
        while self._sleepers:
            await _idle(loop)
            while self._sleepers and self._sleepers[0][2].done():   # cancelled sleepers
                heapq.heappop(self._sleepers)
            if not self._sleepers:
                return
            wake_at = self._sleepers[0][0]
            self.now = max(self.now, wake_at)
            while self._sleepers and self._sleepers[0][0] <= self.now:
                _, _, wake = heapq.heappop(self._sleepers)
                if not wake.done():
                    wake.set_result(None)


async def _idle(loop: asyncio.AbstractEventLoop) -> None:
    """Return once no other callback is ready to run (a few turns in a row, so callbacks
    scheduled by callbacks get their turn too)."""
    quiet = 0
    while quiet < 3:
        await asyncio.sleep(0)
        ready = getattr(loop, "_ready", ())
        quiet = quiet + 1 if not ready else 0

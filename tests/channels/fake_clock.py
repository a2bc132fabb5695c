"""A virtual monotonic clock whose ``sleep`` moves time forward instantly."""

from __future__ import annotations

import asyncio


class FakeClock:
    def __init__(self, start: float = 1000.0) -> None:
        self.now = start
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        wake = self.now + max(0.0, seconds)
        await asyncio.sleep(0)          # let other tasks run, as a real sleep would
        self.now = max(self.now, wake)

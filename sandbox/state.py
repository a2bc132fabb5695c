"""Shared state of one sandbox gateway: call statistics and injected faults."""

from __future__ import annotations

import asyncio
import random
import time
from collections import Counter, deque
from dataclasses import dataclass, field


@dataclass
class Faults:
    """What the sandbox does wrong on purpose (set by flags or ``POST /_sandbox/faults``)."""

    latency_ms: float = 0.0
    fail_rate: float = 0.0          # share of calls answered with a retryable 5xx / isp error
    timeout_rate: float = 0.0       # share of calls that hang for ``hang_s``
    garbage_rate: float = 0.0       # share of calls answered with a non-JSON body
    hang_s: float = 30.0
    ban_seconds: int = 0            # > 0: TOP answers code 7 for this long from the next call
    ban_until: float = 0.0
    ban_sub_code: str = "accesscontrol.limited-by-api-access-count"
    qps_limit: float = 0.0          # > 0: TOP answers code 7 (≈1 s ban) past this many calls/s


@dataclass
class SandboxState:
    faults: Faults = field(default_factory=Faults)
    calls: Counter[str] = field(default_factory=Counter)
    per_second: Counter[int] = field(default_factory=Counter)
    rng: random.Random = field(default_factory=lambda: random.Random(7))
    #: Per upstream method, the params of its last call minus ``sign``/``session``/``app_key``.
    last_params: dict[str, dict[str, str]] = field(default_factory=dict)
    #: Arrival times (``time.time()``) of the calls in the last second, for ``qps_limit``.
    recent_calls: deque[float] = field(default_factory=deque)
    qps_ban_until: float = 0.0

    def record(self, api: str) -> None:
        self.calls[api] += 1
        self.per_second[int(time.time())] += 1

    def stats(self) -> dict[str, object]:
        return {
            "calls": dict(self.calls),
            "total": sum(self.calls.values()),
            "peakPerSecond": max(self.per_second.values(), default=0),
            "lastParams": {api: dict(params) for api, params in self.last_params.items()},
        }

    def reset(self) -> None:
        self.calls.clear()
        self.per_second.clear()
        self.last_params.clear()
        self.recent_calls.clear()
        self.qps_ban_until = 0.0

    async def delay(self) -> None:
        if self.faults.latency_ms > 0:
            await asyncio.sleep(self.faults.latency_ms / 1000)

    def roll(self, rate: float) -> bool:
        return rate > 0 and self.rng.random() < rate

"""Shared state of one sandbox gateway: call statistics and injected faults."""

from __future__ import annotations

import asyncio
import random
import time
from collections import Counter, deque
from dataclasses import dataclass, field
from typing import Any, Literal

from sandbox.drift import CatalogDrift


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
    #: Calls per (second, gateway), for the peak rate each gateway saw.
    per_second_by_gateway: Counter[tuple[int, str]] = field(default_factory=Counter)
    #: TOP calls being answered right now, and TOP calls whose client hung up while the
    #: gateway was still working on them (the caller cancelled its request).
    in_flight: int = 0
    disconnected: int = 0
    #: Item prices and stock set or drifting, and how often each item was served.
    drift: CatalogDrift = field(default_factory=CatalogDrift)
    #: TOP calls refused with code 7 (flow control: ``qps_limit``, or an injected ban), per
    #: method — what a client that keeps to its budget never sees.
    rejected: Counter[str] = field(default_factory=Counter)

    def record(self, api: str) -> None:
        self.calls[api] += 1
        second = int(time.time())
        self.per_second[second] += 1
        self.per_second_by_gateway[(second, gateway_of(api))] += 1

    def stats(self) -> dict[str, object]:
        return {
            "calls": dict(self.calls),
            "total": sum(self.calls.values()),
            "peakPerSecond": max(self.per_second.values(), default=0),
            "peakPerSecondByGateway": self.peaks_by_gateway(),
            "inFlight": self.in_flight,
            "disconnected": self.disconnected,
            "rejected": dict(self.rejected),
            "rejectedTotal": sum(self.rejected.values()),
            "lastParams": {api: dict(params) for api, params in self.last_params.items()},
            "servedItems": dict(self.drift.served),
        }

    def peaks_by_gateway(self) -> dict[str, int]:
        peaks: dict[str, int] = {}
        for (_, gateway), count in self.per_second_by_gateway.items():
            peaks[gateway] = max(peaks.get(gateway, 0), count)
        return peaks

    def reset(self) -> None:
        self.calls.clear()
        self.per_second.clear()
        self.per_second_by_gateway.clear()
        self.disconnected = 0
        self.rejected.clear()
        self.last_params.clear()
        self.recent_calls.clear()
        self.qps_ban_until = 0.0
        self.drift.served.clear()

    async def delay(self, request: Any = None) -> bool:
        """Wait the injected latency. Given the Starlette ``request`` (body already read),
        stop early when its client hangs up, count it, and return True."""
        if self.faults.latency_ms <= 0:
            return False
        if request is None:
            await asyncio.sleep(self.faults.latency_ms / 1000)
            return False
        watcher = asyncio.ensure_future(_hung_up(request))
        try:
            done, _ = await asyncio.wait({watcher}, timeout=self.faults.latency_ms / 1000)
        finally:
            watcher.cancel()
        if watcher in done and not watcher.cancelled() and watcher.result():
            self.disconnected += 1
            return True
        return False

    def roll(self, rate: float) -> bool:
        return rate > 0 and self.rng.random() < rate

    async def injected_fault(self) -> Literal["garbage", "failure"] | None:
        """Draw the injected faults of one call, the same way for every protocol: a hang
        (waits ``hang_s``), then a garbage body or a retryable failure, each protocol
        answering them in its own shape. ``None``: answer normally."""
        if self.roll(self.faults.timeout_rate):
            await asyncio.sleep(self.faults.hang_s)
        if self.roll(self.faults.garbage_rate):
            return "garbage"
        if self.roll(self.faults.fail_rate):
            return "failure"
        return None


async def _hung_up(request: Any) -> bool:
    """Wait for the client of ``request`` to disconnect (ASGI ``http.disconnect``)."""
    while True:
        message = await request.receive()
        if message["type"] == "http.disconnect":
            return True


def gateway_of(api: str) -> str:
    """Which emulated gateway an upstream API name belongs to."""
    if api.startswith("taobao.") or api == "<missing method>":
        return "top"
    if api.startswith("vdian."):
        return "weidian"
    if api.startswith("standard."):
        return "standard"
    return "1688"

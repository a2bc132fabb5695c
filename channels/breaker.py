"""A circuit breaker per channel: fail fast while an upstream is down.

    closed ──(N consecutive failed calls)──► open ──(cool-down)──► half_open
      ▲                                        ▲                      │
      └──────────── probe succeeded ───────────┴─── probe failed ─────┘

A failed call is one whose last attempt ended in a transient failure (timeout, connect
error, 5xx, ``isp.*``) after its retries. An upstream that answers, even with "not found"
or a ban, is up. While half-open one probe call goes through and the others fail fast.
"""

from __future__ import annotations

import math
import time
from typing import Literal

from channels.clock import Clock
from channels.errors import UpstreamError
from channels.metrics import CIRCUIT_OPEN
from channels.model import Channel

State = Literal["closed", "open", "half_open"]


class CircuitOpen(UpstreamError):
    """Refused without calling the upstream because its circuit is open."""

    retryable = False


class CircuitBreaker:
    """Counts one channel's consecutive failed calls and refuses calls while open."""

    def __init__(self, channel: Channel, *, failure_threshold: int = 5,
                 cooldown_s: float = 15.0, clock: Clock = time.monotonic) -> None:
        self.channel = channel
        self.failure_threshold = failure_threshold
        self.cooldown_s = cooldown_s
        self._clock = clock
        self._failures = 0
        self._opened_at: float | None = None
        self._probing = False

    @property
    def state(self) -> State:
        """``closed``, ``open`` or ``half_open`` (cool-down over: the next call probes)."""
        if self._opened_at is None:
            return "closed"
        if self._probing or self._clock() >= self._opened_at + self.cooldown_s:
            return "half_open"
        return "open"

    def before_call(self) -> None:
        """Let a call through (as the probe when half-open) or raise ``CircuitOpen``."""
        if self._opened_at is None:
            return
        name = self.channel.value
        if self._probing:
            raise CircuitOpen(
                f"{name} upstream circuit is half-open and a probe call is testing it; "
                "retrying in 1 s",
                channel=self.channel, retry_after=1.0,
            )
        remaining = self._opened_at + self.cooldown_s - self._clock()
        if remaining > 0:
            raise CircuitOpen(
                f"{name} upstream circuit is open after {self._failures} consecutive "
                f"failures; retrying in {math.ceil(remaining)} s",
                channel=self.channel, retry_after=remaining,
            )
        self._probing = True

    def record_success(self) -> None:
        """The upstream answered: close the circuit."""
        self._failures = 0
        self._opened_at = None
        self._probing = False
        CIRCUIT_OPEN.labels(self.channel.value).set(0)

    def record_failure(self) -> None:
        """A call failed for a transient reason: count it; open (again) at the threshold."""
        self._failures += 1
        if self._probing or self._failures >= self.failure_threshold:
            self._opened_at = self._clock()
            CIRCUIT_OPEN.labels(self.channel.value).set(1)
        self._probing = False

    def record_abandoned(self) -> None:
        """The call ended without telling anything (cancelled, a bug): free the probe slot."""
        self._probing = False

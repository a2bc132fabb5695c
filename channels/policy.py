"""How hard one upstream may be called: its QPS budget, retries, deadline and breaker.

The server's settings build one ``UpstreamPolicy`` per channel from ``PRODUCTGRAPH_<CHANNEL>_QPS``
and friends; without settings an adapter gets ``default_policy(<upstream>)``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from channels.model import Channel

#: Calls per second each upstream accepts from one app, shared by every worker and instance.
#: The marketplaces publish no single number (each app's quota is shown in its console and
#: raised on request), so these are deliberately below what a new app is granted; set
#: ``PRODUCTGRAPH_<CHANNEL>_QPS`` to the app's real quota.
DEFAULT_QPS: dict[str, float] = {
    # TOP (Taobao/Tmall): flow control is per app and per app+API (code 7, sub_codes
    # accesscontrol.limited-by-{app,api,app-api}-access-count, docs/protocols.md §1.6). No
    # published default; 40/s stays well under the per-API limits seen on ordinary apps.
    "top": 40.0,
    # 1688 open platform (AOP): throttles with gw.QosAppFrequencyLimit (docs/protocols.md §2),
    # no published number; half of TOP's default.
    "alibaba": 20.0,
    # The 1688 aggregator of seed 004: "频率限制: 10 次/秒" (10 calls per second).
    "alibaba-aggregator": 10.0,
    # Weidian (vdian) open API: no reachable doc (docs/protocols.md §3); as the aggregator.
    "weidian": 10.0,
    # The standard-model aggregator (seed 003 shapes): same vendor family as seed 004.
    "standard": 10.0,
}


@dataclass(frozen=True)
class UpstreamPolicy:
    """The protection one ``UpstreamClient`` applies to every call it makes."""

    #: Budget in calls per second (may be fractional, e.g. 0.5 = one call every 2 s).
    qps: float = 10.0
    #: Retries after the first attempt, for idempotent calls with a retryable failure only.
    max_retries: int = 2
    #: Exponential backoff with full jitter: sleep uniform(0, min(cap, base * 2**retry)).
    backoff_base_s: float = 0.1
    backoff_cap_s: float = 2.0
    #: Whole-call deadline (the wait for a budget slot, all attempts and backoffs), counted
    #: from when the call is asked for; a call that cannot get a slot in time is refused at
    #: once with ``RATE_LIMITED`` and ``retryAfter`` rather than left waiting.
    deadline_s: float = 15.0
    #: The breaker opens after this many consecutive failed calls (retries exhausted) …
    breaker_failures: int = 5
    #: … and lets one probe call through after this cool-down.
    breaker_cooldown_s: float = 15.0
    #: The most calls that may wait for a budget slot at once in one process; past it a
    #: call is refused at once. ``None``: ``qps × deadline_s`` (what the budget can serve
    #: within one deadline), at least the budget's burst.
    queue_limit: int | None = None
    #: Share of ``qps`` one process keeps while Redis (the shared budget) is unreachable,
    #: so N instances cut off from Redis never spend N budgets.
    fallback_share: float = 0.25

    @property
    def effective_queue_limit(self) -> int:
        if self.queue_limit is not None:
            return self.queue_limit
        return max(math.floor(self.qps) or 1, math.ceil(self.qps * self.deadline_s))

    def __post_init__(self) -> None:
        if self.qps <= 0:
            raise ValueError(f"qps must be positive, got {self.qps}")
        if self.queue_limit is not None and self.queue_limit < 0:
            raise ValueError(f"queue_limit must be >= 0, got {self.queue_limit}")
        if not 0 < self.fallback_share <= 1:
            raise ValueError(f"fallback_share must be in (0, 1], got {self.fallback_share}")
        if self.max_retries < 0 or self.breaker_failures < 1:
            raise ValueError("max_retries must be >= 0 and breaker_failures >= 1")


def default_policy(upstream: str) -> UpstreamPolicy:
    """The policy for one of ``DEFAULT_QPS``'s upstreams (``top``, ``alibaba``, …)."""
    return UpstreamPolicy(qps=DEFAULT_QPS[upstream])


def policy_for_channel(channel: Channel) -> UpstreamPolicy:
    """The default policy of the upstream that serves ``channel`` when nothing is configured."""
    upstream = {
        Channel.TAOBAO: "top", Channel.TMALL: "top",
        Channel.ALIBABA_1688: "alibaba", Channel.WEIDIAN: "weidian",
    }[channel]
    return default_policy(upstream)

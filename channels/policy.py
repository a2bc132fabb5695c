"""How hard one upstream may be called: its QPS budget, retries, deadline and breaker.

The server's settings build one ``UpstreamPolicy`` per channel from ``PRODUCTGRAPH_<CHANNEL>_QPS``
and friends; without settings an adapter gets ``default_policy(<upstream>)``.
"""

from __future__ import annotations

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
    #: Whole-call deadline (all attempts and backoffs), counted from the first budget slot:
    #: waiting for the budget itself never fails a call.
    deadline_s: float = 15.0
    #: The breaker opens after this many consecutive failed calls (retries exhausted) …
    breaker_failures: int = 5
    #: … and lets one probe call through after this cool-down.
    breaker_cooldown_s: float = 15.0

    def __post_init__(self) -> None:
        if self.qps <= 0:
            raise ValueError(f"qps must be positive, got {self.qps}")
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

"""Build one adapter per upstream from the settings: the real gateway where credentials are
configured, the bundled sandbox (in process, through ``httpx.ASGITransport``) where not."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import httpx

from channels.alibaba import Alibaba1688AggregatorAdapter, Alibaba1688OpenAdapter
from channels.base import ChannelAdapter, ChannelRegistry, Searchable
from channels.model import Channel
from channels.policy import UpstreamPolicy, default_policy
from channels.standard import StandardAdapter
from channels.top import TopAdapter
from channels.weidian import WeidianAdapter
from graph.settings import Secret, Settings
from sandbox import credentials as sandbox
from sandbox.app import create_sandbox_app

SANDBOX_ORIGIN = "http://sandbox.invalid"
#: The in-process sandbox's budget when no ``PRODUCTGRAPH_<CHANNEL>_QPS`` is set: generous,
#: so tests and benchmarks are throttled only when they ask for it.
SANDBOX_QPS = 10_000.0


def upstream_policy(qps: float | None, upstream: str, *, sandboxed: bool,
                    deadline_s: float | None = None) -> UpstreamPolicy:
    """The upstream's default policy with the configured QPS (``PRODUCTGRAPH_<CHANNEL>_QPS``)
    and whole-call deadline (``PRODUCTGRAPH_UPSTREAM_DEADLINE``)."""
    policy = default_policy(upstream)
    if qps is None and sandboxed:
        qps = SANDBOX_QPS
    if qps is not None:
        policy = dataclasses.replace(policy, qps=qps)
    if deadline_s is not None:
        policy = dataclasses.replace(policy, deadline_s=deadline_s)
    return policy


def build_registry(settings: Settings,
                   sandbox_transport: httpx.AsyncBaseTransport | None = None, *,
                   redis: Any = None) -> ChannelRegistry:
    """Adapters for every channel.

    A channel with its own credentials uses its official gateway (1688: the open platform,
    or the seed-004 aggregator); else the standard-model aggregator when
    ``PRODUCTGRAPH_STANDARD_URL`` is set; else the sandbox. ``sandbox_transport`` defaults to
    an in-process sandbox. Each adapter's QPS budget comes from ``PRODUCTGRAPH_<CHANNEL>_QPS``;
    with ``redis`` (a ``redis.asyncio.Redis``, the cache's when ``PRODUCTGRAPH_CACHE_URL`` is
    Redis) the budgets and bans are shared by every worker and instance.
    """
    transport: httpx.AsyncBaseTransport | None = None

    def sandboxed() -> httpx.AsyncBaseTransport:
        nonlocal transport
        if transport is None:
            transport = sandbox_transport or httpx.ASGITransport(app=create_sandbox_app())
        return transport

    timeout = settings.upstream_timeout_s
    deadline = settings.upstream_call_deadline_s

    def policy_of(qps: float | None, upstream: str, *, sandboxed: bool) -> UpstreamPolicy:
        return upstream_policy(qps, upstream, sandboxed=sandboxed, deadline_s=deadline)

    adapters: list[ChannelAdapter] = []

    # A channel without credentials talks to the in-process sandbox with the sandbox's own
    # credentials: the same adapter and signing, another origin and transport.
    top = settings.taobao
    if top.configured or not settings.standard.url:
        live = top.configured
        if not live:
            top = dataclasses.replace(top, app_key=sandbox.TOP_APP_KEY,
                          app_secret=Secret(sandbox.TOP_APP_SECRET),
                          session=Secret(sandbox.TOP_SESSION),
                          gateway_url=SANDBOX_ORIGIN + sandbox.TOP_PATH)
        adapters.append(TopAdapter(
            app_key=top.app_key, app_secret=top.app_secret.value,
            session=top.session.value or None, sign_method=top.sign_method,
            gateway_url=top.gateway_url, item_method=top.item_method,
            batch_method=top.batch_method or None, timeout_s=timeout,
            policy=policy_of(top.qps, "top", sandboxed=not live),
            redis=redis, transport=None if live else sandboxed()))

    ali = settings.alibaba_1688
    if ali.uses_aggregator:
        adapters.append(Alibaba1688AggregatorAdapter(
            url=ali.aggregator_url, token=ali.aggregator_token.value,
            shop_id=ali.shop_id or None, timeout_s=timeout,
            policy=policy_of(ali.qps, "alibaba-aggregator", sandboxed=False), redis=redis))
    elif ali.uses_open_platform or not settings.standard.url:
        live = ali.uses_open_platform
        if not live:
            ali = dataclasses.replace(ali, app_key=sandbox.AOP_APP_KEY,
                          app_secret=Secret(sandbox.AOP_APP_SECRET),
                          access_token=Secret(sandbox.AOP_ACCESS_TOKEN),
                          gateway_url=SANDBOX_ORIGIN + sandbox.AOP_PATH)
        adapters.append(Alibaba1688OpenAdapter(
            app_key=ali.app_key, app_secret=ali.app_secret.value,
            access_token=ali.access_token.value, gateway_url=ali.gateway_url, timeout_s=timeout,
            policy=policy_of(ali.qps, "alibaba", sandboxed=not live), redis=redis,
            transport=None if live else sandboxed()))

    wd = settings.weidian
    if wd.access_token or not settings.standard.url:
        live = bool(wd.access_token)
        if not live:
            wd = dataclasses.replace(wd, access_token=Secret(sandbox.WEIDIAN_ACCESS_TOKEN),
                         gateway_url=SANDBOX_ORIGIN + sandbox.WEIDIAN_PATH)
        adapters.append(WeidianAdapter(
            access_token=wd.access_token.value, gateway_url=wd.gateway_url,
            timeout_s=timeout, policy=policy_of(wd.qps, "weidian", sandboxed=not live),
            redis=redis, transport=None if live else sandboxed()))

    std = settings.standard
    aggregator = None
    if std.url:
        # One aggregator, one budget: fetching for the channels nobody else serves and
        # searching every channel share its client.
        aggregator = StandardAdapter(base_url=std.url, token=std.token.value,
                                     channels=tuple(Channel), language=std.language or None,
                                     timeout_s=timeout, redis=redis,
                                     policy=policy_of(std.qps, "standard", sandboxed=False))
        served = {c for a in adapters for c in a.channels}
        rest = tuple(c for c in Channel if c not in served)
        if rest:
            adapters.append(aggregator.for_channels(rest))
    return ChannelRegistry(adapters, searchers=_searchers(
        settings, sandboxed, aggregator, timeout_s=timeout, redis=redis,
        sandbox_policy=policy_of(std.qps, "standard", sandboxed=True)))


def _searchers(settings: Settings, sandboxed: Callable[[], httpx.AsyncBaseTransport],
               aggregator: StandardAdapter | None, *, timeout_s: float, redis: Any,
               sandbox_policy: UpstreamPolicy) -> dict[Channel, Searchable]:
    """Who answers ``search``/``searchByImage`` per channel. The official gateways we use
    cannot keyword-search the public marketplace (TOP's item APIs list only the session's
    own shop), so: the standard ``aggregator`` for every channel when one is configured;
    else the sandbox's aggregator for each channel still in sandbox mode (with the sandbox's
    budget, as the other sandboxed adapters); else nobody (CAPABILITY_NOT_SUPPORTED)."""
    if aggregator is not None:
        return dict.fromkeys(Channel, aggregator)
    in_sandbox = [channel for channel, configured in (
        (Channel.TAOBAO, settings.taobao.configured),
        (Channel.TMALL, settings.taobao.configured),
        (Channel.ALIBABA_1688, settings.alibaba_1688.uses_open_platform
         or settings.alibaba_1688.uses_aggregator),
        (Channel.WEIDIAN, bool(settings.weidian.access_token)),
    ) if not configured]
    if not in_sandbox:
        return {}
    searcher = StandardAdapter(
        base_url=SANDBOX_ORIGIN + sandbox.STANDARD_PATH, token=sandbox.STANDARD_TOKEN,
        channels=tuple(in_sandbox), transport=sandboxed(), timeout_s=timeout_s,
        policy=sandbox_policy, redis=redis)
    return dict.fromkeys(in_sandbox, searcher)

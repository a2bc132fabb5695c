"""Build one adapter per upstream from the settings: the real gateway where credentials are
configured, the bundled sandbox (in process, through ``httpx.ASGITransport``) where not.

``bundled_sandbox`` is graph/'s one door to the sandbox package, imported only when a
channel has no credentials (or for ``productgraph sandbox``): a worker with every
credential set never builds the sandbox's catalogs.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any, TypeVar

import httpx

from channels.alibaba import Alibaba1688AggregatorAdapter, Alibaba1688OpenAdapter
from channels.base import ChannelAdapter, ChannelRegistry, Searchable
from channels.layered import LayeredAdapter
from channels.model import Channel
from channels.policy import UpstreamPolicy, default_policy
from channels.share_links import LinkResolver
from channels.short_links import ShortLinkFollower, hosts_of, static_resolver, system_resolver
from channels.standard import StandardAdapter
from channels.tbk import TbkAdapter
from channels.top import TopAdapter
from channels.weidian import WeidianAdapter
from graph.settings import (
    Alibaba1688Settings,
    BudgetSettings,
    Environment,
    Settings,
    TaobaoSettings,
    WeidianSettings,
)

SANDBOX_ORIGIN = "http://sandbox.invalid"
#: The in-process sandbox's budget when no ``PRODUCTGRAPH_<CHANNEL>_QPS`` is set: generous,
#: so tests and benchmarks are throttled only when they ask for it.
SANDBOX_QPS = 10_000.0


@dataclasses.dataclass(frozen=True)
class BundledSandbox:
    """The bundled sandbox gateway (sandbox/), as graph/ uses it."""

    #: The ``PRODUCTGRAPH_*`` variables that point every channel at it, with its credentials.
    environment: dict[str, str]
    #: Its standard-model aggregator: the searcher of the channels in sandbox mode.
    search_url: str
    search_token: str
    #: Builds the gateway's ASGI app (keywords: ``sandbox.state.Faults``' fields).
    create_app: Callable[..., Any]


def bundled_sandbox(origin: str = SANDBOX_ORIGIN) -> BundledSandbox:
    """The sandbox served at ``origin``. The only place graph/ imports the sandbox package;
    its catalogs are built when the first app is."""
    from sandbox import credentials

    def create_app(drift_ids: Any = (), drift_interval_s: float = 5.0, **faults: Any) -> Any:
        from sandbox.app import create_sandbox_app
        from sandbox.state import Faults

        return create_sandbox_app(Faults(**faults), drift_ids=drift_ids,
                                  drift_interval_s=drift_interval_s)

    return BundledSandbox(environment=credentials.environment(origin),
                          search_url=origin + credentials.STANDARD_PATH,
                          search_token=credentials.STANDARD_TOKEN, create_app=create_app)


ChannelSettings = TypeVar("ChannelSettings", TaobaoSettings, Alibaba1688Settings,
                          WeidianSettings)


def overlaid(current: ChannelSettings, environment: dict[str, str]) -> ChannelSettings:
    """``current`` with what ``environment`` sets for its channel (credentials, gateway);
    the rest (sign method, item methods, QPS) stays as configured."""
    given = type(current).from_env(Environment(environment))
    default = type(current)()
    return dataclasses.replace(current, **{
        f.name: getattr(given, f.name) for f in dataclasses.fields(current)
        if getattr(given, f.name) != getattr(default, f.name)})


def upstream_policy(qps: float | None, upstream: str, *, sandboxed: bool,
                    deadline_s: float | None = None,
                    budget: BudgetSettings | None = None) -> UpstreamPolicy:
    """The upstream's default policy with the configured QPS (``PRODUCTGRAPH_<CHANNEL>_QPS``),
    whole-call deadline (``PRODUCTGRAPH_UPSTREAM_DEADLINE``), queue limit and Redis-fallback
    share (``PRODUCTGRAPH_<CHANNEL>_QUEUE_LIMIT``, ``…_QPS_FALLBACK_SHARE``)."""
    policy = default_policy(upstream)
    if budget is not None and budget.queue_limit is not None:
        policy = dataclasses.replace(policy, queue_limit=budget.queue_limit)
    if budget is not None and budget.fallback_share is not None:
        policy = dataclasses.replace(policy, fallback_share=budget.fallback_share)
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
    sandbox: BundledSandbox | None = None
    transport: httpx.AsyncBaseTransport | None = None

    def the_sandbox() -> BundledSandbox:
        nonlocal sandbox
        if sandbox is None:
            sandbox = bundled_sandbox()
        return sandbox

    def sandboxed() -> httpx.AsyncBaseTransport:
        nonlocal transport
        if transport is None:
            transport = sandbox_transport or httpx.ASGITransport(app=the_sandbox().create_app())
        return transport

    timeout = settings.upstream_timeout_s
    deadline = settings.upstream_call_deadline_s

    def policy_of(qps: float | None, upstream: str, *, sandboxed: bool) -> UpstreamPolicy:
        return upstream_policy(qps, upstream, sandboxed=sandboxed, deadline_s=deadline,
                               budget=settings.budget(upstream))

    adapters: list[ChannelAdapter] = []

    # A channel without credentials talks to the in-process sandbox with the sandbox's own
    # credentials: the same adapter and signing, another origin and transport.
    top = settings.taobao
    tbk: TbkAdapter | None = None
    if top.configured or not settings.standard.url:
        live = top.configured
        if not live:
            top = overlaid(top, the_sandbox().environment)
        top_adapter = TopAdapter(
            app_key=top.app_key, app_secret=top.app_secret.value,
            session=top.session.value or None, sign_method=top.sign_method,
            gateway_url=top.gateway_url, item_method=top.item_method,
            batch_method=top.batch_method or None, timeout_s=timeout,
            policy=policy_of(top.qps, "top", sandboxed=not live),
            redis=redis, transport=None if live else sandboxed())
        # The affiliate API (one client with the seller methods) also resolves 淘口令.
        tbk = TbkAdapter(top_adapter, adzone_id=top.adzone_id,
                         coupons=top.affiliate_coupons) if top.adzone_id else None
        adapters.append(top_adapter if top.item_source != "affiliate" or tbk is None
                        else tbk)

    ali = settings.alibaba_1688
    if ali.uses_aggregator:
        adapters.append(Alibaba1688AggregatorAdapter(
            url=ali.aggregator_url, token=ali.aggregator_token.value,
            shop_id=ali.shop_id or None, timeout_s=timeout,
            policy=policy_of(ali.qps, "alibaba-aggregator", sandboxed=False), redis=redis))
    elif ali.uses_open_platform or not settings.standard.url:
        live = ali.uses_open_platform
        if not live:
            ali = overlaid(ali, the_sandbox().environment)
        adapters.append(Alibaba1688OpenAdapter(
            app_key=ali.app_key, app_secret=ali.app_secret.value,
            access_token=ali.access_token.value, gateway_url=ali.gateway_url, timeout_s=timeout,
            policy=policy_of(ali.qps, "alibaba", sandboxed=not live), redis=redis,
            transport=None if live else sandboxed()))

    wd = settings.weidian
    if wd.access_token or not settings.standard.url:
        live = bool(wd.access_token)
        if not live:
            wd = overlaid(wd, the_sandbox().environment)
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
    if tbk is not None and tbk in adapters and aggregator is not None:
        # The affiliate answer has no SKUs: the aggregator answers them, in the same wave.
        adapters[adapters.index(tbk)] = LayeredAdapter(
            [tbk, aggregator.for_channels(tbk.channels)])
    return ChannelRegistry(adapters, searchers=_searchers(
        settings, the_sandbox, sandboxed, aggregator, timeout_s=timeout, redis=redis,
        sandbox_policy=policy_of(std.qps, "standard", sandboxed=True)),
        links=link_resolver(settings, tbk))


def link_resolver(settings: Settings, converter: TbkAdapter | None) -> LinkResolver:
    """``productByText``'s resolver: 淘口令 through ``converter`` (the affiliate API, when an
    adzone is configured), short links through the guarded follower."""
    links = settings.links
    follower = None
    if links.short_link_hosts:
        follower = ShortLinkFollower(
            hosts=hosts_of(links.short_link_hosts),
            resolver=static_resolver(links.dns, system_resolver) if links.dns
            else system_resolver,
            allow_loopback=links.allow_loopback, max_hops=links.max_hops,
            deadline_s=links.deadline_s)
    return LinkResolver(converter=converter, follower=follower)


def _searchers(settings: Settings, the_sandbox: Callable[[], BundledSandbox],
               sandboxed: Callable[[], httpx.AsyncBaseTransport],
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
    sandbox = the_sandbox()
    searcher = StandardAdapter(
        base_url=sandbox.search_url, token=sandbox.search_token,
        channels=tuple(in_sandbox), transport=sandboxed(), timeout_s=timeout_s,
        policy=sandbox_policy, redis=redis)
    return dict.fromkeys(in_sandbox, searcher)

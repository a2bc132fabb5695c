"""Configuration: environment variables prefixed ``PRODUCTGRAPH_``, read once at start-up.

Each channel is served by the bundled sandbox until its credentials are set. Secrets are
held in ``Secret`` wrappers whose ``repr``/``str`` never show the value, so a settings
object can be logged or shown in a traceback without leaking anything.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, overload

from channels import alibaba, tbk, top, weidian
from channels.http import DEFAULT_TIMEOUT_S
from channels.model import Part
from graph.limits import OperationLimits
from graph.link_settings import LinkSettings, link_settings
from resolvers.part_cache import DEFAULT_CACHE_MAX_AGE_S, DEFAULT_CACHE_TTL_S, CacheSettings
from resolvers.storage import DEFAULT_DATABASE_URL, async_url
from resolvers.watch.config import WatchSettings

if TYPE_CHECKING:
    from graph.localization import LocalizationSettings


class Secret:
    """A credential. ``str()`` and ``repr()`` are masked; ``.value`` is the real thing."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    @property
    def value(self) -> str:
        return self._value

    def __bool__(self) -> bool:
        return bool(self._value)

    def __repr__(self) -> str:
        return "Secret('********')" if self._value else "Secret('')"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)


class SettingsError(ValueError):
    """A configuration variable has a value the server cannot use."""


SIGN_METHODS = top.SIGN_METHODS
ITEM_SOURCES = ("seller", "affiliate")


@dataclass(frozen=True)
class TaobaoSettings:
    app_key: str = ""
    app_secret: Secret = field(default_factory=lambda: Secret(""))
    session: Secret = field(default_factory=lambda: Secret(""))
    sign_method: str = "md5"
    gateway_url: str = top.DEFAULT_GATEWAY_URL
    item_method: str = top.DEFAULT_ITEM_METHOD
    batch_method: str = top.DEFAULT_BATCH_METHOD
    qps: float | None = None
    #: ``seller``: the seller methods (a session's own items); ``affiliate``: any public
    #: item through the 淘宝客 API (channels/tbk.py), SKUs from the aggregator if any.
    item_source: str = "seller"
    #: The affiliate adzone (the last part of the PID ``mm_<member>_<site>_<adzone>``).
    adzone_id: str = ""
    #: The affiliate app is granted ``taobao.tbk.item.info.upgrade.get``: ``price.afterCoupon``
    #: and ``price.coupon`` come from it (channels/tbk.py).
    affiliate_coupons: bool = False

    @property
    def configured(self) -> bool:
        return bool(self.app_key)

    @classmethod
    def from_env(cls, env: Environment) -> TaobaoSettings:
        """Read ``PRODUCTGRAPH_TAOBAO_*``."""
        taobao = cls(
            app_key=env.text("TAOBAO_APP_KEY"),
            app_secret=Secret(env.text("TAOBAO_APP_SECRET")),
            session=Secret(env.text("TAOBAO_SESSION")),
            sign_method=env.choice("TAOBAO_SIGN_METHOD", "md5", SIGN_METHODS,
                                   f"must be one of {', '.join(SIGN_METHODS)}"),
            gateway_url=env.text("TAOBAO_GATEWAY_URL") or cls.gateway_url,
            item_method=env.text("TAOBAO_ITEM_METHOD") or cls.item_method,
            # Set but empty means "no batch method": one call per item.
            batch_method=env.text("TAOBAO_BATCH_METHOD", cls.batch_method),
            qps=env.positive("TAOBAO_QPS", None),
            item_source=env.choice("TAOBAO_ITEM_SOURCE", "seller", ITEM_SOURCES,
                                   f"must be one of {', '.join(ITEM_SOURCES)}"),
            adzone_id=env.text("TAOBAO_ADZONE_ID"),
            affiliate_coupons=bool(env.switch("TAOBAO_AFFILIATE_COUPONS")),
        )
        if taobao.adzone_id:
            try:
                tbk.check_adzone_id(taobao.adzone_id)
            except ValueError as exc:
                raise SettingsError(f"PRODUCTGRAPH_TAOBAO_ADZONE_ID: {exc}") from None
        if taobao.item_source == "affiliate" and taobao.app_key and not taobao.adzone_id:
            raise SettingsError("PRODUCTGRAPH_TAOBAO_ITEM_SOURCE=affiliate needs "
                                "PRODUCTGRAPH_TAOBAO_ADZONE_ID (the affiliate PID's adzone)")
        if taobao.app_key and not taobao.app_secret:
            raise SettingsError(
                "PRODUCTGRAPH_TAOBAO_APP_KEY is set but PRODUCTGRAPH_TAOBAO_APP_SECRET is not")
        return taobao


@dataclass(frozen=True)
class Alibaba1688Settings:
    app_key: str = ""
    app_secret: Secret = field(default_factory=lambda: Secret(""))
    access_token: Secret = field(default_factory=lambda: Secret(""))
    gateway_url: str = alibaba.DEFAULT_GATEWAY_URL
    aggregator_url: str = ""
    aggregator_token: Secret = field(default_factory=lambda: Secret(""))
    shop_id: str = ""
    qps: float | None = None

    @property
    def uses_open_platform(self) -> bool:
        return bool(self.app_key)

    @property
    def uses_aggregator(self) -> bool:
        return bool(self.aggregator_url) and not self.app_key

    @classmethod
    def from_env(cls, env: Environment) -> Alibaba1688Settings:
        """Read ``PRODUCTGRAPH_1688_*``."""
        alibaba = cls(
            app_key=env.text("1688_APP_KEY"),
            app_secret=Secret(env.text("1688_APP_SECRET")),
            access_token=Secret(env.text("1688_ACCESS_TOKEN")),
            gateway_url=env.text("1688_GATEWAY_URL") or cls.gateway_url,
            aggregator_url=env.text("1688_AGGREGATOR_URL"),
            aggregator_token=Secret(env.text("1688_AGGREGATOR_TOKEN")),
            shop_id=env.text("1688_SHOP_ID"),
            qps=env.positive("1688_QPS", None),
        )
        if alibaba.app_key and not alibaba.app_secret:
            raise SettingsError(
                "PRODUCTGRAPH_1688_APP_KEY is set but PRODUCTGRAPH_1688_APP_SECRET is not")
        return alibaba


@dataclass(frozen=True)
class WeidianSettings:
    access_token: Secret = field(default_factory=lambda: Secret(""))
    gateway_url: str = weidian.DEFAULT_GATEWAY_URL
    qps: float | None = None

    @classmethod
    def from_env(cls, env: Environment) -> WeidianSettings:
        """Read ``PRODUCTGRAPH_WEIDIAN_*``."""
        return cls(
            access_token=Secret(env.text("WEIDIAN_ACCESS_TOKEN")),
            gateway_url=env.text("WEIDIAN_GATEWAY_URL") or cls.gateway_url,
            qps=env.positive("WEIDIAN_QPS", None),
        )


@dataclass(frozen=True)
class StandardSettings:
    """The seed-003 standard-model aggregator (any channel)."""

    url: str = ""
    token: Secret = field(default_factory=lambda: Secret(""))
    language: str = ""
    qps: float | None = None


#: The default deadline is at most this long, unless one attempt alone takes longer.
UPSTREAM_DEADLINE_CAP_S = 15.0


def default_upstream_deadline(timeout_s: float) -> float:
    """Room for a retry after one timed-out attempt (2 × the timeout), at most 15 s, never
    less than one attempt: 10 s → 15 s, 1 s → 2 s, 20 s → 20 s."""
    return min(2 * timeout_s, max(timeout_s, UPSTREAM_DEADLINE_CAP_S))


#: The prefix of each upstream's ``PRODUCTGRAPH_<PREFIX>_QUEUE_LIMIT`` and
#: ``PRODUCTGRAPH_<PREFIX>_QPS_FALLBACK_SHARE`` (the prefix of its ``…_QPS``).
BUDGET_PREFIXES: dict[str, str] = {
    "top": "TAOBAO", "alibaba": "1688", "alibaba-aggregator": "1688",
    "weidian": "WEIDIAN", "standard": "STANDARD",
}


@dataclass(frozen=True)
class BudgetSettings:
    """How one upstream's budget is shared out (``channels.policy.UpstreamPolicy``)."""

    #: ``PRODUCTGRAPH_<PREFIX>_QUEUE_LIMIT``: the most calls one process lets wait for a
    #: budget slot; ``None``: qps × the upstream deadline.
    queue_limit: int | None = None
    #: ``PRODUCTGRAPH_<PREFIX>_QPS_FALLBACK_SHARE``: the share of the QPS one process keeps
    #: while Redis is unreachable; ``None``: 0.25.
    fallback_share: float | None = None

    @classmethod
    def from_env(cls, env: Environment, prefix: str) -> BudgetSettings:
        share = env.positive(f"{prefix}_QPS_FALLBACK_SHARE", None)
        if share is not None and share > 1:
            raise SettingsError(
                f"PRODUCTGRAPH_{prefix}_QPS_FALLBACK_SHARE must be at most 1, got {share:g}")
        raw_limit = env.text(f"{prefix}_QUEUE_LIMIT")
        limit = env.count(f"{prefix}_QUEUE_LIMIT", 0, zero=True) if raw_limit else None
        return cls(queue_limit=limit, fallback_share=share)


@dataclass(frozen=True)
class ResponseCacheSettings:
    """The response cache (graph/response_cache.py): ``PRODUCTGRAPH_RESPONSE_CACHE``
    (on by default), ``…_MAX_BYTES`` (64 MiB), ``…_MAX_ENTRIES`` (10 000), ``…_MAX_TTL``
    (3600 s, the longest any answer is replayed whatever its parts say)."""

    enabled: bool = True
    max_bytes: int = 64 * 1024 * 1024
    max_entries: int = 10_000
    max_ttl_s: float = 3600.0

    @classmethod
    def from_env(cls, env: Environment) -> ResponseCacheSettings:
        switch = env.switch("RESPONSE_CACHE")
        return cls(enabled=cls.enabled if switch is None else switch,
                   max_bytes=env.count("RESPONSE_CACHE_MAX_BYTES", cls.max_bytes),
                   max_entries=env.count("RESPONSE_CACHE_MAX_ENTRIES", cls.max_entries),
                   max_ttl_s=env.positive("RESPONSE_CACHE_MAX_TTL", cls.max_ttl_s))


@dataclass(frozen=True)
class Settings:
    env: str = "development"
    host: str = "127.0.0.1"
    port: int = 8000
    workers: int = 1
    #: One attempt of an upstream call (httpx's connect/read/write/pool timeout).
    upstream_timeout_s: float = DEFAULT_TIMEOUT_S
    #: One logical upstream call, every attempt and backoff included; ``None``: derived
    #: from the timeout (``default_upstream_deadline``).
    upstream_deadline_s: float | None = None
    max_ids: int = 100
    taobao: TaobaoSettings = field(default_factory=TaobaoSettings)
    alibaba_1688: Alibaba1688Settings = field(default_factory=Alibaba1688Settings)
    weidian: WeidianSettings = field(default_factory=WeidianSettings)
    standard: StandardSettings = field(default_factory=StandardSettings)
    cache: CacheSettings = field(default_factory=CacheSettings)
    response_cache: ResponseCacheSettings = field(default_factory=ResponseCacheSettings)
    serving: ServingSettings = field(default_factory=lambda: ServingSettings())
    #: Per ``BUDGET_PREFIXES`` prefix; a prefix not here has the defaults.
    budgets: Mapping[str, BudgetSettings] = field(default_factory=dict)

    def budget(self, upstream: str) -> BudgetSettings:
        return self.budgets.get(BUDGET_PREFIXES.get(upstream, ""), BudgetSettings())
    #: Translation providers, glossary and currency rates (graph/localization.py).
    localization: LocalizationSettings = field(default_factory=lambda: _localization())
    links: LinkSettings = field(default_factory=LinkSettings)
    watch: WatchSettings = field(default_factory=WatchSettings)

    @property
    def production(self) -> bool:
        return self.env == "production"

    @property
    def upstream_call_deadline_s(self) -> float:
        """What a client waits at most for one upstream call, retries included."""
        if self.upstream_deadline_s is not None:
            return self.upstream_deadline_s
        return default_upstream_deadline(self.upstream_timeout_s)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Read every ``PRODUCTGRAPH_*`` variable; raise ``SettingsError`` naming a bad one."""
        env = Environment(os.environ if environ is None else environ)
        taobao = TaobaoSettings.from_env(env)
        mode = env.choice("ENV", "development", ("development", "production"),
                          "must be development or production")
        alibaba = Alibaba1688Settings.from_env(env)
        weidian = WeidianSettings.from_env(env)
        standard = StandardSettings(
            url=env.text("STANDARD_URL").rstrip("/"),
            token=Secret(env.text("STANDARD_TOKEN")),
            language=env.text("STANDARD_LANGUAGE"),
            qps=env.positive("STANDARD_QPS", None),
        )
        return cls(
            env=mode,
            host=env.text("HOST", "127.0.0.1"),
            workers=env.count("WORKERS", 1),
            port=env.count("PORT", 8000),
            upstream_timeout_s=env.positive("UPSTREAM_TIMEOUT", DEFAULT_TIMEOUT_S),
            upstream_deadline_s=env.positive("UPSTREAM_DEADLINE", None),
            taobao=taobao,
            alibaba_1688=alibaba,
            weidian=weidian,
            standard=standard,
            cache=_cache_settings(env),
            response_cache=ResponseCacheSettings.from_env(env),
            serving=_serving_settings(env),
            budgets={prefix: BudgetSettings.from_env(env, prefix)
                     for prefix in dict.fromkeys(BUDGET_PREFIXES.values())},
            localization=_localization(env),
            links=link_settings(env, production=mode == "production"),
            watch=_watch_settings(env),
        )


class Environment:
    """The ``PRODUCTGRAPH_*`` variables, read by type. A text variable that is set counts
    even when empty; a number or a switch that is empty counts as unset (its default).
    Every error names the variable."""

    def __init__(self, environ: Mapping[str, str]) -> None:
        self.environ = environ

    def text(self, name: str, default: str = "") -> str:
        return self.environ.get(f"PRODUCTGRAPH_{name}", default).strip()

    def choice(self, name: str, default: str, choices: tuple[str, ...], rule: str) -> str:
        value = self.text(name, default).lower()
        if value not in choices:
            raise SettingsError(f"PRODUCTGRAPH_{name} {rule}; got {value!r}")
        return value

    def _number(self, name: str, kind: Callable[[str], float]) -> tuple[str, float] | None:
        raw = self.text(name)
        if not raw:
            return None
        try:
            return raw, kind(raw)
        except ValueError:
            raise SettingsError(f"PRODUCTGRAPH_{name} must be a number, got {raw!r}") from None

    @overload
    def positive(self, name: str, default: float) -> float: ...
    @overload
    def positive(self, name: str, default: None) -> float | None: ...

    def positive(self, name: str, default: float | None) -> float | None:
        """A number above 0."""
        read = self._number(name, float)
        if read is None:
            return default
        raw, value = read
        if value <= 0:
            raise SettingsError(f"PRODUCTGRAPH_{name} must be positive, got {raw!r}")
        return value

    def count(self, name: str, default: int, *, zero: bool = False) -> int:
        """A whole number above 0 (or 0 too, with ``zero``)."""
        read = self._number(name, int)
        if read is None:
            return default
        raw, value = read
        if value < 0 or (value == 0 and not zero):
            raise SettingsError(f"PRODUCTGRAPH_{name} must be positive, got {raw!r}")
        return int(value)

    def switch(self, name: str) -> bool | None:
        """true/false (1/0, yes/no, on/off); ``None`` when unset."""
        raw = self.text(name).lower()
        if not raw:
            return None
        if raw in ("1", "true", "yes", "on"):
            return True
        if raw in ("0", "false", "no", "off"):
            return False
        raise SettingsError(f"PRODUCTGRAPH_{name} must be true or false, got {raw!r}")

    def items(self, name: str) -> tuple[str, ...]:
        """A comma-separated list, blanks dropped."""
        return tuple(item.strip() for item in self.text(name).split(",") if item.strip())


def _localization(env: Environment | None = None) -> LocalizationSettings:
    # Imported here: graph/localization.py reads its variables through ``Environment``.
    from graph.localization import LocalizationSettings

    return LocalizationSettings() if env is None else LocalizationSettings.from_env(env)


def _cache_settings(env: Environment) -> CacheSettings:
    url = env.text("CACHE_URL")
    if url and "://" not in url and url.lower() not in ("off", "none", "disabled"):
        raise SettingsError(
            "PRODUCTGRAPH_CACHE_URL must be memory://, redis://host:port/db or off; "
            f"got {url.split('@')[-1]!r}")
    ttl: dict[Part, float] = {}
    max_age: dict[Part, float] = {}
    global_max_age = env.positive("CACHE_MAX_AGE", None)
    for part in Part:
        name = part.value.upper()
        ttl[part] = env.positive(f"CACHE_TTL_{name}", DEFAULT_CACHE_TTL_S[part])
        default_age = max(global_max_age or DEFAULT_CACHE_MAX_AGE_S[part], ttl[part])
        max_age[part] = env.positive(f"CACHE_MAX_AGE_{name}", default_age)
        if max_age[part] < ttl[part]:
            raise SettingsError(
                f"PRODUCTGRAPH_CACHE_MAX_AGE_{name} ({max_age[part]:g} s) must be at least "
                f"PRODUCTGRAPH_CACHE_TTL_{name} ({ttl[part]:g} s)")
    raw_nf = env.text("CACHE_TTL_NOT_FOUND")
    try:
        not_found = float(raw_nf) if raw_nf else CacheSettings.not_found_ttl_s
    except ValueError:
        raise SettingsError(
            f"PRODUCTGRAPH_CACHE_TTL_NOT_FOUND must be a number (0 = off), got {raw_nf!r}"
        ) from None
    if not_found < 0:
        raise SettingsError(
            f"PRODUCTGRAPH_CACHE_TTL_NOT_FOUND must be 0 or more, got {raw_nf!r}")
    search_ttl = env.positive("CACHE_TTL_SEARCH", CacheSettings.search_ttl_s)
    search_age = env.positive("CACHE_MAX_AGE_SEARCH",
                              max(search_ttl, CacheSettings.search_max_age_s))
    if search_age < search_ttl:
        raise SettingsError(
            f"PRODUCTGRAPH_CACHE_MAX_AGE_SEARCH ({search_age:g} s) must be at least "
            f"PRODUCTGRAPH_CACHE_TTL_SEARCH ({search_ttl:g} s)")
    return CacheSettings(
        url=url, ttl_s=ttl, max_age_s=max_age, not_found_ttl_s=not_found,
        search_ttl_s=search_ttl, search_max_age_s=search_age,
        max_entries=env.count("CACHE_MAX_ENTRIES", CacheSettings.max_entries),
        timeout_s=env.positive("CACHE_TIMEOUT_MS", CacheSettings.timeout_s * 1000) / 1000)


PERSISTED_QUERY_MODES = ("off", "apq", "safelist")


@dataclass(frozen=True)
class ServingSettings:
    """How ``/graphql`` is exposed: operation limits, the mode's switches, access control,
    persisted queries and the request deadline. ``None`` switches follow the mode
    (development: on; production: off). See docs/operations.md."""

    limits: OperationLimits = field(default_factory=OperationLimits)
    introspection: bool | None = None
    graphiql: bool | None = None
    allow_get: bool | None = None
    api_keys: tuple[Secret, ...] = ()
    rate_limit_per_minute: int = 0
    cors_origins: tuple[str, ...] = ()
    persisted_queries: str = "apq"
    persisted_queries_manifest: str = ""
    persisted_queries_cache_size: int = 10_000
    request_timeout_s: float = 30.0
    #: The request line and headers must arrive within this (graph/http_protocol.py).
    header_timeout_s: float = 10.0
    #: The body must arrive within this from the request's start: 408 (graph/serving.py).
    body_timeout_s: float = 10.0
    shutdown_timeout_s: float = 30.0
    #: Signs listing cursors (resolvers/cursors.py); empty: a random key per process.
    cursor_secret: Secret = field(default_factory=lambda: Secret(""))
    #: Common POST requests served without the general stack (graph/fast_lane.py).
    fast_lane: bool = True

    def switch(self, name: str, production: bool) -> bool:
        """``introspection``, ``graphiql`` or ``allow_get`` as it applies in this mode."""
        value: bool | None = getattr(self, name)
        return (not production) if value is None else value


def _serving_settings(env: Environment) -> ServingSettings:
    base = OperationLimits()
    limits = OperationLimits(
        max_body_bytes=env.count("MAX_BODY_BYTES", base.max_body_bytes),
        max_tokens=env.count("MAX_TOKENS", base.max_tokens),
        max_depth=env.count("MAX_DEPTH", base.max_depth),
        max_aliases=env.count("MAX_ALIASES", base.max_aliases),
        max_root_fields=env.count("MAX_ROOT_FIELDS", base.max_root_fields),
        max_directives=env.count("MAX_DIRECTIVES", base.max_directives),
        max_operations=env.count("MAX_OPERATIONS", base.max_operations),
        max_cost=env.count("MAX_COST", base.max_cost),
    )
    mode = env.choice("PERSISTED_QUERIES", "apq", PERSISTED_QUERY_MODES,
                      f"must be one of {', '.join(PERSISTED_QUERY_MODES)}")
    manifest = env.text("PERSISTED_QUERIES_MANIFEST")
    if mode == "safelist" and not manifest:
        raise SettingsError("PRODUCTGRAPH_PERSISTED_QUERIES=safelist needs "
                            "PRODUCTGRAPH_PERSISTED_QUERIES_MANIFEST (a manifest JSON file)")
    return ServingSettings(
        limits=limits,
        introspection=env.switch("INTROSPECTION"),
        graphiql=env.switch("GRAPHIQL"),
        allow_get=env.switch("ALLOW_GET"),
        api_keys=tuple(Secret(key) for key in env.items("API_KEYS")),
        rate_limit_per_minute=env.count("RATE_LIMIT_PER_MINUTE", 0, zero=True),
        cors_origins=env.items("CORS_ORIGINS"),
        persisted_queries=mode,
        persisted_queries_manifest=manifest,
        persisted_queries_cache_size=env.count("PERSISTED_QUERIES_CACHE_SIZE", 10_000),
        request_timeout_s=env.positive("REQUEST_TIMEOUT", 30.0),
        header_timeout_s=env.positive("HEADER_TIMEOUT", 10.0),
        body_timeout_s=env.positive("BODY_TIMEOUT", 10.0),
        cursor_secret=Secret(env.text("CURSOR_SECRET")),
        shutdown_timeout_s=env.positive("SHUTDOWN_TIMEOUT", 30.0),
        fast_lane=env.switch("FAST_LANE") is not False,
    )


def _watch_settings(env: Environment) -> WatchSettings:
    """``PRODUCTGRAPH_DATABASE_URL``, ``PRODUCTGRAPH_WATCH_*`` and ``PRODUCTGRAPH_WEBHOOK_*``
    (docs/operations.md)."""
    url = env.text("DATABASE_URL") or DEFAULT_DATABASE_URL
    try:
        async_url(url)
    except ValueError as exc:
        raise SettingsError(f"PRODUCTGRAPH_DATABASE_URL {exc}") from None
    share = env.positive("WATCH_BUDGET_SHARE", WatchSettings.budget_share)
    if share > 1:
        raise SettingsError(f"PRODUCTGRAPH_WATCH_BUDGET_SHARE must be at most 1, got {share:g}")
    allow_private = env.switch("WEBHOOK_ALLOW_PRIVATE")
    return WatchSettings(
        database_url=url,
        interval_s=env.positive("WATCH_INTERVAL", WatchSettings.interval_s),
        budget_share=share,
        webhook_allow_private=bool(allow_private),
        webhook_backoff_base_s=env.positive("WEBHOOK_BACKOFF_BASE",
                                            WatchSettings.webhook_backoff_base_s),
        webhook_max_attempts=env.count("WEBHOOK_MAX_ATTEMPTS",
                                       WatchSettings.webhook_max_attempts),
        webhook_timeout_s=env.positive("WEBHOOK_TIMEOUT", WatchSettings.webhook_timeout_s),
        max_products=env.count("WATCH_MAX_PRODUCTS", WatchSettings.max_products),
    )

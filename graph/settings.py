"""Configuration: environment variables prefixed ``PRODUCTGRAPH_``, read once at start-up.

Each channel is served by the bundled sandbox until its credentials are set. Secrets are
held in ``Secret`` wrappers whose ``repr``/``str`` never show the value, so a settings
object can be logged or shown in a traceback without leaking anything.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from channels import alibaba, top, weidian
from channels.http import DEFAULT_TIMEOUT_S
from channels.model import Part
from graph.limits import OperationLimits


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

    @property
    def configured(self) -> bool:
        return bool(self.app_key)


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


@dataclass(frozen=True)
class WeidianSettings:
    access_token: Secret = field(default_factory=lambda: Secret(""))
    gateway_url: str = weidian.DEFAULT_GATEWAY_URL
    qps: float | None = None


@dataclass(frozen=True)
class StandardSettings:
    """The seed-003 standard-model aggregator (any channel)."""

    url: str = ""
    token: Secret = field(default_factory=lambda: Secret(""))
    language: str = ""
    qps: float | None = None


#: Seconds a cached part is fresh. Price and stock (CORE) and the SKU matrix change often;
#: images, the description, the shop and the Tmall SPU rarely.
DEFAULT_CACHE_TTL_S: dict[Part, float] = {
    Part.CORE: 60.0, Part.VARIANTS: 60.0,
    Part.MEDIA: 3600.0, Part.DESCRIPTION: 3600.0, Part.SELLER: 3600.0, Part.CATALOG: 3600.0,
}
#: Seconds a part may be served stale (past its TTL, while one refresh runs or while the
#: upstream is down or banning us). Past this age it is fetched as if never cached.
DEFAULT_CACHE_MAX_AGE_S: dict[Part, float] = {
    Part.CORE: 900.0, Part.VARIANTS: 900.0,
    Part.MEDIA: 86400.0, Part.DESCRIPTION: 86400.0, Part.SELLER: 86400.0,
    Part.CATALOG: 86400.0,
}


@dataclass(frozen=True)
class CacheSettings:
    """The shared part cache: ``url`` empty or ``memory://`` = in process, ``redis://…`` =
    shared by every worker and instance, ``off`` = no cache (coalescing still applies).
    ``url`` may carry a Redis password, so it is left out of the ``repr``."""

    url: str = field(default="", repr=False)
    ttl_s: dict[Part, float] = field(default_factory=lambda: dict(DEFAULT_CACHE_TTL_S))
    max_age_s: dict[Part, float] = field(
        default_factory=lambda: dict(DEFAULT_CACHE_MAX_AGE_S))
    #: Seconds a "no such product" answer is remembered (0: never).
    not_found_ttl_s: float = 30.0
    #: Bound of the in-process cache, in parts (LRU eviction past it).
    max_entries: int = 100_000
    #: A Redis operation slower than this is abandoned and the cache bypassed.
    timeout_s: float = 0.05

    @property
    def backend(self) -> str:
        """``memory``, ``redis`` or ``off``."""
        if self.url.lower() in ("off", "none", "disabled"):
            return "off"
        if self.url.startswith(("redis://", "rediss://", "unix://")):
            return "redis"
        return "memory"

    @property
    def redis_url(self) -> str | None:
        return self.url if self.backend == "redis" else None


#: The default deadline is at most this long, unless one attempt alone takes longer.
UPSTREAM_DEADLINE_CAP_S = 15.0


def default_upstream_deadline(timeout_s: float) -> float:
    """Room for a retry after one timed-out attempt (2 × the timeout), at most 15 s, never
    less than one attempt: 10 s → 15 s, 1 s → 2 s, 20 s → 20 s."""
    return min(2 * timeout_s, max(timeout_s, UPSTREAM_DEADLINE_CAP_S))


@dataclass(frozen=True)
class Settings:
    env: str = "development"
    host: str = "127.0.0.1"
    port: int = 8000
    workers: int = 1
    cache_url: str = ""
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
    serving: ServingSettings = field(default_factory=lambda: ServingSettings())

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
        env = os.environ if environ is None else environ

        def get(name: str, default: str = "") -> str:
            return env.get(f"PRODUCTGRAPH_{name}", default).strip()

        def number(name: str, default: float | None, kind: type = float) -> float | None:
            raw = get(name)
            if not raw:
                return default
            try:
                value = kind(raw)
            except ValueError:
                raise SettingsError(f"PRODUCTGRAPH_{name} must be a number, got {raw!r}") from None
            if value <= 0:
                raise SettingsError(f"PRODUCTGRAPH_{name} must be positive, got {raw!r}")
            return float(value)

        sign_method = get("TAOBAO_SIGN_METHOD", "md5").lower()
        if sign_method not in SIGN_METHODS:
            raise SettingsError(
                f"PRODUCTGRAPH_TAOBAO_SIGN_METHOD must be one of {', '.join(SIGN_METHODS)}; "
                f"got {sign_method!r}"
            )
        mode = get("ENV", "development").lower()
        if mode not in ("development", "production"):
            raise SettingsError(
                f"PRODUCTGRAPH_ENV must be development or production; got {mode!r}"
            )
        taobao = TaobaoSettings(
            app_key=get("TAOBAO_APP_KEY"),
            app_secret=Secret(get("TAOBAO_APP_SECRET")),
            session=Secret(get("TAOBAO_SESSION")),
            sign_method=sign_method,
            gateway_url=get("TAOBAO_GATEWAY_URL") or TaobaoSettings.gateway_url,
            item_method=get("TAOBAO_ITEM_METHOD") or TaobaoSettings.item_method,
            # Set but empty means "no batch method": one call per item.
            batch_method=env.get("PRODUCTGRAPH_TAOBAO_BATCH_METHOD",
                                 TaobaoSettings.batch_method).strip(),
            qps=number("TAOBAO_QPS", None),
        )
        if taobao.app_key and not taobao.app_secret:
            raise SettingsError(
                "PRODUCTGRAPH_TAOBAO_APP_KEY is set but PRODUCTGRAPH_TAOBAO_APP_SECRET is not"
            )
        alibaba = Alibaba1688Settings(
            app_key=get("1688_APP_KEY"),
            app_secret=Secret(get("1688_APP_SECRET")),
            access_token=Secret(get("1688_ACCESS_TOKEN")),
            gateway_url=get("1688_GATEWAY_URL") or Alibaba1688Settings.gateway_url,
            aggregator_url=get("1688_AGGREGATOR_URL"),
            aggregator_token=Secret(get("1688_AGGREGATOR_TOKEN")),
            shop_id=get("1688_SHOP_ID"),
            qps=number("1688_QPS", None),
        )
        if alibaba.app_key and not alibaba.app_secret:
            raise SettingsError(
                "PRODUCTGRAPH_1688_APP_KEY is set but PRODUCTGRAPH_1688_APP_SECRET is not"
            )
        weidian = WeidianSettings(
            access_token=Secret(get("WEIDIAN_ACCESS_TOKEN")),
            gateway_url=get("WEIDIAN_GATEWAY_URL") or WeidianSettings.gateway_url,
            qps=number("WEIDIAN_QPS", None),
        )
        standard = StandardSettings(
            url=get("STANDARD_URL").rstrip("/"),
            token=Secret(get("STANDARD_TOKEN")),
            language=get("STANDARD_LANGUAGE"),
            qps=number("STANDARD_QPS", None),
        )
        workers = number("WORKERS", 1, int)
        port = number("PORT", 8000, int)
        timeout = number("UPSTREAM_TIMEOUT", 10.0)
        deadline = number("UPSTREAM_DEADLINE", None)
        cache = _cache_settings(get, number)
        return cls(
            env=mode,
            host=get("HOST", "127.0.0.1"),
            port=int(port or 8000),
            workers=int(workers or 1),
            cache_url=get("CACHE_URL"),
            upstream_timeout_s=float(timeout or 10.0),
            upstream_deadline_s=deadline,
            taobao=taobao,
            alibaba_1688=alibaba,
            weidian=weidian,
            standard=standard,
            cache=cache,
            serving=_serving_settings(get, number),
        )


def _cache_settings(get: Callable[..., str], number: Callable[..., float | None]
                    ) -> CacheSettings:
    url = get("CACHE_URL")
    if url and "://" not in url and url.lower() not in ("off", "none", "disabled"):
        raise SettingsError(
            "PRODUCTGRAPH_CACHE_URL must be memory://, redis://host:port/db or off; "
            f"got {url.split('@')[-1]!r}")
    ttl: dict[Part, float] = {}
    max_age: dict[Part, float] = {}
    global_max_age = number("CACHE_MAX_AGE", None)
    for part in Part:
        name = part.value.upper()
        ttl[part] = number(f"CACHE_TTL_{name}", DEFAULT_CACHE_TTL_S[part]) or 0.0
        default_age = max(global_max_age or DEFAULT_CACHE_MAX_AGE_S[part], ttl[part])
        max_age[part] = number(f"CACHE_MAX_AGE_{name}", default_age) or 0.0
        if max_age[part] < ttl[part]:
            raise SettingsError(
                f"PRODUCTGRAPH_CACHE_MAX_AGE_{name} ({max_age[part]:g} s) must be at least "
                f"PRODUCTGRAPH_CACHE_TTL_{name} ({ttl[part]:g} s)")
    raw_nf = get("CACHE_TTL_NOT_FOUND")
    try:
        not_found = float(raw_nf) if raw_nf else CacheSettings.not_found_ttl_s
    except ValueError:
        raise SettingsError(
            f"PRODUCTGRAPH_CACHE_TTL_NOT_FOUND must be a number (0 = off), got {raw_nf!r}"
        ) from None
    if not_found < 0:
        raise SettingsError(
            f"PRODUCTGRAPH_CACHE_TTL_NOT_FOUND must be 0 or more, got {raw_nf!r}")
    entries = number("CACHE_MAX_ENTRIES", CacheSettings.max_entries, int)
    timeout_ms = number("CACHE_TIMEOUT_MS", CacheSettings.timeout_s * 1000)
    return CacheSettings(url=url, ttl_s=ttl, max_age_s=max_age, not_found_ttl_s=not_found,
                         max_entries=int(entries or CacheSettings.max_entries),
                         timeout_s=float(timeout_ms or 50.0) / 1000)


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
    shutdown_timeout_s: float = 30.0

    def switch(self, name: str, production: bool) -> bool:
        """``introspection``, ``graphiql`` or ``allow_get`` as it applies in this mode."""
        value: bool | None = getattr(self, name)
        return (not production) if value is None else value


def _serving_settings(get: Callable[..., str], number: Callable[..., float | None]
                      ) -> ServingSettings:
    def flag(name: str) -> bool | None:
        raw = get(name).lower()
        if not raw:
            return None
        if raw in ("1", "true", "yes", "on"):
            return True
        if raw in ("0", "false", "no", "off"):
            return False
        raise SettingsError(f"PRODUCTGRAPH_{name} must be true or false, got {raw!r}")

    def count(name: str, default: int) -> int:
        return int(number(name, default, int) or default)

    base = OperationLimits()
    limits = OperationLimits(
        max_body_bytes=count("MAX_BODY_BYTES", base.max_body_bytes),
        max_tokens=count("MAX_TOKENS", base.max_tokens),
        max_depth=count("MAX_DEPTH", base.max_depth),
        max_aliases=count("MAX_ALIASES", base.max_aliases),
        max_root_fields=count("MAX_ROOT_FIELDS", base.max_root_fields),
        max_directives=count("MAX_DIRECTIVES", base.max_directives),
        max_operations=count("MAX_OPERATIONS", base.max_operations),
        max_cost=count("MAX_COST", base.max_cost),
    )
    mode = get("PERSISTED_QUERIES", "apq").lower()
    if mode not in PERSISTED_QUERY_MODES:
        raise SettingsError(
            f"PRODUCTGRAPH_PERSISTED_QUERIES must be one of {', '.join(PERSISTED_QUERY_MODES)}; "
            f"got {mode!r}")
    manifest = get("PERSISTED_QUERIES_MANIFEST")
    if mode == "safelist" and not manifest:
        raise SettingsError("PRODUCTGRAPH_PERSISTED_QUERIES=safelist needs "
                            "PRODUCTGRAPH_PERSISTED_QUERIES_MANIFEST (a manifest JSON file)")
    raw_rate = get("RATE_LIMIT_PER_MINUTE")
    rate = count("RATE_LIMIT_PER_MINUTE", 1) if raw_rate and raw_rate != "0" else 0
    return ServingSettings(
        limits=limits,
        introspection=flag("INTROSPECTION"),
        graphiql=flag("GRAPHIQL"),
        allow_get=flag("ALLOW_GET"),
        api_keys=tuple(Secret(k.strip()) for k in get("API_KEYS").split(",") if k.strip()),
        rate_limit_per_minute=rate,
        cors_origins=tuple(o.strip() for o in get("CORS_ORIGINS").split(",") if o.strip()),
        persisted_queries=mode,
        persisted_queries_manifest=manifest,
        persisted_queries_cache_size=count("PERSISTED_QUERIES_CACHE_SIZE", 10_000),
        request_timeout_s=float(number("REQUEST_TIMEOUT", 30.0) or 30.0),
        shutdown_timeout_s=float(number("SHUTDOWN_TIMEOUT", 30.0) or 30.0),
    )

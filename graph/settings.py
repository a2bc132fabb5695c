"""Configuration: environment variables prefixed ``PRODUCTGRAPH_``, read once at start-up.

Each channel is served by the bundled sandbox until its credentials are set. Secrets are
held in ``Secret`` wrappers whose ``repr``/``str`` never show the value, so a settings
object can be logged or shown in a traceback without leaking anything.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field


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


SIGN_METHODS = ("md5", "hmac", "hmac-sha256")


@dataclass(frozen=True)
class TaobaoSettings:
    app_key: str = ""
    app_secret: Secret = field(default_factory=lambda: Secret(""))
    session: Secret = field(default_factory=lambda: Secret(""))
    sign_method: str = "md5"
    gateway_url: str = "https://gw.api.taobao.com/router/rest"
    item_method: str = "taobao.item.seller.get"
    batch_method: str = "taobao.items.seller.list.get"
    qps: float | None = None

    @property
    def configured(self) -> bool:
        return bool(self.app_key)


@dataclass(frozen=True)
class Alibaba1688Settings:
    app_key: str = ""
    app_secret: Secret = field(default_factory=lambda: Secret(""))
    access_token: Secret = field(default_factory=lambda: Secret(""))
    gateway_url: str = "https://gw.open.1688.com/openapi"
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
    gateway_url: str = "https://api.vdian.com/api"
    qps: float | None = None


@dataclass(frozen=True)
class StandardSettings:
    """The seed-003 standard-model aggregator (any channel)."""

    url: str = ""
    token: Secret = field(default_factory=lambda: Secret(""))
    language: str = ""
    qps: float | None = None


@dataclass(frozen=True)
class Settings:
    env: str = "development"
    host: str = "127.0.0.1"
    port: int = 8000
    workers: int = 1
    cache_url: str = ""
    upstream_timeout_s: float = 10.0
    max_ids: int = 100
    taobao: TaobaoSettings = field(default_factory=TaobaoSettings)
    alibaba_1688: Alibaba1688Settings = field(default_factory=Alibaba1688Settings)
    weidian: WeidianSettings = field(default_factory=WeidianSettings)
    standard: StandardSettings = field(default_factory=StandardSettings)

    @property
    def production(self) -> bool:
        return self.env == "production"

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
        return cls(
            env=mode,
            host=get("HOST", "127.0.0.1"),
            port=int(port or 8000),
            workers=int(workers or 1),
            cache_url=get("CACHE_URL"),
            upstream_timeout_s=float(timeout or 10.0),
            taobao=taobao,
            alibaba_1688=alibaba,
            weidian=weidian,
            standard=standard,
        )

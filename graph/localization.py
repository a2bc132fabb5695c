"""The translation and currency settings (``PRODUCTGRAPH_TRANSLATION_*``,
``PRODUCTGRAPH_GLOSSARY_FILE``, ``PRODUCTGRAPH_RATES_*``) and the process's
``Localization`` built from them (docs/localization.md, docs/operations.md)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import httpx

from channels.glossary import load_glossary
from channels.policy import UpstreamPolicy
from channels.translation import DeepLProvider, LibreTranslateProvider, TranslationProvider
from graph.settings import Environment, Secret, SettingsError
from resolvers.localization import Localization
from resolvers.rates import RateBook
from resolvers.translations import (
    DEFAULT_TRANSLATION_TTL_S,
    TranslationCache,
    TranslationService,
)

PROVIDERS = ("", "libretranslate", "deepl")


@dataclass(frozen=True)
class LocalizationSettings:
    #: ``libretranslate`` or ``deepl``; empty: no machine translation (glossary and
    #: marketplace translations only).
    provider: str = ""
    url: str = ""
    key: Secret = field(default_factory=lambda: Secret(""))
    qps: float = 5.0
    batch_size: int = 50
    timeout_s: float = 3.0
    deadline_s: float = 5.0
    cache_ttl_s: float = DEFAULT_TRANSLATION_TTL_S
    glossary_file: str = ""
    rates_url: str = ""
    rates_refresh_s: float = 6 * 3600.0

    @classmethod
    def from_env(cls, env: Environment) -> LocalizationSettings:
        provider = env.choice("TRANSLATION_PROVIDER", "", PROVIDERS,
                              "must be libretranslate or deepl (or empty: none)")
        url = env.text("TRANSLATION_URL").rstrip("/")
        key = Secret(env.text("TRANSLATION_KEY"))
        if not provider and url:
            provider = "libretranslate"      # a URL alone means a LibreTranslate server
        if provider == "libretranslate" and not url:
            raise SettingsError("PRODUCTGRAPH_TRANSLATION_URL must be set for libretranslate")
        if provider == "deepl" and not key:
            raise SettingsError("PRODUCTGRAPH_TRANSLATION_KEY must be set for deepl")
        glossary_file = env.text("GLOSSARY_FILE")
        if glossary_file:
            try:
                load_glossary(glossary_file)
            except ValueError as exc:
                raise SettingsError(f"PRODUCTGRAPH_GLOSSARY_FILE: {exc}") from None
        return cls(
            provider=provider, url=url, key=key,
            qps=env.positive("TRANSLATION_QPS", 5.0),
            batch_size=env.count("TRANSLATION_BATCH_SIZE", 50),
            timeout_s=env.positive("TRANSLATION_TIMEOUT", 3.0),
            deadline_s=env.positive("TRANSLATION_DEADLINE", 5.0),
            cache_ttl_s=env.positive("TRANSLATION_CACHE_TTL", DEFAULT_TRANSLATION_TTL_S),
            glossary_file=glossary_file,
            rates_url=env.text("RATES_URL"),
            rates_refresh_s=env.positive("RATES_REFRESH", 6 * 3600.0),
        )


def build_provider(settings: LocalizationSettings, *, redis: Any = None,
                   transport: httpx.AsyncBaseTransport | None = None
                   ) -> TranslationProvider | None:
    # One retry at most: a translation is worth less than the page's latency.
    policy = UpstreamPolicy(qps=settings.qps, deadline_s=settings.deadline_s, max_retries=1,
                            breaker_failures=3, breaker_cooldown_s=10.0)
    if settings.provider == "libretranslate":
        return LibreTranslateProvider(settings.url, api_key=settings.key.value,
                                      batch_limit=settings.batch_size, policy=policy,
                                      timeout_s=settings.timeout_s, transport=transport,
                                      redis=redis)
    if settings.provider == "deepl":
        return DeepLProvider(settings.key.value, base_url=settings.url,
                             batch_limit=settings.batch_size, policy=policy,
                             timeout_s=settings.timeout_s, transport=transport, redis=redis)
    return None


def build_localization(settings: LocalizationSettings, *, redis: Any = None) -> Localization:
    """The process's translation service and rate book; ``redis`` (the cache's) shares the
    translations, the provider's budget and the rates file between instances."""
    service = TranslationService(
        build_provider(settings, redis=redis),
        glossary=load_glossary(settings.glossary_file or None),
        cache=TranslationCache(redis=redis, ttl_s=settings.cache_ttl_s))
    rates = RateBook(url=settings.rates_url, refresh_s=settings.rates_refresh_s, redis=redis)
    return Localization(translations=service, rates=rates)

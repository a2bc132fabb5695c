"""Machine translation providers behind one small protocol, and the records they answer.

    TranslationProvider (protocol)   name, batch_limit, translate(texts, target) → texts
     ├── LibreTranslateProvider      POST /translate {q: [...], source, target, format, api_key}
     └── DeepLProvider               POST /v2/translate {text: [...], source_lang, target_lang}

A provider is an upstream like a marketplace: its calls go through ``channels.http``'s
``UpstreamClient`` (its own QPS budget, circuit breaker, deadline and retries). Its key is
sent in the body (LibreTranslate ``api_key``) or a header (DeepL ``Authorization``), never
in a URL, and no error message here carries a body or a URL.

Where a translation comes from (``TranslationSource``) is part of the answer, so a
storefront can show or hide machine text: the marketplace's own, the bundled glossary
(``channels.glossary``), or a machine provider. The order they are tried in is
``resolvers.translations``'.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol, cast

import httpx

from channels.errors import (
    ChannelError,
    RateLimited,
    Unauthenticated,
    UpstreamError,
    UpstreamFailure,
)
from channels.http import DEFAULT_TIMEOUT_S, UpstreamClient
from channels.model import Channel
from channels.policy import UpstreamPolicy

#: The language marketplace text is written in.
SOURCE_LANGUAGE = "zh"

#: What a translation provider's client is named in metrics and errors. ``UpstreamClient``
#: labels its metrics, breaker and errors with ``channel.value``/``channel.name``; a provider
#: is no marketplace, so it passes this stand-in (same two attributes) instead.


class Service(enum.Enum):
    """Upstreams that are not marketplaces (their ``value`` labels the metrics)."""

    TRANSLATION = "translation"
    RATES = "rates"


class TranslationSource(enum.Enum):
    """Where a translation came from."""

    #: The marketplace's or the aggregator's own translation (1688 ``subjectTrans``, the
    #: standard model's ``translated``), or the text itself when it is already in the
    #: language asked for.
    MARKETPLACE = "MARKETPLACE"
    #: The bundled glossary (or the deployment's override file).
    GLOSSARY = "GLOSSARY"
    #: A machine translation service.
    MACHINE = "MACHINE"


class TranslationUnavailable(UpstreamFailure):
    """The machine translation provider could not translate a text (down, slow, refusing)."""

    code = "TRANSLATION_UNAVAILABLE"

    def __init__(self, message: str, *, provider: str, cause: str | None = None,
                 retry_after: float | None = None) -> None:
        super().__init__(message, retry_after=retry_after)
        self.provider = provider
        self.cause = cause

    def extensions(self) -> dict[str, Any]:
        ext = super().extensions()
        ext["provider"] = self.provider
        if self.cause:
            ext["cause"] = self.cause
        return ext


class TranslationProvider(Protocol):
    """A machine translation service."""

    #: Names the provider in the cache key, in errors and in metrics (``libretranslate``).
    name: str
    #: At most this many texts go in one call.
    batch_limit: int

    async def translate(self, texts: Sequence[str], target: str) -> list[str]:
        """``texts`` (Chinese) translated into ``target`` (a BCP 47 tag, e.g. ``en``), in
        order; raises a ``ChannelError`` when the provider fails."""
        ...

    async def aclose(self) -> None: ...


_LANGUAGE_RE = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$")


def normalize_language(tag: str) -> str | None:
    """A BCP 47 tag in its usual case (``en``, ``en-US``, ``zh-Hant``), or ``None`` when it
    is not one."""
    tag = tag.strip().replace("_", "-")
    if not _LANGUAGE_RE.match(tag):
        return None
    head, *rest = tag.split("-")
    parts = [head.lower()]
    for sub in rest:
        parts.append(sub.upper() if len(sub) == 2 else sub.title() if len(sub) == 4 else sub)
    return "-".join(parts)


def primary_language(tag: str) -> str:
    """``en-US`` → ``en``."""
    return tag.split("-", 1)[0].lower()


def _status_error(provider: str, api: str, response: httpx.Response) -> ChannelError | None:
    """The typed error for a provider's HTTP answer; ``None`` for a 2xx. The body is not
    quoted: it may echo the request (and so the key)."""
    status = response.status_code
    if status < 300:
        return None
    if status in (401, 403):
        return Unauthenticated(f"{provider} refused the translation key ({status})",
                               http_status=status)
    if status == 429 or status == 456:   # 456: DeepL's quota exceeded
        retry = response.headers.get("retry-after", "")
        return RateLimited(f"{provider} is rate limiting {api} ({status})", http_status=status,
                           retry_after=float(retry) if retry.isdigit() else None)
    return UpstreamError(f"{provider} answered {api} with HTTP {status}", http_status=status,
                         retryable=status >= 500)


def _client(provider: str, base_url: str, *, policy: UpstreamPolicy,
            transport: httpx.AsyncBaseTransport | None, timeout_s: float,
            redis: Any) -> UpstreamClient:
    return UpstreamClient(cast(Channel, Service.TRANSLATION), base_url, transport=transport,
                          timeout_s=timeout_s, policy=policy, redis=redis,
                          upstream=f"translation-{provider}")


def _texts(value: object, count: int, provider: str) -> list[str]:
    if not isinstance(value, list) or len(value) != count or \
            not all(isinstance(v, str) for v in value):
        raise UpstreamError(f"{provider} answered with {count} texts asked but not as many "
                            "translations")
    return value


class LibreTranslateProvider:
    """A LibreTranslate-compatible server (libretranslate.com, a self-hosted one, the
    sandbox's stand-in). ``q`` takes a list, so one call translates a whole batch."""

    name = "libretranslate"

    def __init__(self, base_url: str, *, api_key: str = "", batch_limit: int = 50,
                 policy: UpstreamPolicy | None = None, timeout_s: float = DEFAULT_TIMEOUT_S,
                 transport: httpx.AsyncBaseTransport | None = None, redis: Any = None) -> None:
        self._key = api_key
        self.batch_limit = batch_limit
        self.client = _client(self.name, base_url.rstrip("/") + "/",
                              policy=policy or UpstreamPolicy(qps=5.0), transport=transport,
                              timeout_s=timeout_s, redis=redis)

    async def translate(self, texts: Sequence[str], target: str) -> list[str]:
        body: dict[str, Any] = {"q": list(texts), "source": SOURCE_LANGUAGE,
                                "target": primary_language(target), "format": "text"}
        if self._key:
            body["api_key"] = self._key

        async def attempt() -> list[str]:
            response = await self.client.request("POST", "translate", api="translate",
                                                 json=body)
            error = _status_error(self.name, "translate", response)
            if error is not None:
                raise error
            try:
                payload = response.json()
            except ValueError as exc:
                raise UpstreamError(f"{self.name} answered translate with no JSON") from exc
            translated = payload.get("translatedText") if isinstance(payload, dict) else None
            if isinstance(translated, str) and len(texts) == 1:
                translated = [translated]
            return _texts(translated, len(texts), self.name)

        return await self.client.call("translate", attempt)

    async def aclose(self) -> None:
        await self.client.aclose()


#: DeepL wants a region for English and Portuguese targets (``EN`` alone is deprecated).
_DEEPL_DEFAULT_REGION = {"EN": "EN-US", "PT": "PT-BR"}


def deepl_target(tag: str) -> str:
    """A BCP 47 tag as DeepL's ``target_lang``: ``en`` → ``EN-US``, ``en-GB`` → ``EN-GB``,
    ``zh-Hant`` → ``ZH-HANT``."""
    upper = tag.upper()
    return _DEEPL_DEFAULT_REGION.get(upper, upper)


class DeepLProvider:
    """DeepL's API v2: ``text`` takes up to 50 texts a call; the key goes in the
    ``Authorization: DeepL-Auth-Key`` header. Free-plan keys end in ``:fx`` and use
    ``api-free.deepl.com``."""

    name = "deepl"

    def __init__(self, api_key: str, *, base_url: str = "", batch_limit: int = 50,
                 policy: UpstreamPolicy | None = None, timeout_s: float = DEFAULT_TIMEOUT_S,
                 transport: httpx.AsyncBaseTransport | None = None, redis: Any = None) -> None:
        self._key = api_key
        self.batch_limit = min(batch_limit, 50)
        if not base_url:
            base_url = ("https://api-free.deepl.com" if api_key.endswith(":fx")
                        else "https://api.deepl.com")
        self.client = _client(self.name, base_url.rstrip("/") + "/",
                              policy=policy or UpstreamPolicy(qps=5.0), transport=transport,
                              timeout_s=timeout_s, redis=redis)

    async def translate(self, texts: Sequence[str], target: str) -> list[str]:
        body = {"text": list(texts), "source_lang": SOURCE_LANGUAGE.upper(),
                "target_lang": deepl_target(target)}
        headers = {"Authorization": f"DeepL-Auth-Key {self._key}"}

        async def attempt() -> list[str]:
            response = await self.client.request("POST", "v2/translate", api="translate",
                                                 json=body, headers=headers)
            error = _status_error(self.name, "translate", response)
            if error is not None:
                raise error
            try:
                payload = response.json()
            except ValueError as exc:
                raise UpstreamError(f"{self.name} answered translate with no JSON") from exc
            items = payload.get("translations") if isinstance(payload, dict) else None
            texts_out = [i.get("text") for i in items if isinstance(i, dict)] \
                if isinstance(items, list) else None
            return _texts(texts_out, len(texts), self.name)

        return await self.client.call("translate", attempt)

    async def aclose(self) -> None:
        await self.client.aclose()


@dataclass(frozen=True, slots=True)
class Translation:
    """One text in one language: ``text`` is ``None`` when no translation is available
    (no provider configured, or the glossary does not know it); ``failure`` says why a
    provider that was asked could not answer."""

    original: str
    language: str
    text: str | None = None
    source: TranslationSource | None = None
    failure: ChannelError | None = None


def unavailable(provider: str, exc: ChannelError) -> TranslationUnavailable:
    """A provider's failure as the coded error a translated field carries."""
    if isinstance(exc, TranslationUnavailable):
        return exc
    return TranslationUnavailable(
        f"machine translation ({provider}) is unavailable: {exc.message}",
        provider=provider, cause=exc.code, retry_after=exc.retry_after)

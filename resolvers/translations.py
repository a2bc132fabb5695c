"""Translations of one request: marketplace first, then the glossary, then a machine.

    TextTranslator (per request, in the context)
     ├── the marketplace's own translation in the language asked      MARKETPLACE
     ├── text already in that language (a request for zh)             MARKETPLACE
     ├── channels.glossary                                            GLOSSARY
     └── MachineTranslationLoader (a dataloader, per request)         MACHINE
           └── TranslationService (per process)
                 ├── TranslationCache: in process, and Redis when the part cache is
                 │    Redis — keyed by (provider, language, sha256(text)), with a TTL
                 ├── single flight: a text already being translated for another request
                 │    is awaited, not sent again
                 └── the provider (channels.translation), batch by batch

Every text of one request that needs the machine is collected in one loop turn by the
loader and goes out in ``ceil(n / provider.batch_limit)`` calls; a text translated before,
by any request of any instance sharing the Redis, costs no call. A provider that fails
fails no query: each of its texts answers ``Translation(text=None, failure=…)`` and the
GraphQL layer reports ``TRANSLATION_UNAVAILABLE`` on that field alone. With no provider
configured a text the glossary does not know is simply untranslated (no error).
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import time
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

from prometheus_client import Counter
from redis.exceptions import RedisError
from strawberry.dataloader import DataLoader

from channels.errors import ChannelError
from channels.glossary import Glossary, has_chinese, load_glossary
from channels.translation import (
    SOURCE_LANGUAGE,
    Translation,
    TranslationProvider,
    TranslationSource,
    primary_language,
    unavailable,
)

log = logging.getLogger("productgraph.translation")

TRANSLATIONS = Counter(
    "productgraph_translations",
    "Texts translated, by source: marketplace, glossary, cache (a machine translation "
    "served from the cache), machine (a provider call), failed, none (no translation).",
    ["source"],
)
KEY_PREFIX = "productgraph:translation:v1:"
#: Machine translations of a text do not change: kept 30 days.
DEFAULT_TRANSLATION_TTL_S = 30 * 86400.0


class TextKey(NamedTuple):
    language: str
    text: str


def cache_key(provider: str, language: str, text: str) -> str:
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    return f"{KEY_PREFIX}{provider}:{language}:{digest}"


class TranslationCache:
    """Translated texts: a bounded in-process LRU, and Redis (shared) when given one. A
    Redis that fails or is slower than ``timeout_s`` is skipped for ``retry_after_s``."""

    def __init__(self, *, redis: Any = None, ttl_s: float = DEFAULT_TRANSLATION_TTL_S,
                 max_entries: int = 100_000, timeout_s: float = 0.05,
                 retry_after_s: float = 5.0) -> None:
        self.redis = redis
        self.ttl_s = ttl_s
        self.max_entries = max_entries
        self.timeout_s = timeout_s
        self.retry_after_s = retry_after_s
        self._memory: OrderedDict[str, tuple[str, float]] = OrderedDict()
        self._down_until = 0.0

    def _remember(self, key: str, value: str) -> None:
        self._memory[key] = (value, time.monotonic() + self.ttl_s)
        self._memory.move_to_end(key)
        while len(self._memory) > self.max_entries:
            self._memory.popitem(last=False)

    async def get_many(self, keys: Sequence[str]) -> list[str | None]:
        now = time.monotonic()
        found: list[str | None] = []
        for key in keys:
            entry = self._memory.get(key)
            if entry is not None and entry[1] > now:
                self._memory.move_to_end(key)
                found.append(entry[0])
            else:
                found.append(None)
        missing = [i for i, value in enumerate(found) if value is None]
        if missing and self.redis is not None and now >= self._down_until:
            try:
                async with asyncio.timeout(self.timeout_s):
                    raw = await self.redis.mget([keys[i] for i in missing])
            except (RedisError, OSError, TimeoutError) as exc:
                self._down_until = now + self.retry_after_s
                log.warning("translation cache: Redis skipped (%s)", type(exc).__name__)
                return found
            for index, value in zip(missing, raw, strict=True):
                if value is not None:
                    text = value.decode("utf-8") if isinstance(value, bytes) else str(value)
                    found[index] = text
                    self._remember(keys[index], text)
        return found

    async def put_many(self, values: dict[str, str]) -> None:
        for key, value in values.items():
            self._remember(key, value)
        if not values or self.redis is None or time.monotonic() < self._down_until:
            return
        try:
            async with asyncio.timeout(self.timeout_s * 4):
                pipe = self.redis.pipeline(transaction=False)
                for key, value in values.items():
                    pipe.set(key, value.encode("utf-8"), ex=int(self.ttl_s))
                await pipe.execute()
        except (RedisError, OSError, TimeoutError) as exc:
            self._down_until = time.monotonic() + self.retry_after_s
            log.warning("translation cache: Redis write skipped (%s)", type(exc).__name__)


class TranslationService:
    """The process's machine translation: cache, single flight and the provider."""

    def __init__(self, provider: TranslationProvider | None, *,
                 glossary: Glossary | None = None, cache: TranslationCache | None = None) -> None:
        self.provider = provider
        self.glossary = glossary or load_glossary()
        self.cache = cache or TranslationCache()
        self._in_flight: dict[str, asyncio.Future[str]] = {}

    async def translate(self, language: str, texts: Sequence[str]
                        ) -> list[str | BaseException]:
        """Each text machine-translated into ``language``, or the provider's coded error."""
        provider = self.provider
        if provider is None:
            return [ValueError("no provider")] * len(texts)
        keys = [cache_key(provider.name, language, text) for text in texts]
        cached = await self.cache.get_many(keys)
        results: list[str | BaseException | None] = list(cached)
        TRANSLATIONS.labels("cache").inc(sum(1 for c in cached if c is not None))
        waits: list[tuple[int, asyncio.Future[str]]] = []
        mine: dict[str, list[int]] = {}
        loop = asyncio.get_running_loop()
        for index, (key, value) in enumerate(zip(keys, cached, strict=True)):
            if value is not None:
                continue
            if key in mine:
                mine[key].append(index)
                continue
            future = self._in_flight.get(key)
            if future is not None:
                waits.append((index, future))
                continue
            self._in_flight[key] = loop.create_future()
            mine[key] = [index]
        if mine:
            await self._call(provider, language, mine, texts, results)
        for index, future in waits:
            try:
                results[index] = await asyncio.shield(future)
            except ChannelError as exc:
                results[index] = exc
        return results  # type: ignore[return-value]

    async def _call(self, provider: TranslationProvider, language: str,
                    mine: dict[str, list[int]], texts: Sequence[str],
                    results: list[str | BaseException | None]) -> None:
        order = list(mine)
        limit = max(1, provider.batch_limit)
        chunks = [order[i:i + limit] for i in range(0, len(order), limit)]

        async def one(chunk: list[str]) -> dict[str, str]:
            answers = await provider.translate([texts[mine[k][0]] for k in chunk], language)
            return dict(zip(chunk, answers, strict=True))

        outcomes = await asyncio.gather(*(one(c) for c in chunks), return_exceptions=True)
        stored: dict[str, str] = {}
        for chunk, outcome in zip(chunks, outcomes, strict=True):
            for key in chunk:
                future = self._in_flight.pop(key, None)
                value: str | BaseException
                if isinstance(outcome, BaseException):
                    value = unavailable(provider.name, outcome) \
                        if isinstance(outcome, ChannelError) else outcome
                    TRANSLATIONS.labels("failed").inc()
                else:
                    value = outcome[key]
                    stored[key] = value
                    TRANSLATIONS.labels("machine").inc()
                if future is not None and not future.done():
                    if isinstance(value, BaseException):
                        future.set_exception(value)
                        future.exception()        # retrieved: no "never retrieved" warning
                    else:
                        future.set_result(value)
                for index in mine[key]:
                    results[index] = value
        await self.cache.put_many(stored)
        for outcome in outcomes:
            if isinstance(outcome, BaseException) and not isinstance(outcome, ChannelError):
                raise outcome

    async def aclose(self) -> None:
        if self.provider is not None:
            await self.provider.aclose()


class MachineTranslationLoader(DataLoader[TextKey, str]):
    """Per request: every text of one loop turn that needs the machine, in one batch."""

    def __init__(self, service: TranslationService) -> None:
        self.service = service
        # No ``max_batch_size``: the texts of one loop turn go to the service together, and
        # it splits them by the provider's limit and sends those batches concurrently.
        super().__init__(load_fn=self._batch, max_batch_size=None)

    async def _batch(self, keys: Sequence[TextKey]) -> list[str | BaseException]:
        by_language: dict[str, list[int]] = {}
        for index, key in enumerate(keys):
            by_language.setdefault(key.language, []).append(index)
        results: list[str | BaseException] = [ValueError("untranslated")] * len(keys)
        for language, indexes in by_language.items():
            answers = await self.service.translate(language, [keys[i].text for i in indexes])
            for index, answer in zip(indexes, answers, strict=True):
                results[index] = answer
        return results


@dataclass(frozen=True, slots=True)
class SourceText:
    """A text to translate, with the marketplace's own translation when it has one."""

    original: str
    translated: str | None = None
    language: str | None = None


class TextTranslator:
    """What the resolvers of one request call: texts in, ``Translation`` records out."""

    def __init__(self, service: TranslationService) -> None:
        self.service = service
        self.loader = MachineTranslationLoader(service)

    async def translate(self, texts: Sequence[SourceText | str], language: str, *,
                        machine: bool = True) -> list[Translation]:
        """Each text in ``language``. ``machine=False`` stops at the glossary (for names
        and values a machine would only guess)."""
        out: list[Translation | None] = []
        pending: list[tuple[int, Any]] = []
        wanted = primary_language(language)
        glossary = self.service.glossary
        use_machine = machine and self.service.provider is not None
        for text in texts:
            source = text if isinstance(text, SourceText) else SourceText(text)
            original = source.original
            if source.translated and source.language \
                    and primary_language(source.language) == wanted:
                out.append(Translation(original, language, source.translated,
                                       TranslationSource.MARKETPLACE))
                TRANSLATIONS.labels("marketplace").inc()
                continue
            if wanted == SOURCE_LANGUAGE:
                out.append(Translation(original, language, original,
                                       TranslationSource.MARKETPLACE))
                continue
            known = glossary.lookup(original, language)
            if known is not None:
                out.append(Translation(original, language, known, TranslationSource.GLOSSARY))
                TRANSLATIONS.labels("glossary").inc()
                continue
            if use_machine and has_chinese(original):
                pending.append((len(out), self.loader.load(TextKey(language, original))))
                out.append(None)
                continue
            TRANSLATIONS.labels("none").inc()
            out.append(Translation(original, language))
        for index, future in pending:
            item = texts[index]
            original = item.original if isinstance(item, SourceText) else item
            try:
                text = await future
            except ChannelError as exc:
                out[index] = Translation(str(original), language, failure=exc)
                continue
            out[index] = Translation(str(original), language, text, TranslationSource.MACHINE)
        return out  # type: ignore[return-value]

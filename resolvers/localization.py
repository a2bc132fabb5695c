"""What a request reads in another language or currency: translated texts of a product's
records, and the rates. The GraphQL layer (graph/localized.py) wraps what these return.

``Localization`` is the process's: the translation service (glossary, cache, provider) and
the rate book. Each request gets a ``TextTranslator`` over it (resolvers/context.py), so
its texts share one dataloader.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field

from channels import model
from channels.translation import Translation
from resolvers.rates import RateBook
from resolvers.translations import SourceText, TextTranslator, TranslationService

#: The language of a marketplace translation that does not say (1688 ``…Trans`` fields and
#: the aggregators' option translations come in the language the deployment asked for).
DEFAULT_MARKETPLACE_LANGUAGE = "en"


@dataclass
class Localization:
    """The process's translation service and rates."""

    translations: TranslationService = field(default_factory=lambda: TranslationService(None))
    rates: RateBook = field(default_factory=RateBook)

    async def aclose(self) -> None:
        await self.translations.aclose()
        await self.rates.aclose()


@dataclass(frozen=True, slots=True)
class OptionTranslation:
    name: Translation
    values: tuple[Translation, ...]


@dataclass(frozen=True, slots=True)
class AttributeTranslation:
    name: Translation
    value: Translation


def _language_of(record: model.ProductRecord) -> str:
    core = record.core
    return (core.title.language if core is not None and core.title.language
            else DEFAULT_MARKETPLACE_LANGUAGE)


def _source(text: model.LocalizedText) -> SourceText:
    return SourceText(text.original, text.translated,
                      text.language or (DEFAULT_MARKETPLACE_LANGUAGE if text.translated else None))


def _with(original: str, translated: str | None, language: str) -> SourceText:
    return SourceText(original, translated, language if translated else None)


_TAG = re.compile(r"<[^>]+>")
_SPACE = re.compile(r"\s+")


def description_text(html_text: str) -> str:
    """The words of an HTML description (tags dropped, entities decoded, spaces folded):
    what a machine is asked to translate."""
    return _SPACE.sub(" ", html.unescape(_TAG.sub(" ", html_text))).strip()


async def title(translator: TextTranslator, record: model.ProductRecord,
                language: str) -> Translation:
    core = record.core
    if core is None:
        raise RuntimeError(f"core of {record.id} was not loaded")
    return (await translator.translate([_source(core.title)], language))[0]


async def description(translator: TextTranslator, record: model.ProductRecord,
                      language: str) -> Translation | None:
    if record.description is None or not record.description.html:
        return None
    text = description_text(record.description.html)
    return (await translator.translate([text], language))[0] if text else None


async def options(translator: TextTranslator, record: model.ProductRecord,
                  language: str) -> list[OptionTranslation]:
    """Every option's name and values, in one call to the translator."""
    variant_set = record.variants
    if variant_set is None:
        return []
    upstream = _language_of(record)
    texts: list[SourceText] = []
    for option in variant_set.options:
        texts.append(_with(option.name, option.translated_name, upstream))
        texts.extend(_with(v.name, v.translated_name, upstream) for v in option.values)
    answers = iter(await translator.translate(texts, language))
    result = []
    for option in variant_set.options:
        name = next(answers)
        result.append(OptionTranslation(name, tuple(next(answers) for _ in option.values)))
    return result


async def selected_options(translator: TextTranslator, product: model.ProductRecord,
                           variant: model.VariantRecord,
                           language: str) -> list[OptionTranslation]:
    upstream = _language_of(product)
    texts: list[SourceText] = []
    for selected in variant.selected_options:
        texts.append(_with(selected.name, selected.translated_name, upstream))
        texts.append(_with(selected.value, selected.translated_value, upstream))
    answers = await translator.translate(texts, language)
    return [OptionTranslation(answers[i], (answers[i + 1],)) for i in range(0, len(answers), 2)]


async def attributes(translator: TextTranslator, record: model.ProductRecord,
                     language: str) -> list[AttributeTranslation]:
    core = record.core
    if core is None:
        return []
    texts = [_source(t) for a in core.attributes for t in (a.name, a.value)]
    answers = await translator.translate(texts, language)
    return [AttributeTranslation(answers[i], answers[i + 1]) for i in range(0, len(answers), 2)]


async def category(translator: TextTranslator, record: model.ProductRecord,
                   language: str) -> list[Translation] | None:
    """The category's name, then each name of its path (when the marketplace gives one)."""
    core = record.core
    if core is None or core.category is None or not core.category.name:
        return None
    names = [core.category.name, *(core.category.path or ())]
    return await translator.translate(names, language)


async def seller_name(translator: TextTranslator, record: model.ProductRecord,
                      language: str) -> Translation | None:
    name = record.seller.name if record.seller is not None else \
        (record.core.seller_name if record.core is not None else None)
    if not name:
        return None
    return (await translator.translate([name], language))[0]

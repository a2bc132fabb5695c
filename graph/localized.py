"""The GraphQL types of a product read in another language: ``Product.translation(language:)``
answers a ``ProductTranslation`` whose texts are ``TranslatedText``s, each saying where its
translation came from (``TranslationSource``).

Why an argument on the entity's own field, and new types, rather than changing
``LocalizedText``: ``LocalizedText`` is ``@shareable`` and the reviews subgraph defines it
too; Federation 2 composes a shared value type only when every subgraph can resolve every
field of it, so adding ``source`` (or a ``language:`` argument) to it in productgraph alone
fails composition (docs/localization.md shows the error). A field argument on
productgraph's own fields reaches the subgraph unchanged in every query plan — root fields
and ``_entities`` fetches alike — where a header (``Accept-Language``) must be configured
to pass the router, and a root argument never reaches an entity fetch.

``translated`` is resolved by a method that raises the provider's coded error
(``TRANSLATION_UNAVAILABLE``): graphql-core reports an error only for a raising resolver,
and so only that leaf is null, with the error's path, and the rest of the product answers.
"""

from __future__ import annotations

from typing import Any

import strawberry
from strawberry.types import Info

from channels import model
from channels.translation import Translation, TranslationSource, normalize_language
from resolvers import localization
from resolvers.errors import UserInputError, to_graphql_error

TranslationSourceEnum = strawberry.enum(
    TranslationSource, name="TranslationSource",
    description="Where a translation came from: show or hide machine text by it.")


def parse_language(tag: str) -> str:
    """A BCP 47 tag (``en``, ``en-US``, ``ja``), or BAD_USER_INPUT naming ``language``."""
    language = normalize_language(tag)
    if language is None:
        raise UserInputError(f"`language` must be a BCP 47 language tag such as \"en\" or "
                             f"\"en-US\"; got {tag!r}", argument="language")
    return language


@strawberry.type(description="A marketplace text and its translation into `language`, with "
                             "where the translation came from.")
class TranslatedText:
    record: strawberry.Private[Translation]

    @strawberry.field(description="The text as the marketplace wrote it (usually Chinese).")
    def original(self) -> str:
        return self.record.original

    @strawberry.field(description="The text in `language`; null when no translation is "
                                  "available (no machine provider configured and the "
                                  "glossary does not know it), or — with a "
                                  "`TRANSLATION_UNAVAILABLE` error at this path — when the "
                                  "machine provider failed.")
    def translated(self) -> str | None:
        if self.record.failure is not None:
            raise to_graphql_error(self.record.failure)
        return self.record.text

    @strawberry.field(description="The language asked for (a BCP 47 tag).")
    def language(self) -> str:
        return self.record.language

    @strawberry.field(description="Where `translated` came from; null when it is null.")
    def source(self) -> TranslationSourceEnum | None:  # type: ignore[valid-type]
        return self.record.source if self.record.text is not None else None


def _text(record: Translation) -> TranslatedText:
    return TranslatedText(record=record)


@strawberry.type(description="An option and its values, translated.")
class OptionTranslation:
    name: TranslatedText = strawberry.field(description="The option's name, e.g. Color.")
    values: list[TranslatedText] = strawberry.field(
        description="The option's values in the order of `Product.options`.")

    @classmethod
    def from_model(cls, found: localization.OptionTranslation) -> OptionTranslation:
        return cls(name=_text(found.name), values=[_text(v) for v in found.values])


@strawberry.type(description="One option of a variant, translated.")
class SelectedOptionTranslation:
    name: TranslatedText = strawberry.field(description="The option's name.")
    value: TranslatedText = strawberry.field(description="The variant's value of it.")


@strawberry.type(description="A display-only specification, translated.")
class AttributeTranslation:
    name: TranslatedText = strawberry.field(description="The specification's name.")
    value: TranslatedText = strawberry.field(description="Its value.")


@strawberry.type(description="A category's names, translated.")
class CategoryTranslation:
    name: TranslatedText = strawberry.field(description="The category's name.")
    path: list[TranslatedText] | None = strawberry.field(
        description="Names from the root to this category, when the marketplace gives them.")


@strawberry.type(description="A product's texts in one language: marketplace translations "
                             "first, then the glossary, then the machine provider.")
class ProductTranslation:
    record: strawberry.Private[model.ProductRecord]
    language: str = strawberry.field(description="The language asked for.")

    @strawberry.field(description="The title.")
    async def title(self, info: Info[Any, Any]) -> TranslatedText:
        return _text(await localization.title(info.context.translator, self.record,
                                              self.language))

    @strawberry.field(description="The description's text (HTML tags dropped), translated; "
                                  "null when the product has none.")
    async def description(self, info: Info[Any, Any]) -> TranslatedText | None:
        found = await localization.description(info.context.translator, self.record,
                                               self.language)
        return _text(found) if found is not None else None

    @strawberry.field(description="The options (names and values) in the order of "
                                  "`Product.options`.")
    async def options(self, info: Info[Any, Any]) -> list[OptionTranslation]:
        return [OptionTranslation.from_model(o) for o in await localization.options(
            info.context.translator, self.record, self.language)]

    @strawberry.field(description="The attributes in the order of `Product.attributes`.")
    async def attributes(self, info: Info[Any, Any]) -> list[AttributeTranslation]:
        return [AttributeTranslation(name=_text(a.name), value=_text(a.value))
                for a in await localization.attributes(info.context.translator, self.record,
                                                       self.language)]

    @strawberry.field(description="The category's name and path; null without a name.")
    async def category(self, info: Info[Any, Any]) -> CategoryTranslation | None:
        found = await localization.category(info.context.translator, self.record,
                                            self.language)
        if not found:
            return None
        path = [_text(t) for t in found[1:]] or None
        return CategoryTranslation(name=_text(found[0]), path=path)

    @strawberry.field(description="The shop's name.")
    async def seller_name(self, info: Info[Any, Any]) -> TranslatedText | None:
        found = await localization.seller_name(info.context.translator, self.record,
                                               self.language)
        return _text(found) if found is not None else None


@strawberry.type(description="A variant's texts in one language.")
class VariantTranslation:
    product: strawberry.Private[model.ProductRecord]
    variant: strawberry.Private[model.VariantRecord]
    language: str = strawberry.field(description="The language asked for.")

    @strawberry.field(description="The options that define the variant, in the order of "
                                  "`Variant.selectedOptions`.")
    async def selected_options(self, info: Info[Any, Any]) -> list[SelectedOptionTranslation]:
        found = await localization.selected_options(info.context.translator, self.product,
                                                    self.variant, self.language)
        return [SelectedOptionTranslation(name=_text(o.name), value=_text(o.values[0]))
                for o in found]

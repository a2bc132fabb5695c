"""Variant selection over the normalized model (seed 003's "variant selection", Shopify's
``variantBySelectedOptions``): match a shopper's chosen options to a SKU, and say which
option values can still lead to an in-stock SKU given what is already chosen.

Option names and values match in the original language and, where the upstream gave one,
in the translation.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from channels.model import SelectedOption, VariantRecord, VariantSet


@dataclass(frozen=True, slots=True)
class Choice:
    name: str
    value: str


def _norm(text: str, case_insensitive: bool) -> str:
    text = text.strip()
    return text.casefold() if case_insensitive else text


def _names(option: SelectedOption, ci: bool) -> set[str]:
    names = {_norm(option.name, ci)}
    if option.translated_name:
        names.add(_norm(option.translated_name, ci))
    return names


def _values(option: SelectedOption, ci: bool) -> set[str]:
    values = {_norm(option.value, ci)}
    if option.translated_value:
        values.add(_norm(option.translated_value, ci))
    return values


def variant_matches(variant: VariantRecord, choices: Sequence[Choice], *,
                    case_insensitive: bool = False, ignore_unknown: bool = True) -> bool:
    """True when every choice names one of the variant's options with that value."""
    for choice in choices:
        name = _norm(choice.name, case_insensitive)
        value = _norm(choice.value, case_insensitive)
        option = next((o for o in variant.selected_options
                       if name in _names(o, case_insensitive)), None)
        if option is None:
            if ignore_unknown:
                continue
            return False
        if value not in _values(option, case_insensitive):
            return False
    return True


def known_choices(variant_set: VariantSet, choices: Sequence[Choice], *,
                  case_insensitive: bool) -> list[Choice]:
    """The choices whose name is one of the product's option names."""
    names: set[str] = set()
    for variant in variant_set.variants:
        for option in variant.selected_options:
            names |= _names(option, case_insensitive)
    return [c for c in choices if _norm(c.name, case_insensitive) in names]


def variant_by_selected_options(
    variant_set: VariantSet, choices: Sequence[Choice], *,
    ignore_unknown_options: bool = False, case_insensitive: bool = False,
) -> VariantRecord | None:
    """The variant with exactly these options (sold out or not), or ``None``.

    Every option dimension must be chosen: a partial choice matches no single variant.
    Unknown option names make the lookup fail unless ``ignore_unknown_options``.
    """
    ci = case_insensitive
    if ignore_unknown_options:
        choices = known_choices(variant_set, choices, case_insensitive=ci)
    elif len(known_choices(variant_set, choices, case_insensitive=ci)) != len(choices):
        return None
    for variant in variant_set.variants:
        if len(variant.selected_options) != len(choices):
            continue
        if variant_matches(variant, choices, case_insensitive=ci, ignore_unknown=False):
            return variant
    return None


def is_available(variant: VariantRecord) -> bool:
    return variant.stock is None or variant.stock > 0


def first_available_variant(variant_set: VariantSet,
                            choices: Sequence[Choice] = ()) -> VariantRecord | None:
    """The first in-stock variant compatible with the (possibly partial) choices."""
    for variant in variant_set.variants:
        if is_available(variant) and variant_matches(variant, choices):
            return variant
    return None


def value_availability(
    variant_set: VariantSet, option_name: str, value: str, selected: Sequence[Choice]
) -> tuple[bool, VariantRecord | None]:
    """Whether ``option_name=value`` is selectable given the other chosen options.

    A value is available when some in-stock variant has it and agrees with every choice
    made on the *other* dimensions (the choice on this dimension is what the shopper is
    about to change). Returns the first such variant too (``firstSelectableVariant``).
    """
    others = [c for c in selected if _norm(c.name, False) != _norm(option_name, False)]
    wanted = [*others, Choice(option_name, value)]
    for variant in variant_set.variants:
        if is_available(variant) and variant_matches(variant, wanted):
            return True, variant
    return False, None

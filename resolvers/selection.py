"""Read a query's selection set to decide which parts of a product it needs.

The root resolvers call ``product_parts`` before loading anything, so all the parts every
product of the query needs are asked for in one wave: a query for ``id title price``
never costs a SKU, image or description call, and one that also selects ``variants`` and
``images`` costs one batch call per 20 Taobao ids, not one per level of the tree.

The selection is read through strawberry's public ``Info.selected_fields``. What it yields
depends only on the operation and the field's place in it (not on variables: ``@skip`` and
``@include`` are not looked at, so a skipped field's part is still loaded), so each answer
is remembered per operation and response path: a repeated query reads no selection at all.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from strawberry.types import Info
from strawberry.types.nodes import SelectedField, Selection

from channels.model import Part

_CORE_FIELDS = (
    "sourceUrl", "title", "price", "priceRange", "priceTiers", "priceForQuantity",
    "minOrderQuantity", "distributionPrice", "distributionMinQuantity", "unit", "batchNumber",
    "mixWholesale", "productType", "attributes", "totalStock", "availableForSale",
    "salesCount", "shipping", "category", "brand", "condition", "status", "customization",
    "listedAt", "updatedAt", "referencePriceRange", "suggestedRetailPrice", "sellUnit",
    "onlineTradeSupported", "businessGroups", "outerId", "saleType", "delistingAt",
    "hasInvoice", "hasWarranty", "sellPoint",
)

PART_OF_FIELD: dict[str, Part] = {name: Part.CORE for name in _CORE_FIELDS} | {
    "images": Part.MEDIA,
    "videos": Part.MEDIA,
    "description": Part.DESCRIPTION,
    "options": Part.VARIANTS,
    "variants": Part.VARIANTS,
    "variantBySelectedOptions": Part.VARIANTS,
    "selectedOrFirstAvailableVariant": Part.VARIANTS,
    "seller": Part.SELLER,
    "catalogProduct": Part.CATALOG,
    # Its texts read the core (and the language of the marketplace's translations there);
    # its options, description add their parts (PART_OF_TRANSLATION_FIELD).
    "translation": Part.CORE,
}

#: What ``Product.translation``'s fields read (graph/localized.py).
PART_OF_TRANSLATION_FIELD: dict[str, Part] = {
    "title": Part.CORE, "attributes": Part.CORE, "category": Part.CORE,
    "description": Part.DESCRIPTION, "options": Part.VARIANTS, "sellerName": Part.CORE,
}

# Variant fields that read the product's core (the minimum order for priceForQuantity).
VARIANT_CORE_FIELDS = frozenset({"priceForQuantity"})
#: ``Product.price`` fields that read the COUPON part (the price after coupons).
PRICE_COUPON_FIELDS = frozenset({"afterCoupon", "coupon"})


#: Answers remembered per (operation, response path, descent); the operation object is held
#: so its ``id`` stays unique while the entry lives.
_MEMO_SIZE = 2048
_memo: OrderedDict[tuple[int, tuple[str, ...], tuple[str, ...]],
                   tuple[object, list[SelectedField], frozenset[Part]]] = OrderedDict()


def _fields(selections: Iterable[Selection]) -> Iterator[SelectedField]:
    """Every field of a selection set, fragments (named and inline) flattened."""
    for node in selections:
        if isinstance(node, SelectedField):
            yield node
        else:
            yield from _fields(node.selections)


def _children(fields: Iterable[SelectedField]) -> list[SelectedField]:
    return list(_fields(child for field in fields for child in field.selections))


def parts_of_product_fields(fields: Iterable[SelectedField]) -> set[Part]:
    """The parts the selected ``Product`` fields read."""
    parts: set[Part] = set()
    for field in fields:
        if field.name == "translation":
            parts.update(PART_OF_TRANSLATION_FIELD[child.name]
                         for child in _children([field])
                         if child.name in PART_OF_TRANSLATION_FIELD)
        part = PART_OF_FIELD.get(field.name)
        if part is not None:
            parts.add(part)
        if field.name == "price" and any(
                child.name in PRICE_COUPON_FIELDS for child in _children([field])):
            parts.add(Part.COUPON)
        if part is Part.VARIANTS and _selects(
                _children([field]), VARIANT_CORE_FIELDS, ("firstSelectableVariant",)):
            parts.add(Part.CORE)
    return parts


def _selects(fields: Iterable[SelectedField], names: frozenset[str],
             through: tuple[str, ...]) -> bool:
    for field in fields:
        if field.name in names:
            return True
        descend = field.name in through or field.name == "values"
        if descend and _selects(_children([field]), names, through):
            return True
    return False


def _response_keys(info: Info[Any, Any]) -> tuple[str, ...]:
    """The field names of the current response path (list indexes left out)."""
    at = info.path
    if at.prev is None:  # a root field: the usual case, no list to build
        return (at.key,) if isinstance(at.key, str) else ()
    return tuple(str(k) for k in at.as_list() if isinstance(k, str))


def _lookup(info: Info[Any, Any], path: Sequence[str]
            ) -> tuple[list[SelectedField], frozenset[Part]]:
    operation = info.operation
    key = (id(operation), _response_keys(info), path if type(path) is tuple else tuple(path))
    entry = _memo.get(key)
    if entry is not None and entry[0] is operation:
        _memo.move_to_end(key)
        return entry[1], entry[2]
    fields = _children(_fields(info.selected_fields))
    for step in path:
        fields = _children(f for f in fields if f.name == step)
    parts = frozenset(parts_of_product_fields(fields))
    _memo[key] = (operation, fields, parts)
    if len(_memo) > _MEMO_SIZE:
        _memo.popitem(last=False)
    return fields, parts


def selected_field_names(info: Info[Any, Any], path: Sequence[str] = ()) -> set[str]:
    """The names of the fields selected under the current field, after descending through
    ``path`` (e.g. ``("edges", "node")`` for a connection's nodes)."""
    return {field.name for field in _lookup(info, path)[0]}


def product_parts(info: Info[Any, Any], path: Sequence[str] = ()) -> set[Part]:
    """The parts the products under the current field need.

    ``path`` descends through wrapper fields first, e.g. ``("edges", "node")`` for a
    connection.
    """
    return set(_lookup(info, path)[1])


def wanted_parts(info: Info[Any, Any], path: Sequence[str] = ()) -> frozenset[Part]:
    """``product_parts`` as the loaders take it (``load_parts``): the remembered frozenset
    itself, not a copy to change."""
    return _lookup(info, path)[1]

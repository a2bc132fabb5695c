"""Read a query's selection set to decide which parts of a product it needs.

The root resolvers call ``product_parts`` before loading anything, so all the parts every
product of the query needs are asked for in one wave: a query for ``id title price``
never costs a SKU, image or description call, and one that also selects ``variants`` and
``images`` costs one batch call per 20 Taobao ids, not one per level of the tree.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from graphql import FieldNode, FragmentDefinitionNode, FragmentSpreadNode, InlineFragmentNode
from graphql.language import SelectionNode
from strawberry.types import Info

from channels.model import Part

_CORE_FIELDS = (
    "sourceUrl", "title", "price", "priceRange", "priceTiers", "priceForQuantity",
    "minOrderQuantity", "distributionPrice", "distributionMinQuantity", "unit", "batchNumber",
    "mixWholesale", "productType", "attributes", "totalStock", "availableForSale",
    "salesCount", "shipping", "category", "brand", "condition", "status", "customization",
    "listedAt", "updatedAt",
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
}

# Fields whose value is known from the id alone.
FREE_FIELDS = frozenset({"id", "channel", "sourceId", "__typename"})

# Variant fields that read the product's core (the minimum order for priceForQuantity).
VARIANT_CORE_FIELDS = frozenset({"priceForQuantity"})


def _fields(selections: Iterable[SelectionNode],
            fragments: dict[str, FragmentDefinitionNode]) -> Iterable[FieldNode]:
    """Every field of a selection set, fragments (named and inline) flattened."""
    for node in selections:
        if isinstance(node, FieldNode):
            yield node
        elif isinstance(node, InlineFragmentNode):
            yield from _fields(node.selection_set.selections, fragments)
        elif isinstance(node, FragmentSpreadNode):
            fragment = fragments.get(node.name.value)
            if fragment is not None:
                yield from _fields(fragment.selection_set.selections, fragments)


def _children(node: FieldNode) -> Sequence[SelectionNode]:
    return node.selection_set.selections if node.selection_set else ()


def parts_of_product_fields(fields: Iterable[FieldNode],
                            fragments: dict[str, FragmentDefinitionNode]) -> set[Part]:
    parts: set[Part] = set()
    for field in fields:
        name = field.name.value
        part = PART_OF_FIELD.get(name)
        if part is not None:
            parts.add(part)
        if part is Part.VARIANTS:
            inner = _fields(_children(field), fragments)
            if _selects(inner, fragments, VARIANT_CORE_FIELDS, ("firstSelectableVariant",)):
                parts.add(Part.CORE)
    return parts


def _selects(fields: Iterable[FieldNode], fragments: dict[str, FragmentDefinitionNode],
             names: frozenset[str], through: tuple[str, ...]) -> bool:
    for field in fields:
        if field.name.value in names:
            return True
        descend = field.name.value in through or field.name.value == "values"
        if descend and _selects(_fields(_children(field), fragments), fragments, names, through):
            return True
    return False


def product_parts(info: Info, path: Sequence[str] = ()) -> set[Part]:
    """The parts the products under the current field need.

    ``path`` descends through wrapper fields first, e.g. ``("edges", "node")`` for a
    connection; ``nodes`` is followed too.
    """
    raw = info._raw_info
    fragments = raw.fragments
    fields: Iterable[FieldNode] = list(_fields(
        (c for node in raw.field_nodes for c in _children(node)), fragments))
    for step in path:
        fields = [c for f in fields if f.name.value == step
                  for c in _fields(_children(f), fragments)]
    return parts_of_product_fields(fields, fragments)

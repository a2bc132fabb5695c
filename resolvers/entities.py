"""Federation reference resolvers: entity representations go through the request's
loaders, so 50 ``Product`` representations in one ``_entities`` call cost the same upstream
batches as ``products(ids:)`` with those 50 ids. Each returns the entity's record; the
entity types of ``graph/types.py`` call them from their ``resolve_reference``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from graphql import GraphQLError

from channels.errors import ChannelError, InvalidId
from channels.model import Part, ProductRecord, SellerRecord
from resolvers.errors import to_graphql_error
from resolvers.ids import ParsedId, parse_id
from resolvers.products import ProductVariant, seller_from_id, variant_of
from resolvers.selection import product_parts

if TYPE_CHECKING:
    from strawberry.types import Info

    from resolvers.context import Context

ARGUMENT = "representations.id"
EXPECTED = {
    "product": "a product id `<channel>_<sourceId>`",
    "variant": "a variant id `<channel>_<sourceId>_<skuId>`",
    "seller": "a seller id `<channel>_shop_<sellerId>`",
}


def _parse(id: str, kind: str) -> ParsedId:
    """The representation's id as ``kind``, or a coded ``INVALID_ID`` naming the form."""
    try:
        parsed = parse_id(str(id), argument=ARGUMENT)
        if parsed.kind != kind:
            raise InvalidId(f"{id!r} is not {EXPECTED[kind]}")
    except ChannelError as exc:
        raise to_graphql_error(exc, argument=ARGUMENT) from exc
    return parsed


async def _load(info: Info[Context, Any], parsed: ParsedId,
                extra: frozenset[Part] = frozenset()) -> ProductRecord:
    try:
        return await info.context.loader.load_parts(
            parsed.channel, parsed.source_id, product_parts(info) | extra)
    except ChannelError as exc:
        raise to_graphql_error(exc, argument=ARGUMENT) from exc


async def product_reference(info: Info[Context, Any], id: str) -> ProductRecord:
    """The product a ``Product`` representation names."""
    return await _load(info, _parse(id, "product"))


async def variant_reference(info: Info[Context, Any], id: str) -> ProductVariant:
    """The variant a ``Variant`` representation names, with its product."""
    parsed = _parse(id, "variant")
    record = await _load(info, parsed, frozenset({Part.VARIANTS}))
    result = variant_of(record, parsed, ARGUMENT)
    if isinstance(result, GraphQLError):
        raise result
    return result


def seller_reference(id: str) -> SellerRecord:
    """The seller a ``Seller`` representation names (known by its id alone)."""
    return seller_from_id(_parse(id, "seller"))

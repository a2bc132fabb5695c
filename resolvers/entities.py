"""Federation reference resolvers: entity representations go through the request's
loaders, so 50 ``Product`` representations in one ``_entities`` call cost the same upstream
batches as ``products(ids:)`` with those 50 ids."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from channels.errors import ChannelError, InvalidId
from channels.model import Part, ProductRecord
from graph.errors import to_graphql_error
from resolvers.ids import ParsedId, parse_id
from resolvers.selection import product_parts

if TYPE_CHECKING:
    from strawberry.types import Info

    from graph.context import Context

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


async def resolve_product_reference(cls: type, info: Info[Context, Any], id: str) -> Any:
    from graph.types import Product

    return Product(record=await _load(info, _parse(id, "product")))


async def resolve_variant_reference(cls: type, info: Info[Context, Any], id: str) -> Any:
    from resolvers.products import variant_of

    parsed = _parse(id, "variant")
    record = await _load(info, parsed, frozenset({Part.VARIANTS}))
    result = variant_of(record, parsed, ARGUMENT)
    if isinstance(result, Exception):
        raise result
    return result


async def resolve_seller_reference(cls: type, info: Info[Context, Any], id: str) -> Any:
    from resolvers.products import seller_from_id

    return seller_from_id(_parse(id, "seller"))

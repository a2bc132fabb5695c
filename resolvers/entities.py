"""Federation reference resolvers: entity representations go through the request's
loaders, so 50 ``Product`` representations in one ``_entities`` call cost the same upstream
batches as ``products(ids:)`` with those 50 ids."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from channels.errors import ChannelError, InvalidId
from graph.errors import to_graphql_error
from resolvers.ids import parse_id
from resolvers.selection import product_parts

if TYPE_CHECKING:
    from strawberry.types import Info

    from graph.context import Context


async def resolve_product_reference(cls: type, info: Info[Context, Any], id: str) -> Any:
    from graph.types import Product

    try:
        parsed = parse_id(str(id), argument="representations.id")
        if parsed.kind != "product":
            raise InvalidId(f"{id!r} is not a product id")
        record = await info.context.loader.load_parts(
            parsed.channel, parsed.source_id, product_parts(info))
    except ChannelError as exc:
        raise to_graphql_error(exc, argument="representations.id") from exc
    return Product(record=record)


async def resolve_variant_reference(cls: type, info: Info[Context, Any], id: str) -> Any:
    from channels.model import Part
    from resolvers.products import variant_of

    try:
        parsed = parse_id(str(id), argument="representations.id")
        if parsed.kind != "variant":
            raise InvalidId(f"{id!r} is not a variant id `<channel>_<sourceId>_<skuId>`")
        record = await info.context.loader.load_parts(
            parsed.channel, parsed.source_id, product_parts(info) | {Part.VARIANTS})
    except ChannelError as exc:
        raise to_graphql_error(exc, argument="representations.id") from exc
    result = variant_of(record, parsed, "representations.id")
    if isinstance(result, Exception):
        raise result
    return result


async def resolve_seller_reference(cls: type, info: Info[Context, Any], id: str) -> Any:
    from resolvers.products import seller_from_id

    try:
        parsed = parse_id(str(id), argument="representations.id")
        if parsed.kind != "seller":
            raise InvalidId(f"{id!r} is not a seller id `<channel>_shop_<sellerId>`")
    except ChannelError as exc:
        raise to_graphql_error(exc, argument="representations.id") from exc
    return seller_from_id(parsed)

"""Root resolvers for products: ``product``, ``products``, ``node(s)``, ``catalogProduct``.

They read the selection to learn which parts the query needs, ask the request's loader for
all of them in one wave, and wrap the records in GraphQL types. They never call HTTP.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from channels.base import CatalogCapable
from channels.errors import ChannelError, InvalidId, NotFound
from channels.model import Channel, Part
from graph.errors import UserInputError, to_graphql_error
from graph.types import CatalogProduct, Product, Seller, Variant
from resolvers.ids import ParsedId, parse_id, parse_product_id
from resolvers.selection import product_parts

T = TypeVar("T")

if TYPE_CHECKING:
    from strawberry.types import Info

    from graph.context import Context


async def resolve_product(info: Info[Context, Any], id: str) -> Product | None:
    try:
        channel, source_id = parse_product_id(id, argument="id")
        record = await info.context.loader.load_parts(channel, source_id, product_parts(info))
    except ChannelError as exc:
        raise to_graphql_error(exc, argument="id") from exc
    return Product(record=record)


def parse_each(ids: Sequence[str], parse: Callable[..., T],
               argument: str) -> list[T | Exception]:
    """Each id parsed, or a coded INVALID_ID naming ``argument[index]`` in its place."""
    parsed: list[T | Exception] = []
    for index, raw in enumerate(ids):
        try:
            parsed.append(parse(raw, argument=f"{argument}[{index}]"))
        except InvalidId as exc:
            parsed.append(to_graphql_error(exc, argument=f"{argument}[{index}]"))
    return parsed


async def load_products(info: Info[Context, Any], ids: Sequence[str], *, argument: str,
                        parts: set[Part]) -> list[Product | Exception]:
    """Products in the order of ``ids``; a failed one is an error in its place."""
    parsed = parse_each(ids, parse_product_id, argument)
    wanted = [p for p in parsed if not isinstance(p, Exception)]
    answers = iter(await info.context.loader.load_products_or_errors(wanted, parts))
    result: list[Product | Exception] = []
    for index, item in enumerate(parsed):
        if isinstance(item, Exception):
            result.append(item)
            continue
        answer = next(answers)
        if isinstance(answer, BaseException):
            result.append(to_graphql_error(answer, argument=f"{argument}[{index}]"))
        else:
            result.append(Product(record=answer))
    return result


def check_id_count(info: Info[Context, Any], ids: Sequence[str], argument: str) -> None:
    limit = info.context.max_ids
    if len(ids) > limit:
        raise UserInputError(
            f"`{argument}` takes at most {limit} ids per request; got {len(ids)}. "
            "Split the list over several requests.", argument=argument,
            code="TOO_MANY_IDS")


async def resolve_products(info: Info[Context, Any], ids: Sequence[str]) -> list[Product | None]:
    check_id_count(info, ids, "ids")
    return await load_products(info, ids, argument="ids", parts=product_parts(info))  # type: ignore[return-value]


async def resolve_nodes(info: Info[Context, Any], ids: Sequence[str]) -> list[Any]:
    """Products, variants and sellers by id; products of the list load in one wave."""
    check_id_count(info, ids, "ids")
    parts = product_parts(info) | {Part.CORE}
    parsed = parse_each(ids, parse_id, "ids")
    products = [p for p in parsed if isinstance(p, ParsedId) and p.kind != "seller"]
    need = {(p.channel, p.source_id) for p in products}
    variant_parts = parts | ({Part.VARIANTS} if any(p.kind == "variant" for p in products)
                             else set())
    keys = sorted(need, key=lambda k: (k[0].value, k[1]))
    answers = dict(zip(keys, await info.context.loader.load_products_or_errors(
        keys, variant_parts), strict=True))
    result: list[Any] = []
    for index, item in enumerate(parsed):
        if isinstance(item, Exception):
            result.append(item)
        elif item.kind == "seller":
            result.append(seller_from_id(item))
        else:
            answer = answers[(item.channel, item.source_id)]
            if isinstance(answer, BaseException):
                result.append(to_graphql_error(answer, argument=f"ids[{index}]"))
            elif item.kind == "product":
                result.append(Product(record=answer))
            else:
                result.append(variant_of(answer, item, f"ids[{index}]"))
    return result


def variant_of(record: Any, parsed: ParsedId, argument: str) -> Variant | Exception:
    variants = record.variants.variants if record.variants else ()
    for variant in variants:
        if variant.sku_id == parsed.sub_id:
            return Variant(record=variant, product=record)
    return to_graphql_error(NotFound(
        f"{record.channel.name} product {record.source_id} has no variant {parsed.sub_id}",
        channel=record.channel), argument=argument)


def seller_from_id(parsed: ParsedId) -> Seller:
    """A seller known by id alone: marketplaces key sellers by id or nick, so the name is it."""
    from channels.model import SellerRecord

    return Seller.from_model(SellerRecord(channel=parsed.channel, source_id=parsed.source_id,
                                          name=parsed.source_id))


async def resolve_node(info: Info[Context, Any], id: str) -> Any:
    result = (await resolve_nodes(info, [id]))[0]
    if isinstance(result, Exception):
        raise result
    return result


async def resolve_catalog_product(
    info: Info[Context, Any], product_id: str | None, category_id: str | None,
    props: str | None,
) -> CatalogProduct | None:
    if product_id is None and not (category_id and props):
        raise UserInputError(
            "catalogProduct needs either `productId`, or `categoryId` together with `props` "
            "(`pid:vid;pid:vid`, the product's key properties)", argument="productId")
    if product_id is not None and not product_id.strip().isdigit():
        raise UserInputError(f"`productId` must be a number, got {product_id!r}",
                             argument="productId")
    if category_id is not None and not category_id.strip().isdigit():
        raise UserInputError(f"`categoryId` must be a number, got {category_id!r}",
                             argument="categoryId")
    try:
        adapter = info.context.registry.adapter(Channel.TMALL)
        if not isinstance(adapter, CatalogCapable):
            raise to_graphql_error(NotFound("catalog products are a Tmall (TOP) feature"))
        record = await adapter.fetch_catalog_product(
            product_id=product_id.strip() if product_id else None,
            category_id=category_id, props=props)
    except ChannelError as exc:
        raise to_graphql_error(exc) from exc
    return CatalogProduct(record=record)

"""Root resolvers for products: ``product``, ``products``, ``node(s)``, ``catalogProduct``.

They read the selection to learn which parts the query needs, ask the request's loader for
all of them in one wave, and return ``channels.model`` records — or a coded error in the
slot of an id that failed. They never call HTTP and know nothing of the GraphQL types:
``graph/`` wraps what they return.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from graphql import GraphQLError

from channels.base import CatalogCapable
from channels.errors import ChannelError, InvalidId, NotFound
from channels.model import (
    CatalogProductRecord,
    Channel,
    Part,
    ProductRecord,
    SellerRecord,
    VariantRecord,
)
from resolvers.errors import UserInputError, to_graphql_error
from resolvers.ids import ParsedId, parse_id, parse_product_id
from resolvers.selection import product_parts, wanted_parts

if TYPE_CHECKING:
    from strawberry.types import Info

    from resolvers.context import Context

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class ProductVariant:
    """One SKU with the product it belongs to: its id, and the minimum order that prices
    it, come from the product."""

    product: ProductRecord
    variant: VariantRecord


#: What ``node(s)`` finds behind an id.
NodeRecord = ProductRecord | ProductVariant | SellerRecord


async def resolve_product(info: Info[Context, Any], id: str) -> ProductRecord:
    try:
        channel, source_id = parse_product_id(id, argument="id")
        return await info.context.loader.load_parts(channel, source_id, wanted_parts(info))
    except ChannelError as exc:
        raise to_graphql_error(exc, argument="id") from exc


def parse_each(ids: Sequence[str], parse: Callable[..., T], argument: str,
               name: Callable[[int], str] | None = None) -> list[T | GraphQLError]:
    """Each id parsed, or a coded INVALID_ID naming ``argument[index]`` (or what ``name``
    says for the index) in its place."""
    name = name or (lambda index: f"{argument}[{index}]")
    parsed: list[T | GraphQLError] = []
    for index, raw in enumerate(ids):
        try:
            parsed.append(parse(raw, argument=name(index)))
        except InvalidId as exc:
            parsed.append(to_graphql_error(exc, argument=name(index)))
    return parsed


def check_id_count(info: Info[Context, Any], ids: Sequence[str], argument: str) -> None:
    limit = info.context.max_ids
    if len(ids) > limit:
        raise UserInputError(
            f"`{argument}` takes at most {limit} ids per request; got {len(ids)}. "
            "Split the list over several requests.", argument=argument,
            code="TOO_MANY_IDS")


async def resolve_products(info: Info[Context, Any],
                           ids: Sequence[str]) -> list[ProductRecord | GraphQLError]:
    """Products in the order of ``ids``; a failed one is an error in its place."""
    check_id_count(info, ids, "ids")
    parsed = parse_each(ids, parse_product_id, "ids")
    wanted = [p for p in parsed if not isinstance(p, GraphQLError)]
    answers = iter(await info.context.loader.load_products_or_errors(
        wanted, product_parts(info)))
    result: list[ProductRecord | GraphQLError] = []
    for index, item in enumerate(parsed):
        if isinstance(item, GraphQLError):
            result.append(item)
            continue
        answer = next(answers)
        result.append(answer if isinstance(answer, ProductRecord)
                      else to_graphql_error(answer, argument=f"ids[{index}]"))
    return result


async def resolve_nodes(info: Info[Context, Any], ids: Sequence[str], *,
                        argument: str = "ids") -> list[NodeRecord | GraphQLError]:
    """Products, variants and sellers by id; products of the list load in one wave.
    Errors name ``ids[index]``; ``node(id:)``'s (``argument="id"``) name ``id``."""
    check_id_count(info, ids, argument)

    def name(index: int) -> str:
        return argument if argument == "id" else f"{argument}[{index}]"

    parts = product_parts(info) | {Part.CORE}
    parsed = parse_each(ids, parse_id, argument, name)
    products = [p for p in parsed if isinstance(p, ParsedId) and p.kind != "seller"]
    need = {(p.channel, p.source_id) for p in products}
    variant_parts = parts | ({Part.VARIANTS} if any(p.kind == "variant" for p in products)
                             else set())
    keys = sorted(need, key=lambda k: (k[0].value, k[1]))
    answers = dict(zip(keys, await info.context.loader.load_products_or_errors(
        keys, variant_parts), strict=True))
    result: list[NodeRecord | GraphQLError] = []
    for index, item in enumerate(parsed):
        if isinstance(item, GraphQLError):
            result.append(item)
        elif item.kind == "seller":
            result.append(seller_from_id(item))
        else:
            answer = answers[(item.channel, item.source_id)]
            if not isinstance(answer, ProductRecord):
                result.append(to_graphql_error(answer, argument=name(index)))
            elif item.kind == "product":
                result.append(answer)
            else:
                result.append(variant_of(answer, item, name(index)))
    return result


async def resolve_node(info: Info[Context, Any], id: str) -> NodeRecord:
    result = (await resolve_nodes(info, [id], argument="id"))[0]
    if isinstance(result, GraphQLError):
        raise result
    return result


def variant_of(record: ProductRecord, parsed: ParsedId,
               argument: str) -> ProductVariant | GraphQLError:
    """The variant ``parsed`` names in ``record``, or a coded NOT_FOUND naming ``argument``."""
    variants = record.variants.variants if record.variants else ()
    for variant in variants:
        if variant.sku_id == parsed.sub_id:
            return ProductVariant(product=record, variant=variant)
    return to_graphql_error(NotFound(
        f"{record.channel.name} product {record.source_id} has no variant {parsed.sub_id}",
        channel=record.channel), argument=argument)


def seller_from_id(parsed: ParsedId) -> SellerRecord:
    """A seller known by id alone: marketplaces key sellers by id or nick, so the name is it."""
    return SellerRecord(channel=parsed.channel, source_id=parsed.source_id,
                        name=parsed.source_id)


def _ascii_number(text: str) -> bool:
    text = text.strip()
    return text.isascii() and text.isdigit()


async def resolve_catalog_product(
    info: Info[Context, Any], product_id: str | None, category_id: str | None,
    props: str | None,
) -> CatalogProductRecord:
    if product_id is None and not (category_id and props):
        raise UserInputError(
            "catalogProduct needs either `productId`, or `categoryId` together with `props` "
            "(`pid:vid;pid:vid`, the product's key properties)", argument="productId")
    # ASCII digits only: str.isdigit() is true of "²" and "٣", which int() and TOP refuse.
    if product_id is not None and not _ascii_number(product_id):
        raise UserInputError(f"`productId` must be a number, got {product_id!r}",
                             argument="productId")
    if category_id is not None and not _ascii_number(category_id):
        raise UserInputError(f"`categoryId` must be a number, got {category_id!r}",
                             argument="categoryId")
    try:
        adapter = info.context.registry.adapter(Channel.TMALL)
        if not isinstance(adapter, CatalogCapable):
            raise to_graphql_error(NotFound("catalog products are a Tmall (TOP) feature"))
        if product_id is not None:
            # Through the fetcher's cache and single flight, shared with the items'
            # ``catalogProduct``: one call per SPU per freshness period, whoever asks.
            return await info.context.fetcher.catalog_product(
                Channel.TMALL, product_id.strip())
        # A key-properties lookup names no SPU before the answer: not cached.
        return await adapter.fetch_catalog_product(
            product_id=product_id.strip() if product_id else None,
            category_id=category_id, props=props)
    except ChannelError as exc:
        raise to_graphql_error(exc) from exc

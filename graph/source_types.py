"""``Product.sources``: which upstream route answered each loaded part of a product.

The names are channel-agnostic: a deployment reads Taobao through the seller API or the
affiliate API, 1688 through the open platform or an aggregator; a layered channel
(``channels/layered.py``) names a source per part."""

from __future__ import annotations

import enum

import strawberry

from channels.layered import part_source
from channels.model import Part


@strawberry.enum(description="A slice of a product that is fetched (and cached) on its own.")
class ProductPart(enum.Enum):
    CORE = "core"
    VARIANTS = "variants"
    MEDIA = "media"
    DESCRIPTION = "description"
    SELLER = "seller"
    CATALOG = "catalog"
    COUPON = "coupon"


@strawberry.enum(description="The kind of upstream route a part came from.")
class ProductSourceKind(enum.Enum):
    SELLER_API = "SELLER_API"
    AFFILIATE_API = "AFFILIATE_API"
    OPEN_PLATFORM = "OPEN_PLATFORM"
    AGGREGATOR = "AGGREGATOR"


@strawberry.type(description="Which route answered one part of a product.")
class ProductSource:
    part: ProductPart = strawberry.field(description="The part.")
    source: ProductSourceKind = strawberry.field(description="The route that answers it.")


def sources_of(adapter: object, parts: frozenset[Part]) -> list[ProductSource]:
    """The source of each of ``parts`` through ``adapter``, in the parts' order."""
    out = []
    for part in Part:
        if part not in parts:
            continue
        name = part_source(adapter, part)
        if name is not None and name in ProductSourceKind.__members__:
            out.append(ProductSource(part=ProductPart(part.value),
                                     source=ProductSourceKind[name]))
    return out

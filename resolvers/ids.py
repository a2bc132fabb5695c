"""Public ids: ``{channel}_{sourceId}`` for products, ``{productId}_{skuId}`` for variants,
``{channel}_shop_{sellerId}`` for sellers (seed 003's composite id, extended)."""

from __future__ import annotations

from dataclasses import dataclass

from channels.errors import InvalidId
from channels.memo import remember
from channels.model import Channel

CHANNEL_PREFIXES = ", ".join(c.value for c in Channel)
MAX_ID_LENGTH = 200


@dataclass(frozen=True, slots=True)
class ParsedId:
    kind: str  # "product" | "variant" | "seller"
    channel: Channel
    source_id: str
    sub_id: str | None = None  # the SKU id of a variant, the seller id of a seller


def parse_id(raw: str, *, argument: str = "id") -> ParsedId:
    """Split a public id; raise ``InvalidId`` that names the argument and the expected form."""
    text = raw.strip()
    prefix, sep, rest = text.partition("_")
    channel = Channel.from_prefix(prefix) if sep else None
    if channel is None or not rest or len(text) > MAX_ID_LENGTH:
        shown = text if len(text) <= 60 else text[:57] + "..."
        raise InvalidId(
            f"`{argument}` must look like `<channel>_<sourceId>` with channel one of "
            f"{CHANNEL_PREFIXES} (e.g. `taobao_680123456789`); got {shown!r}"
        )
    if rest.startswith("shop_"):
        seller = rest[len("shop_"):]
        if not seller:
            raise InvalidId(f"`{argument}`: a seller id is `<channel>_shop_<sellerId>`; got "
                            f"{text!r}", channel=channel)
        return ParsedId("seller", channel, seller, seller)
    source_id, sep, sku = rest.partition("_")
    if sep and sku:
        return ParsedId("variant", channel, source_id, sku)
    return ParsedId("product", channel, rest)


def parse_product_id(raw: str, *, argument: str = "id") -> tuple[Channel, str]:
    found = _PRODUCT_IDS.get(raw)
    if found is not None:
        return found
    parsed = parse_id(raw, argument=argument)
    if parsed.kind != "product":
        raise InvalidId(
            f"`{argument}` must be a product id `<channel>_<sourceId>`; {raw!r} is a "
            f"{parsed.kind} id", channel=parsed.channel)
    return remember(_PRODUCT_IDS, raw, (parsed.channel, parsed.source_id),
                    _PRODUCT_IDS_SIZE)


#: Product ids parsed before (the argument name shows only in errors, which are not
#: remembered): a product page asks for the same ids over and over. The oldest go first.
_PRODUCT_IDS: dict[str, tuple[Channel, str]] = {}
_PRODUCT_IDS_SIZE = 10_000

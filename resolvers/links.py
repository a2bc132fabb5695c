"""``productByText``: the product in a pasted share text, link, 淘口令 or agent link.

The text is resolved by the registry's ``LinkResolver`` (``channels/share_links.py``:
offline parsing first, then TOP's 淘口令 API, then the guarded short-link follower), and the
product is loaded with the parts the query selects, as ``productByUrl`` does.

A 淘口令 (``taobao.tbk.tpwd.convert`` answers a bare ``num_iid``) or a short link that lands
on a Taobao page does not say whether the item is a Tmall one; the item's own answer does
(the affiliate ``user_type`` 1, an aggregator's canonical page): such a product is answered
as ``tmall_<id>`` when its loaded record names a Tmall page. The record is loaded once, as
a Taobao item (the same upstream item either way), so the check costs no extra call.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

from channels.errors import ChannelError
from channels.model import Channel, Part, ProductRecord
from channels.share_links import MAX_TEXT_LENGTH, LinkResolver, offline_product
from channels.urls import UnsupportedUrl, parse_product_url
from resolvers.errors import UserInputError, to_graphql_error
from resolvers.freshness import note_uncacheable
from resolvers.selection import product_parts

if TYPE_CHECKING:
    from strawberry.types import Info

    from resolvers.context import Context

_OFFLINE_ONLY = LinkResolver()


def listed_on_tmall(record: ProductRecord) -> bool:
    """Whether the upstream's canonical page of the item is a Tmall page."""
    if record.core is None or not record.core.source_url:
        return False
    try:
        return parse_product_url(record.core.source_url).channel is Channel.TMALL
    except UnsupportedUrl:
        return False


async def resolve_product_by_text(info: Info[Context, Any], text: str) -> ProductRecord:
    if len(text) > MAX_TEXT_LENGTH:
        raise UserInputError(f"`text` is at most {MAX_TEXT_LENGTH} characters; got "
                             f"{len(text)}", argument="text")
    # A share link's resolution (a network call, its own cache) has no freshness to note.
    note_uncacheable("productByText")
    resolver = info.context.registry.links or _OFFLINE_ONLY
    try:
        found = await resolver.resolve(text)
        parts = product_parts(info)
        # Named by a 淘口令 or a short link: the item's answer says Taobao or Tmall.
        ask_market = found.channel is Channel.TAOBAO and offline_product(text) is None
        if ask_market:
            parts = parts | {Part.CORE}
        record = await info.context.loader.load_parts(found.channel, found.source_id, parts)
    except ChannelError as exc:
        raise to_graphql_error(exc, argument="text") from exc
    if ask_market and listed_on_tmall(record):
        return replace(record, channel=Channel.TMALL)
    return record

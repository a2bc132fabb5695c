"""``productByText``: the product in a pasted share text, link, 淘口令 or agent link.

The text is resolved by the registry's ``LinkResolver`` (``channels/share_links.py``:
offline parsing first, then TOP's 淘口令 API, then the guarded short-link follower), and the
product is loaded with the parts the query selects, as ``productByUrl`` does.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from channels.errors import ChannelError
from channels.model import ProductRecord
from channels.share_links import MAX_TEXT_LENGTH, LinkResolver
from resolvers.errors import UserInputError, to_graphql_error
from resolvers.freshness import note_uncacheable
from resolvers.selection import product_parts

if TYPE_CHECKING:
    from strawberry.types import Info

    from resolvers.context import Context

_OFFLINE_ONLY = LinkResolver()


async def resolve_product_by_text(info: Info[Context, Any], text: str) -> ProductRecord:
    if len(text) > MAX_TEXT_LENGTH:
        raise UserInputError(f"`text` is at most {MAX_TEXT_LENGTH} characters; got "
                             f"{len(text)}", argument="text")
    # A share link's resolution (a network call, its own cache) has no freshness to note.
    note_uncacheable("productByText")
    resolver = info.context.registry.links or _OFFLINE_ONLY
    try:
        found = await resolver.resolve(text)
        return await info.context.loader.load_parts(found.channel, found.source_id,
                                                    product_parts(info))
    except ChannelError as exc:
        raise to_graphql_error(exc, argument="text") from exc

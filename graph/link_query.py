"""The ``Query`` field that finds a product in pasted text. ``graph.schema.Query`` inherits
it; the work is ``resolvers/links.py``'s."""

from __future__ import annotations

from typing import Annotated, Any

import strawberry
from strawberry.types import Info

from graph.types import Product
from resolvers import links
from resolvers.context import Context


@strawberry.type
class LinkQuery:
    @strawberry.field(description=(
        "The product in whatever a user pastes: a Taobao app share text (【淘宝】… "
        "https://m.tb.cn/h.… ￥AbCd1234￥…), a marketplace link, a 淘口令, an m.tb.cn / "
        "s.click.taobao.com / qr.1688.com short link, or a buying agent's product link "
        "(superbuy, cssbuy, pandabuy, wegobuy, sugargoo, cnfans, allchinabuy, hoobuy, "
        "mulebuy, kakobuy, acbuy, orientdig). Links and agent links are parsed offline; a "
        "淘口令 is resolved through TOP's affiliate API; a short link's redirects are followed "
        "only on allow-listed hosts, to marketplace pages, never to private addresses. "
        "Anything else answers UNSUPPORTED_URL without an upstream request. At most 2000 "
        "characters."))
    async def product_by_text(
        self, info: Info[Context, Any],
        text: Annotated[str, strawberry.argument(
            description="The pasted text, link or code (at most 2000 characters).")],
    ) -> Product | None:
        return Product.from_model(await links.resolve_product_by_text(info, text))

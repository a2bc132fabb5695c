"""The ``Query`` field that browses a marketplace's category tree; ``graph.schema.Query``
inherits it. The names come through ``resolvers/categories.py`` (cached for a day)."""

from __future__ import annotations

from typing import Annotated, Any

import strawberry
from strawberry.types import Info

from channels import model
from graph.values import Category, Channel
from resolvers.context import Context
from resolvers.errors import to_graphql_error


@strawberry.type
class CategoryQuery:
    @strawberry.field(description="The categories under `parentId` (the roots by default) of "
                                  "a marketplace's category tree: Taobao and Tmall share "
                                  "one (`taobao.itemcats.get` by `parent_cid`). 1688 and "
                                  "Weidian have none here (their products carry their "
                                  "category's name): asking answers `CAPABILITY_NOT_SUPPORTED`.")
    async def categories(
        self, info: Info[Context, Any],
        channel: Annotated[Channel, strawberry.argument(  # type: ignore[valid-type]
            description="The marketplace.")],
        parent_id: Annotated[strawberry.ID | None, strawberry.argument(
            description="The parent category's id; omitted or null for the roots.")] = None,
    ) -> list[Category]:
        wire: model.Channel = channel
        fetcher = info.context.categories
        if fetcher is None:
            return []
        try:
            children = await fetcher.children(wire, str(parent_id or "").strip() or "0")
        except Exception as exc:
            raise to_graphql_error(exc, argument="channel") from exc
        return [Category.from_model(c, wire) for c in children]

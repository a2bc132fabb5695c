"""The ``Subscription`` root: ``productChanges``, served over ``graphql-transport-ws`` and
over HTTP multipart subscriptions (``Accept: multipart/mixed;subscriptionSpec="1.0"``, the
protocol Apollo Router federates subscriptions with), both by strawberry's view
(graph/serving.py)."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from decimal import Decimal
from typing import Annotated, Any

import strawberry
from strawberry.types import Info

from graph.watch_types import (
    ProductChangeEvent,
    WatchedField,
    decimal_argument,
    product_ids_argument,
    watch_service,
    watched_fields,
)
from resolvers.context import Context
from resolvers.errors import UserInputError


@strawberry.type(description="Live feeds.")
class Subscription:
    @strawberry.subscription(description=(
        "The changes of `fields` on the products `ids`, as they are observed: each event "
        "carries the old and new values and the product's sequence number. The products "
        "are polled once per interval however many subscribers and webhooks watch them. "
        "A reconnecting client passes the last sequence number it received as `after` and "
        "gets the stored events since, then the live ones."))
    async def product_changes(
        self, info: Info[Context, Any],
        ids: Annotated[list[strawberry.ID], strawberry.argument(
            description="The products to watch (`{channel}_{sourceId}`).")],
        fields: Annotated[list[WatchedField] | None, strawberry.argument(
            description="The fields to watch; all when omitted.")] = None,
        min_price_change: Annotated[Decimal | None, strawberry.argument(
            description="Leave out price changes smaller than this many yuan.")] = None,
        after: Annotated[int | None, strawberry.argument(
            description="Replay each product's stored events with a sequence number above "
                        "this first (resume after a reconnect).")] = None,
    ) -> AsyncGenerator[ProductChangeEvent, None]:
        product_ids = product_ids_argument(info, ids)
        minimum = decimal_argument(min_price_change, "minPriceChange")
        if after is not None and after < 0:
            raise UserInputError("`after` must be 0 or more", argument="after")
        service = watch_service(info)
        wanted = watched_fields(fields)
        async for event in service.changes(product_ids, wanted, minimum, after):
            yield ProductChangeEvent.from_model(event)

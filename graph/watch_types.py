"""The GraphQL side of watching products: the change feed's types, webhooks and their
deliveries, the price and stock history on ``Product``, and the ``Query``/``Mutation``
fields over them. The work is in ``resolvers/watch/``; these types wrap its records."""

from __future__ import annotations

import enum
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any

import strawberry
from strawberry.types import Info

from channels.errors import ChannelError
from graph.values import Money
from resolvers.context import Context
from resolvers.errors import UserInputError, to_graphql_error
from resolvers.freshness import note_uncacheable
from resolvers.storage import Delivery, HistoryPoint
from resolvers.storage import Webhook as WebhookRecord
from resolvers.watch import events
from resolvers.watch.service import WatchService, canonical_product_ids
from resolvers.watch.webhooks import WebhookUrlRefused


@strawberry.enum(description="A product field the change feed watches.")
class WatchedField(enum.Enum):
    PRICE = strawberry.enum_value("PRICE", description=(
        "The price of each variant (and the product's own price, `variantId` null)."))
    STOCK = strawberry.enum_value("STOCK", description=(
        "The stock of each variant (and the product's total, `variantId` null)."))
    AVAILABILITY = strawberry.enum_value("AVAILABILITY", description=(
        "Whether any variant can be bought (`true`/`false`)."))
    TITLE = strawberry.enum_value("TITLE", description="The title as the marketplace shows it.")
    STATUS = strawberry.enum_value("STATUS", description="The listing status (`ON_SALE`, "
                                                         "`DELISTED`, …).")

    @property
    def model(self) -> events.WatchedField:
        return events.WatchedField(self.value)


def watched_fields(fields: list[WatchedField] | None) -> frozenset[events.WatchedField]:
    return frozenset(f.model for f in fields) if fields else events.ALL_FIELDS


@strawberry.enum(description="Where a webhook delivery stands.")
class DeliveryStatus(enum.Enum):
    PENDING = strawberry.enum_value("PENDING", description="Not yet answered with a 2xx; "
                                                           "retried with backoff.")
    DELIVERED = strawberry.enum_value("DELIVERED", description="Answered with a 2xx.")
    DEAD_LETTERED = strawberry.enum_value(
        "DEAD_LETTERED", description="Every attempt failed; no more attempts are made.")


def _time(us: int | None) -> datetime | None:
    return None if us is None else datetime.fromtimestamp(us / 1_000_000, tz=UTC)


def _us(value: datetime | None) -> int | None:
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return round(value.timestamp() * 1_000_000)


def _money(text: str | None) -> Money | None:
    if text is None:
        return None
    try:
        return Money.from_model(Decimal(text))
    except InvalidOperation:
        return None


@strawberry.type(description="One field's change: its value before and after.")
class FieldChange:
    field: WatchedField = strawberry.field(
        description="The field that changed.")
    variant_id: strawberry.ID | None = strawberry.field(
        description="The variant's `skuId` for a per-variant price or stock; null for the "
                    "product itself.")
    old_value: str | None = strawberry.field(
        description="The value before, as text (money: yuan `\"59.00\"`; stock: an integer; "
                    "availability: `true`/`false`); null when there was none.")
    new_value: str | None = strawberry.field(description="The value after, as text.")

    @classmethod
    def from_model(cls, change: events.FieldChange) -> FieldChange:
        variant = strawberry.ID(change.variant_id) if change.variant_id else None
        return cls(field=WatchedField(change.field.value), variant_id=variant,
                   old_value=change.old, new_value=change.new)


@strawberry.type(description="What changed on one product at one observation.")
class ProductChangeEvent:
    product_id: strawberry.ID = strawberry.field(description="The product's id.")
    sequence: int = strawberry.field(
        description="This product's event number: 1, 2, 3 … without gaps. Resume after the "
                    "last one received with `productChanges(after:)`.")
    observed_at: datetime = strawberry.field(description="When the change was observed.")
    changes: list[FieldChange] = strawberry.field(description="The changed fields.")

    @classmethod
    def from_model(cls, event: events.ChangeEvent) -> ProductChangeEvent:
        return cls(product_id=strawberry.ID(event.product_id), sequence=event.seq,
                   observed_at=event.observed_at,
                   changes=[FieldChange.from_model(c) for c in event.changes])


@strawberry.type(description="A price change of a product or one of its variants.")
class PricePoint:
    variant_id: strawberry.ID | None = strawberry.field(
        description="The variant's `skuId`; null for the product's own price.")
    observed_at: datetime = strawberry.field(description="When the new price was observed.")
    price: Money | None = strawberry.field(description="The price from then on.")
    previous_price: Money | None = strawberry.field(description="The price before.")

    @classmethod
    def from_model(cls, point: HistoryPoint) -> PricePoint:
        return cls(variant_id=strawberry.ID(point.variant_id) if point.variant_id else None,
                   observed_at=_time(point.observed_at_us),  # type: ignore[arg-type]
                   price=_money(point.new), previous_price=_money(point.old))


@strawberry.type(description="A stock change of a product or one of its variants.")
class StockPoint:
    variant_id: strawberry.ID | None = strawberry.field(
        description="The variant's `skuId`; null for the product's total stock.")
    observed_at: datetime = strawberry.field(description="When the new stock was observed.")
    stock: int | None = strawberry.field(description="Units in stock from then on.")
    previous_stock: int | None = strawberry.field(description="Units in stock before.")

    @classmethod
    def from_model(cls, point: HistoryPoint) -> StockPoint:
        return cls(variant_id=strawberry.ID(point.variant_id) if point.variant_id else None,
                   observed_at=_time(point.observed_at_us),  # type: ignore[arg-type]
                   stock=None if point.new is None else int(point.new),
                   previous_stock=None if point.old is None else int(point.old))


@strawberry.type(description="A registered webhook (its secret is shown only once, when "
                             "registered).")
class Webhook:
    id: strawberry.ID = strawberry.field(description="The webhook's id.")
    url: str = strawberry.field(description="Where deliveries are POSTed.")
    product_ids: list[strawberry.ID] = strawberry.field(description="The products watched.")
    fields: list[WatchedField] = strawberry.field(
        description="The fields watched.")
    min_price_change: Money | None = strawberry.field(
        description="Price changes smaller than this are not delivered.")
    created_at: datetime = strawberry.field(description="When it was registered.")

    @classmethod
    def from_model(cls, hook: WebhookRecord) -> Webhook:
        return cls(id=strawberry.ID(hook.id), url=hook.url,
                   product_ids=[strawberry.ID(p) for p in hook.product_ids],
                   fields=[WatchedField(v) for v in sorted(f.value for f in hook.fields)],
                   min_price_change=_money(hook.min_price_change),
                   created_at=_time(hook.created_at_us))  # type: ignore[arg-type]


@strawberry.type(description="A webhook just registered, with its signing secret.")
class WebhookRegistration:
    webhook: Webhook = strawberry.field(description="The registration.")
    secret: str = strawberry.field(
        description="The HMAC-SHA256 key of the `Productgraph-Signature` header. Shown only "
                    "here: store it (docs/webhooks.md shows how to verify a delivery).")


@strawberry.type(description="One webhook delivery: an event for one registration.")
class WebhookDelivery:
    id: strawberry.ID = strawberry.field(
        description="The delivery's id, sent as the `Productgraph-Delivery` header.")
    webhook_id: strawberry.ID = strawberry.field(description="The webhook delivered to.")
    product_id: strawberry.ID = strawberry.field(description="The product that changed.")
    sequence: int = strawberry.field(description="The event's per-product sequence number.")
    status: DeliveryStatus = strawberry.field(description="Where the delivery stands.")
    attempts: int = strawberry.field(description="Attempts made so far.")
    next_attempt_at: datetime | None = strawberry.field(
        description="When the next attempt is due (pending deliveries).")
    last_error: str | None = strawberry.field(
        description="Why the last attempt failed (`HTTP 500`, `ConnectTimeout`, …).")
    last_status_code: int | None = strawberry.field(
        description="The HTTP status of the last answer, if any.")
    created_at: datetime = strawberry.field(description="When the change was recorded.")
    delivered_at: datetime | None = strawberry.field(description="When a 2xx answered.")

    @classmethod
    def from_model(cls, d: Delivery) -> WebhookDelivery:
        return cls(id=strawberry.ID(d.id), webhook_id=strawberry.ID(d.webhook_id),
                   product_id=strawberry.ID(d.product_id), sequence=d.seq,
                   status=DeliveryStatus(d.status), attempts=d.attempts,
                   next_attempt_at=_time(d.next_attempt_at_us) if d.status == "PENDING"
                   else None,
                   last_error=d.last_error, last_status_code=d.last_status_code,
                   created_at=_time(d.created_at_us),  # type: ignore[arg-type]
                   delivered_at=_time(d.delivered_at_us))


# -- resolvers ---------------------------------------------------------------------------

def watch_service(info: Info[Context, Any]) -> WatchService:
    """The process's watch feature. Whatever reads it (history, webhooks, deliveries)
    reads a database with no freshness: never replayed by the response cache."""
    note_uncacheable("watch")
    service = getattr(info.context, "watch", None)
    if service is None:
        raise UserInputError("Watching products is not enabled on this server.",
                             code="NOT_AVAILABLE")
    return service  # type: ignore[no-any-return]


def product_ids_argument(info: Info[Context, Any], ids: list[strawberry.ID],
                         argument: str = "ids") -> list[str]:
    service = watch_service(info)
    try:
        return canonical_product_ids(info.context.registry, [str(i) for i in ids],
                                     argument=argument, limit=service.settings.max_products)
    except ChannelError as exc:
        raise to_graphql_error(exc, argument=argument) from None


def decimal_argument(value: Decimal | None, argument: str) -> Decimal | None:
    if value is not None and value < 0:
        raise UserInputError(f"`{argument}` must be 0 or more", argument=argument)
    return value


async def history(info: Info[Context, Any], product_id: str, field: events.WatchedField,
                  since: datetime | None, until: datetime | None,
                  variant_id: strawberry.ID | None) -> list[HistoryPoint]:
    store = await watch_service(info).existing_store()
    if store is None:
        return []
    return await store.history(product_id, field, since_us=_us(since), until_us=_us(until),
                               variant_id=None if variant_id is None else str(variant_id))


async def price_history(info: Info[Context, Any], product_id: str, since: datetime | None,
                        until: datetime | None, variant_id: strawberry.ID | None
                        ) -> list[PricePoint]:
    points = await history(info, product_id, events.WatchedField.PRICE, since, until,
                           variant_id)
    return [PricePoint.from_model(p) for p in points]


async def stock_history(info: Info[Context, Any], product_id: str, since: datetime | None,
                        until: datetime | None, variant_id: strawberry.ID | None
                        ) -> list[StockPoint]:
    points = await history(info, product_id, events.WatchedField.STOCK, since, until,
                           variant_id)
    return [StockPoint.from_model(p) for p in points]


def _require_key(info: Info[Context, Any]) -> None:
    """Mutations in production need an API key: with keys configured the access control
    has checked it already; without any configured they are refused."""
    service = watch_service(info)
    if getattr(service, "production", False) and not getattr(service, "keys_configured", False):
        raise UserInputError("Registering webhooks in production needs an API key: configure "
                             "PRODUCTGRAPH_API_KEYS.", code="UNAUTHENTICATED")


@strawberry.type
class WatchQuery:
    @strawberry.field(description="The registered webhooks.")
    async def webhooks(self, info: Info[Context, Any]) -> list[Webhook]:
        _require_key(info)
        store = await watch_service(info).existing_store()
        return [Webhook.from_model(h) for h in await store.webhooks()] if store else []

    @strawberry.field(description="Webhook deliveries, newest first: `status: DEAD_LETTERED` "
                                  "lists those that failed every attempt.")
    async def webhook_deliveries(
        self, info: Info[Context, Any],
        status: Annotated[DeliveryStatus | None, strawberry.argument(
            description="Only deliveries in this state.")] = None,
        webhook_id: Annotated[strawberry.ID | None, strawberry.argument(
            description="Only this webhook's deliveries.")] = None,
        first: Annotated[int, strawberry.argument(
            description="At most this many (1–500).")] = 100,
    ) -> list[WebhookDelivery]:
        _require_key(info)
        if not 1 <= first <= 500:
            raise UserInputError("`first` must be between 1 and 500", argument="first")
        store = await watch_service(info).existing_store()
        if store is None:
            return []
        found = await store.deliveries(status=status.name if status else None,
                                       webhook_id=str(webhook_id) if webhook_id else None,
                                       limit=first)
        return [WebhookDelivery.from_model(d) for d in found]


@strawberry.type(description="Changes: webhook registrations.")
class Mutation:
    @strawberry.mutation(description="Register a webhook: every change of `fields` on the "
                                     "products `ids` is POSTed to `url`, signed with the "
                                     "secret returned (shown only here).")
    async def register_webhook(
        self, info: Info[Context, Any],
        url: Annotated[str, strawberry.argument(
            description="An https:// URL on a public address.")],
        ids: Annotated[list[strawberry.ID], strawberry.argument(
            description="The products to watch (`{channel}_{sourceId}`).")],
        fields: Annotated[list[WatchedField] | None, strawberry.argument(
            description="The fields to watch; all when omitted.")] = None,
        min_price_change: Annotated[Decimal | None, strawberry.argument(
            description="Leave out price changes smaller than this many yuan.")] = None,
    ) -> WebhookRegistration:
        _require_key(info)
        product_ids = product_ids_argument(info, ids)
        minimum = decimal_argument(min_price_change, "minPriceChange")
        try:
            hook = await watch_service(info).register_webhook(
                url.strip(), product_ids, watched_fields(fields), minimum)
        except WebhookUrlRefused as exc:
            raise UserInputError(str(exc), argument="url") from None
        return WebhookRegistration(webhook=Webhook.from_model(hook), secret=hook.secret)

    @strawberry.mutation(description="Delete a webhook; true when it existed. Its pending "
                                     "deliveries are dead-lettered.")
    async def delete_webhook(
        self, info: Info[Context, Any],
        id: Annotated[strawberry.ID, strawberry.argument(description="The webhook's id.")],
    ) -> bool:
        _require_key(info)
        return await watch_service(info).delete_webhook(str(id))

"""The GraphQL value types: enums, money, prices, text, images, attributes, places,
categories and customization. They have no identity (no key) and wrap the value records of
``channels.model``; each is built with ``from_model``. The entities that hold them are in
``graph/types.py``.
"""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, TypeVar

import strawberry
from strawberry.types import Info

from channels import model
from channels.errors import CapabilityNotSupported
from channels.rates import Conversion, RateUnavailable, bundled_currencies
from resolvers.context import Context
from resolvers.errors import UserInputError, to_graphql_error

M = TypeVar("M")
T = TypeVar("T")


def maybe(convert: Callable[[M], T], value: M | None) -> T | None:
    """``convert(value)``, or ``None`` where the model has no value."""
    return None if value is None else convert(value)


def constructor(cls: type[T]) -> Callable[..., T]:
    """A plain function ``(field, …) -> cls`` doing what the dataclass ``__init__`` of a
    strawberry type does — store each init field, in order, so the instance and its
    ``__dict__`` are the same — without ``type.__call__`` and keyword binding, about three
    times cheaper. The wrappers of a product page (``Money``, ``LocalizedText``,
    ``Image``, ``Variant``…) are built dozens of times per request (bench/README.md,
    "Plan"). Only for types whose init fields all lack a default, without
    ``__post_init__``."""
    fields = [f for f in dataclasses.fields(cls)  # type: ignore[arg-type]
              if f.init]
    if hasattr(cls, "__post_init__") or any(
            f.default is not dataclasses.MISSING
            or f.default_factory is not dataclasses.MISSING for f in fields):
        raise TypeError(f"{cls.__name__}: a default or __post_init__ needs its __init__")
    names = [f.name for f in fields]
    source = (f"def make({', '.join(names)}):\n    instance = new(cls)\n"
              + "".join(f"    instance.{name} = {name}\n" for name in names)
              + "    return instance\n")
    namespace: dict[str, Any] = {"new": object.__new__, "cls": cls}
    exec(compile(source, f"<{cls.__name__} constructor>", "exec"), namespace)
    make: Callable[..., T] = namespace["make"]
    return make


CENT = Decimal("0.01")

Channel = strawberry.enum(
    model.Channel,
    name="Channel",
    description="A marketplace productgraph reads from.",
)
ImageKind = strawberry.enum(model.ImageKind, name="ImageKind",
                            description="What an image shows.")
VideoKind = strawberry.enum(model.VideoKind, name="VideoKind",
                            description="Where a video is shown on the marketplace.")
ProductCondition = strawberry.enum(model.ProductCondition, name="ProductCondition",
                                   description="Whether a product is new or used.")
ProductStatus = strawberry.enum(model.ProductStatus, name="ProductStatus",
                                description="Where a listing is in its life cycle.")
ProductType = strawberry.enum(model.ProductType, name="ProductType",
                              description="How an offer is sold.")
ProductSaleType = strawberry.enum(
    model.SaleType, name="ProductSaleType",
    description="How a Taobao/Tmall item is sold (TOP Item `type`: `fixed` 一口价, "
                "`auction` 拍卖).")
FreightPayer = strawberry.enum(model.FreightPayer, name="FreightPayer",
                               description="Who pays the domestic freight.")


# Generated from the bundled ECB table's currencies (stable: sorted, CNY — the marketplaces'
# currency and every amount's source — first), so every code listed has a rate.
_CurrencyCodes = enum.Enum(  # type: ignore[misc]
    "CurrencyCode", {code: code for code in bundled_currencies()})
CurrencyCode: Any = strawberry.enum(
    _CurrencyCodes,
    name="CurrencyCode",
    description="ISO 4217 currency code: CNY, and every currency with an ECB reference rate.",
)


@strawberry.type(description="A CNY amount converted into another currency at a dated "
                             "reference rate.")
class ConvertedMoney:
    amount: Decimal = strawberry.field(
        description="The converted amount in the currency's ISO 4217 minor units (JPY "
                    "whole yen, USD cents), rounded half up from `sourceAmount × rate`.")
    currency_code: CurrencyCode = strawberry.field(
        description="The currency of `amount`.")
    rate: Decimal = strawberry.field(
        description="Units of `currencyCode` per unit of the source currency (10 "
                    "significant digits).")
    rate_date: date = strawberry.field(description="The day the rate is the reference of.")
    rate_source: str = strawberry.field(
        description="Who published the rate (\"ECB\": the European Central Bank's euro "
                    "reference rates, crossed through the euro).")
    source_amount: Decimal = strawberry.field(description="The amount converted (CNY).")

    @classmethod
    def from_model(cls, conversion: Conversion) -> ConvertedMoney:
        return cls(amount=conversion.amount, currency_code=CurrencyCode[conversion.currency],
                   rate=conversion.rate, rate_date=conversion.rate_date,
                   rate_source=conversion.rate_source, source_amount=conversion.source_amount)


# Federation: `@shareable` marks value types (no key, no identity) that another subgraph —
# orders, carts, reviews — may also define and return; without it composition refuses the
# same field resolved by two subgraphs. Only these five: the rest are productgraph's own
# shapes (prices with promotion, tiers, shipping) that no other subgraph should redefine.
# Entities (`Product`, `Variant`, `Seller`) are not shareable: their fields have one owner,
# and other subgraphs add fields of their own through the `id` key instead.


@strawberry.federation.type(shareable=True,  # any subgraph that prices things returns Money
                            description="An amount of money in one currency.")
class Money:
    amount: Decimal = strawberry.field(
        description="The amount as a decimal string with two places, e.g. \"59.00\"."
    )
    currency_code: CurrencyCode = strawberry.field(
        description="The currency of `amount`.")

    @strawberry.field(description="The amount in another currency, at the latest reference "
                                  "rate, with the rate, its date and its source; `amount` "
                                  "stays the CNY source.")
    def converted(
        self, info: Info[Any, Any],
        to: Annotated[CurrencyCode, strawberry.argument(
            description="The currency to convert into, e.g. USD.")],
    ) -> ConvertedMoney:
        try:
            return ConvertedMoney.from_model(info.context.localization.rates.current().convert(
                self.amount, to.value, source=self.currency_code.value))
        except RateUnavailable as exc:
            raise UserInputError(f"no rate to convert into {to.value}: {exc}",
                                 argument="to") from exc

    @classmethod
    def from_model(cls, amount: Decimal) -> Money:
        """A yuan amount, to the cent."""
        return _money(amount.quantize(CENT), _CNY)


_money = constructor(Money)
_CNY = CurrencyCode.CNY


@strawberry.federation.type(shareable=True,  # a range of Money: as shareable as Money
                            description="The lowest and highest price over a product's variants.")
class MoneyRange:
    min: Money = strawberry.field(description="The lowest price.")
    max: Money = strawberry.field(description="The highest price.")

    @classmethod
    def from_model(cls, low: Decimal, high: Decimal) -> MoneyRange:
        return _money_range(Money.from_model(low), Money.from_model(high))


_money_range = constructor(MoneyRange)


@strawberry.type(
    description="A product's or variant's price, one meaning on every channel: `original` "
    "before promotions, `display` as shown, `promotion` only when one runs. Show "
    "`promotion` when present, else `display`; a discount exists only where `promotion` "
    "is below `display`. Suggested retail prices and 1688 reference ranges are not here: "
    "see `Product.suggestedRetailPrice` and `Product.referencePriceRange`."
)
class ProductPrice:
    """Its ``Money`` fields are built when selected, from the record: a variant list asks
    for one of six (``display``), and a page has a price per variant."""

    trio: strawberry.Private[model.PriceTrio]
    #: The COUPON part (taobao.tbk.item.info.upgrade.get), where it was loaded.
    coupon_part: strawberry.Private[model.CouponPrice | None]

    @strawberry.field(
        description="The catalogue price before promotions; equal to `display` where the "
        "marketplace shows no separate list price. Taobao/Tmall: the item's (or SKU's) "
        "`price`. 1688: the quoted price (ProductInfo has no pre-promotion price). "
        "Weidian and aggregators: the standard model's `original_amount`."
    )
    def original(self) -> Money:
        return Money.from_model(self.trio.before_promotion)

    @strawberry.field(description="The unit price the buyer is shown.")
    def display(self) -> Money:
        return Money.from_model(self.trio.display)

    @strawberry.field(
        description="The promotional unit price, only when a promotion runs and it is below "
        "`display` (Taobao/Tmall `promotion_price`; 1688 SKU `promotionPrice`); else null."
    )
    def promotion(self) -> Money | None:
        return maybe(Money.from_model, self.trio.promotion)

    @strawberry.field(
        description="The discounted price before coupons (TOP affiliate `zk_final_price`); "
        "Taobao/Tmall through the affiliate route only, null elsewhere."
    )
    def final(self) -> Money | None:
        return maybe(Money.from_model, self.trio.final)

    @strawberry.field(
        description="What the buyer pays after coupons: TOP affiliate `final_promotion_price` "
        "(预估到手价) where the app is granted taobao.tbk.item.info.upgrade.get (a call of "
        "its own, only when selected), else `final` minus `coupon.amount` when a coupon "
        "applies at that price; null where the upstream gives neither."
    )
    def after_coupon(self) -> Money | None:
        part = self.coupon_part
        after = part.after_coupon if part is not None and part.after_coupon is not None \
            else self.trio.after_coupon
        return maybe(Money.from_model, after)

    @strawberry.field(
        description="The item's affiliate coupon (the one that takes the most off), where the "
        "upstream gives one; null elsewhere."
    )
    def coupon(self) -> Coupon | None:
        part = self.coupon_part
        chosen = part.coupon if part is not None and part.coupon is not None \
            else self.trio.coupon
        return maybe(Coupon.from_model, chosen)

    @classmethod
    def from_model(cls, trio: model.PriceTrio,
                   coupon: model.CouponPrice | None = None) -> ProductPrice:
        """``trio``, with the price after coupons and the coupon of ``coupon`` (the COUPON
        part) where it gives them."""
        return _product_price(trio, coupon)


_product_price = constructor(ProductPrice)


@strawberry.type(description="A coupon an affiliate (淘宝客) answer attaches to an item.")
class Coupon:
    amount: Money = strawberry.field(description="What the coupon takes off.")
    threshold: Money | None = strawberry.field(
        description="The spend from which the coupon applies (0 or null: any).")
    starts_at: datetime | None = strawberry.field(description="First moment it is valid.")
    ends_at: datetime | None = strawberry.field(description="Last moment it is valid.")
    remaining: int | None = strawberry.field(description="Coupons left, when given.")
    total: int | None = strawberry.field(description="Coupons issued, when given.")

    @classmethod
    def from_model(cls, coupon: model.Coupon) -> Coupon:
        return cls(amount=Money.from_model(coupon.amount),
                   threshold=maybe(Money.from_model, coupon.threshold),
                   starts_at=coupon.starts_at, ends_at=coupon.ends_at,
                   remaining=coupon.remaining, total=coupon.total)


@strawberry.federation.type(shareable=True,  # e.g. a review's body, original and translated
                            description="Text as the marketplace wrote it, and translated.")
class LocalizedText:
    original: str = strawberry.field(description="The marketplace's text (usually Chinese).")
    translated: str | None = strawberry.field(
        description="The text translated into `language`, when a translation is available."
    )
    language: str | None = strawberry.field(description="The locale of `translated`.")

    @classmethod
    def from_model(cls, text: model.LocalizedText) -> LocalizedText:
        return _localized_text(text.original, text.translated, text.language)


_localized_text = constructor(LocalizedText)


@strawberry.federation.type(shareable=True,  # e.g. a review's or a seller's photos
                            description="An image of a product.")
class Image:
    url: str = strawberry.field(description="Absolute URL of the image on the marketplace CDN.")
    kind: ImageKind = strawberry.field(description="What the image shows.")  # type: ignore[valid-type]
    position: int = strawberry.field(
        description="Order among the product's images, from 0 and without gaps over main, "
        "gallery and variant images; the same image has the same position wherever it "
        "appears (`Product.images`, `Variant.image`)."
    )
    option: SelectedOption | None = strawberry.field(
        description="For a property image: the option value it shows, e.g. 颜色 = 白色 "
        "(Taobao/Tmall `prop_imgs[].properties`, Tmall catalog "
        "`product_prop_imgs[].props`, 1688 the SKU attribute with `skuImageUrl`); null "
        "for other images."
    )

    @classmethod
    def from_model(cls, image: model.Image) -> Image:
        return _image(image.url, image.kind, image.position,
                      maybe(SelectedOption.from_model, image.option))


@strawberry.type(description="A video of a product.")
class Video:
    url: str = strawberry.field(description="Absolute URL of the video.")
    kind: VideoKind = strawberry.field(description="Main video or detail-page video.")  # type: ignore[valid-type]
    cover_url: str | None = strawberry.field(description="Poster image, when given.")
    duration_seconds: int | None = strawberry.field(description="Length in seconds, when given.")

    @classmethod
    def from_model(cls, video: model.Video) -> Video:
        return cls(url=video.url, kind=video.kind, cover_url=video.cover_url,
                   duration_seconds=video.duration_seconds)


@strawberry.type(description="A display-only specification (brand, material…); never used "
                             "to choose a variant.")
class Attribute:
    name: LocalizedText = strawberry.field(description="The specification's name.")
    value: LocalizedText = strawberry.field(description="The specification's value.")
    name_id: strawberry.ID | None = strawberry.field(
        description="The marketplace's id of the name (Taobao/Tmall property `pid`, 1688 "
        "`attributeID`); null where the marketplace gives none (Weidian).")
    value_id: strawberry.ID | None = strawberry.field(
        description="The marketplace's id of the value (Taobao/Tmall `vid`, 1688 "
        "`valueID`); null where the marketplace gives none.")

    @classmethod
    def from_model(cls, attribute: model.Attribute) -> Attribute:
        return _attribute(LocalizedText.from_model(attribute.name),
                          LocalizedText.from_model(attribute.value),
                          maybe(strawberry.ID, attribute.name_id),
                          maybe(strawberry.ID, attribute.value_id))


@strawberry.type(description="One option a variant has, e.g. colour = White.")
class SelectedOption:
    name: str = strawberry.field(description="The option's name, e.g. \"颜色\".")
    value: str = strawberry.field(description="The option's value, e.g. \"白色\".")
    translated_name: str | None = strawberry.field(description="The name, translated.")
    translated_value: str | None = strawberry.field(description="The value, translated.")

    @classmethod
    def from_model(cls, option: model.SelectedOption) -> SelectedOption:
        return _selected_option(option.name, option.value, option.translated_name,
                                option.translated_value)


_selected_option = constructor(SelectedOption)
_image = constructor(Image)
_attribute = constructor(Attribute)


@strawberry.input(description="An option a shopper chose, by name and value.")
class SelectedOptionInput:
    name: str = strawberry.field(description="The option's name (original or translated).")
    value: str = strawberry.field(description="The chosen value (original or translated).")


@strawberry.type(description="A wholesale price tier: from `minQuantity` units on, each "
                             "unit costs `price`.")
class PriceTier:
    min_quantity: int = strawberry.field(description="The smallest quantity this price applies to.")
    price: Money = strawberry.field(description="The unit price at this tier.")

    @classmethod
    def from_model(cls, tier: model.PriceTier) -> PriceTier:
        return cls(min_quantity=tier.min_quantity, price=Money.from_model(tier.price))


@strawberry.federation.type(
    shareable=True,  # a logistics or seller subgraph may return places too
    description="A place: province, city, and the text the marketplace shows.")
class Location:
    province: str | None = strawberry.field(description="Province or state.")
    city: str | None = strawberry.field(description="City.")
    text: str | None = strawberry.field(description="The location as the marketplace writes it.")

    @classmethod
    def from_model(cls, value: model.Location) -> Location:
        return _location(value.province, value.city, value.text)


_location = constructor(Location)


@strawberry.type(description="Domestic shipping from the seller.")
class Shipping:
    ships_from: Location | None = strawberry.field(description="Where the goods ship from.")
    domestic_fee: Money | None = strawberry.field(description="Standard domestic postage.")
    express_fee: Money | None = strawberry.field(description="Express postage.")
    ems_fee: Money | None = strawberry.field(description="EMS postage.")
    unit_weight_kg: Decimal | None = strawberry.field(description="Weight of one unit in kg.")
    freight_template_id: str | None = strawberry.field(
        description="The seller's freight template, for freight estimates."
    )
    handling_days: int | None = strawberry.field(
        description="Days the seller needs before shipping (1688 `shippingInfo.handlingTime`, "
        "备货期); null on other channels.")
    freight_payer: FreightPayer | None = strawberry.field(  # type: ignore[valid-type]
        description="Who pays the domestic freight (Taobao/Tmall `freight_payer`); null on "
        "other channels.")

    @classmethod
    def from_model(cls, value: model.Shipping) -> Shipping:
        return cls(ships_from=maybe(Location.from_model, value.ships_from),
                   domestic_fee=maybe(Money.from_model, value.domestic_fee),
                   express_fee=maybe(Money.from_model, value.express_fee),
                   ems_fee=maybe(Money.from_model, value.ems_fee),
                   unit_weight_kg=value.unit_weight_kg,
                   freight_template_id=value.freight_template_id,
                   handling_days=value.handling_days, freight_payer=value.freight_payer)


@strawberry.type(description="A marketplace category. Taobao/Tmall items carry only the "
                             "category id; `name`, `path`, `parentId` and `isLeaf` are then "
                             "looked up (`taobao.itemcats.get`, cached for a day) only when "
                             "selected.")
class Category:
    record: strawberry.Private[model.Category]
    channel: strawberry.Private[model.Channel]

    @classmethod
    def from_model(cls, value: model.Category, channel: model.Channel) -> Category:
        return cls(record=value, channel=channel)

    @strawberry.field(description="The marketplace's category id (Taobao/Tmall `cid`, 1688 "
                                  "`categoryID`; the aggregator's `raw_category`).")
    def id(self) -> strawberry.ID:
        return strawberry.ID(self.record.id)

    @strawberry.field(description="The category's name: Taobao/Tmall from "
                                  "`taobao.itemcats.get`, 1688 `categoryName`, the "
                                  "aggregator's `raw_category` when it is a name.")
    async def name(self, info: Info[Context, Any]) -> str | None:
        if self.record.name is not None:
            return self.record.name
        node = await self._node(info)
        return node.name if node else None

    @strawberry.field(description="Names from the root down to this category (Taobao/Tmall "
                                  "from the category tree; the aggregator's `raw_category` "
                                  "when it is a path); null where the marketplace gives "
                                  "only the category (1688).")
    async def path(self, info: Info[Context, Any]) -> list[str] | None:
        if self.record.path is not None:
            return list(self.record.path)
        chain = await self._call(info, lambda fetcher: fetcher.path(self.channel,
                                                                    self.record.id))
        return [c.name or c.id for c in chain] if chain else None

    @strawberry.field(description="The parent category's id; null for a root and where the "
                                  "marketplace has no category tree (1688, Weidian).")
    async def parent_id(self, info: Info[Context, Any]) -> strawberry.ID | None:
        node = self.record if self.record.parent_id is not None else await self._node(info)
        if node is None or node.parent_id in (None, "0"):
            return None
        return strawberry.ID(node.parent_id)

    @strawberry.field(description="True for a leaf category (products are listed in leaves; "
                                  "`is_parent` false in `taobao.itemcats.get`); null where "
                                  "unknown.")
    async def is_leaf(self, info: Info[Context, Any]) -> bool | None:
        node = self.record if self.record.is_leaf is not None else await self._node(info)
        return node.is_leaf if node else None

    async def _node(self, info: Info[Context, Any]) -> model.Category | None:
        node: model.Category | None = await self._call(
            info, lambda fetcher: fetcher.category(self.channel, self.record.id))
        return node

    async def _call(self, info: Info[Context, Any], call: Callable[[Any], Any]) -> Any:
        """``call(fetcher)`` where the channel has a category tree; ``None`` where not."""
        fetcher = info.context.categories
        if fetcher is None:
            return None
        try:
            info.context.registry.category_tree(self.channel)
        except CapabilityNotSupported:
            return None
        try:
            return await call(fetcher)
        except Exception as exc:
            raise to_graphql_error(exc) from exc


@strawberry.type(description="A 1688 business or vertical market an offer may take part in "
                             "(`bizGroupInfos`): dropship (代发), consign (代销), "
                             "micro-supply (微供)…")
class BusinessGroup:
    code: str = strawberry.field(description="The marketplace's code, e.g. "
                                             "`is_consign_market_offer`, `is_micro_supply`, "
                                             "`has_linked_to_supplier` (dropship).")
    name: str | None = strawberry.field(description="The marketplace's name for it, e.g. "
                                                    "\"1688代销产品\".")
    supported: bool = strawberry.field(description="Whether the offer takes part "
                                                   "(`support`).")

    @classmethod
    def from_model(cls, value: model.BusinessGroup) -> BusinessGroup:
        return cls(code=value.code, name=value.name, supported=value.supported)


@strawberry.type(description="One OEM / customization option of a 1688 offer.")
class CustomizationOption:
    name: str = strawberry.field(description="What can be customized, e.g. \"logo\".")
    value: str = strawberry.field(description="The offered customization.")
    reference_price: MoneyRange | None = strawberry.field(
        description="The reference unit price range for this customization."
    )
    min_quantity: int | None = strawberry.field(description="Minimum order for this option.")

    @classmethod
    def from_model(cls, option: model.CustomizationOption) -> CustomizationOption:
        low, high = option.reference_price_min, option.reference_price_max
        reference = None
        if low is not None or high is not None:
            reference = MoneyRange.from_model(low if low is not None else high,  # type: ignore[arg-type]
                                              high if high is not None else low)  # type: ignore[arg-type]
        return cls(name=option.name, value=option.value, reference_price=reference,
                   min_quantity=option.min_quantity)


@strawberry.type(description="What a 1688 supplier can customize (OEM), and samples.")
class Customization:
    options: list[CustomizationOption] = strawberry.field(description="Customization options.")
    sample_price: Money | None = strawberry.field(description="Price of a sample.")
    sample_days: int | None = strawberry.field(description="Days to make a sample.")

    @classmethod
    def from_model(cls, value: model.Customization) -> Customization:
        return cls(options=[CustomizationOption.from_model(o) for o in value.options],
                   sample_price=maybe(Money.from_model, value.sample_price),
                   sample_days=value.sample_days)

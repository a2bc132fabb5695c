"""The public GraphQL types. They wrap the normalized records of ``channels.model`` and add
nothing a resolver could not derive from them; leaf fields are plain attributes or cheap
synchronous resolvers, the I/O happens once, at the root (``resolvers/``).
"""

from __future__ import annotations

import enum
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated

import strawberry

from channels import model, variants
from channels.pricing import price_for_quantity
from graph.errors import to_graphql_error

if TYPE_CHECKING:
    from collections.abc import Sequence

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


@strawberry.enum(description="ISO 4217 currency code.")
class CurrencyCode(enum.Enum):
    CNY = "CNY"


@strawberry.interface(description="An object with a globally unique id.")
class Node:
    @strawberry.field(description="The object's globally unique id.")
    def id(self) -> strawberry.ID:
        raise NotImplementedError


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
    currency_code: CurrencyCode = strawberry.field(description="The currency of `amount`.")


def money(amount: Decimal | None) -> Money | None:
    if amount is None:
        return None
    return Money(amount=amount.quantize(CENT), currency_code=CurrencyCode.CNY)


@strawberry.federation.type(shareable=True,  # a range of Money: as shareable as Money
                            description="The lowest and highest price over a product's variants.")
class MoneyRange:
    min: Money = strawberry.field(description="The lowest price.")
    max: Money = strawberry.field(description="The highest price.")


@strawberry.type(
    description="A product's or variant's price: the list price, what the buyer is shown, "
    "and a promotion. Show `promotion` when present, else `display`."
)
class ProductPrice:
    original: Money | None = strawberry.field(
        description="The list price before promotions, when the marketplace gives one."
    )
    display: Money = strawberry.field(description="The unit price the buyer is shown.")
    promotion: Money | None = strawberry.field(
        description="The promotional unit price, when a promotion runs."
    )

    @classmethod
    def from_trio(cls, trio: model.PriceTrio) -> ProductPrice:
        return cls(original=money(trio.original), display=money(trio.display),  # type: ignore[arg-type]
                   promotion=money(trio.promotion))


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
        return cls(original=text.original, translated=text.translated, language=text.language)


@strawberry.federation.type(shareable=True,  # e.g. a review's or a seller's photos
                            description="An image of a product.")
class Image:
    url: str = strawberry.field(description="Absolute URL of the image on the marketplace CDN.")
    kind: ImageKind = strawberry.field(description="What the image shows.")  # type: ignore[valid-type]
    position: int = strawberry.field(description="Order among the product's images, from 0.")

    @classmethod
    def from_model(cls, image: model.Image) -> Image:
        return cls(url=image.url, kind=image.kind, position=image.position)


@strawberry.type(description="A video of a product.")
class Video:
    url: str = strawberry.field(description="Absolute URL of the video.")
    kind: VideoKind = strawberry.field(description="Main video or detail-page video.")  # type: ignore[valid-type]
    cover_url: str | None = strawberry.field(description="Poster image, when given.")
    duration_seconds: int | None = strawberry.field(description="Length in seconds, when given.")


@strawberry.type(description="A display-only specification (brand, material…); never used "
                             "to choose a variant.")
class Attribute:
    name: LocalizedText = strawberry.field(description="The specification's name.")
    value: LocalizedText = strawberry.field(description="The specification's value.")

    @classmethod
    def from_model(cls, attribute: model.Attribute) -> Attribute:
        return cls(name=LocalizedText.from_model(attribute.name),
                   value=LocalizedText.from_model(attribute.value))


@strawberry.type(description="One option a variant has, e.g. colour = White.")
class SelectedOption:
    name: str = strawberry.field(description="The option's name, e.g. \"颜色\".")
    value: str = strawberry.field(description="The option's value, e.g. \"白色\".")
    translated_name: str | None = strawberry.field(description="The name, translated.")
    translated_value: str | None = strawberry.field(description="The value, translated.")


@strawberry.input(description="An option a shopper chose, by name and value.")
class SelectedOptionInput:
    name: str = strawberry.field(description="The option's name (original or translated).")
    value: str = strawberry.field(description="The chosen value (original or translated).")


def _choices(inputs: Sequence[SelectedOptionInput] | None) -> list[variants.Choice]:
    return [variants.Choice(i.name, i.value) for i in inputs or ()]


@strawberry.type(description="A wholesale price tier: from `minQuantity` units on, each "
                             "unit costs `price`.")
class PriceTier:
    min_quantity: int = strawberry.field(description="The smallest quantity this price applies to.")
    price: Money = strawberry.field(description="The unit price at this tier.")


def tiers(values: Sequence[model.PriceTier]) -> list[PriceTier]:
    return [PriceTier(min_quantity=t.min_quantity, price=money(t.price))  # type: ignore[arg-type]
            for t in values]


@strawberry.federation.type(
    shareable=True,  # a logistics or seller subgraph may return places too
    description="A place: province, city, and the text the marketplace shows.")
class Location:
    province: str | None = strawberry.field(description="Province or state.")
    city: str | None = strawberry.field(description="City.")
    text: str | None = strawberry.field(description="The location as the marketplace writes it.")


def location(value: model.Location | None) -> Location | None:
    if value is None:
        return None
    return Location(province=value.province, city=value.city, text=value.text)


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


@strawberry.type(description="A marketplace category.")
class Category:
    id: strawberry.ID = strawberry.field(description="The marketplace's category id.")
    name: str | None = strawberry.field(description="The category's name.")
    path: list[str] | None = strawberry.field(description="Names from the root to this category.")


def category(value: model.Category | None) -> Category | None:
    if value is None:
        return None
    return Category(id=strawberry.ID(value.id), name=value.name,
                    path=list(value.path) if value.path is not None else None)


@strawberry.type(description="One OEM / customization option of a 1688 offer.")
class CustomizationOption:
    name: str = strawberry.field(description="What can be customized, e.g. \"logo\".")
    value: str = strawberry.field(description="The offered customization.")
    reference_price: MoneyRange | None = strawberry.field(
        description="The reference unit price range for this customization."
    )
    min_quantity: int | None = strawberry.field(description="Minimum order for this option.")


@strawberry.type(description="What a 1688 supplier can customize (OEM), and samples.")
class Customization:
    options: list[CustomizationOption] = strawberry.field(description="Customization options.")
    sample_price: Money | None = strawberry.field(description="Price of a sample.")
    sample_days: int | None = strawberry.field(description="Days to make a sample.")


def customization(value: model.Customization | None) -> Customization | None:
    if value is None:
        return None
    options = []
    for option in value.options:
        low, high = option.reference_price_min, option.reference_price_max
        ref = None
        if low is not None or high is not None:
            ref = MoneyRange(min=money(low if low is not None else high),  # type: ignore[arg-type]
                             max=money(high if high is not None else low))  # type: ignore[arg-type]
        options.append(CustomizationOption(name=option.name, value=option.value,
                                           reference_price=ref, min_quantity=option.min_quantity))
    return Customization(options=options, sample_price=money(value.sample_price),
                         sample_days=value.sample_days)


def seller_id(channel: model.Channel, source_id: str) -> str:
    """A seller's public id: ``{channel}_shop_{sellerId or nick}``."""
    return f"{channel.value}_shop_{source_id}"


@strawberry.federation.type(keys=["id"], description="A shop on a marketplace.")
class Seller(Node):
    @strawberry.field(
        description="`{channel}_shop_{sellerId}`; on Taobao/Tmall the seller id is the nick."
    )
    def id(self) -> strawberry.ID:
        return strawberry.ID(seller_id(self.channel, self.source_id))

    channel: Channel = strawberry.field(description="The seller's marketplace.")  # type: ignore[valid-type]
    source_id: str = strawberry.field(description="The marketplace's seller id or nick.")
    name: str = strawberry.field(description="The shop's display name (Taobao: the nick).")
    shop_url: str | None = strawberry.field(description="The shop's home page.")
    location: Location | None = strawberry.field(description="Where the seller is.")
    trade_score: Decimal | None = strawberry.field(
        description="The marketplace's quality score for the seller (1688: 0 to 5)."
    )

    @classmethod
    def from_model(cls, seller: model.SellerRecord) -> Seller:
        return cls(channel=seller.channel, source_id=seller.source_id, name=seller.name,
                   shop_url=seller.shop_url, location=location(seller.location),
                   trade_score=seller.trade_score)


@strawberry.federation.type(keys=["id"], description="One purchasable SKU of a product.")
class Variant(Node):
    record: strawberry.Private[model.VariantRecord]
    product: strawberry.Private[model.ProductRecord]

    @strawberry.field(description="`{productId}_{skuId}`.")
    def id(self) -> strawberry.ID:
        return strawberry.ID(f"{self.product.id}_{self.record.sku_id}")

    @strawberry.field(description="The id an order takes (1688: the `specId`).")
    def sku_id(self) -> str:
        return self.record.sku_id

    @strawberry.field(description="The marketplace's numeric SKU id, where it differs from "
                                  "`skuId` (1688 `skuId`).")
    def upstream_sku_id(self) -> str | None:
        return self.record.upstream_sku_id

    @strawberry.field(description="The options that define this variant, e.g. colour and size.")
    def selected_options(self) -> list[SelectedOption]:
        return [SelectedOption(name=o.name, value=o.value, translated_name=o.translated_name,
                               translated_value=o.translated_value)
                for o in self.record.selected_options]

    @strawberry.field(description="The variant's unit price.")
    def price(self) -> ProductPrice:
        return ProductPrice.from_trio(self.record.price)

    @strawberry.field(description="Quantity tiers for this variant (1688); empty when the "
                                  "price does not depend on quantity.")
    def price_tiers(self) -> list[PriceTier]:
        return tiers(self.record.price_tiers)

    @strawberry.field(description="The unit price when buying `quantity` units of this variant. "
                                  "Refuses a quantity below the product's minimum order.")
    def price_for_quantity(self, quantity: int) -> Money | None:
        core = self.product.core
        moq = core.min_order_quantity if core else None
        try:
            return money(price_for_quantity(self.record.price_tiers, moq, quantity,
                                            unit_price=self.record.price.effective))
        except Exception as exc:
            raise to_graphql_error(exc, argument="quantity") from exc

    # @tag "reseller": what a dropshipper pays is for reseller-facing clients only; an Apollo
    # contract for a shopper-facing variant of the supergraph drops fields tagged so.
    @strawberry.federation.field(tags=["reseller"],
                                 description="The dropship (1688 consign) unit price.")
    def distribution_price(self) -> Money | None:
        return money(self.record.distribution_price)

    @strawberry.field(description="Units in stock; 0 means sold out, null means unknown.")
    def stock(self) -> int | None:
        return self.record.stock

    @strawberry.field(description="True when the variant can be bought now (stock above 0).")
    def available_for_sale(self) -> bool:
        return variants.is_available(self.record)

    @strawberry.field(description="The variant's own image (usually its colour's photo).")
    def image(self) -> Image | None:
        if not self.record.image:
            return None
        return Image(url=self.record.image, kind=model.ImageKind.VARIANT, position=0)

    @strawberry.field(description="The variant's barcode, when the seller set one.")
    def barcode(self) -> str | None:
        return self.record.barcode

    @strawberry.field(description="The seller's own code for the variant.")
    def outer_id(self) -> str | None:
        return self.record.outer_id


@strawberry.type(description="One value of a product option.")
class ProductOptionValue:
    name: str = strawberry.field(description="The value, e.g. \"白色\".")
    translated_name: str | None = strawberry.field(description="The value, translated.")
    swatch_image: str | None = strawberry.field(description="The image for this value.")
    available: bool = strawberry.field(
        description="True when some in-stock variant has this value and is compatible with "
                    "the options already chosen (`options(selected:)`)."
    )
    first_selectable_variant: Variant | None = strawberry.field(
        description="The first in-stock variant with this value and the chosen options."
    )


@strawberry.type(description="A dimension a buyer chooses along, e.g. colour or size.")
class ProductOption:
    name: str = strawberry.field(description="The option's name.")
    translated_name: str | None = strawberry.field(description="The name, translated.")
    values: list[ProductOptionValue] = strawberry.field(description="The values, in order.")


@strawberry.type(description="A Tmall catalog product (SPU) that items are listed against.")
class CatalogProduct:
    record: strawberry.Private[model.CatalogProductRecord]

    @strawberry.field(description="The catalog product id.")
    def id(self) -> strawberry.ID:
        return strawberry.ID(self.record.product_id)

    @strawberry.field(description="The product's name.")
    def name(self) -> str:
        return self.record.name

    @strawberry.field(description="The leaf category.")
    def category(self) -> Category | None:
        return category(self.record.category)

    @strawberry.field(description="Key properties that identify the product (brand, model).")
    def key_properties(self) -> list[Attribute]:
        return [Attribute.from_model(a) for a in self.record.key_properties]

    @strawberry.field(description="Non-key (binding) properties.")
    def binding_properties(self) -> list[Attribute]:
        return [Attribute.from_model(a) for a in self.record.binding_properties]

    @strawberry.field(description="Sale properties (the dimensions items vary along).")
    def sale_properties(self) -> list[Attribute]:
        return [Attribute.from_model(a) for a in self.record.sale_properties]

    @strawberry.field(description="The market (list) price.")
    def market_price(self) -> Money | None:
        return money(self.record.market_price)

    @strawberry.field(description="The product's images, in order.")
    def images(self) -> list[Image]:
        return [Image.from_model(i) for i in self.record.images]

    @strawberry.field(description="Images of property values (e.g. each colour).")
    def property_images(self) -> list[Image]:
        return [Image.from_model(i) for i in self.record.property_images]

    @strawberry.field(description="The catalog status as the marketplace reports it.")
    def status(self) -> str | None:
        return self.record.status

    @strawberry.field(description="The selling point line.")
    def sell_point(self) -> str | None:
        return self.record.sell_point

    @strawberry.field(description="The seller's own code for the catalog product.")
    def outer_id(self) -> str | None:
        return self.record.outer_id


@strawberry.federation.type(keys=["id"], description="A product listed on a marketplace, in "
                                                     "one model whatever the marketplace.")
class Product(Node):
    record: strawberry.Private[model.ProductRecord]

    @strawberry.field(description="`{channel}_{sourceId}`, e.g. `taobao_680123456789`.")
    def id(self) -> strawberry.ID:
        return strawberry.ID(self.record.id)

    @strawberry.field(description="The marketplace.")
    def channel(self) -> Channel:  # type: ignore[valid-type]
        return self.record.channel

    @strawberry.field(description="The marketplace's own id (Taobao `num_iid`, 1688 `offerId`).")
    def source_id(self) -> str:
        return self.record.source_id

    def _core(self) -> model.ProductCore:
        core = self.record.core
        if core is None:  # the root resolvers load CORE whenever a core field is selected
            raise RuntimeError(f"core of {self.record.id} was not loaded")
        return core

    @strawberry.field(description="The canonical product page on the marketplace.")
    def source_url(self) -> str:
        return self._core().source_url

    @strawberry.field(description="The product's title.")
    def title(self) -> LocalizedText:
        return LocalizedText.from_model(self._core().title)

    @strawberry.field(description="The long description as HTML; fetched only when selected.")
    def description(self) -> str | None:
        return self.record.description.html if self.record.description else None

    @strawberry.field(description="The product's price (the lowest variant's, for ranges see "
                                  "`priceRange`).")
    def price(self) -> ProductPrice:
        return ProductPrice.from_trio(self._core().price)

    @strawberry.field(description="The lowest and highest unit price over the variants.")
    def price_range(self) -> MoneyRange:
        core = self._core()
        low = core.price_min if core.price_min is not None else core.price.effective
        high = core.price_max if core.price_max is not None else low
        return MoneyRange(min=money(low), max=money(high))  # type: ignore[arg-type]

    @strawberry.field(description="Wholesale quantity tiers (1688); empty on Taobao and Tmall.")
    def price_tiers(self) -> list[PriceTier]:
        return tiers(self._core().price_tiers)

    @strawberry.field(description="The unit price when buying `quantity` units: the tier for "
                                  "that quantity. Refuses a quantity below the minimum order.")
    def price_for_quantity(self, quantity: int) -> Money | None:
        core = self._core()
        try:
            return money(price_for_quantity(core.price_tiers, core.min_order_quantity, quantity,
                                            unit_price=core.price.effective))
        except Exception as exc:
            raise to_graphql_error(exc, argument="quantity") from exc

    @strawberry.field(description="The minimum order quantity (1688 MOQ); null when any "
                                  "quantity can be ordered.")
    def min_order_quantity(self) -> int | None:
        return self._core().min_order_quantity

    # @tag "reseller" (as Variant.distributionPrice): dropship terms, hidden by a shopper contract.
    @strawberry.federation.field(tags=["reseller"],
                                 description="The dropship (1688 consign) unit price.")
    def distribution_price(self) -> Money | None:
        return money(self._core().distribution_price)

    @strawberry.federation.field(tags=["reseller"],
                                 description="The minimum quantity for dropship orders (1688).")
    def distribution_min_quantity(self) -> int | None:
        return self._core().distribution_min_quantity

    @strawberry.field(description="The unit the product is counted in, e.g. \"件\" (1688).")
    def unit(self) -> str | None:
        return self._core().unit

    @strawberry.field(description="Units per batch when sold by the batch (1688 `batchNumber`).")
    def batch_number(self) -> int | None:
        return self._core().batch_number

    @strawberry.field(description="Whether the offer can be mixed with the seller's other "
                                  "offers to reach the minimum order (1688 `mixWholeSale`).")
    def mix_wholesale(self) -> bool | None:
        return self._core().mix_wholesale

    @strawberry.field(description="How the offer is sold (retail, wholesale, sourcing).")
    def product_type(self) -> ProductType | None:  # type: ignore[valid-type]
        return self._core().product_type

    @strawberry.field(description="The product's images: main first, then gallery, then "
                                  "variant images, each in the marketplace's order.")
    def images(self) -> list[Image]:
        media = self.record.media
        return [Image.from_model(i) for i in media.images] if media else []

    @strawberry.field(description="The product's videos.")
    def videos(self) -> list[Video]:
        media = self.record.media
        if not media:
            return []
        return [Video(url=v.url, kind=v.kind, cover_url=v.cover_url,
                      duration_seconds=v.duration_seconds) for v in media.videos]

    @strawberry.field(description="Display-only specifications (brand, material…).")
    def attributes(self) -> list[Attribute]:
        return [Attribute.from_model(a) for a in self._core().attributes]

    def _variant_set(self) -> model.VariantSet:
        return self.record.variants or model.VariantSet(options=(), variants=())

    @strawberry.field(description="The dimensions a buyer chooses along, with each value's "
                                  "availability given the options already `selected`.")
    def options(self, selected: list[SelectedOptionInput] | None = None) -> list[ProductOption]:
        variant_set = self._variant_set()
        choices = _choices(selected)
        result = []
        for option in variant_set.options:
            values = []
            for value in option.values:
                available, first = variants.value_availability(
                    variant_set, option.name, value.name, choices)
                values.append(ProductOptionValue(
                    name=value.name, translated_name=value.translated_name,
                    swatch_image=value.swatch_image, available=available,
                    first_selectable_variant=self._variant(first)))
            result.append(ProductOption(name=option.name, translated_name=option.translated_name,
                                        values=values))
        return result

    def _variant(self, record: model.VariantRecord | None) -> Variant | None:
        return Variant(record=record, product=self.record) if record else None

    @strawberry.field(description="The purchasable SKUs.")
    def variants(self, only_available: Annotated[bool, strawberry.argument(
            description="Only variants in stock.")] = False) -> list[Variant]:
        return [Variant(record=v, product=self.record) for v in self._variant_set().variants
                if not only_available or variants.is_available(v)]

    @strawberry.field(description="The variant with exactly these options, sold out or not; "
                                  "null when none matches.")
    def variant_by_selected_options(
        self,
        selected_options: list[SelectedOptionInput],
        ignore_unknown_options: Annotated[bool, strawberry.argument(
            description="Skip options the product does not have.")] = False,
        case_insensitive_match: Annotated[bool, strawberry.argument(
            description="Match names and values regardless of case.")] = False,
    ) -> Variant | None:
        return self._variant(variants.variant_by_selected_options(
            self._variant_set(), _choices(selected_options),
            ignore_unknown_options=ignore_unknown_options,
            case_insensitive=case_insensitive_match))

    @strawberry.field(description="The variant with these options when there is one, else the "
                                  "first in-stock variant compatible with them.")
    def selected_or_first_available_variant(
        self, selected_options: list[SelectedOptionInput] | None = None
    ) -> Variant | None:
        variant_set = self._variant_set()
        choices = _choices(selected_options)
        exact = variants.variant_by_selected_options(variant_set, choices,
                                                      ignore_unknown_options=True)
        return self._variant(exact or variants.first_available_variant(variant_set, choices))

    @strawberry.field(description="Units in stock over all variants; null when unknown.")
    def total_stock(self) -> int | None:
        return self._core().total_stock

    @strawberry.field(description="True when some of the product can be bought now.")
    def available_for_sale(self) -> bool:
        core = self._core()
        if core.status not in (None, model.ProductStatus.ON_SALE):
            return False
        return core.total_stock is None or core.total_stock > 0

    @strawberry.field(description="Units sold, as the marketplace counts them.")
    def sales_count(self) -> int | None:
        return self._core().sales_count

    @strawberry.field(description="The shop selling the product.")
    def seller(self) -> Seller | None:
        seller = self.record.seller
        return Seller.from_model(seller) if seller else None

    @strawberry.field(description="Where the product ships from and what domestic postage costs.")
    def shipping(self) -> Shipping | None:
        value = self._core().shipping
        if value is None:
            return None
        return Shipping(ships_from=location(value.ships_from),
                        domestic_fee=money(value.domestic_fee),
                        express_fee=money(value.express_fee), ems_fee=money(value.ems_fee),
                        unit_weight_kg=value.unit_weight_kg,
                        freight_template_id=value.freight_template_id)

    @strawberry.field(description="The marketplace category.")
    def category(self) -> Category | None:
        return category(self._core().category)

    @strawberry.field(description="The declared brand.")
    def brand(self) -> str | None:
        return self._core().brand

    @strawberry.field(description="New or used.")
    def condition(self) -> ProductCondition | None:  # type: ignore[valid-type]
        return self._core().condition

    @strawberry.field(description="Where the listing is in its life cycle.")
    def status(self) -> ProductStatus | None:  # type: ignore[valid-type]
        return self._core().status

    @strawberry.field(description="OEM / customization options (1688 `processing`).")
    def customization(self) -> Customization | None:
        return customization(self._core().customization)

    @strawberry.field(description="The Tmall catalog product (SPU) this item is listed against.")
    def catalog_product(self) -> CatalogProduct | None:
        catalog = self.record.catalog
        return CatalogProduct(record=catalog) if catalog else None

    @strawberry.field(description="When the product was listed (ISO 8601 with offset).")
    def listed_at(self) -> datetime | None:
        return self._core().listed_at

    @strawberry.field(description="When the product was last modified (ISO 8601 with offset).")
    def updated_at(self) -> datetime | None:
        return self._core().updated_at


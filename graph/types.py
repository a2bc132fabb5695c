"""The GraphQL entities: ``Product``, ``Variant``, ``Seller`` (Federation entities keyed by
``id``), the ``Node`` interface, and what hangs off a product (options, the Tmall catalog
product). Each wraps the records a resolver returned (``X.from_model``) and adds nothing a
resolver could not derive from them: leaf fields are plain attributes or cheap synchronous
methods, and the I/O happens once, at the root (``resolvers/``). An entity resolves its own
federation reference (``resolve_reference``, through ``resolvers/entities.py``).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Any

import strawberry

from channels import model
from channels.pricing import price_for_quantity
from channels.variants import (
    Choice,
    first_available_variant,
    is_available,
    value_availability,
    variant_by_selected_options,
)
from graph import watch_types
from graph.catalog_types import CatalogProduct
from graph.localized import ProductTranslation, VariantTranslation, parse_language
from graph.source_types import ProductSource, sources_of
from graph.values import (
    Attribute,
    BusinessGroup,
    Category,
    Channel,
    Customization,
    Image,
    LocalizedText,
    Location,
    Money,
    MoneyRange,
    PriceTier,
    ProductCondition,
    ProductPrice,
    ProductSaleType,
    ProductStatus,
    ProductType,
    SelectedOption,
    SelectedOptionInput,
    Shipping,
    Video,
    constructor,
    maybe,
)
from resolvers import entities
from resolvers.errors import to_graphql_error
from resolvers.products import ProductVariant

if TYPE_CHECKING:
    from strawberry.types import Info

    from resolvers.context import Context


def _choices(inputs: Sequence[SelectedOptionInput] | None) -> list[Choice]:
    return [Choice(i.name, i.value) for i in inputs or ()]


@strawberry.interface(description="An object with a globally unique id.")
class Node:
    @strawberry.field(description="The object's globally unique id.")
    def id(self) -> strawberry.ID:
        raise NotImplementedError


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
                   shop_url=seller.shop_url, location=maybe(Location.from_model, seller.location),
                   trade_score=seller.trade_score)

    @classmethod
    def resolve_reference(cls, info: Info[Context, Any], id: strawberry.ID) -> Seller:
        return cls.from_model(entities.seller_reference(id))


@strawberry.federation.type(keys=["id"], description="One purchasable SKU of a product.")
class Variant(Node):
    record: strawberry.Private[model.VariantRecord]
    product: strawberry.Private[model.ProductRecord]

    @classmethod
    def from_model(cls, found: ProductVariant) -> Variant:
        return _variant(found.variant, found.product)

    @classmethod
    async def resolve_reference(cls, info: Info[Context, Any], id: strawberry.ID) -> Variant:
        return cls.from_model(await entities.variant_reference(info, id))

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
        return [SelectedOption.from_model(o) for o in self.record.selected_options]

    @strawberry.field(description="The variant's unit price.")
    def price(self) -> ProductPrice:
        return ProductPrice.from_model(self.record.price)

    @strawberry.field(description="The variant's texts (its options) in `language`.")
    def translation(self, language: Annotated[str, strawberry.argument(
            description="A BCP 47 language tag, e.g. \"en\".")]) -> VariantTranslation | None:
        return VariantTranslation(product=self.product, variant=self.record,
                                  language=parse_language(language))

    @strawberry.field(description="Quantity tiers for this variant (1688); empty when the "
                                  "price does not depend on quantity.")
    def price_tiers(self) -> list[PriceTier]:
        return [PriceTier.from_model(t) for t in self.record.price_tiers]

    @strawberry.field(description="The unit price when buying `quantity` units of this variant. "
                                  "Refuses a quantity below the product's minimum order.")
    def price_for_quantity(self, quantity: int) -> Money | None:
        core = self.product.core
        moq = core.min_order_quantity if core else None
        try:
            return maybe(Money.from_model, price_for_quantity(
                self.record.price_tiers, moq, quantity, unit_price=self.record.price.effective))
        except Exception as exc:
            raise to_graphql_error(exc, argument="quantity") from exc

    # @tag "reseller": what a dropshipper pays is for reseller-facing clients only; an Apollo
    # contract for a shopper-facing variant of the supergraph drops fields tagged so.
    @strawberry.federation.field(tags=["reseller"],
                                 description="The dropship (1688 consign) unit price.")
    def distribution_price(self) -> Money | None:
        return maybe(Money.from_model, self.record.distribution_price)

    @strawberry.field(description="Units in stock; 0 means sold out, null means unknown.")
    def stock(self) -> int | None:
        return self.record.stock

    @strawberry.field(description="True when the variant can be bought now (stock above 0).")
    def available_for_sale(self) -> bool:
        return is_available(self.record)

    @strawberry.field(description="The variant's own image (usually its colour's photo): "
                                  "the same image, with the same position, as its entry in "
                                  "`Product.images`.")
    def image(self) -> Image | None:
        if self.record.image_entry is not None:
            return Image.from_model(self.record.image_entry)
        if not self.record.image:
            return None
        media = self.product.media
        found = next((i for i in media.images if i.url == self.record.image), None) \
            if media else None
        return Image.from_model(found or model.Image(url=self.record.image,
                                                     kind=model.ImageKind.VARIANT, position=0))

    @strawberry.field(description="The suggested retail price of this variant (1688 "
                                  "`retailPrice`, 建议零售价): what the supplier suggests "
                                  "reselling at, not a price before promotion; null on "
                                  "other channels.")
    def suggested_retail_price(self) -> Money | None:
        return maybe(Money.from_model, self.record.suggested_retail_price)

    @strawberry.field(description="The variant's product code (1688 `skuCode`); null on "
                                  "other channels.")
    def sku_code(self) -> str | None:
        return self.record.sku_code

    @strawberry.field(description="The variant's barcode, when the seller set one.")
    def barcode(self) -> str | None:
        return self.record.barcode

    @strawberry.field(description="The seller's own code for the variant.")
    def outer_id(self) -> str | None:
        return self.record.outer_id


_variant = constructor(Variant)


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


@strawberry.federation.type(keys=["id"], description="A product listed on a marketplace, in "
                                                     "one model whatever the marketplace.")
class Product(Node):
    record: strawberry.Private[model.ProductRecord]

    @classmethod
    def from_model(cls, record: model.ProductRecord) -> Product:
        return _product(record)

    @classmethod
    async def resolve_reference(cls, info: Info[Context, Any], id: strawberry.ID) -> Product:
        return cls.from_model(await entities.product_reference(info, id))

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

    @strawberry.field(description="Which upstream route answers each part of the product in "
                                  "this deployment (a layered channel answers parts from "
                                  "several routes, e.g. CORE from AFFILIATE_API and VARIANTS "
                                  "from AGGREGATOR); a part no route answers is left out. "
                                  "Loads nothing.")
    def sources(self, info: strawberry.Info) -> list[ProductSource]:
        try:
            adapter = info.context.registry.adapter(self.record.channel)
        except Exception:
            return []
        return sources_of(adapter, frozenset(model.Part))

    @strawberry.field(description="The canonical product page on the marketplace.")
    def source_url(self) -> str:
        return self._core().source_url

    @strawberry.field(description="The product's title.")
    def title(self) -> LocalizedText:
        return LocalizedText.from_model(self._core().title)

    @strawberry.field(description="The product's texts — title, description, options, "
                                  "attributes, category, seller — in `language`, each with "
                                  "where its translation came from. Only what is selected "
                                  "is translated. Null, with BAD_USER_INPUT, for a `language` "
                                  "that is not a BCP 47 tag.")
    def translation(self, language: Annotated[str, strawberry.argument(
            description="A BCP 47 language tag, e.g. \"en\" or \"en-US\".")]
                    ) -> ProductTranslation | None:
        return ProductTranslation(record=self.record, language=parse_language(language))

    @strawberry.field(description="The long description as HTML; fetched only when selected.")
    def description(self) -> str | None:
        return self.record.description.html if self.record.description else None

    @strawberry.field(description="The product's price (the lowest variant's, for ranges see "
                                  "`priceRange`).")
    def price(self) -> ProductPrice:
        return ProductPrice.from_model(self._core().price, self.record.coupon)

    @strawberry.field(description="The lowest and highest unit price over the variants.")
    def price_range(self) -> MoneyRange:
        core = self._core()
        low = core.price_min if core.price_min is not None else core.price.effective
        high = core.price_max if core.price_max is not None else low
        return MoneyRange.from_model(low, high)

    @strawberry.field(description="Wholesale quantity tiers (1688); empty on Taobao and Tmall.")
    def price_tiers(self) -> list[PriceTier]:
        return [PriceTier.from_model(t) for t in self._core().price_tiers]

    @strawberry.field(description="The unit price when buying `quantity` units: the tier for "
                                  "that quantity. Refuses a quantity below the minimum order.")
    def price_for_quantity(self, quantity: int) -> Money | None:
        core = self._core()
        try:
            return maybe(Money.from_model, price_for_quantity(
                core.price_tiers, core.min_order_quantity, quantity,
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
        return maybe(Money.from_model, self._core().distribution_price)

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
        return [Video.from_model(v) for v in media.videos]

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
                available, first = value_availability(
                    variant_set, option.name, value.name, choices)
                values.append(ProductOptionValue(
                    name=value.name, translated_name=value.translated_name,
                    swatch_image=value.swatch_image, available=available,
                    first_selectable_variant=self._variant(first)))
            result.append(ProductOption(name=option.name, translated_name=option.translated_name,
                                        values=values))
        return result

    def _variant(self, record: model.VariantRecord | None) -> Variant | None:
        return _variant(record, self.record) if record else None

    @strawberry.field(description="The purchasable SKUs.")
    def variants(self, only_available: Annotated[bool, strawberry.argument(
            description="Only variants in stock.")] = False) -> list[Variant]:
        return [_variant(v, self.record) for v in self._variant_set().variants
                if not only_available or is_available(v)]

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
        return self._variant(variant_by_selected_options(
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
        exact = variant_by_selected_options(variant_set, choices,
                                                      ignore_unknown_options=True)
        return self._variant(exact or first_available_variant(variant_set, choices))

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
        return maybe(Shipping.from_model, self._core().shipping)

    @strawberry.field(description="The marketplace category (Taobao/Tmall `cid`, named "
                                  "through the category tree when `name`/`path` are "
                                  "selected; 1688 `categoryID`/`categoryName`).")
    def category(self) -> Category | None:
        category = self._core().category
        return Category.from_model(category, self.record.channel) if category else None

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
        return maybe(Customization.from_model, self._core().customization)

    @strawberry.field(description="The Tmall catalog product (SPU) this item is listed against.")
    def catalog_product(self) -> CatalogProduct | None:
        return maybe(CatalogProduct.from_model, self.record.catalog)

    @strawberry.field(description="1688 `referencePrice`: the supplier's reference price "
                                  "range (a single price has min = max). Not a price before "
                                  "promotion. Null when absent, on request (面议) and on "
                                  "other channels.")
    def reference_price_range(self) -> MoneyRange | None:
        core = self._core()
        low, high = core.reference_price_min, core.reference_price_max
        if low is None or high is None:
            return None
        return MoneyRange.from_model(low, high)

    @strawberry.field(description="The suggested retail price (1688 `saleInfo.retailprice`, "
                                  "建议零售价): what the supplier suggests reselling at, not a "
                                  "price before promotion; null on other channels.")
    def suggested_retail_price(self) -> Money | None:
        return maybe(Money.from_model, self._core().suggested_retail_price)

    @strawberry.field(description="What one batch is called when sold by the batch, e.g. "
                                  "\"手\" for 1 手 = `batchNumber` 件 (1688 "
                                  "`saleInfo.sellunit`); null elsewhere.")
    def sell_unit(self) -> str | None:
        return self._core().sell_unit

    @strawberry.field(description="Whether the offer can be ordered online (1688 "
                                  "`saleInfo.supportOnlineTrade`); null on other channels.")
    def online_trade_supported(self) -> bool | None:
        return self._core().online_trade_supported

    @strawberry.federation.field(tags=["reseller"],
                                 description="The 1688 businesses the offer takes part in or "
                                 "not (`bizGroupInfos`: dropship, consign, micro-supply…); "
                                 "null on other channels.")
    def business_groups(self) -> list[BusinessGroup] | None:
        groups = self._core().business_groups
        return None if groups is None else [BusinessGroup.from_model(g) for g in groups]

    @strawberry.field(description="The seller's own code for the product (Taobao/Tmall "
                                  "`outer_id`, 1688 `productCargoNumber` 货号, Weidian "
                                  "`merchant_code`).")
    def outer_id(self) -> str | None:
        return self._core().outer_id

    @strawberry.field(description="Fixed price or auction (Taobao/Tmall Item `type`); null on "
                                  "other channels.")
    def sale_type(self) -> ProductSaleType | None:  # type: ignore[valid-type]
        return self._core().sale_type

    @strawberry.field(description="When the listing comes (or came) off sale (Taobao/Tmall "
                                  "`delist_time`, ISO 8601 with offset); null elsewhere.")
    def delisting_at(self) -> datetime | None:
        return self._core().delisting_at

    @strawberry.field(description="Whether the seller issues invoices (Taobao/Tmall "
                                  "`has_invoice`); null on other channels.")
    def has_invoice(self) -> bool | None:
        return self._core().has_invoice

    @strawberry.field(description="Whether the item comes with a warranty (Taobao/Tmall "
                                  "`has_warranty`); null on other channels.")
    def has_warranty(self) -> bool | None:
        return self._core().has_warranty

    @strawberry.field(description="The selling-point line (Tmall `sell_point`); null where "
                                  "the seller set none and on other channels.")
    def sell_point(self) -> str | None:
        return self._core().sell_point

    @strawberry.field(description="When the product was listed (ISO 8601 with offset).")
    def listed_at(self) -> datetime | None:
        return self._core().listed_at

    @strawberry.field(description="When the product was last modified (ISO 8601 with offset).")
    def updated_at(self) -> datetime | None:
        return self._core().updated_at


    # The watch history (graph/watch_types.py): answered from the database, no upstream part.
    @strawberry.field(description="The observed price changes of this product and its "
                                  "variants while it was watched, oldest first.")
    async def price_history(
        self, info: strawberry.Info,
        from_: Annotated[datetime | None, strawberry.argument(
            name="from", description="Changes observed at or after this time.")] = None,
        to: Annotated[datetime | None, strawberry.argument(
            description="Changes observed at or before this time.")] = None,
        variant_id: Annotated[strawberry.ID | None, strawberry.argument(
            description="Only this variant's (`skuId`).")] = None,
    ) -> list[watch_types.PricePoint]:
        return await watch_types.price_history(info, self.record.id, from_, to, variant_id)

    @strawberry.field(description="The observed stock changes of this product and its "
                                  "variants while it was watched, oldest first.")
    async def stock_history(
        self, info: strawberry.Info,
        from_: Annotated[datetime | None, strawberry.argument(
            name="from", description="Changes observed at or after this time.")] = None,
        to: Annotated[datetime | None, strawberry.argument(
            description="Changes observed at or before this time.")] = None,
        variant_id: Annotated[strawberry.ID | None, strawberry.argument(
            description="Only this variant's (`skuId`).")] = None,
    ) -> list[watch_types.StockPoint]:
        return await watch_types.stock_history(info, self.record.id, from_, to, variant_id)


_product = constructor(Product)

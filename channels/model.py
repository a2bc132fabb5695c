"""The one normalized product model every channel maps into.

Plain, frozen records with no knowledge of GraphQL or of any wire format. A product is
split into *parts* that are fetched (and cached) independently, so a query that selects
only a title never pays for SKUs, images or the HTML description:

    ProductRecord
     ├── core         ProductCore     title, prices, tiers, stock, sales, category, shipping…
     ├── variants     VariantSet      options (with swatches) and the SKU matrix
     ├── media        Media           images (ordered, typed) and videos
     ├── description  Description     the long HTML description
     ├── seller       SellerRecord    shop identity and location
     └── catalog      CatalogProductRecord   the Tmall SPU the item is linked to

Money is always ``Decimal`` yuan, parsed from the upstream string, never through float.
Times are timezone-aware ``datetime`` objects.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import Decimal


class Channel(enum.Enum):
    """A marketplace; the value is the prefix of a product id (``taobao_680123456789``)."""

    TAOBAO = "taobao"
    TMALL = "tmall"
    ALIBABA_1688 = "1688"
    WEIDIAN = "weidian"

    @classmethod
    def from_prefix(cls, prefix: str) -> Channel | None:
        for channel in cls:
            if channel.value == prefix:
                return channel
        return None


class Part(enum.Enum):
    """A separately fetched and cached slice of a product."""

    CORE = "core"
    VARIANTS = "variants"
    MEDIA = "media"
    DESCRIPTION = "description"
    SELLER = "seller"
    CATALOG = "catalog"
    #: The price after coupons (``CouponPrice``): only the affiliate route answers it with
    #: a call of its own (``taobao.tbk.item.info.upgrade.get``); the others answer it empty.
    COUPON = "coupon"


class ImageKind(enum.Enum):
    MAIN = "MAIN"
    GALLERY = "GALLERY"
    VARIANT = "VARIANT"
    DESCRIPTION = "DESCRIPTION"
    WHITE_BACKGROUND = "WHITE_BACKGROUND"
    VERTICAL = "VERTICAL"


class VideoKind(enum.Enum):
    MAIN = "MAIN"
    DETAIL = "DETAIL"


class ProductCondition(enum.Enum):
    NEW = "NEW"
    UNUSED = "UNUSED"
    SECOND_HAND = "SECOND_HAND"


class ProductStatus(enum.Enum):
    ON_SALE = "ON_SALE"
    IN_STOCK_ROOM = "IN_STOCK_ROOM"
    DELISTED = "DELISTED"
    DELETED = "DELETED"
    UNDER_REVIEW = "UNDER_REVIEW"


class SaleType(enum.Enum):
    """How a TOP item is sold (Item ``type``): at a fixed price, or by auction."""

    FIXED_PRICE = "FIXED_PRICE"
    AUCTION = "AUCTION"


class FreightPayer(enum.Enum):
    """Who pays the domestic freight (TOP ``freight_payer``)."""

    SELLER = "SELLER"
    BUYER = "BUYER"


class ProductType(enum.Enum):
    """How an offer is sold: 1688 separates wholesale offers from sourcing (RFQ) offers."""

    RETAIL = "RETAIL"
    WHOLESALE = "WHOLESALE"
    SOURCING = "SOURCING"


@dataclass(frozen=True, slots=True)
class Coupon:
    """A coupon an affiliate (淘宝客) answer attaches to an item: ``amount`` off from a spend
    of ``threshold``, valid from ``starts_at`` to ``ends_at``."""

    amount: Decimal
    threshold: Decimal | None = None
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    remaining: int | None = None
    total: int | None = None


@dataclass(frozen=True, slots=True)
class CouponPrice:
    """What a buyer pays after the item's coupons, as the upstream estimates it (TOP
    affiliate ``final_promotion_price``, 预估到手价), and the coupon that takes the most off."""

    after_coupon: Decimal | None = None
    coupon: Coupon | None = None


@dataclass(frozen=True, slots=True)
class PriceTrio:
    """Seed 003's price, one meaning on every channel: ``original`` is the catalogue price
    before promotions (``None`` = the same as ``display``: no separate list price),
    ``display`` the unit price the buyer is shown, ``promotion`` a real promotional price
    (below ``display``), else ``None``. A suggested retail price or a reference range is
    never an ``original``: they have their own fields.

    ``final`` (the affiliate API's discounted ``zk_final_price``), ``after_coupon`` and
    ``coupon`` are set only by the channels whose upstream answers them (``channels/tbk.py``).
    """

    display: Decimal
    original: Decimal | None = None
    promotion: Decimal | None = None
    final: Decimal | None = None
    after_coupon: Decimal | None = None
    coupon: Coupon | None = None

    @property
    def before_promotion(self) -> Decimal:
        """The catalogue price: ``original``, or ``display`` where there is none."""
        return self.original if self.original is not None else self.display

    @property
    def effective(self) -> Decimal:
        """What a buyer pays for one unit: the promotion price when there is one."""
        return self.promotion if self.promotion is not None else self.display


@dataclass(frozen=True, slots=True)
class PriceTier:
    """A wholesale tier: from ``min_quantity`` units on, each unit costs ``price``."""

    min_quantity: int
    price: Decimal


@dataclass(frozen=True, slots=True)
class LocalizedText:
    original: str
    translated: str | None = None
    language: str | None = None


@dataclass(frozen=True, slots=True)
class SelectedOption:
    name: str
    value: str
    translated_name: str | None = None
    translated_value: str | None = None


@dataclass(frozen=True, slots=True)
class Image:
    """One image; ``position`` runs from 0 over all of a product's images (each URL once).
    ``option`` is the option value a property image shows (a colour), when known."""

    url: str
    kind: ImageKind
    position: int
    option: SelectedOption | None = None


@dataclass(frozen=True, slots=True)
class Video:
    url: str
    kind: VideoKind = VideoKind.MAIN
    cover_url: str | None = None
    duration_seconds: int | None = None


@dataclass(frozen=True, slots=True)
class Attribute:
    """A display-only specification (brand, material…): never used to pick a SKU."""

    name: LocalizedText
    value: LocalizedText
    #: The marketplace's ids of the name and the value (TOP pid/vid, 1688
    #: attributeID/valueID), when it gives them.
    name_id: str | None = None
    value_id: str | None = None


@dataclass(frozen=True, slots=True)
class OptionValue:
    name: str
    swatch_image: str | None = None
    translated_name: str | None = None


@dataclass(frozen=True, slots=True)
class Option:
    """A dimension a buyer chooses along (colour, size…), in the upstream's order."""

    name: str
    values: tuple[OptionValue, ...]
    translated_name: str | None = None


@dataclass(frozen=True, slots=True)
class VariantRecord:
    """One purchasable SKU.

    ``sku_id`` is what an order takes (1688: the ``specId``); ``upstream_sku_id`` is the
    marketplace's numeric SKU id where it differs.
    """

    sku_id: str
    selected_options: tuple[SelectedOption, ...]
    price: PriceTrio
    stock: int | None
    upstream_sku_id: str | None = None
    price_tiers: tuple[PriceTier, ...] = ()
    distribution_price: Decimal | None = None
    image: str | None = None
    barcode: str | None = None
    outer_id: str | None = None
    #: The entry of the product's ``Media.images`` that ``image`` is (same url, kind and
    #: position), set by the mapping, which knows both.
    image_entry: Image | None = None
    #: 1688 ``retailPrice``: the suggested retail price (建议零售价), not a list price.
    suggested_retail_price: Decimal | None = None
    #: 1688 ``skuCode``: the SKU's product code.
    sku_code: str | None = None


@dataclass(frozen=True, slots=True)
class VariantSet:
    options: tuple[Option, ...]
    variants: tuple[VariantRecord, ...]


@dataclass(frozen=True, slots=True)
class Media:
    images: tuple[Image, ...]
    videos: tuple[Video, ...] = ()


@dataclass(frozen=True, slots=True)
class Description:
    html: str | None


@dataclass(frozen=True, slots=True)
class Location:
    province: str | None = None
    city: str | None = None
    text: str | None = None


@dataclass(frozen=True, slots=True)
class Shipping:
    ships_from: Location | None = None
    domestic_fee: Decimal | None = None
    express_fee: Decimal | None = None
    ems_fee: Decimal | None = None
    unit_weight_kg: Decimal | None = None
    freight_template_id: str | None = None
    #: 1688 ``handlingTime``: days the seller needs before shipping (备货期).
    handling_days: int | None = None
    freight_payer: FreightPayer | None = None


@dataclass(frozen=True, slots=True)
class Category:
    """A marketplace category. ``name``/``path`` are ``None`` where the product payload
    does not carry them (TOP items give only ``cid``: ``taobao.itemcats.get`` names it);
    ``parent_id`` ("0" for a root) and ``is_leaf`` come from a category tree."""

    id: str
    name: str | None = None
    path: tuple[str, ...] | None = None
    parent_id: str | None = None
    is_leaf: bool | None = None


@dataclass(frozen=True, slots=True)
class BusinessGroup:
    """One 1688 ``bizGroupInfos`` entry: a vertical market or business (代发 dropship,
    代销 consign, 微供 micro-supply…) and whether the offer takes part."""

    code: str
    name: str | None
    supported: bool


@dataclass(frozen=True, slots=True)
class SellerRecord:
    """A shop. ``source_id`` is the marketplace's seller id, or the nick where TOP has no id."""

    channel: Channel
    source_id: str
    name: str
    shop_url: str | None = None
    location: Location | None = None
    trade_score: Decimal | None = None


@dataclass(frozen=True, slots=True)
class CustomizationOption:
    """One OEM/processing option of a 1688 offer (``processing``)."""

    name: str
    value: str
    reference_price_min: Decimal | None = None
    reference_price_max: Decimal | None = None
    min_quantity: int | None = None


@dataclass(frozen=True, slots=True)
class Customization:
    options: tuple[CustomizationOption, ...]
    sample_price: Decimal | None = None
    sample_days: int | None = None


@dataclass(frozen=True, slots=True)
class CatalogProductRecord:
    """A Tmall catalog product (SPU) from ``taobao.product.get.tmall`` (seed 001)."""

    product_id: str
    name: str
    category: Category | None = None
    key_properties: tuple[Attribute, ...] = ()
    binding_properties: tuple[Attribute, ...] = ()
    sale_properties: tuple[Attribute, ...] = ()
    market_price: Decimal | None = None
    images: tuple[Image, ...] = ()
    property_images: tuple[Image, ...] = ()
    status: str | None = None
    sell_point: str | None = None
    outer_id: str | None = None
    description: str | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class ProductCore:
    """Everything a listing card or a price monitor needs, in one cheap slice."""

    title: LocalizedText
    source_url: str
    price: PriceTrio
    price_min: Decimal | None = None
    price_max: Decimal | None = None
    price_tiers: tuple[PriceTier, ...] = ()
    min_order_quantity: int | None = None
    distribution_price: Decimal | None = None
    distribution_min_quantity: int | None = None
    unit: str | None = None
    batch_number: int | None = None
    mix_wholesale: bool | None = None
    total_stock: int | None = None
    sales_count: int | None = None
    category: Category | None = None
    brand: str | None = None
    condition: ProductCondition | None = None
    status: ProductStatus | None = None
    product_type: ProductType | None = None
    listed_at: datetime | None = None
    updated_at: datetime | None = None
    attributes: tuple[Attribute, ...] = ()
    shipping: Shipping | None = None
    seller_id: str | None = None
    seller_name: str | None = None
    catalog_product_id: str | None = None
    customization: Customization | None = None
    main_image: str | None = None
    # 1688 ``sellunit``: what one batch is called when ``batch_number`` is set (1 手 = 12 件).
    sell_unit: str | None = None
    # The seller's own code for the item (Weidian ``merchant_code``, TOP ``outer_id``,
    # 1688 ``productCargoNumber``).
    outer_id: str | None = None
    #: 1688 ``referencePrice`` as a range (a single price is min = max); ``None`` when
    #: absent or a label such as 面议 (price on request).
    reference_price_min: Decimal | None = None
    reference_price_max: Decimal | None = None
    #: 1688 ``saleInfo.retailprice``: the suggested retail price (建议零售价).
    suggested_retail_price: Decimal | None = None
    #: 1688 ``saleInfo.supportOnlineTrade``.
    online_trade_supported: bool | None = None
    #: 1688 ``bizGroupInfos``; ``None`` on channels without them.
    business_groups: tuple[BusinessGroup, ...] | None = None
    #: TOP Item ``type`` (fixed / auction).
    sale_type: SaleType | None = None
    #: TOP ``delist_time``: when the listing comes (or came) off sale.
    delisting_at: datetime | None = None
    has_invoice: bool | None = None
    has_warranty: bool | None = None
    #: TOP ``sell_point`` (Tmall's selling-point line).
    sell_point: str | None = None


@dataclass(frozen=True, slots=True)
class ProductRecord:
    """A product as far as it has been fetched: each part is ``None`` until loaded."""

    channel: Channel
    source_id: str
    core: ProductCore | None = None
    variants: VariantSet | None = None
    media: Media | None = None
    description: Description | None = None
    seller: SellerRecord | None = None
    catalog: CatalogProductRecord | None = None
    coupon: CouponPrice | None = None
    request_id: str | None = None
    # Parts the upstream was asked for and answered "nothing" (e.g. an item with no SKUs,
    # or no catalog product): loaded, but empty.
    empty_parts: frozenset[Part] = field(default_factory=frozenset)

    @property
    def id(self) -> str:
        return product_id(self.channel, self.source_id)

    def part(self, part: Part) -> object | None:
        return getattr(self, part.value)  # type: ignore[no-any-return]

    def has(self, part: Part) -> bool:
        return part in self.empty_parts or self.part(part) is not None

    def loaded_parts(self) -> frozenset[Part]:
        return frozenset(p for p in Part if self.has(p))

    def merged(self, other: ProductRecord) -> ProductRecord:
        """This record with every part ``other`` has and this one lacks."""
        changes: dict[str, object] = {}
        for p in Part:
            if self.part(p) is None and other.part(p) is not None:
                changes[p.value] = other.part(p)
        empty = (self.empty_parts | other.empty_parts) - frozenset(
            p for p in Part if self.part(p) is not None or p.value in changes
        )
        return replace(self, **changes, empty_parts=empty,  # type: ignore[arg-type]
                       request_id=self.request_id or other.request_id)


@dataclass(frozen=True, slots=True)
class ListingPage:
    """One page of a listing (a search, a search by image, a shop's on-sale items): summary
    records (CORE, and MEDIA/SELLER when the listing carries them) and the total."""

    items: tuple[ProductRecord, ...]
    #: Matches in all pages, when the upstream says.
    total: int | None
    page: int
    page_size: int
    #: Search by image: the crop the upstream detected, ``(x1, y1, x2, y2)`` in pixels.
    region: tuple[int, int, int, int] | None = None


def product_id(channel: Channel, source_id: str) -> str:
    """The public composite id of seed 003: ``{channel}_{source_product_id}``."""
    return f"{channel.value}_{source_id}"

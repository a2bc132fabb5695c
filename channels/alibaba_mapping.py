"""1688 ProductInfo → the normalized model: pure functions, no I/O (the adapters are
``channels/alibaba.py``).

Both 1688 transports answer with the same ProductInfo: AOP's ``alibaba.product.get`` in
camelCase, the seed-004 aggregator in snake_case (``product_info_from_aggregator`` turns it
into AOP's spelling), so there is one mapping, ``product_from_1688``, cut into its pieces:
prices by ``quoteType`` (``prices_from_1688``), variants (``variants_from_1688``), media
(``media_from_1688``) and the core (``core_from_1688``). Scalars are read through
``channels/decoding.py``; a present but undecodable value raises ``UndecodableValue``,
which the adapters turn into an error for that offer.

Sources: docs/protocols.md §2.5 (dates), §2.6 (ProductInfo, quoteType) and seed 004.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Any, NamedTuple

from channels.decoding import (
    SHANGHAI,
    UndecodableValue,
    integer_of,
    money,
    money_of,
    required,
    text,
    text_of,
)
from channels.model import (
    Attribute,
    BusinessGroup,
    Category,
    Channel,
    Customization,
    CustomizationOption,
    Description,
    Image,
    ImageKind,
    LocalizedText,
    Location,
    Media,
    Option,
    OptionValue,
    Part,
    PriceTier,
    PriceTrio,
    ProductCore,
    ProductRecord,
    ProductStatus,
    ProductType,
    SelectedOption,
    SellerRecord,
    Shipping,
    VariantRecord,
    VariantSet,
    Video,
    VideoKind,
)

CHANNEL = Channel.ALIBABA_1688
# ProductInfo image paths are relative: "主图列表，使用相对路径，需要增加域名" (§2.6).
IMAGE_BASE = "https://cbu01.alicdn.com/"
# One detail call answers every part; 1688 has no Tmall-style catalog product.
PARTS_PER_CALL = frozenset(Part) - {Part.CATALOG}
#: The brand attribute (``品牌``) has the same attributeID in every category.
BRAND_ATTRIBUTE_ID = 2176


# --- scalars, dates, images, statuses, SKUs ---------------------------------------------

_DATE_RE = re.compile(r"^(\d{14})(\d{3})?([+-])(\d{2})(\d{2})$")


def parse_1688_datetime(value: object, field: str = "date") -> datetime | None:
    """``20181216141253000+0800`` or ``20121222222222+0800`` (§2.5) → an aware datetime.

    Absent or blank is ``None``; anything else that is not in that form is
    ``UndecodableValue`` (the policy of ``channels/decoding.py``). A ``+0800`` time is in
    ``SHANGHAI``, any other offset in a fixed zone of that offset.
    """
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    match = _DATE_RE.match(value.strip()) if isinstance(value, str) else None
    if match is None:
        raise UndecodableValue(field, value, "a 1688 time (yyyyMMddHHmmss[SSS]+hhmm)")
    stamp, millis, sign, hours, minutes = match.groups()
    offset = timedelta(hours=int(hours), minutes=int(minutes)) * (1 if sign == "+" else -1)
    try:
        parsed = datetime.strptime(stamp, "%Y%m%d%H%M%S").replace(tzinfo=timezone(offset))
    except ValueError:
        raise UndecodableValue(field, value, "a 1688 time (yyyyMMddHHmmss[SSS]+hhmm)") from None
    parsed += timedelta(milliseconds=int(millis or 0))
    # astimezone keeps the instant: the wall time printed stays the upstream's whenever
    # Shanghai's offset was +08:00 then (every date since 1991).
    return parsed.astimezone(SHANGHAI) if offset == timedelta(hours=8) else parsed


def image_url(path: object) -> str | None:
    """An absolute image URL: relative ProductInfo paths go under ``IMAGE_BASE``."""
    if not isinstance(path, str) or not path.strip():
        return None
    path = path.strip()
    if path.startswith(("http://", "https://")):
        return path
    if path.startswith("//"):
        return "https:" + path
    return IMAGE_BASE + path.lstrip("/")


# Members of an upstream object, decoded by the one policy (channels/decoding.py).
_money, _int, _text = money_of, integer_of, text_of


_AMOUNT = r"\d+(?:\.\d+)?"
_RANGE_RE = re.compile(rf"^\s*[¥￥]?\s*({_AMOUNT})\s*(?:[~\-－—至]\s*[¥￥]?\s*({_AMOUNT}))?\s*$")


def reference_price_range(value: object) -> tuple[Decimal, Decimal] | None:
    """``referencePrice`` (§2.6: "参考价格，返回价格区间，可能为空") as ``(low, high)``.

    It is documented as a range ("21.00~23.00"), a single price, or empty; sellers also
    put a label there, e.g. "面议" (price on request). A label (no digit in it) and an
    empty value are ``None``; never an error, since it is a legitimate answer. A value
    with digits that is not a price or a range is undecodable (the decoding policy).
    """
    if not isinstance(value, str):
        amount = money(value, "referencePrice")
        return None if amount is None else (amount, amount)
    if not any(ch.isdigit() for ch in value):
        return None
    match = _RANGE_RE.match(value)
    if match is None:
        raise UndecodableValue("referencePrice", value, "a price or a price range")
    low = required(money(match.group(1), "referencePrice"), "referencePrice")
    high = money(match.group(2), "referencePrice") or low
    return (min(low, high), max(low, high))


def price_tiers_from_ranges(ranges: object) -> tuple[PriceTier, ...]:
    """``priceRanges`` / ``priceRange`` → tiers ordered by start quantity."""
    tiers = []
    for entry in ranges if isinstance(ranges, list) else []:
        start, price = _int(entry, "startQuantity"), _money(entry, "price")
        if start is not None and price is not None:
            tiers.append(PriceTier(min_quantity=max(start, 1), price=price))
    return tuple(sorted(tiers, key=lambda tier: tier.min_quantity))


def _product_status(value: object) -> ProductStatus | None:
    status = str(value or "").strip().lower()
    if status in ("published", "approved", "modified"):
        return ProductStatus.ON_SALE
    if status in ("expired", "auto expired", "member expired"):
        return ProductStatus.DELISTED
    if status in ("deleted", "member deleted"):
        return ProductStatus.DELETED
    if status in ("auditing", "new", "tbd", "untread"):
        # TBD ("to be delete") and untread (audit refused) are not buyable yet or any more;
        # both wait on a review, not on the buyer.
        return ProductStatus.UNDER_REVIEW
    return None


def _product_type(value: object) -> ProductType | None:
    kind = str(value or "wholesale").strip().lower()  # "1688 网站缺省为 wholesale"
    return {"wholesale": ProductType.WHOLESALE, "sourcing": ProductType.SOURCING}.get(kind)


def _location(value: object) -> Location | None:
    """``sendGoodsAddressText`` ("浙江省 杭州市", "广东深圳") → province and city."""
    raw = text(value, "sendGoodsAddressText")
    if raw is None:
        return None
    words = raw.split()
    if len(words) >= 2:
        return Location(province=words[0], city=words[1], text=raw)
    match = re.match(r"^(.+?(?:省|自治区|特别行政区))(.+?(?:市|州|盟|地区))?", raw)
    if match:
        return Location(province=match.group(1), city=match.group(2), text=raw)
    municipality = re.match(r"^(北京|上海|天津|重庆)市?", raw)
    if municipality:
        name = municipality.group(1) + "市"
        return Location(province=name, city=name, text=raw)
    return Location(text=raw)


def _customization(processing: object) -> Customization | None:
    """Seed 004 ``processing`` (OEM/customization) → options with reference prices."""
    if not isinstance(processing, Mapping):
        return None
    trade = processing.get("tradeAttributes") or {}
    refer_prices: dict[str, Mapping[str, Any]] = {}
    for entry in trade.get("referPriceList") or []:
        if entry.get("key") is not None and isinstance(entry.get("referPrice"), Mapping):
            refer_prices[str(entry["key"])] = entry["referPrice"]
    options = []
    for attribute in processing.get("attributeList") or []:
        name, code = _text(attribute, "name"), _text(attribute, "value")
        label = _text(attribute, "valueName")
        if name is None or (code is None and label is None):
            continue
        if attribute.get("key") == "production_capacity":
            value = f"{code or ''}{label or ''}"  # value "10" + value_name "双" → 10双
        else:
            value = label or code or ""
        refer = refer_prices.get(code or "", {})
        options.append(CustomizationOption(
            name=name, value=value,
            reference_price_min=_money(refer, "price"),
            reference_price_max=_money(refer, "maxPrice"),
            min_quantity=_int(refer, "amount"),
        ))
    sample_key = "sampleDate" if "sampleDate" in trade else "sampleTime"
    if not options and trade.get("samplePrice") is None:
        return None
    return Customization(options=tuple(options), sample_price=_money(trade, "samplePrice"),
                         sample_days=_int(trade, sample_key))


def _promotion(price: Decimal | None, promotion: Decimal | None) -> Decimal | None:
    """A promotional price only when it is below the price it discounts."""
    if promotion is None or price is None or promotion >= price:
        return None
    return promotion


def variants_from_1688(
    sku_infos: Sequence[Mapping[str, Any]], quote_type: int | None,
    product_tiers: tuple[PriceTier, ...],
) -> tuple[VariantSet, list[tuple[str, SelectedOption]]]:
    """SKUs → the option matrix and variants; also the variant images, in order, each with
    the option value it shows (the attribute carrying ``skuImageUrl``)."""
    option_values: dict[str, dict[str, OptionValue]] = {}
    option_names: dict[str, str | None] = {}
    variants = []
    images: list[tuple[str, SelectedOption]] = []
    first_tier = product_tiers[0].price if product_tiers else None
    for sku in sku_infos:
        selected = []
        sku_image = None
        for attribute in sku.get("attributes") or []:
            name = (_text(attribute, "attributeDisplayName") or _text(attribute, "attributeName")
                    or str(attribute.get("attributeID", "")))
            value = (_text(attribute, "attributeValue") or _text(attribute, "customValueName")
                     or "")
            swatch = image_url(attribute.get("skuImageUrl"))
            name_trans = _text(attribute, "attributeNameTrans")
            value_trans = _text(attribute, "valueTrans")
            option = SelectedOption(name=name, value=value, translated_name=name_trans,
                                    translated_value=value_trans)
            if swatch and sku_image is None:
                sku_image = swatch
                if all(url != swatch for url, _ in images):
                    images.append((swatch, option))
            selected.append(option)
            option_names.setdefault(name, name_trans)
            values = option_values.setdefault(name, {})
            known = values.get(value)
            if known is None or (known.swatch_image is None and swatch is not None):
                values[value] = OptionValue(name=value, swatch_image=swatch,
                                            translated_name=value_trans)
        own_tiers = price_tiers_from_ranges(sku.get("priceRange"))
        sku_price = _money(sku, "price")
        tiers: tuple[PriceTier, ...] = ()
        if quote_type == 2:
            # 有SKU按数量报价: every SKU is priced by the offer's shared quantity tiers.
            price, tiers = first_tier or sku_price, product_tiers
        elif quote_type == 3 and own_tiers:
            # SKU_PRICE_RANGE: each SKU has its own quantity tiers.
            price, tiers = own_tiers[0].price, own_tiers
        else:
            # 1 (有SKU按规格报价) prices each SKU itself; anything else falls back likewise.
            price = sku_price if sku_price is not None else first_tier
        spec_id = _text(sku, "specId") or _text(sku, "skuId") or ""
        display = price if price is not None else Decimal(0)
        variants.append(VariantRecord(
            sku_id=spec_id,
            upstream_sku_id=_text(sku, "skuId"),
            selected_options=tuple(selected),
            # ProductInfo has no price before promotion: the quoted price is the catalogue
            # price. ``retailPrice`` is the suggested retail price (seed 004: 建议零售价).
            price=PriceTrio(display=display, original=display,
                            promotion=_promotion(display, _money(sku, "promotionPrice"))),
            stock=_int(sku, "amountOnSale"),
            price_tiers=tiers,
            distribution_price=_money(sku, "consignPrice"),
            image=sku_image,
            outer_id=_text(sku, "cargoNumber"),
            suggested_retail_price=_money(sku, "retailPrice"),
            sku_code=_text(sku, "skuCode"),
        ))
    options = tuple(
        Option(name=name, values=tuple(values.values()), translated_name=option_names.get(name))
        for name, values in option_values.items()
    )
    return VariantSet(options=options, variants=tuple(variants)), images


# --- the offer: prices, media, core, record -----------------------------------------------

class PriceSummary(NamedTuple):
    """An offer's price trio and the lowest and highest unit price over its tiers and SKUs."""

    price: PriceTrio
    low: Decimal | None
    high: Decimal | None


def _sku_infos(info: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    return [sku for sku in info.get("skuInfos") or [] if isinstance(sku, Mapping)]


def prices_from_1688(info: Mapping[str, Any], tiers: tuple[PriceTier, ...],
                     variants: Sequence[VariantRecord]) -> PriceSummary:
    """The display price is the first tier's (what an order of the MOQ pays per unit), or
    the lowest SKU price for quoteType 1; the range spans every tier and SKU price."""
    sale = info.get("saleInfo") or {}
    sku_prices = [p for sku in _sku_infos(info) if (p := _money(sku, "price")) is not None]
    display: Decimal | None
    if _int(sale, "quoteType") == 1 and sku_prices:
        display, candidates = min(sku_prices), list(sku_prices)
    elif tiers:
        display = tiers[0].price
        candidates = [tier.price for tier in tiers]
    else:
        candidates = [v.price.display for v in variants]
        display = min(candidates) if candidates else None
    for variant in variants:
        candidates.extend(tier.price for tier in variant.price_tiers)
    promotions = [v.price.promotion for v in variants if v.price.promotion is not None]
    shown = display if display is not None else Decimal(0)
    # The quoted price is the catalogue price (ProductInfo has no other); ``retailprice``
    # is a suggested retail price and ``referencePrice`` a reference range (seed 004), so
    # neither is an ``original``: a discount exists only where a promotion price does.
    price = PriceTrio(display=shown, original=shown,
                      promotion=_promotion(shown, min(promotions) if promotions else None))
    return PriceSummary(price, min(candidates) if candidates else None,
                        max(candidates) if candidates else None)


def media_from_1688(info: Mapping[str, Any],
                    variant_images: Sequence[tuple[str, SelectedOption]]) -> Media:
    """The gallery (its first image is the main one), then the variant images it lacks;
    each URL once, positions from 0 over all of them. A variant image already in the
    gallery keeps its gallery entry. Then the main and detail videos (ProductInfo spells
    them ``…Vedio``, §2.6)."""
    urls: list[str] = []
    for url in map(image_url, (info.get("image") or {}).get("images") or []):
        if url and url not in urls:
            urls.append(url)
    images = [Image(url=url, kind=ImageKind.MAIN if i == 0 else ImageKind.GALLERY, position=i)
              for i, url in enumerate(urls)]
    for url, option in variant_images:
        if url not in urls:
            urls.append(url)
            images.append(Image(url=url, kind=ImageKind.VARIANT, position=len(images),
                                option=option))
    videos = [Video(url=url, kind=kind) for key, kind in (
        ("mainVedio", VideoKind.MAIN), ("detailVedio", VideoKind.DETAIL))
        if (url := _text(info, key) or _text(info, key.replace("Vedio", "Video")))]
    return Media(images=tuple(images), videos=tuple(videos))


def _localized(original: str, translated: str | None) -> LocalizedText:
    """Text with 1688's own translation (``…Trans`` fields, English) when it has one."""
    return LocalizedText(original, translated, "en" if translated else None)


def with_image_entries(variant_set: VariantSet, media: Media) -> VariantSet:
    """Each variant's ``image_entry``: the ``media`` image with its URL."""
    by_url = {image.url: image for image in media.images}
    return replace(variant_set, variants=tuple(
        replace(v, image_entry=by_url.get(v.image)) if v.image else v
        for v in variant_set.variants))


def business_groups_from_1688(value: object) -> tuple[BusinessGroup, ...] | None:
    """``bizGroupInfos`` (seed 004: "support 为 false 说明不支持") → entries by ``code``."""
    if not isinstance(value, list):
        return None
    groups = []
    for entry in value:
        if not isinstance(entry, Mapping):
            continue
        code = _text(entry, "code")
        if code is None:
            continue
        support = entry.get("support")
        if isinstance(support, str):
            support = support.strip().lower() == "true"
        groups.append(BusinessGroup(code=code, name=_text(entry, "description"),
                                    supported=support is True))
    return tuple(groups)


def _attributes_and_brand(info: Mapping[str, Any]) -> tuple[tuple[Attribute, ...], str | None]:
    attributes = []
    brand = None
    for attribute in info.get("attributes") or []:
        name, value = _text(attribute, "attributeName"), _text(attribute, "value")
        if name is None or value is None:
            continue
        attributes.append(Attribute(
            name=_localized(name, _text(attribute, "attributeNameTrans")),
            value=_localized(value, _text(attribute, "valueTrans")),
            name_id=_text(attribute, "attributeID"),
            value_id=_text(attribute, "valueID")))
        if brand is None and (name == "品牌"
                              or _int(attribute, "attributeID") == BRAND_ATTRIBUTE_ID):
            brand = value
    return tuple(attributes), brand


def _shipping(info: Mapping[str, Any]) -> Shipping | None:
    shipping_info = info.get("shippingInfo") or {}
    if not shipping_info:
        return None
    template = shipping_info.get("freightTemplateID")
    return Shipping(
        ships_from=_location(shipping_info.get("sendGoodsAddressText")),
        unit_weight_kg=_money(shipping_info, "unitWeight"),
        freight_template_id=str(template) if template is not None else None,
        handling_days=_int(shipping_info, "handlingTime"),
    )


def _seller_login(info: Mapping[str, Any]) -> str | None:
    return _text(info, "supplierLoginId") or _text(info, "sellerLoginId")


def seller_from_1688(info: Mapping[str, Any]) -> SellerRecord | None:
    """The supplier, known by its login id; ``None`` when the offer names none."""
    login = _seller_login(info)
    if login is None:
        return None
    ships_from = _location((info.get("shippingInfo") or {}).get("sendGoodsAddressText"))
    return SellerRecord(channel=CHANNEL, source_id=login, name=login, location=ships_from,
                        trade_score=_money(info, "qualityLevel"))


def core_from_1688(info: Mapping[str, Any], *, source_id: str, tiers: tuple[PriceTier, ...],
                   variants: Sequence[VariantRecord], media: Media) -> ProductCore:
    """Title, prices, trade terms (MOQ, unit, distribution), stock, category, status,
    dates, attributes, shipping, seller and customization."""
    sale = info.get("saleInfo") or {}
    prices = prices_from_1688(info, tiers, variants)
    stock = _int(sale, "amountOnSale")
    if stock is None and variants:
        stock = sum(v.stock or 0 for v in variants)
    attributes, brand = _attributes_and_brand(info)
    category_id = info.get("categoryID")
    seller_login = _seller_login(info)
    mix_wholesale = sale.get("mixWholeSale")
    online_trade = sale.get("supportOnlineTrade")
    reference = reference_price_range(info.get("referencePrice"))
    return ProductCore(
        # ``subjectTrans``: the cross-border detail's translated subject (docs/protocols.md
        # §2, ProductDetailModel), in the language the offer was asked in (English here).
        title=LocalizedText(original=str(info.get("subject") or ""),
                            translated=_text(info, "subjectTrans"),
                            language="en" if _text(info, "subjectTrans") else None),
        source_url=f"https://detail.1688.com/offer/{source_id}.html",
        price=prices.price,
        price_min=prices.low,
        price_max=prices.high,
        price_tiers=tiers,
        min_order_quantity=_int(sale, "minOrderQuantity"),
        distribution_price=_money(sale, "consignPrice"),
        distribution_min_quantity=_int(sale, "consignMinQuantity"),
        unit=_text(sale, "unit"),
        batch_number=_int(sale, "batchNumber"),
        sell_unit=_text(sale, "sellunit"),
        mix_wholesale=mix_wholesale if isinstance(mix_wholesale, bool) else None,
        online_trade_supported=online_trade if isinstance(online_trade, bool) else None,
        reference_price_min=reference[0] if reference else None,
        reference_price_max=reference[1] if reference else None,
        suggested_retail_price=_money(sale, "retailprice"),
        business_groups=business_groups_from_1688(info.get("bizGroupInfos")),
        outer_id=_text(info, "productCargoNumber"),
        total_stock=stock,
        sales_count=_int(info, "bookedCount"),
        category=Category(id=str(category_id), name=_text(info, "categoryName"))
        if category_id is not None else None,  # ProductInfo has no path to the root
        brand=brand,
        status=_product_status(info.get("status")),
        product_type=_product_type(info.get("productType")),
        listed_at=parse_1688_datetime(info.get("createTime"), "createTime"),
        updated_at=parse_1688_datetime(info.get("lastUpdateTime"), "lastUpdateTime")
        or parse_1688_datetime(info.get("modifyTime"), "modifyTime"),
        attributes=attributes,
        shipping=_shipping(info),
        seller_id=seller_login,
        seller_name=seller_login,
        customization=_customization(info.get("processing")),
        main_image=next((i.url for i in media.images if i.kind is ImageKind.MAIN), None),
    )


def product_from_1688(info: Mapping[str, Any], *, source_id: str) -> ProductRecord:
    """AOP ``productInfo`` (camelCase; parse with ``parse_float=Decimal``) → a full record.

    quoteType (§2.6): 0 = no SKUs, price by the quantity tiers; 1 = each SKU has its own
    price (product tiers may still exist); 2 = SKUs priced by the shared quantity tiers.
    """
    sale = info.get("saleInfo") or {}
    tiers = price_tiers_from_ranges(sale.get("priceRanges"))
    variant_set, variant_images = variants_from_1688(_sku_infos(info), _int(sale, "quoteType"),
                                                     tiers)
    media = media_from_1688(info, variant_images)
    variant_set = with_image_entries(variant_set, media)
    variants = variant_set.variants
    core = core_from_1688(info, source_id=source_id, tiers=tiers, variants=variants,
                          media=media)
    seller = seller_from_1688(info)
    description = _text(info, "description")
    empty = {Part.CATALOG, Part.COUPON}
    if not variants:
        empty.add(Part.VARIANTS)
    if seller is None:
        empty.add(Part.SELLER)
    if description is None:
        empty.add(Part.DESCRIPTION)
    return ProductRecord(
        channel=CHANNEL, source_id=source_id, core=core,
        variants=variant_set if variants else None, media=media,
        description=Description(html=description) if description else None,
        seller=seller, empty_parts=frozenset(empty),
    )


# --- the aggregator's spelling ---------------------------------------------------------

# Seed 004 spells ProductInfo in snake_case; these keys keep AOP's "ID" capitals.
_ID_KEYS = {"productId": "productID", "categoryId": "categoryID", "attributeId": "attributeID",
            "valueId": "valueID", "freightTemplateId": "freightTemplateID",
            "groupId": "groupID", "attValueId": "attValueID"}


def _camel(key: str) -> str:
    head, *rest = key.split("_")
    camel = head + "".join(word[:1].upper() + word[1:] for word in rest)
    return _ID_KEYS.get(camel, camel)


def normalize_aggregator_keys(value: Any) -> Any:
    """The aggregator's snake_case JSON → AOP camelCase, recursively (values untouched)."""
    if isinstance(value, Mapping):
        return {_camel(str(key)): normalize_aggregator_keys(item) for key, item in value.items()}
    if isinstance(value, list):
        return [normalize_aggregator_keys(item) for item in value]
    return value


def product_info_from_aggregator(data: Mapping[str, Any]) -> dict[str, Any]:
    """Seed 004 ``data`` → an AOP ``productInfo``; dates found beside it are folded in."""
    camel = normalize_aggregator_keys(data)
    info = dict(camel.get("productInfo") or {})
    # Seed 004 prints the dates and ``bizGroupInfos`` beside ``product_info``.
    for key in ("createTime", "lastUpdateTime", "expireTime", "approvedTime",
                "lastRepostTime", "modifyTime", "bizGroupInfos"):
        if key not in info and camel.get(key):
            info[key] = camel[key]
    return info

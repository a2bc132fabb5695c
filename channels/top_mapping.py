"""TOP JSON → the normalized model: pure functions, no I/O (the adapter is ``channels/top.py``).

An Item (``taobao.item.seller.get``, the batch methods, ``taobao.items.onsale.get``) becomes a
``ProductRecord`` carrying the parts asked for; a Tmall Product (``taobao.product.get.tmall``)
a ``CatalogProductRecord``. Property strings (``pid:vid:name:value;…``, docs/protocols.md
§1.8) are parsed here, and ``fields_for_parts`` names the Item fields each part reads.
Lists come in either shape, wrapped (``{"skus": {"sku": [...]}}``) or simplified (§1.5).
Scalars are read through ``channels/decoding.py``: a present but undecodable value raises
``UndecodableValue``, which the adapter turns into an error for that item.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from decimal import Decimal
from typing import Any

from channels.decoding import (
    SHANGHAI,
    SHANGHAI_TIME_FORMAT,
    UndecodableValue,
    integer_of,
    money_of,
    shanghai_time,
    text,
    text_of,
)
from channels.model import (
    Attribute,
    CatalogProductRecord,
    Category,
    Channel,
    Description,
    FreightPayer,
    Image,
    ImageKind,
    ListingPage,
    LocalizedText,
    Location,
    Media,
    Option,
    OptionValue,
    Part,
    PriceTrio,
    ProductCondition,
    ProductCore,
    ProductRecord,
    ProductStatus,
    SaleType,
    SelectedOption,
    SellerRecord,
    Shipping,
    VariantRecord,
    VariantSet,
    Video,
)
from channels.top_props import (
    PropValue,
    parse_name_values,
    parse_properties,
    parse_property_alias,
    parse_props_name,
)

JsonObject = dict[str, Any]


# --------------------------------------------------------------------------- lists

def top_list(value: Any, item_name: str) -> list[JsonObject]:
    """A TOP list in either shape: ``{"sku": [...]}`` (default) or ``[...]`` (simplify)."""
    if value is None or value == "":
        return []
    if isinstance(value, list):
        return [v for v in value if isinstance(v, dict)]
    if isinstance(value, dict):
        inner = value.get(item_name)
        if inner is None:
            # The Java SDK falls back to the list name minus its last char; any one list
            # member will do when the singular name differs from what we guessed.
            inner = next((v for v in value.values() if isinstance(v, list | dict)), None)
        if isinstance(inner, dict):
            return [inner]
        if isinstance(inner, list):
            return [v for v in inner if isinstance(v, dict)]
    return []


# --------------------------------------------------------------------------- items

def source_url(channel: Channel, num_iid: str) -> str:
    """The canonical page of an item."""
    if channel is Channel.TMALL:
        return f"https://detail.tmall.com/item.htm?id={num_iid}"
    return f"https://item.taobao.com/item.htm?id={num_iid}"


def location_from_top(value: Any) -> Location | None:
    """``location`` is ``{state, city}`` in TOP; some payloads give one string."""
    if isinstance(value, dict):
        state, city = _text(value, "state"), _text(value, "city")
        if state or city:
            return Location(province=state, city=city)
        return None
    raw = text(value, "location")
    if raw is None:
        return None
    pieces = [p.strip() for p in re.split(r"[,，]", raw) if p.strip()]
    if len(pieces) == 2:
        return Location(province=pieces[0], city=pieces[1], text=raw)
    return Location(text=raw)


def _prop_options(item: Mapping[str, Any]) -> dict[str, SelectedOption]:
    """``pid:vid`` → the option value it names, from the item's and its SKUs' names, the
    seller's aliases overriding value names (as ``options_and_variants_from_top``)."""
    aliases = parse_property_alias(_text(item, "property_alias"))
    named: dict[str, PropValue] = {}
    for sku in _skus(item):
        for p in parse_props_name(_text(sku, "properties_name")):
            named.setdefault(p.key, p)
    for p in parse_props_name(_text(item, "props_name")):
        named.setdefault(p.key, p)
    return {key: SelectedOption(name=p.name, value=aliases.get(key) or p.value)
            for key, p in named.items()}


def images_from_top(item: Mapping[str, Any]) -> tuple[Image, ...]:
    """``item_imgs`` by position (the main image has id 0 / position 0), then ``prop_imgs``
    as VARIANT images tied to the option value of their ``properties``; ``pic_url`` stands
    in when there is no ``item_imgs``. Each URL once (a property image already in the
    gallery is that gallery entry, with its option), positions from 0 over all of them."""
    item_imgs = sorted(
        (img for img in top_list(item.get("item_imgs"), "item_img") if _text(img, "url")),
        key=lambda img: (_int(img, "position") or 0, _int(img, "id") or 0),
    )
    urls = [str(_text(img, "url")) for img in item_imgs]
    main_index = next(
        (i for i, img in enumerate(item_imgs)
         if _int(img, "id") == 0 or _int(img, "position") == 0), 0)
    if main_index:
        urls.insert(0, urls.pop(main_index))
    pic_url = _text(item, "pic_url")
    if not urls and pic_url:
        urls = [pic_url]
    images: list[Image] = []
    index: dict[str, int] = {}
    for url in urls:
        if url not in index:
            index[url] = len(images)
            images.append(Image(url=url, position=len(images),
                                kind=ImageKind.MAIN if not images else ImageKind.GALLERY))
    prop_imgs = sorted(top_list(item.get("prop_imgs"), "prop_img"),
                       key=lambda img: _int(img, "position") or 0)
    options = _prop_options(item) if prop_imgs else {}
    for img in prop_imgs:
        prop_url = _text(img, "url")
        if prop_url is None:
            continue
        option = options.get(_text(img, "properties") or "")
        if prop_url in index:
            known = images[index[prop_url]]
            if known.option is None and option is not None:
                images[index[prop_url]] = replace(known, option=option)
            continue
        index[prop_url] = len(images)
        images.append(Image(url=prop_url, kind=ImageKind.VARIANT, position=len(images),
                            option=option))
    return tuple(images)


def videos_from_top(item: Mapping[str, Any]) -> tuple[Video, ...]:
    return tuple(Video(url=str(v["url"])) for v in top_list(item.get("videos"), "video")
                 if _text(v, "url"))


def _skus(item: Mapping[str, Any]) -> list[JsonObject]:
    # ``sku_list`` is the name seed 000's payload uses for ``skus``.
    return top_list(item.get("skus") if "skus" in item else item.get("sku_list"), "sku")


def options_and_variants_from_top(item: Mapping[str, Any]) -> VariantSet | None:
    """Options (sale props, in first-seen order, with swatches) and one variant per SKU.

    Names come from the SKU's ``properties_name``, else the item's ``props_name``; the
    seller's ``property_alias`` overrides a value's name; ``prop_imgs`` give swatches and
    the image of every SKU carrying that value. ``None`` when the item has no SKUs.
    """
    skus = _skus(item)
    if not skus:
        return None
    aliases = parse_property_alias(_text(item, "property_alias"))
    item_props = parse_props_name(_text(item, "props_name"))
    names: dict[str, PropValue] = {p.key: p for p in item_props}
    prop_names: dict[str, str] = {p.pid: p.name for p in names.values()}
    swatches = {str(img.get("properties")): str(img["url"])
                for img in top_list(item.get("prop_imgs"), "prop_img")
                if img.get("properties") and _text(img, "url")}
    # The variant's image is the same entry as in MEDIA (VARIANTS asks for the images too).
    entries = {image.url: image for image in images_from_top(item)} if swatches else {}

    option_values: dict[str, dict[str, OptionValue]] = {}   # pid → vid key → value
    option_names: dict[str, str] = {}
    variants: list[VariantRecord] = []
    for sku in skus:
        own = parse_props_name(_text(sku, "properties_name"))
        pairs = _sku_pairs(sku, own)
        own_names = {p.key: p for p in own}
        selected: list[SelectedOption] = []
        image: str | None = None
        for pid, vid in pairs:
            key = f"{pid}:{vid}"
            known = own_names.get(key) or names.get(key)
            option_name = option_names.setdefault(
                pid, known.name if known else prop_names.get(pid, pid))
            value_name = aliases.get(key) or (known.value if known else vid)
            values = option_values.setdefault(pid, {})
            if key not in values:
                values[key] = OptionValue(name=value_name, swatch_image=swatches.get(key))
            selected.append(SelectedOption(name=option_name, value=value_name))
            image = image or swatches.get(key)
        if not pairs:
            selected = _unstructured_options(_text(sku, "properties_name"))
        price = _money(sku, "price")
        shown = price if price is not None else Decimal("0")
        variants.append(VariantRecord(
            sku_id=str(sku.get("sku_id", "")),
            selected_options=tuple(selected),
            # A SKU has one price, its catalogue price; TOP gives no SKU promotion price.
            price=PriceTrio(display=shown, original=shown),
            stock=_int(sku, "quantity"),
            image=image,
            image_entry=entries.get(image) if image else None,
            outer_id=_text(sku, "outer_id"),
            barcode=_text(sku, "barcode"),
        ))
    options = tuple(Option(name=option_names[pid], values=tuple(values.values()))
                    for pid, values in option_values.items())
    if not options:
        options = _options_of(variants)
    return VariantSet(options=options, variants=tuple(variants))


def _unstructured_options(text: str | None) -> list[SelectedOption]:
    """A ``properties_name`` without ``pid:vid`` (``"White / L"``): one option per part."""
    parts = [p.strip() for p in (text or "").split("/") if p.strip()]
    return [SelectedOption(name=f"Option {i}", value=p) for i, p in enumerate(parts, 1)]


def _options_of(variants: Sequence[VariantRecord]) -> tuple[Option, ...]:
    order: dict[str, dict[str, OptionValue]] = {}
    for variant in variants:
        for sel in variant.selected_options:
            order.setdefault(sel.name, {}).setdefault(sel.value, OptionValue(name=sel.value))
    return tuple(Option(name=n, values=tuple(v.values())) for n, v in order.items())


def _sku_pairs(sku: Mapping[str, Any], named: list[PropValue]) -> list[tuple[str, str]]:
    """A SKU's ``(pid, vid)`` pairs: from ``properties_name`` when it parses (it carries the
    names too; seed 002's sample has a ``properties`` that does not match it), else from
    ``properties``."""
    if named:
        return [(p.pid, p.vid) for p in named]
    return parse_properties(_text(sku, "properties"))


def _sale_pids(item: Mapping[str, Any]) -> set[str]:
    pids: set[str] = set()
    for sku in _skus(item):
        named = parse_props_name(_text(sku, "properties_name"))
        pids |= {pid for pid, _ in _sku_pairs(sku, named)}
    return pids


#: The brand property (``品牌``) has the same pid in every category.
BRAND_PID = "20000"


def attributes_from_top(item: Mapping[str, Any]) -> tuple[Attribute, ...]:
    """The item's non-sale properties from ``props_name``, for display only."""
    sale = _sale_pids(item)
    return tuple(
        Attribute(name=LocalizedText(p.name), value=LocalizedText(p.value),
                  name_id=p.pid, value_id=p.vid)
        for p in parse_props_name(_text(item, "props_name")) if p.pid not in sale)


def _brand(item: Mapping[str, Any]) -> str | None:
    for p in parse_props_name(_text(item, "props_name")):
        if p.pid == BRAND_PID or p.name.lower() in ("品牌", "brand"):
            return p.value
    return None


_STATUS = {"onsale": ProductStatus.ON_SALE, "instock": ProductStatus.IN_STOCK_ROOM}
#: Item ``type``: "fixed:一口价;auction:拍卖" (seed 002).
_SALE_TYPE = {"fixed": SaleType.FIXED_PRICE, "auction": SaleType.AUCTION}
_FREIGHT_PAYER = {"seller": FreightPayer.SELLER, "buyer": FreightPayer.BUYER}
_CONDITION = {"new": ProductCondition.NEW, "unused": ProductCondition.UNUSED,
              "second": ProductCondition.SECOND_HAND}


def category_from_top(item: Mapping[str, Any]) -> Category | None:
    cid = item.get("cid")
    if cid in (None, ""):
        return None
    name = _text(item, "category_name") or _text(item, "cat_name")
    path = tuple(p.strip() for p in name.split(">")) if name and ">" in name else None
    return Category(id=str(cid), name=path[-1] if path else name, path=path)


def core_from_top(item: Mapping[str, Any], channel: Channel) -> ProductCore:
    num_iid = str(item.get("num_iid", ""))
    price = _money(item, "price")
    variant_prices = [p for p in (_money(s, "price") for s in _skus(item)) if p is not None]
    prices = variant_prices or ([price] if price is not None else [])
    location = location_from_top(item.get("location"))
    fees = {name: _money(item, name) for name in ("post_fee", "express_fee", "ems_fee")}
    postage_id = _text(item, "postage_id")
    freight_payer = _FREIGHT_PAYER.get(str(item.get("freight_payer") or "").lower())
    shipping = None
    if location or postage_id or freight_payer or any(v is not None for v in fees.values()):
        shipping = Shipping(ships_from=location, domestic_fee=fees["post_fee"],
                            express_fee=fees["express_fee"], ems_fee=fees["ems_fee"],
                            freight_template_id=postage_id, freight_payer=freight_payer)
    nick = _text(item, "nick")
    seller_id = _text(item, "seller_id") or _text(item, "user_id") or nick
    sales_key = "sold_quantity" if "sold_quantity" in item else "sales"
    display = price if price is not None else (min(prices) if prices else Decimal("0"))
    # ``price`` is the item's price and ``promotion_price`` its discount price (seed 000);
    # a "promotion" at or above the price is no promotion.
    promotion = _money(item, "promotion_price")
    if promotion is not None and promotion >= display:
        promotion = None
    return ProductCore(
        title=LocalizedText(original=str(item.get("title") or "")),
        source_url=_text(item, "detail_url") or source_url(channel, num_iid),
        price=PriceTrio(display=display, original=display, promotion=promotion),
        price_min=min(prices) if prices else None,
        price_max=max(prices) if prices else None,
        total_stock=_int(item, "num"),
        sales_count=_int(item, sales_key),
        category=category_from_top(item),
        brand=_brand(item),
        condition=_CONDITION.get(str(item.get("stuff_status") or "")),
        status=_STATUS.get(str(item.get("approve_status") or "")),
        listed_at=_time(item, "list_time"),
        updated_at=_time(item, "modified") or _time(item, "modified_time"),
        attributes=attributes_from_top(item),
        shipping=shipping,
        seller_id=seller_id,
        seller_name=nick,
        catalog_product_id=_text(item, "product_id"),
        main_image=_text(item, "pic_url"),
        outer_id=_text(item, "outer_id"),
        sale_type=_SALE_TYPE.get(str(item.get("type") or "").lower()),
        delisting_at=_time(item, "delist_time"),
        has_invoice=_flag(item, "has_invoice"),
        has_warranty=_flag(item, "has_warranty"),
        sell_point=_text(item, "sell_point"),
    )


def seller_from_top(item: Mapping[str, Any], channel: Channel) -> SellerRecord | None:
    """The shop; TOP's Item carries only the seller's nick, which then is its id."""
    nick = _text(item, "nick")
    if nick is None:
        return None
    source = _text(item, "seller_id") or _text(item, "user_id") or nick
    return SellerRecord(channel=channel, source_id=source, name=nick,
                        location=location_from_top(item.get("location")))


def item_from_top(
    item: Mapping[str, Any], channel: Channel, parts: frozenset[Part],
    *, request_id: str | None = None,
) -> ProductRecord:
    """One TOP Item as a record carrying exactly ``parts`` (empty ones in ``empty_parts``).

    CATALOG is not in an Item: the adapter fetches it (``taobao.product.get.tmall``).
    """
    record = ProductRecord(channel=channel, source_id=str(item.get("num_iid", "")),
                           request_id=request_id)
    values: dict[str, Any] = {}
    empty: set[Part] = set()
    if Part.CORE in parts:
        values["core"] = core_from_top(item, channel)
    if Part.VARIANTS in parts:
        values["variants"] = options_and_variants_from_top(item)
    if Part.MEDIA in parts:
        images, videos = images_from_top(item), videos_from_top(item)
        values["media"] = Media(images=images, videos=videos) if images or videos else None
    if Part.DESCRIPTION in parts:
        html = _text(item, "desc")
        values["description"] = Description(html=html) if html else None
    if Part.SELLER in parts:
        values["seller"] = seller_from_top(item, channel)
    if Part.COUPON in parts:
        values["coupon"] = None
    for name, value in values.items():
        if value is None:
            empty.add(Part(name))
    filled = {name: value for name, value in values.items() if value is not None}
    return replace(record, **filled, empty_parts=frozenset(empty))


def catalog_product_from_top(product: Mapping[str, Any]) -> CatalogProductRecord:
    """A Tmall catalog product (seed 001, ``taobao.product.get.tmall``)."""
    def attributes(field: str) -> tuple[Attribute, ...]:
        return tuple(Attribute(name=LocalizedText(n), value=LocalizedText(v))
                     for n, v in parse_name_values(_text(product, field)))

    cid = product.get("cid")
    urls: list[str] = []
    pic_url = _text(product, "pic_url")
    if pic_url:
        urls.append(pic_url)
    gallery = sorted(top_list(product.get("product_imgs"), "product_img"),
                     key=lambda img: _int(img, "position") or 0)
    # ``product_imgs`` often repeats the main image (``pic_url``): each URL once.
    urls += [u for u in (_text(g, "url") for g in gallery) if u]
    images: list[Image] = []
    for url in dict.fromkeys(urls):
        images.append(Image(url=url, position=len(images),
                            kind=ImageKind.MAIN if pic_url and not images
                            else ImageKind.GALLERY))
    by_url = {image.url: image for image in images}
    prop_imgs = sorted(top_list(product.get("product_prop_imgs"), "product_prop_img"),
                       key=lambda img: _int(img, "position") or 0)
    options = _catalog_sale_options(product)
    property_images: list[Image] = []
    next_position = len(images)
    for img in prop_imgs:
        prop_url = _text(img, "url")
        if prop_url is None or any(p.url == prop_url for p in property_images):
            continue
        option = options.get(_text(img, "props") or "")
        known = by_url.get(prop_url)
        if known is not None:   # the same image keeps its one position
            property_images.append(replace(known, option=option))
        else:
            property_images.append(Image(url=prop_url, kind=ImageKind.VARIANT,
                                         position=next_position, option=option))
            next_position += 1
    return CatalogProductRecord(
        product_id=str(product.get("product_id", "")),
        name=str(product.get("name") or ""),
        category=Category(id=str(cid), name=_text(product, "cat_name"))
        if cid not in (None, "") else None,
        key_properties=attributes("props_str"),
        binding_properties=attributes("binds_str"),
        sale_properties=attributes("sale_props_str"),
        market_price=_money(product, "price"),
        images=tuple(images),
        property_images=tuple(property_images),
        status=_text(product, "status"),
        sell_point=_text(product, "sell_pt"),
        outer_id=_text(product, "outer_id"),
        description=_text(product, "desc"),
        created_at=_time(product, "created"),
        updated_at=_time(product, "modified"),
    )


def _catalog_sale_options(product: Mapping[str, Any]) -> dict[str, SelectedOption]:
    """``pid:vid`` → option of a Product's sale properties: ``sale_props`` and
    ``sale_props_str`` list the same properties in the same order (seed 001);
    ``property_alias`` renames a value. Where the two lists disagree in length, only
    aliases name values."""
    keys = [f"{p}:{v}" for p, v in parse_properties(_text(product, "sale_props"))]
    names = parse_name_values(_text(product, "sale_props_str"))
    aliases = parse_property_alias(_text(product, "property_alias"))
    out: dict[str, SelectedOption] = {}
    if len(keys) == len(names):
        for key, (name, value) in zip(keys, names, strict=True):
            out[key] = SelectedOption(name=name, value=aliases.get(key) or value)
    for key, alias in aliases.items():
        if key not in out and key.startswith(f"{COLOR_PID}:"):
            out[key] = SelectedOption(name="颜色", value=alias)
    return out


#: The colour property (颜色分类): "目前只有颜色属性" for product_prop_imgs (seed 001).
COLOR_PID = "1627207"


def _flag(obj: Mapping[str, Any], key: str) -> bool | None:
    """A TOP boolean (JSON ``true``/``false``; ``"true"`` in some payloads)."""
    value = obj.get(key)
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    raise UndecodableValue(key, value, "a boolean")


# Members of an upstream object, decoded by the one policy (channels/decoding.py).
_money, _int, _text = money_of, integer_of, text_of


def _time(obj: Mapping[str, Any], key: str) -> datetime | None:
    return shanghai_time(obj.get(key), key)



# --------------------------------------------------------------------------- categories

#: ``taobao.itemcats.get`` fields (apiId 122; also its default).
ITEMCAT_FIELDS = ("cid", "parent_cid", "name", "is_parent")


def item_cats_from_top(body: Mapping[str, Any]) -> list[Category]:
    """``item_cats_get_response.item_cats.item_cat[]`` (or the simplified list) →
    categories with their parent (``"0"`` for a root) and whether they are leaves."""
    out = []
    for cat in top_list(body.get("item_cats"), "item_cat"):
        cid = _text(cat, "cid")
        if cid is None:
            continue
        is_parent = _flag(cat, "is_parent")
        out.append(Category(id=cid, name=_text(cat, "name"),
                            parent_id=_text(cat, "parent_cid") or "0",
                            is_leaf=None if is_parent is None else not is_parent))
    return out


# --------------------------------------------------------------------------- listings

#: The Item fields ``taobao.items.onsale.get`` returns that the model uses (its own
#: allow-list, apiId 18).
ONSALE_FIELDS = (
    "num_iid", "title", "nick", "cid", "num", "price", "approve_status", "list_time",
    "modified", "sold_quantity", "outer_id", "postage_id", "pic_url",
)


def onsale_page_from_top(body: Mapping[str, Any], channel: Channel, *, page_no: int,
                         page_size: int, request_id: str | None = None) -> ListingPage:
    """``items_onsale_get_response``: page ``page_no``, each Item as a CORE + SELLER summary.

    The listing has no SKUs, so the price range is the item price alone until VARIANTS
    load; ``outer_id`` is the seller's own item code.
    """
    items = []
    for item in top_list(body.get("items"), "item"):
        record = item_from_top(item, channel, frozenset({Part.CORE, Part.SELLER}),
                               request_id=request_id)
        if record.core is not None:
            record = replace(record, core=replace(record.core, price_min=None, price_max=None,
                                                  outer_id=_text(item, "outer_id")))
        items.append(record)
    return ListingPage(items=tuple(items), total=_int(body, "total_results") or 0,
                       page=page_no, page_size=page_size)


def top_time(value: datetime) -> str:
    """An aware datetime as TOP's ``yyyy-MM-dd HH:mm:ss`` in Asia/Shanghai."""
    if value.tzinfo is None:
        raise ValueError("TOP times need a time zone")
    return value.astimezone(SHANGHAI).strftime(SHANGHAI_TIME_FORMAT)


# --------------------------------------------------------------------------- fields

_CORE_FIELDS = (
    "num_iid", "title", "price", "promotion_price", "num", "sold_quantity", "cid",
    "props_name", "property_alias", "approve_status", "stuff_status", "list_time",
    "modified", "detail_url", "location", "nick", "post_fee", "express_fee", "ems_fee",
    "postage_id", "product_id", "pic_url", "outer_id", "type", "delist_time",
    "freight_payer", "has_invoice", "has_warranty", "sell_point",
)
_PART_FIELDS: dict[Part, tuple[str, ...]] = {
    Part.CORE: _CORE_FIELDS,
    # ``sku`` not ``skus``: "返回所有sku信息的字段名称是sku而不是skus" (apiId 24626).
    # The images too: a variant's image is the MEDIA entry with its position.
    Part.VARIANTS: ("sku", "props_name", "property_alias", "prop_img", "item_img", "pic_url"),
    Part.MEDIA: ("item_img", "prop_img", "video", "pic_url"),
    Part.DESCRIPTION: ("desc",),
    Part.SELLER: ("nick", "location"),
    Part.CATALOG: ("product_id",),
    Part.COUPON: (),     # the seller API has no coupon: answered empty
}

CATALOG_FIELDS = (
    "product_id", "outer_id", "cid", "cat_name", "props", "props_str", "name", "binds",
    "binds_str", "sale_props", "sale_props_str", "price", "desc", "pic_url", "created",
    "modified", "status", "property_alias", "sell_pt", "product_imgs", "product_prop_imgs",
)


def fields_for_parts(parts: frozenset[Part]) -> list[str]:
    """The TOP ``fields`` for ``parts``: a CORE-only query never asks for SKUs, images or
    the description. ``num_iid`` is always there (results are matched on it)."""
    fields: dict[str, None] = {"num_iid": None}
    for part in Part:
        if part in parts:
            fields.update(dict.fromkeys(_PART_FIELDS[part]))
    return list(fields)

"""Issue 13's mapping rules against recorded upstream payloads (tests/fixtures/README.md):
one price meaning, 1688's reference range and suggested retail price under their own
names, images once with continuous positions tied to their option values, category
records, and the upstream fields the schema now exposes."""

from __future__ import annotations

import json
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from channels.alibaba import parse_json
from channels.alibaba_mapping import (
    product_from_1688,
    product_info_from_aggregator,
    reference_price_range,
)
from channels.decoding import SHANGHAI, UndecodableValue
from channels.model import (
    BusinessGroup,
    Channel,
    FreightPayer,
    ImageKind,
    Part,
    ProductRecord,
    SaleType,
    SelectedOption,
)
from channels.top import parse_top_response
from channels.top_mapping import (
    catalog_product_from_top,
    fields_for_parts,
    item_cats_from_top,
    item_from_top,
)

FIXTURES = Path(__file__).parents[1] / "fixtures"
ITEM_PARTS = frozenset(Part) - {Part.CATALOG}


def top(name: str, method: str, *, simplify: bool = False) -> dict[str, Any]:
    payload = json.loads((FIXTURES / "taobao" / name).read_text(), parse_float=Decimal)
    return parse_top_response(payload, method, channel=Channel.TAOBAO, simplify=simplify)[0]


def aop(name: str) -> ProductRecord:
    body = parse_json((FIXTURES / "1688" / name).read_bytes())
    info = body["productInfo"]
    return product_from_1688(info, source_id=str(info["productID"]))


def seed_002() -> ProductRecord:
    body = top("top_items_inside_list_get.json", "taobao.items.inside.list.get")
    return item_from_top(body["items"]["item"][0], Channel.TAOBAO, ITEM_PARTS)


def item_seller_get() -> ProductRecord:
    item = top("top_item_seller_get.json", "taobao.item.seller.get")["item"]
    return item_from_top(item, Channel.TAOBAO, ITEM_PARTS)


# --- prices ------------------------------------------------------------------------------

def test_1688_quote_type_1_has_no_discount_without_a_promotion() -> None:
    record = aop("aop_alibaba_product_get.offer_fields.json")
    assert record.core is not None and record.variants is not None
    price = record.core.price
    assert price.display == Decimal("39.0")
    assert price.original == price.display and price.promotion is None
    variant = record.variants.variants[0]
    assert variant.price.original == variant.price.display == Decimal("39.0")
    # retailPrice / retailprice are suggested retail prices (seed 004: 建议零售价).
    assert variant.suggested_retail_price == Decimal("64.0")
    assert record.core.suggested_retail_price == Decimal("64.0")


def test_1688_reference_price_is_a_range_not_a_list_price() -> None:
    core = aop("aop_alibaba_product_get.offer_fields.json").core
    assert core is not None
    assert (core.reference_price_min, core.reference_price_max) == (Decimal("37.00"),
                                                                    Decimal("39.00"))
    assert core.price.original == core.price.display


def test_1688_reference_price_on_request_is_null_and_the_offer_still_maps() -> None:
    core = aop("aop_alibaba_product_get.price_on_request.json").core
    assert core is not None
    assert core.reference_price_min is None and core.reference_price_max is None
    assert core.price.display == Decimal("39.0")


@pytest.mark.parametrize(("raw", "expected"), [
    ("21.00~23.00", (Decimal("21.00"), Decimal("23.00"))),
    ("23.00", (Decimal("23.00"), Decimal("23.00"))),
    ("23.00-21.00", (Decimal("21.00"), Decimal("23.00"))),
    ("¥21.00 - ¥23.00", (Decimal("21.00"), Decimal("23.00"))),
    ("面议", None), ("", None), (None, None), (Decimal("12.5"), (Decimal("12.5"),) * 2),
])
def test_reference_price_forms(raw: object, expected: object) -> None:
    assert reference_price_range(raw) == expected


def test_reference_price_with_digits_that_is_no_price_is_undecodable() -> None:
    with pytest.raises(UndecodableValue, match="referencePrice"):
        reference_price_range("21.00~23.00~25.00")


def test_seed_003_promotion_is_a_real_discount() -> None:
    record = aop("sandbox_product_get.quote_type_1.seed003.json")  # seed 003's prices
    assert record.core is not None
    assert (record.core.price.display, record.core.price.promotion) == (Decimal("29.9"),
                                                                        Decimal("24.9"))
    assert record.core.price.original == Decimal("29.9")


def test_top_promotion_price_and_sku_prices() -> None:
    record = seed_002()
    assert record.core is not None and record.variants is not None
    assert record.core.price.original == record.core.price.display == Decimal("5.00")
    sku = record.variants.variants[0]
    assert sku.price.original == sku.price.display == Decimal("200.07")
    body = top("top_items_inside_list_get.json", "taobao.items.inside.list.get")
    item = {**body["items"]["item"][0], "promotion_price": "5.00"}
    core = item_from_top(item, Channel.TAOBAO, frozenset({Part.CORE})).core
    assert core is not None and core.price.promotion is None  # not below the price
    item["promotion_price"] = "3.50"
    core = item_from_top(item, Channel.TAOBAO, frozenset({Part.CORE})).core
    assert core is not None and core.price.promotion == Decimal("3.50")


# --- images ------------------------------------------------------------------------------

def test_top_images_run_on_and_prop_images_carry_their_colour() -> None:
    record = item_seller_get()
    assert record.media is not None and record.variants is not None
    images = record.media.images
    assert [(i.kind, i.position) for i in images] == [
        (ImageKind.MAIN, 0), (ImageKind.GALLERY, 1), (ImageKind.VARIANT, 2),
        (ImageKind.VARIANT, 3)]
    assert images[2].option == SelectedOption(name="颜色", value="白色")
    assert images[3].option == SelectedOption(name="颜色", value="黑色")
    by_url = {i.url: i for i in images}
    for variant in record.variants.variants:
        if variant.image:
            assert variant.image_entry == by_url[variant.image]


def test_top_image_in_gallery_and_prop_imgs_is_listed_once() -> None:
    # Seed 002: the same URL is pic_url, the one item_img (position 1) and the prop_img.
    record = seed_002()
    assert record.media is not None
    assert len(record.media.images) == 1
    image = record.media.images[0]
    assert (image.kind, image.position) == (ImageKind.MAIN, 0)


def test_top_variants_part_asks_for_the_images_it_points_into() -> None:
    fields = fields_for_parts(frozenset({Part.VARIANTS}))
    assert {"sku", "prop_img", "item_img", "pic_url"} <= set(fields)


def test_tmall_catalog_product_lists_its_main_image_once() -> None:
    product = top("top_product_get_tmall.json", "taobao.product.get.tmall")["product"]
    record = catalog_product_from_top(product)
    assert [(i.url, i.kind, i.position) for i in record.images] == [
        ("http://host/image_path", ImageKind.MAIN, 0)]
    red, green = record.property_images
    # The red image is the main image: it keeps position 0; names from sale_props_str.
    assert (red.url, red.position, red.option) == (
        "http://host/image_path", 0, SelectedOption(name="颜色", value="红色"))
    # property_alias renames 1627207:3232483 (深绿色 → 深深绿色).
    assert (green.position, green.option) == (1, SelectedOption(name="颜色", value="深深绿色"))
    assert record.description == "这是一款产品"
    assert record.created_at == datetime(2000, 1, 1, tzinfo=SHANGHAI)
    assert record.updated_at == datetime(2000, 1, 1, tzinfo=SHANGHAI)


def test_1688_images_once_and_variant_images_are_media_entries() -> None:
    record = aop("aop_alibaba_product_get.offer_fields.json")
    assert record.media is not None and record.variants is not None
    images = record.media.images
    assert [i.position for i in images] == list(range(len(images)))
    assert len({i.url for i in images}) == len(images)
    variant_images = [i for i in images if i.kind is ImageKind.VARIANT]
    assert variant_images and variant_images[0].option == SelectedOption(name="颜色",
                                                                          value="白色")
    by_url = {i.url: i for i in images}
    for variant in record.variants.variants:
        if variant.image:
            assert variant.image_entry == by_url[variant.image]


# --- categories --------------------------------------------------------------------------

def test_item_cats_map_to_categories_with_parents() -> None:
    body = top("top_itemcats_get.json", "taobao.itemcats.get")
    cats = item_cats_from_top(body)
    assert cats[0].id == "50000436" and cats[0].name == "T恤"
    assert cats[0].parent_id == "16" and cats[0].is_leaf is True
    simplified = top("top_itemcats_get.simplify.json", "taobao.itemcats.get", simplify=True)
    assert item_cats_from_top(simplified) == cats


def test_top_items_carry_only_the_category_id() -> None:
    core = seed_002().core
    assert core is not None and core.category is not None
    assert (core.category.id, core.category.name, core.category.path) == ("132443", None,
                                                                          None)


def test_1688_category_carries_its_name() -> None:
    core = aop("aop_alibaba_product_get.json").core
    assert core is not None and core.category is not None
    assert (core.category.id, core.category.name) == ("1048182", "连衣裙")


# --- the fields users need ---------------------------------------------------------------

def test_top_item_fields() -> None:
    record = seed_002()
    core = record.core
    assert core is not None and record.variants is not None
    assert core.sale_type is SaleType.FIXED_PRICE
    assert core.delisting_at == datetime(2000, 1, 1, tzinfo=SHANGHAI)
    assert core.sell_point == "2013新款 时尚 前卫"
    assert core.outer_id == "34143554352"
    assert record.variants.variants[0].outer_id == "12345"
    launched = next(a for a in core.attributes if a.name.original == "上市时间")
    assert (launched.name_id, launched.value_id) == ("30606", "112030")


def test_top_flags_and_freight_payer() -> None:
    body = top("top_items_inside_list_get.json", "taobao.items.inside.list.get")
    item = {**body["items"]["item"][0], "has_invoice": True, "has_warranty": False,
            "freight_payer": "buyer", "type": "auction"}
    core = item_from_top(item, Channel.TAOBAO, frozenset({Part.CORE})).core
    assert core is not None and core.shipping is not None
    assert (core.has_invoice, core.has_warranty) == (True, False)
    assert core.shipping.freight_payer is FreightPayer.BUYER
    assert core.sale_type is SaleType.AUCTION
    fields = fields_for_parts(frozenset({Part.CORE}))
    assert {"type", "delist_time", "freight_payer", "has_invoice", "has_warranty",
            "sell_point", "outer_id"} <= set(fields)


def test_1688_offer_fields() -> None:
    record = aop("aop_alibaba_product_get.offer_fields.json")
    core = record.core
    assert core is not None and core.shipping is not None and record.variants is not None
    assert core.business_groups == (
        BusinessGroup("isConsignMarketOffer", "1688代销产品", True),
        BusinessGroup("isMicroSupply", "微供商品", False),
        BusinessGroup("hasLinkedToSupplier", "代发业务产品", True))
    assert (core.sell_unit, core.batch_number) == ("手", 12)
    assert core.online_trade_supported is True
    assert core.shipping.handling_days == 3
    assert core.outer_id == "3089C601232"
    assert record.variants.variants[0].sku_code == "3935963888523"
    brand = next(a for a in core.attributes if a.name.original == "品牌")
    assert (brand.name_id, brand.value_id) == ("2176", "3227468")


def test_seed_004_aggregator_fields_beside_product_info() -> None:
    data = parse_json((FIXTURES / "1688" / "aggregator_584240750353.json").read_bytes())["data"]
    record = product_from_1688(product_info_from_aggregator(data), source_id="584240750353")
    core = record.core
    assert core is not None and record.variants is not None
    assert core.business_groups is not None
    assert [g.code for g in core.business_groups] == [
        "is_retail_offer", "is_micro_supply", "is_emall_offer", "is_consign_market_offer",
        "has_linked_to_supplier"]
    assert not any(g.supported for g in core.business_groups)
    assert core.outer_id == "透明盖保温杯"
    assert core.online_trade_supported is True
    assert record.variants.variants[0].sku_code == "3941927601960"
    assert core.price.original == core.price.display == Decimal("23")

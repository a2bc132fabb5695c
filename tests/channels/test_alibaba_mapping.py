"""product_from_1688 against recorded answers: seed 004 (aggregator), the AOP fixture and
sandbox answers for quoteType 0, 1 and 2."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from channels.alibaba import parse_json
from channels.alibaba_mapping import (
    normalize_aggregator_keys,
    parse_1688_datetime,
    product_from_1688,
    product_info_from_aggregator,
)
from channels.decoding import UndecodableValue
from channels.model import (
    ImageKind,
    Part,
    PriceTier,
    ProductRecord,
    ProductStatus,
    ProductType,
    VideoKind,
)
from channels.pricing import price_for_quantity

FIXTURES = Path(__file__).parents[1] / "fixtures" / "1688"


def load(name: str) -> Any:
    return parse_json((FIXTURES / name).read_bytes())


def aop(name: str, source_id: str) -> ProductRecord:
    return product_from_1688(load(name)["productInfo"], source_id=source_id)


@pytest.fixture
def seed004() -> ProductRecord:
    data = load("aggregator_584240750353.json")["data"]
    return product_from_1688(product_info_from_aggregator(data), source_id="584240750353")


def test_seed_004_tiers_moq_and_prices(seed004: ProductRecord) -> None:
    core = seed004.core
    assert core is not None
    assert core.price_tiers == (PriceTier(3, Decimal(23)), PriceTier(50, Decimal(22)),
                                PriceTier(500, Decimal(21)))
    assert core.min_order_quantity == 3
    assert core.price.display == Decimal(23)          # what an order of the MOQ pays
    assert (core.price_min, core.price_max) == (Decimal(21), Decimal(23))
    assert core.distribution_price == Decimal(23)
    assert core.total_stock == 4047
    assert core.mix_wholesale is False
    assert core.source_url == "https://detail.1688.com/offer/584240750353.html"
    assert core.title.original.startswith("susui素水品牌304真空镀铜500ml")
    assert core.brand == "忆江南"
    assert core.status is ProductStatus.ON_SALE and core.product_type is ProductType.WHOLESALE
    assert core.category is not None and core.category.id == "1043766"
    assert core.listed_at == datetime.fromisoformat("2018-12-16T14:12:53+08:00")
    assert core.shipping is not None and core.shipping.freight_template_id == "0"


def test_seed_004_variant_orders_by_spec_id(seed004: ProductRecord) -> None:
    assert seed004.variants is not None
    (variant,) = seed004.variants.variants
    assert variant.sku_id == "8ee78ffbdcb30c53861739e60be04325"
    assert variant.upstream_sku_id == "3941927601960"
    assert variant.stock == 1000
    assert variant.distribution_price == Decimal(23)
    # quoteType 2: the SKU is priced by the offer's shared tiers.
    assert variant.price.display == Decimal(23)
    assert seed004.core is not None and variant.price_tiers == seed004.core.price_tiers
    assert [(o.name, o.value) for o in variant.selected_options] == [
        ("颜色", "清新蓝"), ("容量", "500ml")]
    swatch = "https://cbu01.alicdn.com/img/ibank/2015/131/099/20369901311984794539.jpg"
    assert variant.image == swatch
    assert seed004.variants.options[0].values[0].swatch_image == swatch
    assert price_for_quantity(variant.price_tiers, 3, 50) == Decimal(22)


def test_seed_004_processing_becomes_customization(seed004: ProductRecord) -> None:
    assert seed004.core is not None
    custom = seed004.core.customization
    assert custom is not None
    assert custom.sample_price == Decimal("100.0") and custom.sample_days == 100
    by_value = {option.value: option for option in custom.options}
    assert by_value["来样加工"].reference_price_min == Decimal("1000.0")
    assert by_value["来样加工"].reference_price_max == Decimal("10000.0")
    assert by_value["来样加工"].min_quantity == 1000
    assert by_value["贴牌加工"].reference_price_min == Decimal("100.0")
    assert by_value["10双"].name == "生产产能"


def test_seed_004_images_are_absolute(seed004: ProductRecord) -> None:
    assert seed004.media is not None
    images = seed004.media.images
    assert len(images) == 7
    assert images[0].kind is ImageKind.MAIN
    assert all(i.url.startswith("https://cbu01.alicdn.com/img/ibank/2015/") for i in images)
    # No shop in the answer; no catalog product and no coupon on 1688.
    assert seed004.empty_parts == frozenset({Part.SELLER, Part.CATALOG, Part.COUPON})


def test_quote_type_0_prices_by_quantity_tiers() -> None:
    record = aop("sandbox_product_get.quote_type_0.json", "559818898427")
    core = record.core
    assert core is not None
    assert core.price_tiers == (PriceTier(5, Decimal("47.0")), PriceTier(25, Decimal("42.71")),
                                PriceTier(250, Decimal("40.66")))
    assert core.price.display == Decimal("47.0")
    assert (core.price_min, core.price_max) == (Decimal("40.66"), Decimal("47.0"))
    assert core.min_order_quantity == 5
    assert core.distribution_price == Decimal("52.64")
    assert record.variants is None and Part.VARIANTS in record.empty_parts
    assert price_for_quantity(core.price_tiers, core.min_order_quantity, 30) == Decimal("42.71")
    assert record.media is not None
    assert [v.kind for v in record.media.videos] == [VideoKind.MAIN, VideoKind.DETAIL]
    assert record.media.videos[0].url.endswith("508801794716.mp4")
    assert core.sales_count == 32920
    assert core.shipping is not None and core.shipping.ships_from is not None
    assert (core.shipping.ships_from.province, core.shipping.ships_from.city) == ("广东省",
                                                                                  "广州市")
    assert core.shipping.unit_weight_kg == Decimal("2.53")
    assert record.seller is not None
    assert (record.seller.source_id, record.seller.trade_score) == ("gzbaihuo88", Decimal(2))


def test_quote_type_1_prices_each_sku() -> None:
    record = aop("sandbox_product_get.quote_type_1.json", "611029021063")
    assert record.core is not None and record.variants is not None
    variants = record.variants.variants
    assert len(variants) == 9
    first = variants[0]
    assert first.sku_id == "840b4038f7157f931d67e9f0ef60037c"
    assert first.price.display == Decimal("109.81")
    # retailPrice is the suggested retail price (seed 004), never a list price: no discount.
    assert first.price.original == first.price.display
    assert first.suggested_retail_price == Decimal("175.7")
    assert first.distribution_price == Decimal("122.99")
    assert first.price_tiers == ()
    prices = [v.price.display for v in variants]
    assert record.core.price.display == min(prices)
    assert (record.core.price_min, record.core.price_max) == (min(prices), max(prices))
    assert record.core.price_tiers == ()
    assert record.core.total_stock == 13689
    assert record.core.customization is not None
    assert {o.value for o in record.core.customization.options} == {"贴牌加工", "来样加工",
                                                                    "加印logo"}
    # Absolute image URLs are left alone, relative ones get the CDN host.
    assert record.media is not None
    assert [i.url for i in record.media.images[:3]] == [
        "https://cbu01.alicdn.com/img/ibank/2019/907/162/95960658915_640950042.jpg",
        "https://cbu01.alicdn.com/img/ibank/2019/798/402/39445618732_319099206.jpg",
        "https://cbu01.alicdn.com/img/ibank/2022/478/244/48752143583_544511937.jpg",
    ]


def test_quote_type_1_keeps_product_tiers_but_prices_skus_themselves() -> None:
    record = aop("aop_alibaba_product_get.json", "610947572360")
    assert record.core is not None and record.variants is not None
    assert [t.min_quantity for t in record.core.price_tiers] == [1, 10, 20]
    white, black = record.variants.variants
    assert (white.sku_id, black.sku_id) == ("b265340beb52182c6bcfbff1fad02f0b",
                                            "9da620ca4ba93e8c6ff98936d3de4f00")
    assert white.price.display == Decimal("39.0") and white.stock == 888
    assert black.stock == 0
    assert white.distribution_price == Decimal("45.0")
    colour = record.variants.options[0]
    assert colour.name == "颜色"
    assert colour.values[0].swatch_image == (
        "https://cbu01.alicdn.com/img/ibank/2018/852/384/9326483258_1660977857.jpg")
    assert colour.values[1].swatch_image is None
    assert record.core.updated_at == datetime.fromisoformat("2018-12-19T17:55:05+08:00")


def test_quote_type_2_variants_share_the_offer_tiers() -> None:
    record = aop("sandbox_product_get.quote_type_2.json", "727354020520")
    assert record.core is not None and record.variants is not None
    tiers = record.core.price_tiers
    assert [t.min_quantity for t in tiers] == [100, 500, 5000]
    for variant in record.variants.variants:
        assert variant.price.display == Decimal("73.19")
        assert variant.price_tiers == tiers
    assert record.core.min_order_quantity == 100
    assert [o.name for o in record.variants.options] == ["接口", "长度"]


def test_seed_003_offer_display_promotion_and_variant() -> None:
    record = aop("sandbox_product_get.quote_type_1.seed003.json", "554456348334")
    assert record.core is not None and record.variants is not None
    assert record.core.price.display == Decimal("29.9")
    assert record.core.price.promotion == Decimal("24.9")
    assert record.core.price.effective == Decimal("24.9")
    variant = record.variants.variants[0]
    assert variant.sku_id.startswith("b266e0") and variant.stock == 100


def test_aggregator_view_maps_like_aop() -> None:
    envelope = load("sandbox_aggregator.554456348334.json")
    assert envelope["code"] == 0
    via_aggregator = product_from_1688(product_info_from_aggregator(envelope["data"]),
                                       source_id="554456348334")
    assert via_aggregator == aop("sandbox_product_get.quote_type_1.seed003.json",
                                 "554456348334")


def test_money_stays_decimal_from_the_json_text() -> None:
    record = aop("sandbox_product_get.quote_type_0.json", "559818898427")
    assert record.core is not None
    assert str(record.core.price_tiers[1].price) == "42.71"


def test_snake_keys_keep_aop_id_capitals() -> None:
    assert normalize_aggregator_keys({"product_id": 1, "sku_infos": [{"spec_id": "x"}],
                                      "shipping_info": {"freight_template_id": 0}}) == {
        "productID": 1, "skuInfos": [{"specId": "x"}],
        "shippingInfo": {"freightTemplateID": 0}}


@pytest.mark.parametrize(("text", "expected"), [
    ("20181216141253000+0800", datetime(2018, 12, 16, 6, 12, 53)),
    ("20121222222222+0800", datetime(2012, 12, 22, 14, 22, 22)),
    ("20181216141253500-0500", datetime(2018, 12, 16, 19, 12, 53, 500000)),
])
def test_dates_are_aware(text: str, expected: datetime) -> None:
    parsed = parse_1688_datetime(text)
    assert parsed is not None and parsed.tzinfo is not None
    assert parsed.utcoffset() is not None
    assert (parsed - parsed.utcoffset()).replace(tzinfo=None) == expected  # type: ignore[operator]


def test_an_absent_date_is_none_and_a_bad_one_names_its_field() -> None:
    assert parse_1688_datetime(None, "createTime") is None
    assert parse_1688_datetime("", "createTime") is None
    with pytest.raises(UndecodableValue, match="`createTime`"):
        parse_1688_datetime("2018-12-16", "createTime")


def test_a_bad_date_in_an_offer_names_its_field() -> None:
    info = {**load("aop_alibaba_product_get.json")["productInfo"], "createTime": "yesterday"}
    with pytest.raises(UndecodableValue, match="`createTime`"):
        product_from_1688(info, source_id="1")


def test_shanghai_dates_print_and_compare_as_the_upstream_wrote_them() -> None:
    parsed = parse_1688_datetime("20181216141253000+0800")
    assert parsed is not None and parsed.isoformat() == "2018-12-16T14:12:53+08:00"
    assert parsed == datetime(2018, 12, 16, 14, 12, 53, tzinfo=timezone(timedelta(hours=8)))


@pytest.mark.parametrize(("status", "expected"), [
    ("published", ProductStatus.ON_SALE), ("expired", ProductStatus.DELISTED),
    ("auto expired", ProductStatus.DELISTED), ("member expired", ProductStatus.DELISTED),
    ("deleted", ProductStatus.DELETED), ("member deleted", ProductStatus.DELETED),
    ("auditing", ProductStatus.UNDER_REVIEW), ("new", ProductStatus.UNDER_REVIEW),
    ("TBD", ProductStatus.UNDER_REVIEW),
])
def test_status(status: str, expected: ProductStatus) -> None:
    info = {**load("aop_alibaba_product_get.json")["productInfo"], "status": status,
            "productType": "sourcing"}
    core = product_from_1688(info, source_id="1").core
    assert core is not None
    assert core.status is expected and core.product_type is ProductType.SOURCING


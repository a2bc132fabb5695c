"""TOP JSON → the normalized model, against recorded gateway payloads (tests/fixtures/taobao)."""

from __future__ import annotations

import json
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from channels.errors import (
    ChannelError,
    NotFound,
    PermissionDenied,
    RateLimited,
    Unauthenticated,
    UpstreamError,
)
from channels.model import Channel, ImageKind, Part, ProductCondition, ProductStatus
from channels.top import error_from_top, parse_top_response, response_key
from channels.top_mapping import (
    catalog_product_from_top,
    fields_for_parts,
    item_from_top,
    parse_property_alias,
    parse_props_name,
)

FIXTURES = Path(__file__).parent.parent / "fixtures" / "taobao"
ITEM_PARTS = frozenset(Part) - {Part.CATALOG}
SHANGHAI = ZoneInfo("Asia/Shanghai")


def load(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text())


def item_of(name: str, *, simplify: bool) -> tuple[dict[str, Any], str | None]:
    body, request_id = parse_top_response(
        load(name), "taobao.item.seller.get", channel=Channel.TAOBAO, simplify=simplify)
    return body["item"], request_id


@pytest.fixture
def record() -> Any:
    item, request_id = item_of("top_item_seller_get.json", simplify=False)
    return item_from_top(item, Channel.TAOBAO, ITEM_PARTS, request_id=request_id)


def test_wrapped_and_simplified_answers_map_to_the_same_record(record: Any) -> None:
    item, request_id = item_of("top_item_seller_get.simplify.json", simplify=True)
    simplified = item_from_top(item, Channel.TAOBAO, ITEM_PARTS, request_id=request_id)
    assert simplified == record
    assert record.request_id == "1047d2f1a9e5c"
    assert record.id == "taobao_5192139988"


def test_batch_answer_in_its_list_wrapper(record: Any) -> None:
    body, request_id = parse_top_response(
        load("top_items_seller_list_get.json"), "taobao.items.seller.list.get",
        channel=Channel.TAOBAO, simplify=False)
    assert request_id == "1047d2f1a9e5c"
    (item,) = body["items"]["item"]
    assert item_from_top(item, Channel.TAOBAO, ITEM_PARTS, request_id=request_id) == record


def test_root_key_drops_only_the_taobao_prefix() -> None:
    assert response_key("taobao.item.seller.get") == "item_seller_get_response"
    assert response_key("taobao.product.get.tmall") == "product_get_tmall_response"
    assert response_key("tmall.item.desc.modules.get") == "tmall_item_desc_modules_get_response"


def test_core_money_is_decimal_and_times_are_shanghai(record: Any) -> None:
    core = record.core
    assert core.title.original == "YAD圆领男士t恤男装纯棉短袖印花修身型"
    assert core.price.display == Decimal("96.00") and isinstance(core.price.display, Decimal)
    assert str(core.price.display) == "96.00"
    assert (core.price_min, core.price_max) == (Decimal("96.00"), Decimal("96.00"))
    assert core.total_stock == 236
    assert core.status is ProductStatus.IN_STOCK_ROOM
    assert core.category.id == "50000436"
    assert core.listed_at == datetime(2012, 2, 18, 22, 14, 47, tzinfo=SHANGHAI)
    assert core.updated_at.utcoffset().total_seconds() == 8 * 3600
    assert core.source_url == "http://item.taobao.com/item.htm?id=5192139988"


def test_sale_props_become_options_with_alias_names_and_swatches(record: Any) -> None:
    colour, size = record.variants.options
    assert colour.name == "颜色" and size.name == "尺码"
    assert [v.name for v in colour.values] == ["白色", "黑色"]
    assert colour.values[0].swatch_image == "http://img01.taobaocdn.com/bao/uploaded/i1/white.jpg"
    assert colour.values[1].swatch_image == "http://img01.taobaocdn.com/bao/uploaded/i1/black.jpg"
    # property_alias renames 180/100(XL) to XL; 175/95(L) has no alias and keeps its name.
    assert [v.name for v in size.values] == ["XL", "175/95(L)"]


def test_each_sku_is_a_variant(record: Any) -> None:
    white, black = record.variants.variants
    assert white.sku_id == "8982730436"
    assert [(o.name, o.value) for o in white.selected_options] == [("颜色", "白色"), ("尺码", "XL")]
    assert white.price.display == Decimal("96.00")
    assert (white.stock, black.stock) == (25, 0)
    assert white.image.endswith("/white.jpg") and black.image.endswith("/black.jpg")
    assert white.outer_id == "SZ205A0212"


def test_non_sale_props_are_attributes_and_brand(record: Any) -> None:
    assert [(a.name.original, a.value.original) for a in record.core.attributes] == [
        ("品牌", "YAD/亚道")]
    assert record.core.brand == "YAD/亚道"


def test_images_are_ordered_and_typed(record: Any) -> None:
    images = record.media.images
    assert [(i.kind, i.url.rsplit("/", 1)[1]) for i in images] == [
        (ImageKind.MAIN, "T1d.SrXkhgXXXJq2EV_020448.jpg"),
        (ImageKind.GALLERY, "T1hkecXgppXXcFCmba_121930.jpg"),
        (ImageKind.VARIANT, "white.jpg"),
        (ImageKind.VARIANT, "black.jpg"),
    ]


def test_item_images_are_sorted_by_position_not_by_answer_order() -> None:
    item, _ = item_of("top_item_seller_get.simplify.json", simplify=True)
    item = {**item, "item_imgs": list(reversed(item["item_imgs"]))}
    images = item_from_top(item, Channel.TAOBAO, frozenset({Part.MEDIA})).media.images
    assert images[0].kind is ImageKind.MAIN and images[0].url.endswith("_020448.jpg")


def test_a_record_carries_exactly_the_parts_asked_for(record: Any) -> None:
    item, _ = item_of("top_item_seller_get.json", simplify=False)
    core_only = item_from_top(item, Channel.TAOBAO, frozenset({Part.CORE}))
    assert core_only.core == record.core
    assert core_only.variants is None and core_only.media is None and core_only.seller is None
    assert core_only.loaded_parts() == frozenset({Part.CORE})
    # Asked for and absent: loaded but empty.
    assert Part.DESCRIPTION in record.empty_parts and record.has(Part.DESCRIPTION)
    no_skus = {k: v for k, v in item.items() if k != "skus"}
    mapped = item_from_top(no_skus, Channel.TAOBAO, frozenset({Part.VARIANTS}))
    assert mapped.variants is None and mapped.empty_parts == frozenset({Part.VARIANTS})


def test_escaped_and_custom_property_names() -> None:
    parsed = parse_props_name(
        "20000:3275069:品牌:盈讯;1753146:3485013:型号:F908#cln#A#scln#B;"
        "-1234:-5678:自定义属性1:属性值1")
    assert [(p.pid, p.vid, p.name, p.value) for p in parsed] == [
        ("20000", "3275069", "品牌", "盈讯"),
        ("1753146", "3485013", "型号", "F908:A;B"),
        ("-1234", "-5678", "自定义属性1", "属性值1"),
    ]
    assert parse_property_alias("1627207:28320:白色;-1:-2:a#cln#b") == {
        "1627207:28320": "白色", "-1:-2": "a:b"}


def test_custom_sale_props_with_negative_ids_become_options() -> None:
    item = {
        "num_iid": 1, "title": "t", "price": "10.50",
        "skus": {"sku": [
            {"sku_id": 11, "properties": "-1234:-5678", "price": "10.50", "quantity": 3,
             "properties_name": "-1234:-5678:自定义属性1:属性值1"},
            {"sku_id": 12, "properties": "-1234:-5679", "price": "12.00", "quantity": 4,
             "properties_name": "-1234:-5679:自定义属性1:属性值#cln#2"},
        ]},
    }
    record = item_from_top(item, Channel.TMALL, frozenset({Part.CORE, Part.VARIANTS}))
    (option,) = record.variants.options
    assert option.name == "自定义属性1"
    assert [v.name for v in option.values] == ["属性值1", "属性值:2"]
    assert (record.core.price_min, record.core.price_max) == (Decimal("10.50"), Decimal("12.00"))
    assert record.core.source_url == "https://detail.tmall.com/item.htm?id=1"


def test_seed_000_shape_sku_list_sales_and_promotion_price() -> None:
    # Seed 000's "item_get_response", with its SKUs in real TOP properties_name shape.
    payload = {"item_get_response": {"item": {
        "num_iid": "680123456789", "title": "2026 Summer New Casual Cotton Short Sleeve T-shirt",
        "price": "89.00", "promotion_price": "59.00", "num": 520, "sales": 12580,
        "cid": 50015261, "category_name": "Women's Clothing > T-shirt",
        "pic_url": "https://img.taobao.com/xxx.jpg", "location": "Guangdong, Guangzhou",
        "nick": "Official Flagship Store", "modified_time": "2026-05-20 15:30:10",
        "sku_list": {"sku": [
            {"sku_id": "123456789001", "price": "59.00", "quantity": 120,
             "properties_name": "1627207:28320:颜色:White;20509:28315:尺码:L"},
            {"sku_id": "123456789002", "price": "59.00", "quantity": 95,
             "properties_name": "1627207:28341:颜色:Black;20509:28316:尺码:XL"},
        ]}}, "request_id": "2026052015301000123"}}
    body, request_id = parse_top_response(payload, "taobao.item.get", channel=Channel.TAOBAO,
                                          simplify=False)
    record = item_from_top(body["item"], Channel.TAOBAO, ITEM_PARTS, request_id=request_id)
    core = record.core
    assert (core.price.display, core.price.promotion) == (Decimal("89.00"), Decimal("59.00"))
    assert core.price.effective == Decimal("59.00")
    assert (core.total_stock, core.sales_count) == (520, 12580)
    assert core.category.name == "T-shirt"
    assert core.updated_at == datetime(2026, 5, 20, 15, 30, 10, tzinfo=SHANGHAI)
    assert core.shipping.ships_from.province == "Guangdong"
    assert record.seller.source_id == "Official Flagship Store"
    assert [([(o.name, o.value) for o in v.selected_options], v.stock)
            for v in record.variants.variants] == [
        ([("颜色", "White"), ("尺码", "L")], 120), ([("颜色", "Black"), ("尺码", "XL")], 95)]
    assert record.media.images[0].url == "https://img.taobao.com/xxx.jpg"
    assert record.request_id == "2026052015301000123"


def test_stuff_status_location_and_fees_of_the_inside_list_shape() -> None:
    item = {"num_iid": 1489161932, "title": "Google test item", "nick": "tbtest561",
            "stuff_status": "second", "approve_status": "onsale", "price": "5.00",
            "location": {"state": "浙江", "city": "杭州"}, "post_fee": "5.00",
            "express_fee": "6.50", "ems_fee": "20.00", "product_id": 85883030,
            "detail_url": "http://item.taobao.com/item.htm?id=4947813209",
            "desc": "这是一个好商品"}
    record = item_from_top(item, Channel.TAOBAO, ITEM_PARTS)
    core = record.core
    assert core.condition is ProductCondition.SECOND_HAND
    assert core.status is ProductStatus.ON_SALE
    assert (core.shipping.domestic_fee, core.shipping.express_fee, core.shipping.ems_fee) == (
        Decimal("5.00"), Decimal("6.50"), Decimal("20.00"))
    assert record.seller.location.province == "浙江" and record.seller.location.city == "杭州"
    assert core.catalog_product_id == "85883030"
    assert record.description.html == "这是一个好商品"


def test_catalog_product_of_seed_001() -> None:
    product = {
        "product_id": 3433222, "outer_id": "123456", "cid": 50012286, "cat_name": "日用品",
        "props_str": "品牌:诺基亚;型号:N73#cln#X", "binds_str": "颜色:黑色",
        "name": "惠普笔记本", "price": "200.07", "pic_url": "http://host/main.jpg",
        "created": "2000-01-01 00:00:00", "status": 1, "sell_pt": "明星同款",
        "product_imgs": {"product_img": [{"id": 9684, "url": "http://host/a.jpg",
                                          "position": 2}]},
        "product_prop_imgs": {"product_prop_img": [{"id": 1, "props": "1627207:28326",
                                                    "url": "http://host/red.jpg"}]},
    }
    catalog = catalog_product_from_top(product)
    assert catalog.product_id == "3433222" and catalog.name == "惠普笔记本"
    assert catalog.market_price == Decimal("200.07")
    assert [(a.name.original, a.value.original) for a in catalog.key_properties] == [
        ("品牌", "诺基亚"), ("型号", "N73:X")]
    assert catalog.category.id == "50012286" and catalog.category.name == "日用品"
    assert [i.kind for i in catalog.images] == [ImageKind.MAIN, ImageKind.GALLERY]
    assert catalog.property_images[0].url == "http://host/red.jpg"


def test_fields_for_core_only_ask_for_no_sku_image_or_description() -> None:
    core = fields_for_parts(frozenset({Part.CORE}))
    assert core[0] == "num_iid"
    assert not {"sku", "item_img", "prop_img", "desc"} & set(core)
    assert {"title", "price", "num"} <= set(core)
    every = fields_for_parts(frozenset(Part))
    assert {"sku", "item_img", "prop_img", "video", "desc", "product_id"} <= set(every)
    assert len(every) == len(set(every))
    assert fields_for_parts(frozenset({Part.DESCRIPTION})) == ["num_iid", "desc"]


ERRORS = [
    ("top_error_7_ban.json", RateLimited, "7", "accesscontrol.limited-by-app-access-count"),
    ("top_error_11_perm.json", PermissionDenied, "11", "isv.permission-api-package-limit"),
    ("top_error_15_item.json", NotFound, "15", "isv.item-not-exist"),
    ("top_error_22_method.json", UpstreamError, "22", None),
    ("top_error_25_sign.json", Unauthenticated, "25", None),
    ("top_error_27_session.json", Unauthenticated, "27", "invalid-sessionkey"),
    ("top_error_29_appkey.json", Unauthenticated, "29", "isv.appkey-not-exists"),
    ("top_error_40_missing.json", UpstreamError, "40", None),
]


@pytest.mark.parametrize(("name", "cls", "code", "sub_code"), ERRORS,
                         ids=[e[0] for e in ERRORS])
@pytest.mark.parametrize("simplify", [False, True])
def test_each_error_body_raises_its_typed_error(
    name: str, cls: type[ChannelError], code: str, sub_code: str | None, simplify: bool
) -> None:
    with pytest.raises(cls) as caught:
        parse_top_response(load(name), "taobao.item.seller.get", channel=Channel.TMALL,
                           simplify=simplify)
    error = caught.value
    assert type(error) is cls
    assert error.upstream_code == code
    assert error.sub_code == sub_code
    assert error.request_id == "1047d2f1a9e5c"
    assert error.channel is Channel.TMALL


def test_ban_parses_its_seconds_and_only_short_bans_are_retryable() -> None:
    error = error_from_top(load("top_error_7_ban.json")["error_response"],
                           method="taobao.item.seller.get", channel=Channel.TAOBAO)
    assert isinstance(error, RateLimited)
    assert error.retry_after == 31062
    assert not error.retryable  # the app's daily quota: hours away
    api_ban = error_from_top(
        {"code": 7, "msg": "App Call Limited", "sub_code":
         "accesscontrol.limited-by-api-access-count",
         "sub_msg": "This ban will last for 2 more seconds"},
        method="taobao.item.seller.get", channel=Channel.TAOBAO)
    assert api_ban.retry_after == 2 and api_ban.retryable


def test_errors_are_classified_by_code_not_by_message() -> None:
    def classify(body: dict[str, Any]) -> ChannelError:
        return error_from_top(body, method="taobao.item.seller.get", channel=Channel.TAOBAO)

    # Same msg, different codes, different classes.
    assert isinstance(classify({"code": 25, "msg": "Remote service error"}), Unauthenticated)
    isp = classify({"code": 15, "msg": "Invalid signature",
                    "sub_code": "isp.top-remote-connection-timeout"})
    assert type(isp) is UpstreamError and isp.retryable
    isv = classify({"code": 15, "msg": "Remote service error", "sub_code": "isv.foo-bar"})
    assert not isv.retryable
    bug = classify({"code": 22, "msg": "Invalid method"})
    assert type(bug) is UpstreamError and not bug.retryable
    assert "taobao.item.seller.get" in str(bug)
    assert isinstance(classify({"code": 50, "sub_code": "isv.product-not-exist"}), NotFound)


def test_non_object_body_is_an_upstream_error() -> None:
    with pytest.raises(UpstreamError):
        parse_top_response(["not", "an", "object"], "taobao.item.seller.get",
                           channel=Channel.TAOBAO, simplify=False)

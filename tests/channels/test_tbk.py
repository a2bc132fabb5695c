"""The affiliate (淘宝客) route: ``n_tbk_item`` mapping per documented field, over recorded
answers (tests/fixtures/taobao/tbk_*.json), and the adapter's calls."""

from __future__ import annotations

import json
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import httpx
import pytest

from channels.decoding import SHANGHAI
from channels.errors import NotFound
from channels.layered import LayeredAdapter
from channels.model import Channel, ImageKind, Part, ProductRecord, VariantSet
from channels.tbk import TBK_BATCH_LIMIT, TbkAdapter, TokenUnresolved, check_adzone_id
from channels.tbk_mapping import TBK_PARTS, item_from_tbk, price_from_tbk, tbk_items
from channels.top import TopAdapter, parse_top_response

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "taobao"


def fixture(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text(), parse_float=Decimal)


def recorded_item(name: str = "tbk_item_info_get.json") -> dict[str, Any]:
    body, _ = parse_top_response(fixture(name), "taobao.tbk.item.info.get",
                                 channel=Channel.TAOBAO, simplify=False)
    return tbk_items(body)[0]


def test_title_prices_and_the_final_price() -> None:
    record = item_from_tbk(recorded_item(), Channel.TMALL, TBK_PARTS)
    assert record.source_id == "569885087264"
    assert record.core is not None
    assert record.core.title.original.startswith("Lee女装 2017秋冬新品")
    price = record.core.price
    assert price.original == Decimal("990")          # reserve_price
    assert price.display == Decimal("449")           # zk_final_price
    assert price.final == Decimal("449")
    assert price.after_coupon is None and price.coupon is None  # not in this answer


def test_user_type_1_is_a_tmall_page() -> None:
    record = item_from_tbk(recorded_item(), Channel.TAOBAO, TBK_PARTS)
    assert record.core is not None
    assert record.core.source_url == "https://detail.tmall.com/item.htm?id=569885087264"
    item = {**recorded_item(), "user_type": 0}
    taobao = item_from_tbk(item, Channel.TAOBAO, TBK_PARTS)
    assert taobao.core is not None
    assert taobao.core.source_url == "https://item.taobao.com/item.htm?id=569885087264"


def test_pict_url_then_small_images() -> None:
    record = item_from_tbk(recorded_item(), Channel.TMALL, TBK_PARTS)
    assert record.media is not None
    images = record.media.images
    assert images[0].kind is ImageKind.MAIN and images[0].url.endswith("0-item_pic.jpg")
    assert [i.kind for i in images[1:]] == [ImageKind.GALLERY] * 4
    assert [i.position for i in images] == [0, 1, 2, 3, 4]


def test_shop_sales_location_and_category_names() -> None:
    record = item_from_tbk(recorded_item(), Channel.TMALL, TBK_PARTS)
    assert record.seller is not None and record.core is not None
    assert (record.seller.source_id, record.seller.name) == ("928622636", "lee官方旗舰店")
    assert record.core.seller_id == "928622636"
    assert record.core.sales_count == 29                      # volume
    assert record.core.shipping is not None and record.core.shipping.ships_from is not None
    assert record.core.shipping.ships_from.city == "上海"       # provcity
    assert [a.value.original for a in record.core.attributes] == ["女装/女士精品", "半身裙"]
    assert record.core.category is None                        # no category id answered


def test_the_documented_example_answer() -> None:
    record = item_from_tbk(recorded_item("tbk_item_info_get.doc_example.json"),
                           Channel.TAOBAO, TBK_PARTS)
    assert record.core is not None and record.media is not None
    assert record.core.price.display == Decimal("88.00")
    assert record.core.price.original == Decimal("102.00")
    assert record.media.images == ()                           # no pict_url, empty gallery


def test_a_coupon_gives_the_price_after_coupon() -> None:
    # Material-method fields (taobao.tbk.dg.material.optional): shape inferred, see README.
    item = {**recorded_item(), "coupon_amount": "50", "coupon_start_fee": "299",
            "coupon_start_time": "2026-05-01", "coupon_end_time": "2026-05-31",
            "coupon_remain_count": 120, "coupon_total_count": 1000}
    price = price_from_tbk(item)
    assert price.after_coupon == Decimal("399")
    assert price.coupon is not None and price.coupon.amount == Decimal("50")
    assert price.coupon.starts_at == datetime(2026, 5, 1, tzinfo=SHANGHAI)
    assert price.coupon.ends_at == datetime(2026, 5, 31, 23, 59, 59, tzinfo=SHANGHAI)
    assert (price.coupon.remaining, price.coupon.total) == (120, 1000)
    below = price_from_tbk({**item, "coupon_start_fee": "500"})
    assert below.after_coupon is None and below.coupon is not None


def test_adzone_ids() -> None:
    assert check_adzone_id("mm_1234_5678_109876543210") == "109876543210"
    assert check_adzone_id("109876543210") == "109876543210"
    with pytest.raises(ValueError):
        check_adzone_id("mm_x_y_z")


def adapter(handler: Any) -> TbkAdapter:
    top = TopAdapter(app_key="12345678", app_secret="secret",
                     transport=httpx.MockTransport(handler))
    return TbkAdapter(top, adzone_id="109876543210")


async def test_forty_ids_one_call_and_missing_ids_not_found() -> None:
    calls: list[dict[str, list[str]]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        form = parse_qs(request.content.decode())
        calls.append({**parse_qs(request.url.query.decode()), **form})
        return httpx.Response(200, json=fixture("tbk_item_info_get.json"))

    tbk = adapter(handler)
    ids = ["569885087264", *(str(600000000000 + n) for n in range(TBK_BATCH_LIMIT - 1))]
    result = await tbk.fetch(Channel.TAOBAO, ids, frozenset({Part.CORE, Part.VARIANTS}))
    await tbk.aclose()
    assert len(calls) == 1
    assert calls[0]["method"] == ["taobao.tbk.item.info.get"]
    assert len(calls[0]["num_iids"][0].split(",")) == 40
    assert "session" not in calls[0] and "fields" not in calls[0]
    found = result["569885087264"]
    assert isinstance(found, ProductRecord) and found.variants is None
    assert isinstance(result["600000000000"], NotFound)


async def test_tpwd_convert() -> None:
    seen: dict[str, list[str]] = {}

    def handler(request: httpx.Request) -> httpx.Response:
        seen.update(parse_qs(request.content.decode()))
        name = "tbk_tpwd_convert.json" if "AbCd1234" in seen["password_content"][0] \
            else "tbk_tpwd_convert.not_affiliate.json"
        return httpx.Response(200, json=fixture(name))

    tbk = adapter(handler)
    assert await tbk.convert_token("￥AbCd1234￥") == "576016341093"
    assert seen["adzone_id"] == ["109876543210"]
    with pytest.raises(TokenUnresolved):
        await tbk.convert_token("￥Zz9Zz9Zz9Zz￥")
    await tbk.aclose()


class _Skus:
    channels = (Channel.TAOBAO, Channel.TMALL)
    batch_limit = 1
    parts_per_call = frozenset(Part)
    source_name = "AGGREGATOR"

    def __init__(self) -> None:
        self.asked: list[tuple[list[str], frozenset[Part]]] = []

    def validate_source_id(self, channel: Channel, source_id: str) -> str:
        return source_id

    async def fetch(self, channel: Channel, ids: Any, parts: frozenset[Part]) -> Any:
        self.asked.append((list(ids), parts))
        return {i: ProductRecord(channel, i, variants=VariantSet((), ())) for i in ids}

    async def aclose(self) -> None:
        pass


async def test_layered_parts_come_from_their_owner_in_one_wave() -> None:
    tbk = adapter(lambda r: httpx.Response(200, json=fixture("tbk_item_info_get.json")))
    skus = _Skus()
    layered = LayeredAdapter([tbk, skus])
    assert layered.batch_limit == 40
    result = await layered.fetch(Channel.TAOBAO, ["569885087264"],
                                 frozenset({Part.CORE, Part.VARIANTS}))
    record = result["569885087264"]
    assert isinstance(record, ProductRecord)
    assert record.core is not None and record.variants is not None
    assert skus.asked == [(["569885087264"], frozenset({Part.VARIANTS}))]
    assert layered.source_of(Part.CORE) == "AFFILIATE_API"
    assert layered.source_of(Part.VARIANTS) == "AGGREGATOR"
    assert (await layered.fetch(Channel.TAOBAO, ["569885087264"], frozenset({Part.CORE})))
    assert len(skus.asked) == 1                   # no SKU call when no variant is selected
    await layered.aclose()

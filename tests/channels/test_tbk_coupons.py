"""The price after coupons on the affiliate route: ``taobao.tbk.item.info.upgrade.get``
mapped per documented field (tests/fixtures/taobao/tbk_item_info_upgrade_get.json), and the
adapter's calls: 20 ids a call, only when the COUPON part is asked, with the item call in
the same wave; without the grant, no call and an empty part."""

from __future__ import annotations

import asyncio
import json
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import httpx

from channels.decoding import SHANGHAI
from channels.errors import PermissionDenied
from channels.model import Channel, Part, ProductRecord
from channels.tbk import UPGRADE_BATCH_LIMIT, UPGRADE_METHOD, TbkAdapter
from channels.tbk_mapping import (
    coupon_price_from_upgrade,
    upgrade_details,
    upgrade_source_id,
)
from channels.top import TopAdapter, parse_top_response

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "taobao"


def fixture(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text(), parse_float=Decimal)


def details() -> list[dict[str, Any]]:
    body, _ = parse_top_response(fixture("tbk_item_info_upgrade_get.json"), UPGRADE_METHOD,
                                 channel=Channel.TAOBAO, simplify=False)
    return upgrade_details(body)


def test_final_promotion_price_is_the_price_after_coupons() -> None:
    documented = details()[0]
    price = coupon_price_from_upgrade(documented)
    assert price is not None
    assert price.after_coupon == Decimal("69.9")          # final_promotion_price


def test_the_coupon_is_the_path_entry_that_names_a_coupon() -> None:
    price = coupon_price_from_upgrade(details()[0])
    assert price is not None and price.coupon is not None
    coupon = price.coupon
    assert coupon.amount == Decimal("15")                   # promotion_fee of the 单品券
    assert coupon.threshold == Decimal("88")                # 满88元减15元
    assert coupon.starts_at == datetime(2026, 5, 1, tzinfo=SHANGHAI)
    assert coupon.ends_at == datetime(2026, 5, 31, 23, 59, 59, tzinfo=SHANGHAI)
    # 官方立减 (an official discount) lowers the final price but is no coupon.


def test_ids_are_matched_on_the_id_as_asked_else_item_id() -> None:
    documented, plain, _ = details()
    # input_item_iid of the documented example is a new-style id: item_id answers.
    assert upgrade_source_id(documented) == "4112264076123"
    assert upgrade_source_id(plain) == "569885087264"


def test_no_promotion_and_a_price_without_final_promotion_price() -> None:
    _, plain, shop_coupon = details()
    none = coupon_price_from_upgrade(plain)
    assert none is not None and none.coupon is None
    assert none.after_coupon == Decimal("449.00")
    # No final_promotion_price: zk_final_price less the coupon it reaches; one entry,
    # unwrapped; epoch-millisecond times.
    derived = coupon_price_from_upgrade(shop_coupon)
    assert derived is not None and derived.coupon is not None
    assert derived.after_coupon == Decimal("89.00")
    assert derived.coupon.threshold == Decimal("99")
    assert derived.coupon.starts_at == datetime(2026, 5, 1, tzinfo=SHANGHAI)
    assert derived.coupon.ends_at == datetime(2026, 6, 30, 23, 59, 59, tzinfo=SHANGHAI)


def test_a_detail_without_price_promotion_info_has_no_coupon_price() -> None:
    assert coupon_price_from_upgrade({"item_id": "1"}) is None


class Gateway:
    """A TOP gateway answering the item method and the upgrade method from the recorded
    answers, noting each call; the first call waits for the other method's (a wave)."""

    def __init__(self, *, upgrade_error: bool = False) -> None:
        self.calls: list[dict[str, list[str]]] = []
        self.upgrade_error = upgrade_error
        self._seen: dict[str, asyncio.Event] = {}

    def seen(self, method: str) -> asyncio.Event:
        return self._seen.setdefault(method, asyncio.Event())

    async def __call__(self, request: httpx.Request) -> httpx.Response:
        params = {**parse_qs(request.url.query.decode()), **parse_qs(request.content.decode())}
        self.calls.append(params)
        method = params["method"][0]
        self.seen(method).set()
        if method == UPGRADE_METHOD:
            await asyncio.wait_for(self.seen("taobao.tbk.item.info.get").wait(), 5)
            if self.upgrade_error:
                return httpx.Response(200, json=fixture("top_error_11_perm.json"))
            return httpx.Response(200, json=fixture("tbk_item_info_upgrade_get.json"))
        await asyncio.wait_for(self.seen(UPGRADE_METHOD).wait(), 5)
        return httpx.Response(200, json=fixture("tbk_item_info_get.json"))

    def of(self, method: str) -> list[dict[str, list[str]]]:
        return [c for c in self.calls if c["method"] == [method]]


def adapter(gateway: Any, *, coupons: bool = True) -> TbkAdapter:
    top = TopAdapter(app_key="12345678", app_secret="secret",
                     transport=httpx.MockTransport(gateway))
    return TbkAdapter(top, adzone_id="109876543210", coupons=coupons)


IDS = ["569885087264", *(str(600000000000 + n) for n in range(1, 40))]


async def test_coupons_cost_one_upgrade_call_per_twenty_ids_in_the_items_wave() -> None:
    gateway = Gateway()
    tbk = adapter(gateway)
    result = await tbk.fetch(Channel.TAOBAO, IDS, frozenset({Part.CORE, Part.COUPON}))
    await tbk.aclose()
    assert len(gateway.of("taobao.tbk.item.info.get")) == 1
    upgrades = gateway.of(UPGRADE_METHOD)
    assert len(upgrades) == len(IDS) // UPGRADE_BATCH_LIMIT == 2
    assert sorted(i for c in upgrades for i in c["item_id"][0].split(",")) == sorted(IDS)
    found = result["569885087264"]
    assert isinstance(found, ProductRecord) and found.core is not None
    assert found.coupon is not None and found.coupon.after_coupon == Decimal("449.00")
    assert tbk.source_of(Part.COUPON) == "AFFILIATE_API"


async def test_no_coupon_part_no_upgrade_call() -> None:
    calls: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(parse_qs(request.url.query.decode())["method"][0])
        return httpx.Response(200, json=fixture("tbk_item_info_get.json"))

    tbk = adapter(handler)
    await tbk.fetch(Channel.TAOBAO, IDS, frozenset({Part.CORE, Part.MEDIA}))
    await tbk.aclose()
    assert calls == ["taobao.tbk.item.info.get"]


async def test_without_the_grant_the_coupon_part_is_empty_at_no_call() -> None:
    calls: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(parse_qs(request.url.query.decode())["method"][0])
        return httpx.Response(200, json=fixture("tbk_item_info_get.json"))

    tbk = adapter(handler, coupons=False)
    result = await tbk.fetch(Channel.TAOBAO, ["569885087264"],
                             frozenset({Part.CORE, Part.COUPON}))
    await tbk.aclose()
    assert calls == ["taobao.tbk.item.info.get"]
    record = result["569885087264"]
    assert isinstance(record, ProductRecord)
    assert record.coupon is None and record.has(Part.COUPON)


async def test_a_refused_upgrade_call_fails_the_items_that_asked_for_it() -> None:
    gateway = Gateway(upgrade_error=True)
    tbk = adapter(gateway)
    result = await tbk.fetch(Channel.TAOBAO, ["569885087264"],
                             frozenset({Part.CORE, Part.COUPON}))
    await tbk.aclose()
    assert isinstance(result["569885087264"], PermissionDenied)

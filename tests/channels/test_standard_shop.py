"""Any shop's listing through the standard-model aggregator (``products/search-by-shop``,
inferred: README "Routes"): the request it sends, the recorded answer's mapping, and the
sandbox's shop search end to end."""

from __future__ import annotations

import json
from collections import Counter
from decimal import Decimal
from pathlib import Path

import httpx
import pytest

from channels.errors import BadRequest, NotFound
from channels.model import Channel, ImageKind, Part
from channels.standard import StandardAdapter
from sandbox.app import create_sandbox_app
from sandbox.catalog_top import TOP_ITEMS
from sandbox.credentials import STANDARD_PATH, STANDARD_TOKEN
from sandbox.tbk import seller_id

FIXTURE = Path(__file__).parent.parent / "fixtures" / "standard" / \
    "search_by_shop_taobao_36558682.json"


def recorded(requests: list[httpx.Request]) -> StandardAdapter:
    body = json.loads(FIXTURE.read_text(encoding="utf-8"))

    def answer(request: httpx.Request) -> httpx.Response:
        requests.append(request)
        return httpx.Response(200, json=body)

    return StandardAdapter(base_url="http://aggregator.test/v1", token="t0ken",
                           channels=(Channel.TAOBAO, Channel.TMALL),
                           transport=httpx.MockTransport(answer))


def sandboxed() -> StandardAdapter:
    return StandardAdapter(base_url=f"http://sandbox{STANDARD_PATH}", token=STANDARD_TOKEN,
                           channels=(Channel.TAOBAO, Channel.TMALL, Channel.WEIDIAN),
                           transport=httpx.ASGITransport(app=create_sandbox_app()))


async def test_the_request_names_the_shop_page_and_sort() -> None:
    requests: list[httpx.Request] = []
    std = recorded(requests)
    await std.search_shop(Channel.TMALL, shop_id="36558682", page=3, page_size=2, sort="sales")
    await std.aclose()
    (request,) = requests
    assert request.url.path == "/v1/products/search-by-shop"
    # Tmall is Taobao on the wire (seed 003 knows no tmall); no keyword, no empty params.
    assert dict(request.url.params) == {"channel": "taobao", "shop_id": "36558682",
                                        "page": "3", "page_size": "2", "sort": "sales"}
    assert request.headers["authorization"] == "Bearer t0ken"


async def test_a_recorded_shop_listing_maps_each_item() -> None:
    std = recorded([])
    page = await std.search_shop(Channel.TAOBAO, shop_id="36558682", page=1, page_size=2,
                                 keyword="键盘")
    await std.aclose()
    assert page.total == 3041 and (page.page, page.page_size) == (1, 2)
    first, second = page.items
    assert [r.id for r in page.items] == ["taobao_2075091110", "taobao_2075103394"]
    assert first.core is not None and second.core is not None
    assert first.core.title.original == "魔方 适用于 HP 惠普 6515B 6515S 6510B 笔记本键盘 全新英文"
    assert first.core.price.display == Decimal("28.00")
    assert second.core.price.display == Decimal("14.00")
    assert first.core.price.promotion is None
    assert first.core.seller_name == "魔方键盘 笔记本配件商城"
    assert first.core.source_url == "https://item.taobao.com/item.htm?id=2075091110"
    assert first.media is not None and first.media.images[0].kind is ImageKind.MAIN
    assert first.request_id == "req_0a1b2c3d"
    # A list item names the shop, not its id: no SELLER part, and no SKUs.
    assert not first.has(Part.SELLER) and not first.has(Part.VARIANTS)


async def test_a_bad_sort_or_page_is_refused_before_any_call() -> None:
    requests: list[httpx.Request] = []
    std = recorded(requests)
    with pytest.raises(BadRequest):
        await std.search_shop(Channel.TAOBAO, shop_id="1", page=1, page_size=20, sort="modified")
    with pytest.raises(BadRequest):
        await std.search_shop(Channel.TAOBAO, shop_id="1", page=1, page_size=101)
    await std.aclose()
    assert requests == []


def shop_items(nick: str) -> set[str]:
    return {str(n) for n, item in TOP_ITEMS.items() if item.get("nick") == nick}


async def test_the_sandbox_lists_exactly_one_shops_items() -> None:
    nick, count = Counter(str(i.get("nick")) for i in TOP_ITEMS.values()).most_common(1)[0]
    std = sandboxed()
    seen: list[str] = []
    for page_no in range(1, -(-count // 7) + 1):
        page = await std.search_shop(Channel.TAOBAO, shop_id=nick, page=page_no, page_size=7,
                                     sort="price_asc")
        assert page.total == count
        seen += [r.source_id for r in page.items]
    whole = await std.search_shop(Channel.TAOBAO, shop_id=nick, page=1, page_size=100,
                                  sort="price_asc")
    # The affiliate API's numeric seller id names the same shop.
    by_id = await std.search_shop(Channel.TAOBAO, shop_id=str(seller_id(nick)), page=1,
                                  page_size=100)
    await std.aclose()
    assert len(seen) == len(set(seen)) and set(seen) == shop_items(nick)
    assert [r.source_id for r in whole.items] == seen
    prices = [Decimal(str(TOP_ITEMS[int(i)].get("promotion_price") or TOP_ITEMS[int(i)]["price"]))
              for i in seen]
    assert prices == sorted(prices)
    assert {r.source_id for r in by_id.items} == shop_items(nick)


async def test_an_unknown_shop_is_not_found() -> None:
    std = sandboxed()
    with pytest.raises(NotFound) as raised:
        await std.search_shop(Channel.TAOBAO, shop_id="no-such-shop", page=1, page_size=5)
    await std.aclose()
    assert "no such shop" in raised.value.message

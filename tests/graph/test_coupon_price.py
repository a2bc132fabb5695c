"""``price.afterCoupon`` / ``price.coupon`` on the affiliate route, in process over the
sandbox: the COUPON part costs ``taobao.tbk.item.info.upgrade.get`` calls (20 ids each)
only when selected and granted, in the same wave as the item call, and is cached."""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal

import pytest

from sandbox.catalog_top import TOP_ITEMS
from tests.conftest import GraphQLClient, serve_app

IDS = [f"taobao_{n}" for n in sorted(TOP_ITEMS)[:40]]
WITH_COUPON = """query ($ids: [ID!]!) { products(ids: $ids) { id
  price { final { amount } afterCoupon { amount }
          coupon { amount { amount } threshold { amount } startsAt endsAt } } } }"""
WITHOUT = """query ($ids: [ID!]!) { products(ids: $ids) { id price { final { amount } } } }"""
UPGRADE = "taobao.tbk.item.info.upgrade.get"
AFFILIATE = {"PRODUCTGRAPH_TAOBAO_ITEM_SOURCE": "affiliate"}


@pytest.fixture
async def granted() -> AsyncIterator[GraphQLClient]:
    async with serve_app({**AFFILIATE, "PRODUCTGRAPH_TAOBAO_AFFILIATE_COUPONS": "true"}) as c:
        yield c


async def test_after_coupon_costs_the_upgrade_calls_once(granted: GraphQLClient) -> None:
    granted.sandbox.calls.clear()
    result = await granted.execute(WITH_COUPON, {"ids": IDS})
    assert "errors" not in result, result
    # One item call for 40 ids, two upgrade calls (20 ids each), in one wave.
    assert dict(granted.sandbox.calls) == {"taobao.tbk.item.info.get": 1, UPGRADE: 2}
    with_coupon = 0
    for product in result["data"]["products"]:
        price = product["price"]
        final = Decimal(price["final"]["amount"])
        after = Decimal(price["afterCoupon"]["amount"])
        coupon = price["coupon"]
        if coupon is None:
            assert after == final
            continue
        with_coupon += 1
        amount = Decimal(coupon["amount"]["amount"])
        assert after == final - amount and amount > 0
        assert Decimal(coupon["threshold"]["amount"]) <= final
        assert coupon["startsAt"] < coupon["endsAt"]
        assert coupon["endsAt"].endswith("+08:00")
    assert 0 < with_coupon < len(IDS)
    # Cached as its own part: asking again costs nothing.
    granted.sandbox.calls.clear()
    assert "errors" not in await granted.execute(WITH_COUPON, {"ids": IDS})
    assert dict(granted.sandbox.calls) == {}


async def test_not_selected_not_called(granted: GraphQLClient) -> None:
    granted.sandbox.calls.clear()
    assert "errors" not in await granted.execute(WITHOUT, {"ids": IDS})
    assert dict(granted.sandbox.calls) == {"taobao.tbk.item.info.get": 1}


async def test_coupons_on_a_shop_listing_are_one_wave(granted: GraphQLClient) -> None:
    granted.sandbox.calls.clear()
    nick = TOP_ITEMS[sorted(TOP_ITEMS)[0]]["nick"]
    result = await granted.execute(
        """query ($s: ID!) { sellerProducts(sellerId: $s, first: 20) {
             edges { node { id price { afterCoupon { amount } } } } } }""",
        {"s": f"taobao_shop_{nick}"})
    assert "errors" not in result, result
    edges = result["data"]["sellerProducts"]["edges"]
    assert edges and all(e["node"]["price"]["afterCoupon"] for e in edges)
    assert granted.sandbox.calls[UPGRADE] == 1
    assert granted.sandbox.calls["standard.products/search-by-shop"] == 1


async def test_without_the_grant_no_upgrade_call() -> None:
    async with serve_app(AFFILIATE) as gql:
        gql.sandbox.calls.clear()
        result = await gql.execute(WITH_COUPON, {"ids": IDS[:5]})
        assert "errors" not in result, result
        assert dict(gql.sandbox.calls) == {"taobao.tbk.item.info.get": 1}
        # item.info.get documents no coupon fields: no price after coupons to give.
        assert all(p["price"]["afterCoupon"] is None and p["price"]["coupon"] is None
                   for p in result["data"]["products"])

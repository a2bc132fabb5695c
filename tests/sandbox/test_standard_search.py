"""The sandbox's Weidian catalog and the standard aggregator's search semantics."""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import httpx
import pytest

from sandbox.app import create_sandbox_app
from sandbox.catalog_weidian import ITEMS
from sandbox.credentials import STANDARD_PATH, STANDARD_TOKEN


def test_weidian_catalog_is_realistic_and_stable() -> None:
    assert len(ITEMS) >= 50
    assert all(url.startswith("https://si.geilicdn.com/") for i in ITEMS.values()
               for url in i.imgs)
    sku_counts = {len(i.skus) for i in ITEMS.values()}
    assert min(sku_counts) == 0 and max(sku_counts) <= 20
    assert any(i.stock == 0 for i in ITEMS.values())
    assert len({s.id for i in ITEMS.values() for s in i.skus}) == sum(
        len(i.skus) for i in ITEMS.values())


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=create_sandbox_app()),
        base_url=f"http://sandbox{STANDARD_PATH}",
        headers={"Authorization": f"Bearer {STANDARD_TOKEN}"},
    ) as http:
        yield http


async def every_page(client: httpx.AsyncClient, page_size: int, **params: Any
                     ) -> tuple[list[dict[str, Any]], set[int]]:
    items: list[dict[str, Any]] = []
    totals: set[int] = set()
    page = 1
    while True:
        answer = await client.get("products/search", params={
            "channel": "weidian", "page": page, "page_size": page_size, **params})
        assert answer.status_code == 200, answer.text
        body = answer.json()
        totals.add(body["total"])
        items += body["items"]
        if len(body["items"]) < page_size:
            return items, totals
        page += 1


@pytest.mark.parametrize("sort", ["relevance", "price_asc", "price_desc", "sales", "newest"])
async def test_every_sort_pages_through_each_match_once(client: httpx.AsyncClient,
                                                        sort: str) -> None:
    items, totals = await every_page(client, 7, keyword="", sort=sort)
    ids = [i["source_product_id"] for i in items]
    assert totals == {len(ITEMS)}
    assert sorted(ids) == sorted(ITEMS)


async def test_sorts_order_by_what_they_name(client: httpx.AsyncClient) -> None:
    cheap, _ = await every_page(client, 50, sort="price_asc")
    prices = [ITEMS[i["source_product_id"]].price for i in cheap]
    assert prices == sorted(prices)
    best, _ = await every_page(client, 50, sort="sales")
    sales = [ITEMS[i["source_product_id"]].sales for i in best]
    assert sales == sorted(sales, reverse=True)
    new, _ = await every_page(client, 50, sort="newest")
    listed = [ITEMS[i["source_product_id"]].listed_at for i in new]
    assert listed == sorted(listed, reverse=True)


async def test_filters_combine(client: httpx.AsyncClient) -> None:
    items, totals = await every_page(client, 5, keyword="裙", price_min="50", price_max="300",
                                     category_id="16", in_stock_only="true")
    expected = {i for i, item in ITEMS.items()
                if "裙" in item.item_name and Decimal(50) <= item.price <= Decimal(300)
                and item.category_id == "16" and item.stock > 0}
    assert expected  # the catalog has such items, so the filter is really exercised
    assert {i["source_product_id"] for i in items} == expected
    assert totals == {len(expected)}


async def test_bad_parameters_name_themselves(client: httpx.AsyncClient) -> None:
    answer = await client.get("products/search", params={
        "channel": "weidian", "page": 1, "page_size": 500})
    assert answer.status_code == 400
    assert "page_size" in answer.json()["error"]["message"]
    answer = await client.get("products/search", params={"channel": "amazon"})
    assert answer.status_code == 400 and answer.json()["error"]["code"] == "INVALID_CHANNEL"

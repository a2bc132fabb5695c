"""``shopProducts`` (TOP ``taobao.items.onsale.get``) for incremental sync, and product links
(``productByUrl``, ``parseProductUrl``), end to end over the in-process sandbox."""

from __future__ import annotations

import base64
import json
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from resolvers.cursors import encode_cursor
from sandbox.catalog_1688 import OFFERS
from sandbox.catalog_top import TOP_ITEMS
from tests.conftest import GraphQLClient

SHANGHAI = timezone(timedelta(hours=8))

SHOP = """
query($channel: Channel!, $first: Int, $after: String, $since: DateTime, $until: DateTime,
      $query: String, $sortKey: ShopProductSortKey, $reverse: Boolean) {
  shopProducts(channel: $channel, first: $first, after: $after, modifiedSince: $since,
               modifiedUntil: $until, query: $query, sortKey: $sortKey, reverse: $reverse) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges { node { id title { original } updatedAt salesCount totalStock } }
  }
}"""

ON_SALE = {n: item for n, item in TOP_ITEMS.items() if item.get("approve_status") == "onsale"}


def top_modified(item: dict[str, Any]) -> datetime:
    return datetime.strptime(item["modified"], "%Y-%m-%d %H:%M:%S").replace(tzinfo=SHANGHAI)


async def sync(gql: GraphQLClient, first: int, **variables: Any
               ) -> tuple[list[dict[str, Any]], int, int]:
    """Every node of one window, paging with endCursor; the page count and totalCount."""
    nodes: list[dict[str, Any]] = []
    after, pages = None, 0
    while True:
        result = await gql.execute(SHOP, {"channel": "TAOBAO", "first": first, "after": after,
                                          **variables})
        assert "errors" not in result, result["errors"]
        page = result["data"]["shopProducts"]
        pages += 1
        nodes += [e["node"] for e in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            return nodes, pages, page["totalCount"]
        after = page["pageInfo"]["endCursor"]


async def test_a_full_sync_visits_every_on_sale_item_once(gql: GraphQLClient) -> None:
    nodes, pages, total = await sync(gql, 50)
    ids = [n["id"] for n in nodes]
    assert len(ids) == len(set(ids)) == total == len(ON_SALE)
    assert {int(i.split("_")[1]) for i in ids} == set(ON_SALE)
    assert pages == -(-len(ON_SALE) // 50)
    # Ascending by modification time by default: the order an incremental sync wants.
    stamps = [datetime.fromisoformat(n["updatedAt"]) for n in nodes]
    assert stamps == sorted(stamps)
    # Listing fields come from the listing alone: one onsale call per page.
    assert gql.sandbox.calls == {"taobao.items.onsale.get": pages}


async def test_a_modification_window_returns_exactly_the_items_modified_in_it(
        gql: GraphQLClient) -> None:
    since = datetime(2026, 3, 1, tzinfo=SHANGHAI)
    until = datetime(2026, 3, 5, 10, 0, 0, tzinfo=SHANGHAI)  # exclusive
    nodes, _, total = await sync(gql, 2, since=since.isoformat(), until=until.isoformat())
    expected = {f"taobao_{n}" for n, item in ON_SALE.items()
                if since <= top_modified(item) < until}
    assert {n["id"] for n in nodes} == expected and total == len(expected) == len(nodes)
    assert "taobao_600000000004" in expected and "taobao_600000000005" not in expected
    # The params TOP saw: Asia/Shanghai wall time, end bound one second before `until`.
    params = gql.sandbox.last_params["taobao.items.onsale.get"]
    assert params["start_modified"] == "2026-03-01 00:00:00"
    assert params["end_modified"] == "2026-03-05 09:59:59"
    assert params["order_by"] == "modified:asc"


async def test_windows_given_in_utc_tile_without_gaps_or_overlaps(gql: GraphQLClient) -> None:
    # [since, mid) and [mid, until) in UTC together are [since, until).
    since, mid = "2026-03-01T02:00:00Z", "2026-03-05T02:00:00Z"
    until = "2026-03-10T02:00:00Z"
    first, _, _ = await sync(gql, 200, since=since, until=mid)
    second, _, _ = await sync(gql, 200, since=mid, until=until)
    start = datetime(2026, 3, 1, 10, tzinfo=SHANGHAI)
    end = datetime(2026, 3, 10, 10, tzinfo=SHANGHAI)
    expected = {f"taobao_{n}" for n, item in ON_SALE.items() if start <= top_modified(item) < end}
    ids = [n["id"] for n in first + second]
    assert len(ids) == len(set(ids)) and set(ids) == expected
    assert "taobao_600000000001" in {n["id"] for n in first}   # modified at 10:00:00 exactly
    assert "taobao_600000000005" in {n["id"] for n in second}  # modified at `mid` exactly


async def test_query_and_sales_sort(gql: GraphQLClient) -> None:
    nodes, _, _ = await sync(gql, 100, query="测试", sortKey="SALES", reverse=True)
    expected = {f"taobao_{n}" for n, item in ON_SALE.items() if "测试" in item["title"]}
    assert {n["id"] for n in nodes} == expected
    sales = [n["salesCount"] for n in nodes]
    assert sales == sorted(sales, reverse=True)


async def test_paging_past_the_depth_limit_asks_to_narrow_the_window(gql: GraphQLClient) -> None:
    page = (await gql.execute(SHOP, {"channel": "TAOBAO", "first": 200}))["data"]
    cursor = page["shopProducts"]["pageInfo"]["endCursor"]
    encoded = cursor.split(".")[0]
    payload = json.loads(base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)))
    # Signed by the server's own key: the next page would be page 101 of 200, past 20000.
    deep = encode_cursor(19_999, 200, payload["q"])
    result = await gql.execute(SHOP, {"channel": "TAOBAO", "first": 200, "after": deep})
    assert result["data"] is None
    error = result["errors"][0]
    assert error["extensions"]["code"] == "PAGE_DEPTH_EXCEEDED"
    assert error["extensions"]["upstreamCode"] == "41"
    assert "modification window" in error["message"]


@pytest.mark.parametrize(("variables", "argument"), [
    ({"channel": "WEIDIAN"}, "channel"),
    ({"channel": "ALIBABA_1688"}, "channel"),
    ({"channel": "TAOBAO", "first": 201}, "first"),
    ({"channel": "TAOBAO", "first": -1}, "first"),
    ({"channel": "TAOBAO", "since": "2026-03-01T00:00:00"}, "modifiedSince"),
    ({"channel": "TAOBAO", "since": "2026-03-02T00:00:00+08:00",
      "until": "2026-03-01T00:00:00+08:00"}, "modifiedSince"),
])
async def test_bad_shop_arguments_are_named(gql: GraphQLClient, variables: dict[str, Any],
                                            argument: str) -> None:
    result = await gql.execute(SHOP, variables)
    error = result["errors"][0]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert error["extensions"]["argument"] == argument
    assert sum(gql.sandbox.calls.values()) == 0


# -- links -----------------------------------------------------------------------------

BY_URL = """query($url: String!) { productByUrl(url: $url) { id channel title { original } } }"""
PARSE = """query($url: String!) {
  parseProductUrl(url: $url) { channel sourceId id canonicalUrl } }"""

OFFER_ID = next(iter(OFFERS))


@pytest.mark.parametrize(("url", "product_id"), [
    ("https://item.taobao.com/item.htm?spm=x&id=680123456789", "taobao_680123456789"),
    ("https://m.intl.taobao.com/detail/detail.html?id=680123456789", "taobao_680123456789"),
    ("https://h5.m.taobao.com/awp/core/detail.htm?id=680123456789", "taobao_680123456789"),
    ("https://world.taobao.com/item/680123456789.htm", "taobao_680123456789"),
    ("https://detail.tmall.com/item.htm?id=600000000007", "tmall_600000000007"),
    ("https://detail.m.tmall.com/item.htm?id=600000000007", "tmall_600000000007"),
    ("https://chaoshi.detail.tmall.com/item.htm?id=600000000007", "tmall_600000000007"),
    (f"https://detail.1688.com/offer/{OFFER_ID}.html", f"1688_{OFFER_ID}"),
    (f"https://m.1688.com/offer/{OFFER_ID}.html", f"1688_{OFFER_ID}"),
    (f"https://detail.m.1688.com/page/index.html?offerId={OFFER_ID}", f"1688_{OFFER_ID}"),
    ("https://weidian.com/item.html?itemID=1872265566", "weidian_1872265566"),
    ("https://shop1600123401.v.weidian.com/item.html?itemID=1872265566", "weidian_1872265566"),
])
async def test_product_by_url_loads_the_product(gql: GraphQLClient, url: str,
                                                product_id: str) -> None:
    result = await gql.execute(BY_URL, {"url": url})
    assert "errors" not in result, result
    product = result["data"]["productByUrl"]
    assert product["id"] == product_id and product["title"]["original"]
    parsed = (await gql.execute(PARSE, {"url": url}))["data"]["parseProductUrl"]
    assert parsed["id"] == product_id
    assert parsed["sourceId"] == product_id.split("_", 1)[1]


@pytest.mark.parametrize("url", [
    "https://evil.example/item.htm?id=1",
    "https://item.taobao.com@evil.example/item.htm?id=1",
    "https://evil.example\\@item.taobao.com/item.htm?id=1",
    "http://127.0.0.1:8000/item.htm?id=1",
    "https://item.taobao.com:8443/item.htm?id=1",
    "https://item.taobao.com/item.htm?id=1&x=" + "a" * 5000,
])
async def test_foreign_links_are_unsupported_and_cost_no_call(gql: GraphQLClient,
                                                              url: str) -> None:
    for query in (BY_URL, PARSE):
        result = await gql.execute(query, {"url": url})
        assert result["data"] is not None and list(result["data"].values()) == [None]
        ext = result["errors"][0]["extensions"]
        assert ext == {"code": "UNSUPPORTED_URL", "argument": "url"}
    assert sum(gql.sandbox.calls.values()) == 0


async def test_a_link_to_a_missing_product_is_not_found(gql: GraphQLClient) -> None:
    result = await gql.execute(BY_URL, {"url": "https://item.taobao.com/item.htm?id=1"})
    assert result["errors"][0]["extensions"]["code"] == "NOT_FOUND"

"""``search`` and ``searchByImage`` end to end over the in-process sandbox: paging visits
every match once, filters and sorts agree with the sandbox's catalogs, cursors are bound to
their query, detail parts load lazily in one wave, uploads are checked by a real multipart
POST."""

from __future__ import annotations

import base64
import json
from decimal import Decimal
from typing import Any

import httpx
import pytest

from graph.settings import Settings
from sandbox.catalog_1688 import OFFERS
from sandbox.catalog_top import TOP_ITEMS
from sandbox.catalog_weidian import ITEMS as WEIDIAN_ITEMS
from tests.conftest import GraphQLClient, serve_app

SEARCH = """
query($channel: Channel!, $query: String, $first: Int, $after: String,
      $filter: ProductFilter, $sortKey: ProductSortKey, $reverse: Boolean) {
  search(channel: $channel, query: $query, first: $first, after: $after, filter: $filter,
         sortKey: $sortKey, reverse: $reverse) {
    totalCount
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    edges { cursor node { id title { original } price { display { amount }
                                                       promotion { amount } } } }
  }
}"""

CATALOG_IDS = {
    "TAOBAO": {f"taobao_{n}" for n in TOP_ITEMS},
    "ALIBABA_1688": {f"1688_{n}" for n in OFFERS},
    "WEIDIAN": {f"weidian_{n}" for n in WEIDIAN_ITEMS},
}


def top_unit_price(item: dict[str, Any]) -> Decimal:
    """What a buyer pays for one unit of a TOP item: the promotion price when there is one."""
    return Decimal(str(item.get("promotion_price") or item["price"]))


def node_price(node: dict[str, Any]) -> Decimal:
    promotion = node["price"]["promotion"]
    return Decimal((promotion or node["price"]["display"])["amount"])


async def walk(gql: GraphQLClient, first: int = 20, **variables: Any
               ) -> tuple[list[dict[str, Any]], list[int], int]:
    """Every node of a search, paging with endCursor; the page sizes; the totalCount."""
    nodes: list[dict[str, Any]] = []
    sizes: list[int] = []
    after = None
    totals = set()
    for _ in range(100):
        result = await gql.execute(SEARCH, {**variables, "first": first, "after": after})
        assert "errors" not in result, result["errors"]
        page = result["data"]["search"]
        totals.add(page["totalCount"])
        nodes += [e["node"] for e in page["edges"]]
        sizes.append(len(page["edges"]))
        assert page["pageInfo"]["hasPreviousPage"] == (after is not None)
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert len(totals) == 1
    return nodes, sizes, totals.pop()


@pytest.mark.parametrize("channel", ["TAOBAO", "ALIBABA_1688", "WEIDIAN"])
async def test_paging_an_empty_query_visits_the_whole_catalog_once(
        gql: GraphQLClient, channel: str) -> None:
    nodes, sizes, total = await walk(gql, channel=channel)
    ids = [n["id"] for n in nodes]
    assert len(ids) == len(set(ids)) == total
    assert set(ids) == CATALOG_IDS[channel]
    assert all(size == 20 for size in sizes[:-1]) and 1 <= sizes[-1] <= 20
    # Listing fields only: one search call per page and no detail call at all.
    assert gql.sandbox.calls == {"standard.products/search": len(sizes)}


async def test_keyword_paging_matches_the_titles_that_contain_it(gql: GraphQLClient) -> None:
    nodes, sizes, total = await walk(gql, first=4, channel="TAOBAO", query="t恤")
    expected = {f"taobao_{n}" for n, item in TOP_ITEMS.items()
                if "t恤" in item["title"].casefold()}
    assert {n["id"] for n in nodes} == expected and total == len(expected) == len(nodes)
    assert len(expected) > 4  # more than one page
    assert len(sizes) == -(-len(expected) // 4)


async def test_changing_first_between_pages_still_visits_every_match_once(
        gql: GraphQLClient) -> None:
    seen: list[str] = []
    after = None
    for first in (7, 20, 3, 50, 100):
        page = (await gql.execute(SEARCH, {"channel": "WEIDIAN", "first": first,
                                           "after": after}))["data"]["search"]
        seen += [e["node"]["id"] for e in page["edges"]]
        after = page["pageInfo"]["endCursor"]
        if not page["pageInfo"]["hasNextPage"]:
            break
    assert sorted(seen) == sorted(CATALOG_IDS["WEIDIAN"])


async def test_price_filter_and_price_sort(gql: GraphQLClient) -> None:
    low, high = Decimal("50"), Decimal("150")
    nodes, _, total = await walk(gql, first=50, channel="TAOBAO", sortKey="PRICE",
                                 filter={"priceMin": "50", "priceMax": "150"})
    expected = {f"taobao_{n}" for n, item in TOP_ITEMS.items()
                if low <= top_unit_price(item) <= high}
    assert {n["id"] for n in nodes} == expected and total == len(expected)
    prices = [node_price(n) for n in nodes]
    assert prices == sorted(prices) and low <= prices[0] and prices[-1] <= high

    reverse, _, _ = await walk(gql, first=50, channel="TAOBAO", sortKey="PRICE", reverse=True,
                               filter={"priceMin": "50", "priceMax": "150"})
    prices = [node_price(n) for n in reverse]
    assert prices == sorted(prices, reverse=True)


async def test_category_and_in_stock_filters(gql: GraphQLClient) -> None:
    nodes, _, total = await walk(gql, first=100, channel="TAOBAO",
                                 filter={"categoryId": "50000436"})
    expected = {f"taobao_{n}" for n, item in TOP_ITEMS.items() if item.get("cid") == 50000436}
    assert {n["id"] for n in nodes} == expected and total == len(expected) > 0

    nodes, _, total = await walk(gql, first=100, channel="TAOBAO",
                                 filter={"inStockOnly": True})
    expected = {f"taobao_{n}" for n, item in TOP_ITEMS.items() if int(item.get("num", 0)) > 0}
    assert {n["id"] for n in nodes} == expected and total == len(expected)
    assert "taobao_600000000003" not in expected  # the all-sold-out item is filtered away


async def test_sales_and_newest_orders(gql: GraphQLClient) -> None:
    nodes, _, _ = await walk(gql, first=100, channel="TAOBAO", sortKey="SALES")
    sales = [int(TOP_ITEMS[int(n["id"].split("_")[1])].get("sold_quantity", 0)) for n in nodes]
    assert sales == sorted(sales, reverse=True)
    nodes, _, _ = await walk(gql, first=100, channel="WEIDIAN", sortKey="NEWEST")
    listed = [WEIDIAN_ITEMS[n["id"].split("_")[1]].listed_at for n in nodes]
    assert listed == sorted(listed, reverse=True)


async def test_sales_count_and_variants_load_the_detail_in_one_wave(gql: GraphQLClient) -> None:
    query = """{ search(channel: TAOBAO, first: 20, sortKey: NEWEST) { edges { node {
        id salesCount variants { skuId stock } } } } }"""
    result = await gql.execute(query)
    assert "errors" not in result
    nodes = [e["node"] for e in result["data"]["search"]["edges"]]
    assert len(nodes) == 20
    for node in nodes:
        item = TOP_ITEMS[int(node["id"].split("_")[1])]
        assert node["salesCount"] == item.get("sold_quantity")
        assert {v["skuId"] for v in node["variants"]} == {
            str(s["sku_id"]) for s in item.get("skus") or ()}
    # One search call, then the 20 details in one TOP batch call (20 ids per call).
    assert gql.sandbox.calls == {"standard.products/search": 1,
                                 "taobao.items.seller.list.get": 1}


async def test_a_cursor_of_another_query_is_refused(gql: GraphQLClient) -> None:
    first = (await gql.execute(SEARCH, {"channel": "TAOBAO", "query": "t恤", "first": 5}))
    cursor = first["data"]["search"]["pageInfo"]["endCursor"]
    for variables in ({"channel": "TAOBAO", "query": "连衣裙"},
                      {"channel": "ALIBABA_1688", "query": "t恤"},
                      {"channel": "TAOBAO", "query": "t恤", "sortKey": "PRICE"},
                      {"channel": "TAOBAO", "query": "t恤", "filter": {"inStockOnly": True}}):
        gql.sandbox.reset()
        result = await gql.execute(SEARCH, {**variables, "first": 5, "after": cursor})
        assert result["data"] is None
        error = result["errors"][0]
        assert error["extensions"]["code"] == "INVALID_CURSOR"
        assert "after" in error["message"]
        assert sum(gql.sandbox.calls.values()) == 0
    for garbage in ("x", "!!!", base64.urlsafe_b64encode(b'{"o": -1}').decode(), "a" * 1000):
        result = await gql.execute(SEARCH, {"channel": "TAOBAO", "after": garbage})
        assert result["errors"][0]["extensions"]["code"] == "INVALID_CURSOR"


@pytest.mark.parametrize("first", [-1, 101])
async def test_first_out_of_range_names_first(gql: GraphQLClient, first: int) -> None:
    result = await gql.execute(SEARCH, {"channel": "TAOBAO", "first": first})
    error = result["errors"][0]
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "argument": "first"}
    assert sum(gql.sandbox.calls.values()) == 0


async def test_bad_filter_and_reverse_are_named(gql: GraphQLClient) -> None:
    result = await gql.execute(SEARCH, {"channel": "TAOBAO",
                                        "filter": {"priceMin": "10", "priceMax": "5"}})
    assert result["errors"][0]["extensions"]["argument"] == "filter.priceMin"
    result = await gql.execute(SEARCH, {"channel": "TAOBAO", "sortKey": "SALES",
                                        "reverse": True})
    assert result["errors"][0]["extensions"]["argument"] == "reverse"


async def test_top_credentials_without_an_aggregator_cannot_search_taobao() -> None:
    settings = Settings.from_env({"PRODUCTGRAPH_TAOBAO_APP_KEY": "12345678",
                                  "PRODUCTGRAPH_TAOBAO_APP_SECRET": "not-the-sandbox-secret",
                                  "PRODUCTGRAPH_TAOBAO_GATEWAY_URL": "http://127.0.0.1:9/x"})
    async with serve_app(settings) as gql:
        for channel in ("TAOBAO", "TMALL"):
            result = await gql.execute(SEARCH, {"channel": channel})
            assert result["data"] is None
            ext = result["errors"][0]["extensions"]
            assert ext["code"] == "CAPABILITY_NOT_SUPPORTED" and ext["channel"] == channel
            assert "not-the-sandbox-secret" not in json.dumps(result)
        # Channels still in sandbox mode search through the sandbox aggregator.
        ok = await gql.execute(SEARCH, {"channel": "WEIDIAN", "first": 1})
        assert ok["data"]["search"]["totalCount"] == len(WEIDIAN_ITEMS)


# -- search by image -------------------------------------------------------------------

IMAGE_SEARCH = """
query($channel: Channel!, $imageUrl: String, $image: Upload, $first: Int, $after: String) {
  searchByImage(channel: $channel, imageUrl: $imageUrl, image: $image, first: $first,
                after: $after) {
    totalCount region { x y width height }
    pageInfo { hasNextPage endCursor }
    edges { node { id } }
  }
}"""

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 64
WEBP = b"RIFF\x24\x00\x00\x00WEBPVP8 " + b"\x00" * 64
GIF = b"GIF89a" + b"\x00" * 64


async def upload(gql: GraphQLClient, data: bytes, *, filename: str = "photo.png",
                 content_type: str = "image/png", preflight: bool = True,
                 after: str | None = None) -> httpx.Response:
    """A GraphQL multipart request (the multipart request spec), as Apollo's client sends."""
    operations = {"query": IMAGE_SEARCH, "variables": {"channel": "ALIBABA_1688", "image": None,
                                                       "first": 5, "after": after}}
    headers = {"Apollo-Require-Preflight": "true"} if preflight else {}
    return await gql.http.post(
        "/graphql", headers=headers,
        data={"operations": json.dumps(operations), "map": json.dumps({"0": ["variables.image"]})},
        files={"0": (filename, data, content_type)})


async def test_image_url_is_passed_upstream_with_the_detected_region(gql: GraphQLClient) -> None:
    url = "https://cbu01.alicdn.com/img/ibank/does-not-exist.jpg"
    result = await gql.execute(IMAGE_SEARCH, {"channel": "ALIBABA_1688", "imageUrl": url,
                                              "first": 5})
    page = result["data"]["searchByImage"]
    assert len(page["edges"]) == 5 and page["totalCount"] >= 5
    region = page["region"]
    assert region["width"] > 0 and region["height"] > 0
    assert gql.sandbox.calls == {"standard.products/search-by-image": 1}


async def test_image_search_pages_without_overlap(gql: GraphQLClient) -> None:
    url = "https://example.invalid/shirt.jpg"
    seen: list[str] = []
    after = None
    total = None
    while True:
        result = await gql.execute(IMAGE_SEARCH, {"channel": "TAOBAO", "imageUrl": url,
                                                  "first": 4, "after": after})
        page = result["data"]["searchByImage"]
        total = page["totalCount"]
        seen += [e["node"]["id"] for e in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert len(seen) == len(set(seen)) == total


@pytest.mark.parametrize("data", [PNG, JPEG, WEBP], ids=["png", "jpeg", "webp"])
async def test_uploaded_images_search(gql: GraphQLClient, data: bytes) -> None:
    response = await upload(gql, data)
    assert response.status_code == 200, response.text
    body = response.json()
    assert "errors" not in body, body
    assert len(body["data"]["searchByImage"]["edges"]) == 5
    assert gql.sandbox.calls == {"standard.products/upload-image": 1,
                                 "standard.products/search-by-image": 1}


async def test_upload_of_another_type_is_refused_by_its_bytes(gql: GraphQLClient) -> None:
    # A GIF that calls itself a PNG: the magic bytes decide.
    response = await upload(gql, GIF, filename="x.png", content_type="image/png")
    error = response.json()["errors"][0]
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "argument": "image"}
    assert "JPEG, PNG or WebP" in error["message"]
    assert sum(gql.sandbox.calls.values()) == 0


async def test_upload_over_5_mb_is_refused(gql: GraphQLClient) -> None:
    response = await upload(gql, PNG + b"\x00" * (5 * 1024 * 1024))
    error = response.json()["errors"][0]
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "argument": "image"}
    assert "5 MB" in error["message"]
    assert sum(gql.sandbox.calls.values()) == 0
    # Far over: refused from Content-Length before the body is parsed.
    response = await upload(gql, PNG + b"\x00" * (7 * 1024 * 1024))
    assert response.status_code == 413


async def test_multipart_without_a_preflight_header_is_refused(gql: GraphQLClient) -> None:
    response = await upload(gql, PNG, preflight=False)
    assert response.status_code == 400
    assert "Apollo-Require-Preflight" in response.text
    assert sum(gql.sandbox.calls.values()) == 0


async def test_exactly_one_image_source(gql: GraphQLClient) -> None:
    result = await gql.execute(IMAGE_SEARCH, {"channel": "TAOBAO"})
    assert result["errors"][0]["extensions"]["argument"] == "image"
    result = await gql.execute(IMAGE_SEARCH, {"channel": "TAOBAO", "imageUrl": "file:///etc/x"})
    assert result["errors"][0]["extensions"]["argument"] == "imageUrl"
    assert sum(gql.sandbox.calls.values()) == 0

"""``sellerProducts``: any shop's items by its ``Seller.id``, through the aggregator's search
by shop (the in-process sandbox's), as a Relay connection; bad ids are coded errors."""

from __future__ import annotations

from collections import Counter
from typing import Any

from sandbox.catalog_top import TOP_ITEMS
from tests.conftest import GraphQLClient

PAGE = """
query ($seller: ID!, $first: Int, $after: String, $query: String, $sortKey: ProductSortKey,
       $reverse: Boolean) {
  sellerProducts(sellerId: $seller, first: $first, after: $after, query: $query,
                 sortKey: $sortKey, reverse: $reverse) {
    totalCount
    pageInfo { hasNextPage hasPreviousPage endCursor }
    edges { cursor node {
      id title { original } price { display { amount } promotion { amount } } } }
  }
}"""
NICK, COUNT = Counter(str(i.get("nick")) for i in TOP_ITEMS.values()).most_common(1)[0]
SHOP = {f"taobao_{n}" for n, item in TOP_ITEMS.items() if item.get("nick") == NICK}


async def page_through(gql: GraphQLClient, first: int, **variables: Any
                       ) -> tuple[list[dict[str, Any]], int]:
    """Every node, following endCursor; and the number of pages (totalCount checked)."""
    nodes: list[dict[str, Any]] = []
    after, pages = None, 0
    while True:
        result = await gql.execute(PAGE, {"seller": f"taobao_shop_{NICK}", "first": first,
                                          "after": after, **variables})
        assert "errors" not in result, result["errors"]
        connection = result["data"]["sellerProducts"]
        total = connection["totalCount"]
        assert connection["pageInfo"]["hasPreviousPage"] is (pages > 0)
        pages += 1
        nodes += [e["node"] for e in connection["edges"]]
        if not connection["pageInfo"]["hasNextPage"]:
            assert total == len(nodes)
            return nodes, pages
        after = connection["pageInfo"]["endCursor"]


async def test_paging_visits_every_item_of_the_shop_once(gql: GraphQLClient) -> None:
    gql.sandbox.calls.clear()
    nodes, pages = await page_through(gql, 4, sortKey="PRICE")
    ids = [n["id"] for n in nodes]
    assert len(ids) == len(set(ids)) and set(ids) == SHOP
    assert pages == -(-COUNT // 4)
    for node in nodes:
        item = TOP_ITEMS[int(node["id"].removeprefix("taobao_"))]
        assert node["title"]["original"] == item["title"]
    # PRICE orders by what a buyer pays: the promotion price where one runs.
    amounts = [float((n["price"]["promotion"] or n["price"]["display"])["amount"])
               for n in nodes]
    assert amounts == sorted(amounts)
    # One aggregator call per page; no detail call for summary fields.
    assert dict(gql.sandbox.calls) == {"standard.products/search-by-shop": pages}


async def test_a_keyword_narrows_the_shop(gql: GraphQLClient) -> None:
    title = TOP_ITEMS[int(sorted(SHOP)[0].removeprefix("taobao_"))]["title"]
    word = title.split()[0]
    nodes, _ = await page_through(gql, 50, query=word)
    expected = {i for i in SHOP
                if word.casefold() in TOP_ITEMS[int(i.removeprefix("taobao_"))]["title"].casefold()}
    assert {n["id"] for n in nodes} == expected and expected


async def test_a_products_seller_id_lists_its_shop(gql: GraphQLClient) -> None:
    any_item = next(n for n, item in TOP_ITEMS.items() if item.get("nick") == NICK)
    product = await gql.execute(
        f'{{ product(id: "taobao_{any_item}") {{ seller {{ id }} }} }}')
    seller = product["data"]["product"]["seller"]["id"]
    result = await gql.execute(PAGE, {"seller": seller, "first": 100})
    assert {e["node"]["id"] for e in result["data"]["sellerProducts"]["edges"]} == SHOP


async def test_bad_seller_ids_are_coded(gql: GraphQLClient) -> None:
    gql.sandbox.calls.clear()
    for seller, code in (("taobao_680123456789", "BAD_USER_INPUT"),
                         ("taobao_shop_" + "x" * 65, "BAD_USER_INPUT"),
                         ("nowhere_shop_1", "INVALID_ID")):
        result = await gql.execute(PAGE, {"seller": seller})
        assert result["data"] is None or result["data"]["sellerProducts"] is None
        error = result["errors"][0]
        assert error["extensions"]["code"] == code, error
        assert error["extensions"].get("argument") == "sellerId", error
    assert dict(gql.sandbox.calls) == {}


async def test_an_unknown_shop_is_not_found(gql: GraphQLClient) -> None:
    result = await gql.execute(PAGE, {"seller": "taobao_shop_nobody-here"})
    assert result["errors"][0]["extensions"]["code"] == "NOT_FOUND"


async def test_sort_and_first_are_checked(gql: GraphQLClient) -> None:
    for variables, argument in (({"first": 101}, "first"),
                                ({"sortKey": "SALES", "reverse": True}, "reverse")):
        result = await gql.execute(PAGE, {"seller": f"taobao_shop_{NICK}", **variables})
        assert result["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
        assert result["errors"][0]["extensions"]["argument"] == argument

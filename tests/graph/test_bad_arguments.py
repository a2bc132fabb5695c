"""Arguments that used to crash a resolver (INTERNAL_SERVER_ERROR) are the client's
mistake, coded BAD_USER_INPUT and naming the argument; the sandbox sorts by sales."""

from __future__ import annotations

import pytest

from tests.conftest import GraphQLClient


@pytest.mark.parametrize("product_id", ["²", "٣٤", "１２"])
async def test_a_catalog_product_id_of_non_ascii_digits_is_bad_input(
        gql: GraphQLClient, product_id: str) -> None:
    result = await gql.execute("query($p: ID) { catalogProduct(productId: $p) { id } }",
                               {"p": product_id})
    [error] = result["errors"]
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "argument": "productId"}


@pytest.mark.parametrize(("argument", "value"), [
    ("modifiedSince", "9999-12-31T23:59:59Z"),
    ("modifiedUntil", "9999-12-31T23:59:59.999Z"),
    ("modifiedSince", "0001-01-01T00:00:00+08:00"),
])
async def test_a_listing_time_out_of_range_is_bad_input_naming_it(
        gql: GraphQLClient, argument: str, value: str) -> None:
    result = await gql.execute(
        f"query($t: DateTime) {{ shopProducts(channel: TAOBAO, {argument}: $t) "
        "{ totalCount } }", {"t": value})
    [error] = result["errors"]
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "argument": argument}


@pytest.mark.parametrize("reverse", [False, True])
async def test_shop_products_sort_by_sales_on_the_sandbox(gql: GraphQLClient,
                                                          reverse: bool) -> None:
    result = await gql.execute(
        "query($r: Boolean!) { shopProducts(channel: TAOBAO, sortKey: SALES, reverse: $r, "
        "first: 40) { edges { node { id salesCount } } } }", {"r": reverse})
    assert "errors" not in result
    sales = [edge["node"]["salesCount"] for edge in result["data"]["shopProducts"]["edges"]]
    assert len(sales) == 40
    known = [count or 0 for count in sales]  # an item without a count sorts as 0
    assert known == sorted(known, reverse=reverse)

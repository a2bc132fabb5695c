"""The server end to end through ``httpx.ASGITransport``, over the in-process sandbox."""

from __future__ import annotations

from tests.conftest import GraphQLClient

SEED_000 = "taobao_680123456789"

DETAIL = """
query ($id: ID!) {
  product(id: $id) {
    id channel sourceId sourceUrl
    title { original }
    price { original { amount currencyCode } display { amount } promotion { amount } }
    totalStock salesCount availableForSale updatedAt
    seller { id name }
    variants { skuId stock availableForSale price { display { amount } }
               selectedOptions { name value } }
  }
}
"""


def _taobao_ids(count: int) -> list[str]:
    from sandbox.catalog_top import TOP_ITEMS, is_tmall

    ids = [f"taobao_{n}" for n in sorted(TOP_ITEMS) if not is_tmall(n)]
    return ids[:count]


async def test_seed_000_product_comes_back_with_its_prices_and_two_skus(gql: GraphQLClient) -> None:
    result = await gql.execute(DETAIL, {"id": SEED_000})
    assert "errors" not in result, result
    product = result["data"]["product"]
    assert product["id"] == SEED_000
    assert product["channel"] == "TAOBAO"
    assert product["title"]["original"] == "2026 Summer New Casual Cotton Short Sleeve T-shirt"
    assert product["price"]["original"] == {"amount": "89.00", "currencyCode": "CNY"}
    assert product["price"]["promotion"] == {"amount": "59.00"}
    assert product["salesCount"] == 12580
    assert product["updatedAt"] == "2026-05-20T15:30:10+08:00"
    skus = {
        tuple(o["value"] for o in v["selectedOptions"]):
            (v["stock"], v["price"]["display"]["amount"])
        for v in product["variants"]
    }
    assert skus == {("White", "L"): (120, "59.00"), ("Black", "XL"): (95, "59.00")}


async def test_batch_of_25_costs_two_gateway_calls_in_order(gql: GraphQLClient) -> None:
    ids = _taobao_ids(25)
    gql.sandbox.reset()
    result = await gql.execute(
        "query ($ids: [ID!]!) { products(ids: $ids) { id title { original } variants { skuId } } }",
        {"ids": ids})
    assert "errors" not in result, result["errors"]
    assert [p["id"] for p in result["data"]["products"]] == ids
    assert sum(gql.sandbox.calls.values()) == 2


async def test_id_and_title_query_asks_for_no_sku_image_or_description_fields(
        gql: GraphQLClient) -> None:
    gql.sandbox.reset()
    result = await gql.execute(
        "query ($id: ID!) { product(id: $id) { id title { original } } }", {"id": SEED_000})
    assert result["data"]["product"]["title"]["original"].startswith("2026 Summer")
    fields = {f for params in gql.sandbox.last_params.values()
              for f in params.get("fields", "").split(",")}
    assert "title" in fields
    assert not fields & {"sku", "item_img", "prop_img", "desc"}


async def test_unknown_id_is_null_with_not_found_and_the_rest_still_returns(
        gql: GraphQLClient) -> None:
    ids = [SEED_000, "taobao_999999999999", "1688_584240750353"]
    result = await gql.execute(
        "query ($ids: [ID!]!) { products(ids: $ids) { id title { original } } }", {"ids": ids})
    products = result["data"]["products"]
    assert products[0]["id"] == SEED_000
    assert products[1] is None
    assert products[2]["id"] == "1688_584240750353"
    [error] = result["errors"]
    assert error["path"] == ["products", 1]
    assert error["extensions"]["code"] == "NOT_FOUND"
    assert error["extensions"]["channel"] == "TAOBAO"


async def test_malformed_ids_name_the_argument_and_the_expected_form(gql: GraphQLClient) -> None:
    result = await gql.execute(
        'query { products(ids: ["taobao_680123456789", "amazon_1", "taobao_12ab"]) { id } }')
    assert result["data"]["products"][0]["id"] == SEED_000
    errors = {tuple(e["path"]): e for e in result["errors"]}
    assert errors[("products", 1)]["extensions"]["code"] == "INVALID_ID"
    assert "ids[1]" in errors[("products", 1)]["message"]
    assert "taobao, tmall, 1688, weidian" in errors[("products", 1)]["message"]
    assert errors[("products", 2)]["extensions"]["code"] == "INVALID_ID"
    assert errors[("products", 2)]["extensions"]["argument"] == "ids[2]"


async def test_more_than_100_ids_is_refused_naming_the_limit(gql: GraphQLClient) -> None:
    gql.sandbox.reset()
    ids = [f"taobao_{n}" for n in range(1, 102)]
    result = await gql.execute("query ($ids: [ID!]!) { products(ids: $ids) { id } }",
                               {"ids": ids})
    [error] = result["errors"]
    assert error["extensions"]["code"] == "TOO_MANY_IDS"
    assert "at most 100" in error["message"]
    assert sum(gql.sandbox.calls.values()) == 0


async def test_mixed_channels_in_one_request_each_batched_on_its_own(gql: GraphQLClient) -> None:
    from sandbox.catalog_1688 import OFFERS
    from sandbox.catalog_weidian import ITEMS as WEIDIAN_ITEMS

    ids = _taobao_ids(3) + [f"1688_{n}" for n in sorted(OFFERS)[:3]] + [
        f"weidian_{n}" for n in sorted(WEIDIAN_ITEMS)[:2]]
    gql.sandbox.reset()
    result = await gql.execute("query ($ids: [ID!]!) { products(ids: $ids) { id channel } }",
                               {"ids": ids})
    assert "errors" not in result, result["errors"]
    assert [p["id"] for p in result["data"]["products"]] == ids
    calls = gql.sandbox.calls
    assert sum(n for api, n in calls.items() if api.startswith("taobao.")) == 1
    assert sum(calls.values()) == 1 + 3 + 2  # 1688 and Weidian have no batch call


async def test_1688_offer_of_seed_004(gql: GraphQLClient) -> None:
    result = await gql.execute("""{ product(id: "1688_584240750353") {
        minOrderQuantity priceTiers { minQuantity price { amount } }
        at50: priceForQuantity(quantity: 50) { amount currencyCode }
        variants { skuId } } }""")
    assert "errors" not in result, result
    product = result["data"]["product"]
    assert product["minOrderQuantity"] == 3
    assert [(t["minQuantity"], t["price"]["amount"]) for t in product["priceTiers"]] == [
        (3, "23.00"), (50, "22.00"), (500, "21.00")]
    assert product["at50"] == {"amount": "22.00", "currencyCode": "CNY"}
    assert "8ee78ffbdcb30c53861739e60be04325" in {v["skuId"] for v in product["variants"]}
    below = await gql.execute(
        '{ product(id: "1688_584240750353") { priceForQuantity(quantity: 2) { amount } } }')
    [error] = below["errors"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert "3" in error["message"] and "minimum order" in error["message"]


async def test_node_resolves_products_variants_and_sellers(gql: GraphQLClient) -> None:
    result = await gql.execute("""{
      p: node(id: "taobao_680123456789") { id ... on Product { title { original } } }
      v: node(id: "taobao_680123456789_123456789002") { id ... on Variant { stock } }
      s: node(id: "taobao_shop_Official Flagship Store") { id ... on Seller { name } }
    }""")
    assert "errors" not in result, result
    assert result["data"]["p"]["title"]["original"].startswith("2026 Summer")
    assert result["data"]["v"]["stock"] == 95
    assert result["data"]["s"]["name"] == "Official Flagship Store"


async def test_catalog_product_of_seed_001(gql: GraphQLClient) -> None:
    result = await gql.execute("""{ catalogProduct(productId: "3433222") {
        id name marketPrice { amount } category { id name }
        keyProperties { name { original } value { original } } } }""")
    assert "errors" not in result, result
    catalog = result["data"]["catalogProduct"]
    assert catalog["name"] == "惠普笔记本"
    assert catalog["marketPrice"] == {"amount": "200.07"}
    assert catalog["category"]["id"] == "50012286"
    assert {(p["name"]["original"], p["value"]["original"]) for p in catalog["keyProperties"]} >= {
        ("品牌", "诺基亚"), ("型号", "N73")}
    missing = await gql.execute("{ catalogProduct { id } }")
    assert missing["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_coded_errors_are_answers_not_error_logs(gql: GraphQLClient, caplog) -> None:  # type: ignore[no-untyped-def]
    caplog.set_level("ERROR", logger="strawberry.execution")
    result = await gql.execute('{ product(id: "taobao_999999999999") { id } }')
    assert result["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    assert not [r for r in caplog.records if r.name == "strawberry.execution"]

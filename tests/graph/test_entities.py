"""``_entities``, as a federation gateway calls it: each representation answered on its own,
through the request's loaders."""

from __future__ import annotations

from typing import Any

from tests.conftest import GraphQLClient

ENTITIES = """query($r: [_Any!]!) { _entities(representations: $r) {
    __typename
    ... on Product { id title { original } }
    ... on Variant { id skuId }
    ... on Seller { id }
} }"""

SEED = "taobao_680123456789"


def codes(result: dict[str, Any]) -> dict[int, str]:
    return {e["path"][1]: e["extensions"]["code"] for e in result.get("errors", [])}


async def test_bad_representations_are_null_with_a_code_and_the_rest_resolve(
        gql: GraphQLClient) -> None:
    result = await gql.execute(ENTITIES, {"r": [
        {"__typename": "Product", "id": SEED},
        {"id": SEED},                                   # no __typename
        {"__typename": "Review", "id": "review_1"},     # not an entity of productgraph
        {"__typename": "Money", "id": "1"},             # a type, but not an entity
        {"__typename": "Product"},                      # no key
        "taobao_680123456789",                          # not an object
        {"__typename": "Product", "id": "taobao_1"},    # unknown product
        {"__typename": "Product", "id": "nope"},        # malformed id
        {"__typename": "Variant", "id": f"{SEED}_123456789001"},
        {"__typename": "Seller", "id": "taobao_shop_Official Flagship Store"},
    ]})

    data = result["data"]["_entities"]
    assert data[0] == {"__typename": "Product", "id": SEED,
                       "title": {"original": "2026 Summer New Casual Cotton Short Sleeve T-shirt"}}
    assert data[1:8] == [None] * 7
    assert data[8] == {"__typename": "Variant", "id": f"{SEED}_123456789001",
                       "skuId": "123456789001"}
    assert data[9] == {"__typename": "Seller", "id": "taobao_shop_Official Flagship Store"}
    assert codes(result) == {
        1: "INVALID_REPRESENTATION", 2: "INVALID_REPRESENTATION", 3: "INVALID_REPRESENTATION",
        4: "INVALID_REPRESENTATION", 5: "INVALID_REPRESENTATION",
        6: "NOT_FOUND", 7: "INVALID_ID",
    }
    message = next(e["message"] for e in result["errors"] if e["path"][1] == 2)
    assert "Product, Variant, Seller" in message and "'Review'" in message


async def test_fifty_product_representations_cost_the_batches_of_products_ids(
        gql: GraphQLClient) -> None:
    from sandbox.catalog_top import TOP_ITEMS, TRICKY_ITEM_IDS, is_tmall

    ids = [f"taobao_{i}" for i in sorted(TOP_ITEMS)
           if not is_tmall(i) and i not in TRICKY_ITEM_IDS][:100]
    selection = "id title { original } variants { skuId }"

    gql.sandbox.reset()
    entities = await gql.execute(
        "query($r: [_Any!]!) { _entities(representations: $r) { ... on Product { "
        + selection + " } } }", {"r": [{"__typename": "Product", "id": i} for i in ids[:50]]})
    entity_calls = dict(gql.sandbox.calls)

    gql.sandbox.reset()
    products = await gql.execute(
        "query($ids: [ID!]!) { products(ids: $ids) { " + selection + " } }", {"ids": ids[50:]})
    product_calls = dict(gql.sandbox.calls)

    assert "errors" not in entities and "errors" not in products
    assert [p["id"] for p in entities["data"]["_entities"]] == ids[:50]
    assert entity_calls == product_calls
    assert sum(entity_calls.values()) == 3  # 20 ids per Taobao batch call

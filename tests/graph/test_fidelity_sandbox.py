"""Issue 13's "Done when", over the whole in-process sandbox catalog, through GraphQL as a
frontend asks: no phantom discounts, every Taobao/Tmall item named and pathed through
``taobao.itemcats.get`` (one call per wave of missing categories, none when warm), each
image once with one position, variant images equal to their ``Product.images`` entry."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from sandbox import catalog_top
from sandbox.catalog_1688 import OFFERS
from sandbox.catalog_weidian import ITEMS as WEIDIAN_ITEMS
from tests.conftest import GraphQLClient

pytestmark = pytest.mark.asyncio

ITEMCATS = "taobao.itemcats.get"


def top_ids() -> list[str]:
    return [f"{'tmall' if catalog_top.is_tmall(i) else 'taobao'}_{i}"
            for i in catalog_top.TOP_ITEMS]


def all_ids() -> list[str]:
    return (top_ids() + [f"1688_{i}" for i in OFFERS]
            + [f"weidian_{i}" for i in WEIDIAN_ITEMS])


async def products(gql: GraphQLClient, ids: list[str], selection: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for start in range(0, len(ids), 100):
        result = await gql.execute(
            f"query ($ids: [ID!]!) {{ products(ids: $ids) {{ id {selection} }} }}",
            {"ids": ids[start:start + 100]})
        assert not result.get("errors"), result["errors"][:3]
        found += result["data"]["products"]
    return found


CATEGORY = "category { id name path parentId isLeaf }"


async def test_every_top_item_has_a_category_name_and_a_path_from_the_root(
        gql: GraphQLClient) -> None:
    ids = top_ids()
    gql.sandbox.reset()
    found = await products(gql, ids, CATEGORY)
    assert len(found) == len(ids)
    for product in found:
        category = product["category"]
        assert category["name"], product
        assert category["path"] and category["path"][-1] == category["name"], product
        assert category["isLeaf"] is True, product
    cold = gql.sandbox.calls.get(ITEMCATS, 0)
    # Each query's leaves in one call, then one per level of missing parents; parents
    # already cached by an earlier query of the sweep cost nothing.
    queries = -(-len(ids) // 100)
    assert 1 <= cold <= 2 * queries
    gql.sandbox.reset()
    await products(gql, ids, CATEGORY)
    assert gql.sandbox.calls.get(ITEMCATS, 0) == 0  # warm: every path from the cache


async def test_a_category_call_is_made_only_when_a_name_or_path_is_selected(
        gql: GraphQLClient) -> None:
    gql.sandbox.reset()
    found = await products(gql, top_ids()[:40], "category { id } title { original }")
    assert all(p["category"]["id"] for p in found)
    assert gql.sandbox.calls.get(ITEMCATS, 0) == 0


async def test_one_call_names_every_leaf_of_one_query(gql: GraphQLClient) -> None:
    gql.sandbox.reset()
    await products(gql, top_ids()[:100], "category { name }")
    assert gql.sandbox.calls.get(ITEMCATS, 0) == 1


async def test_categories_browses_the_tree(gql: GraphQLClient) -> None:
    gql.sandbox.reset()
    result = await gql.execute("{ categories(channel: TAOBAO) { id name isLeaf parentId } }")
    roots = result["data"]["categories"]
    assert {"id": "16", "name": "女装/女士精品", "isLeaf": False, "parentId": None} in roots
    result = await gql.execute(
        '{ categories(channel: TMALL, parentId: "16") { id name path isLeaf } }')
    children = result["data"]["categories"]
    assert {"id": "50000436", "name": "T恤", "path": ["女装/女士精品", "T恤"],
            "isLeaf": True} in children
    calls = gql.sandbox.calls.get(ITEMCATS, 0)
    assert calls == 2  # the roots, then the children; the path's parent came with the roots
    result = await gql.execute('{ categories(channel: ALIBABA_1688) { id } }')
    assert result["errors"][0]["extensions"]["code"] == "CAPABILITY_NOT_SUPPORTED"


PRICES = ("price { original { amount } display { amount } promotion { amount } } "
          "variants { price { original { amount } display { amount } promotion { amount } } }")


def _no_phantom(price: dict[str, Any], where: str) -> None:
    original = Decimal(price["original"]["amount"])
    display = Decimal(price["display"]["amount"])
    promotion = price["promotion"] and Decimal(price["promotion"]["amount"])
    assert original >= display, where
    if original > display:  # only a real promotion shows a discount
        assert promotion is not None and promotion < original, where
    if promotion is not None:
        assert promotion < display, where


async def test_no_price_shows_a_discount_without_a_promotion(gql: GraphQLClient) -> None:
    for product in await products(gql, all_ids(), PRICES):
        _no_phantom(product["price"], product["id"])
        for variant in product["variants"]:
            _no_phantom(variant["price"], product["id"])


async def test_1688_suggested_retail_and_reference_prices_have_their_own_fields(
        gql: GraphQLClient) -> None:
    ids = [f"1688_{i}" for i in OFFERS]
    found = await products(gql, ids, "price { original { amount } display { amount } } "
                                     "suggestedRetailPrice { amount } "
                                     "referencePriceRange { min { amount } max { amount } } "
                                     "variants { price { original { amount } } "
                                     "suggestedRetailPrice { amount } }")
    by_id = {p["id"]: p for p in found}
    for offer_id, offer in OFFERS.items():
        product = by_id[f"1688_{offer_id}"]
        assert product["price"]["original"] == product["price"]["display"]
        retail = (offer.get("saleInfo") or {}).get("retailprice")
        assert (product["suggestedRetailPrice"] is None) == (retail is None)
        reference = offer.get("referencePrice")
        if reference is None or reference == "面议":
            assert product["referencePriceRange"] is None, offer_id
        else:
            low = reference.split("~")[0]
            assert Decimal(product["referencePriceRange"]["min"]["amount"]) == Decimal(low)
        retail_by_sku = [s.get("retailPrice") for s in offer.get("skuInfos") or ()]
        for variant, sku_retail in zip(product["variants"], retail_by_sku, strict=True):
            assert (variant["suggestedRetailPrice"] is None) == (sku_retail is None)


IMAGES = ("images { url kind position option { name value } } "
          "variants { image { url kind position } }")


async def test_each_image_once_positions_continuous_variant_images_the_same(
        gql: GraphQLClient) -> None:
    for product in await products(gql, all_ids(), IMAGES):
        images = product["images"]
        urls = [i["url"] for i in images]
        assert len(urls) == len(set(urls)), product["id"]
        assert [i["position"] for i in images] == list(range(len(images))), product["id"]
        by_url = {i["url"]: {k: i[k] for k in ("url", "kind", "position")} for i in images}
        for variant in product["variants"]:
            if variant["image"] is not None:
                assert variant["image"] == by_url[variant["image"]["url"]], product["id"]


async def test_tmall_catalog_products_list_their_main_image_once(gql: GraphQLClient) -> None:
    ids = [f"tmall_{i}" for i in catalog_top.TOP_ITEMS if catalog_top.is_tmall(i)]
    found = await products(gql, ids, "catalogProduct { images { url position } "
                                     "propertyImages { url position option { value } } }")
    seen = 0
    for product in found:
        catalog = product["catalogProduct"]
        if catalog is None:
            continue
        seen += 1
        urls = [i["url"] for i in catalog["images"]]
        assert len(urls) == len(set(urls)), product["id"]
        positions = {i["url"]: i["position"] for i in catalog["images"]}
        for image in catalog["propertyImages"]:
            assert image["option"] is not None, product["id"]
            if image["url"] in positions:
                assert image["position"] == positions[image["url"]]
    assert seen > 10

"""Variant selection (``options(selected:)``, ``variantBySelectedOptions``,
``selectedOrFirstAvailableVariant``) on sandbox products with 0, 1, 2 and 3 option
dimensions, sold-out combinations included."""

from __future__ import annotations

from typing import Any

from tests.conftest import GraphQLClient

SELECT = """
query($id: ID!, $selected: [SelectedOptionInput!], $exact: [SelectedOptionInput!]!,
      $ignoreUnknown: Boolean = false, $caseInsensitive: Boolean = false) {
  product(id: $id) {
    options(selected: $selected) {
      name values { name available firstSelectableVariant { skuId } }
    }
    variantBySelectedOptions(selectedOptions: $exact, ignoreUnknownOptions: $ignoreUnknown,
                             caseInsensitiveMatch: $caseInsensitive) {
      skuId stock availableForSale selectedOptions { name value }
    }
    selectedOrFirstAvailableVariant(selectedOptions: $selected) {
      skuId availableForSale selectedOptions { name value }
    }
    variants { skuId }
  }
}"""


def opts(**chosen: str) -> list[dict[str, str]]:
    return [{"name": name, "value": value} for name, value in chosen.items()]


async def select(gql: GraphQLClient, product_id: str, *, selected: list[dict[str, str]] | None
                 = None, exact: list[dict[str, str]] | None = None, **flags: bool
                 ) -> dict[str, Any]:
    result = await gql.execute(SELECT, {"id": product_id, "selected": selected,
                                        "exact": exact or [], **flags})
    assert "errors" not in result, result["errors"]
    return result["data"]["product"]  # type: ignore[no-any-return]


def availability(product: dict[str, Any]) -> dict[str, dict[str, bool]]:
    return {o["name"]: {v["name"]: v["available"] for v in o["values"]}
            for o in product["options"]}


def values_of(variant: dict[str, Any] | None) -> dict[str, str] | None:
    if variant is None:
        return None
    return {o["name"]: o["value"] for o in variant["selectedOptions"]}


async def test_no_option_dimensions(gql: GraphQLClient) -> None:
    product = await select(gql, "taobao_600000000005")  # 无SKU测试: no SKUs at all
    assert product["options"] == [] and product["variants"] == []
    assert product["variantBySelectedOptions"] is None
    assert product["selectedOrFirstAvailableVariant"] is None
    product = await select(gql, "taobao_600000000005", exact=opts(颜色分类="白色"),
                           ignoreUnknown=True)
    assert product["variantBySelectedOptions"] is None


async def test_one_dimension_all_sold_out(gql: GraphQLClient) -> None:
    # 全部售罄测试: white and black, both with stock 0.
    product = await select(gql, "taobao_600000000003", selected=opts(颜色分类="黑色"),
                           exact=opts(颜色分类="黑色"))
    assert availability(product) == {"颜色分类": {"白色": False, "黑色": False}}
    assert all(v["firstSelectableVariant"] is None for v in product["options"][0]["values"])
    exact = product["variantBySelectedOptions"]
    assert values_of(exact) == {"颜色分类": "黑色"}
    assert exact["availableForSale"] is False and exact["stock"] == 0
    # The exact choice is returned even sold out; nothing else is in stock.
    assert values_of(product["selectedOrFirstAvailableVariant"]) == {"颜色分类": "黑色"}
    none_chosen = await select(gql, "taobao_600000000003")
    assert none_chosen["selectedOrFirstAvailableVariant"] is None


async def test_one_dimension_in_stock(gql: GraphQLClient) -> None:
    product = await select(gql, "taobao_600000000008", exact=opts(颜色分类="蓝色"))
    assert availability(product) == {"颜色分类": {"红色": True, "蓝色": True}}
    assert product["variantBySelectedOptions"]["stock"] == 999999
    assert values_of(product["selectedOrFirstAvailableVariant"]) == {"颜色分类": "红色"}


async def test_two_dimensions_black_xl_sold_out(gql: GraphQLClient) -> None:
    # Weidian 1872265599: 黑色/白色 x L/XL, black XL has no stock.
    black_xl = opts(颜色="黑色", 尺码="XL")
    product = await select(gql, "weidian_1872265599", selected=opts(颜色="黑色"),
                           exact=black_xl)
    assert availability(product) == {"颜色": {"黑色": True, "白色": True},
                                     "尺码": {"L": True, "XL": False}}
    sizes = {v["name"]: v for v in product["options"][1]["values"]}
    assert sizes["XL"]["firstSelectableVariant"] is None
    assert sizes["L"]["firstSelectableVariant"] is not None
    exact = product["variantBySelectedOptions"]
    assert values_of(exact) == {"颜色": "黑色", "尺码": "XL"}
    assert exact["availableForSale"] is False and exact["stock"] == 0
    # Only the colour chosen: the first in-stock black variant.
    assert values_of(product["selectedOrFirstAvailableVariant"]) == {"颜色": "黑色", "尺码": "L"}

    # Choosing XL first greys out black, not white.
    by_size = await select(gql, "weidian_1872265599", selected=opts(尺码="XL"), exact=black_xl)
    assert availability(by_size)["颜色"] == {"黑色": False, "白色": True}
    assert availability(by_size)["尺码"] == {"L": True, "XL": True}  # white XL is in stock

    # With both chosen, selectedOrFirstAvailableVariant keeps the (sold-out) exact match.
    both = await select(gql, "weidian_1872265599", selected=black_xl, exact=black_xl)
    assert values_of(both["selectedOrFirstAvailableVariant"]) == {"颜色": "黑色", "尺码": "XL"}
    assert both["selectedOrFirstAvailableVariant"]["availableForSale"] is False


async def test_two_dimensions_partial_and_unknown_choices(gql: GraphQLClient) -> None:
    partial = await select(gql, "weidian_1872265599", exact=opts(颜色="黑色"))
    assert partial["variantBySelectedOptions"] is None  # a size is still to be chosen
    unknown = opts(颜色="白色", 尺码="L", 材质="棉")
    strict = await select(gql, "weidian_1872265599", exact=unknown)
    assert strict["variantBySelectedOptions"] is None
    lenient = await select(gql, "weidian_1872265599", exact=unknown, ignoreUnknown=True)
    assert values_of(lenient["variantBySelectedOptions"]) == {"颜色": "白色", "尺码": "L"}
    wrong_case = await select(gql, "weidian_1872265599", exact=opts(颜色="白色", 尺码="xl"))
    assert wrong_case["variantBySelectedOptions"] is None
    any_case = await select(gql, "weidian_1872265599", exact=opts(颜色="白色", 尺码="xl"),
                            caseInsensitive=True)
    assert values_of(any_case["variantBySelectedOptions"]) == {"颜色": "白色", "尺码": "XL"}


async def test_two_dimensions_with_aliased_values(gql: GraphQLClient) -> None:
    # 六十个SKU测试: 10 colours x 6 sizes; size XL is aliased 加大码, and 浅灰色/加大码 is
    # one of five sold-out combinations.
    product = await select(gql, "taobao_600000000004", selected=opts(颜色分类="浅灰色"),
                           exact=opts(颜色分类="浅灰色", 尺码="加大码"))
    sizes = availability(product)["尺码"]
    assert sizes == {"S": True, "M": True, "L": True, "加大码": False, "XXL": True,
                     "XXXL": True}
    assert product["variantBySelectedOptions"]["availableForSale"] is False
    assert len(product["variants"]) == 60


async def test_three_dimensions(gql: GraphQLClient) -> None:
    # A phone: 机身颜色 x 存储容量 x 套餐类型, 16GB+1TB sold out in both colours.
    product = await select(gql, "taobao_734414447442", selected=opts(机身颜色="绿色"),
                           exact=opts(机身颜色="蓝色", 存储容量="16GB+1TB", 套餐类型="官方标配"))
    assert availability(product) == {
        "机身颜色": {"绿色": True, "蓝色": True},
        "存储容量": {"12GB+256GB": True, "16GB+1TB": False},
        "套餐类型": {"官方标配": True},
    }
    exact = product["variantBySelectedOptions"]
    assert values_of(exact) == {"机身颜色": "蓝色", "存储容量": "16GB+1TB", "套餐类型": "官方标配"}
    assert exact["availableForSale"] is False
    assert values_of(product["selectedOrFirstAvailableVariant"]) == {
        "机身颜色": "绿色", "存储容量": "12GB+256GB", "套餐类型": "官方标配"}

    # Choosing the sold-out capacity leaves no colour selectable.
    by_storage = await select(gql, "taobao_734414447442", selected=opts(存储容量="16GB+1TB"))
    assert availability(by_storage)["机身颜色"] == {"绿色": False, "蓝色": False}
    two_of_three = await select(gql, "taobao_734414447442",
                                exact=opts(机身颜色="蓝色", 存储容量="12GB+256GB"))
    assert two_of_three["variantBySelectedOptions"] is None
    lower = await select(gql, "taobao_734414447442", caseInsensitive=True,
                         exact=opts(机身颜色="蓝色", 存储容量="12gb+256gb", 套餐类型="官方标配"))
    assert lower["variantBySelectedOptions"]["availableForSale"] is True


async def test_variant_selection_on_search_results(gql: GraphQLClient) -> None:
    query = """{ search(channel: WEIDIAN, query: "黑色XL售罄测试", first: 5) { edges { node {
        id options(selected: [{name: "颜色", value: "黑色"}]) { name values { name available } }
        variantBySelectedOptions(selectedOptions: [{name: "颜色", value: "黑色"},
                                                   {name: "尺码", value: "XL"}]) {
          availableForSale } } } } }"""
    result = await gql.execute(query)
    assert "errors" not in result, result
    [edge] = result["data"]["search"]["edges"]
    node = edge["node"]
    assert node["id"] == "weidian_1872265599"
    assert {v["name"]: v["available"] for v in node["options"][1]["values"]} == {
        "L": True, "XL": False}
    assert node["variantBySelectedOptions"] == {"availableForSale": False}

"""Direct resolvers (graph/direct_resolvers.py) answer exactly what strawberry's own resolvers do:
the same product, every kind of field — enums, decimals, times, lists, nested objects,
argument-taking fields left to strawberry — over the real app and sandbox."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from graph.documents import PreparedDocumentExtension
from graph.schema import ENTITIES, ProductGraphSchema, Query, schema
from tests.conftest import serve_app

EVERYTHING = """query ($ids: [ID!]!) { products(ids: $ids) {
  __typename id channel sourceId sourceUrl title { original translated language }
  description price { original { amount currencyCode } display { amount } promotion { amount } }
  priceRange { min { amount } max { amount } } priceTiers { minQuantity price { amount } }
  minOrderQuantity distributionPrice { amount } distributionMinQuantity unit batchNumber
  mixWholesale productType images { url kind position } videos { url kind coverUrl
  durationSeconds } attributes { name { original } value { original } }
  options { name translatedName values { name available swatchImage
    firstSelectableVariant { skuId } } }
  variants { __typename id skuId upstreamSkuId stock availableForSale barcode outerId
    selectedOptions { name value translatedName translatedValue }
    price { display { amount } } priceTiers { minQuantity } distributionPrice { amount }
    image { url kind position } priceForQuantity(quantity: 100) { amount } }
  totalStock availableForSale salesCount
  seller { id channel sourceId name shopUrl tradeScore location { province city text } }
  shipping { shipsFrom { city } domesticFee { amount } expressFee { amount } emsFee { amount }
    unitWeightKg freightTemplateId }
  category { id name path } brand condition status listedAt updatedAt
  customization { sampleDays samplePrice { amount } options { name value minQuantity
    referencePrice { min { amount } max { amount } } } }
} }"""

IDS = ["taobao_680123456789", "taobao_621795452502", "1688_584240750353", "taobao_1"]


def request_args() -> tuple[Request, Response]:
    scope = {"type": "http", "method": "POST", "path": "/graphql", "headers": [],
             "query_string": b"", "client": ("127.0.0.1", 0), "server": ("127.0.0.1", 0)}
    return Request(scope), Response()


async def test_direct_resolvers_answer_as_strawberrys_own_do() -> None:
    strawberrys = ProductGraphSchema(query=Query, types=list(ENTITIES),
                                     extensions=[PreparedDocumentExtension])
    answers: list[Any] = []
    async with serve_app() as gql:
        view = next(r.endpoint for r in gql.app.routes
                    if getattr(r, "path", None) == "/graphql")
        for built in (schema, strawberrys):
            context = await view.get_context(*request_args())
            result = await built.execute(EVERYTHING, variable_values={"ids": IDS},
                                         context_value=context)
            answers.append((result.data, [(e.message, e.path) for e in result.errors or ()]))
    direct, reference = answers
    assert direct == reference
    data, errors = direct
    assert [p and p["id"] for p in data["products"]] == [*IDS[:3], None]
    assert [path for _, path in errors] == [["products", 3]]   # taobao_1 does not exist
    assert data["products"][1]["variants"][0]["price"]["display"]["amount"]


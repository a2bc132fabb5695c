"""The benchmark's query, its product, and the raw graphql-core schema it is compared with."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from graphql import GraphQLSchema, build_schema

ROOT = Path(__file__).resolve().parents[2]

#: A Taobao item of the sandbox catalog (sandbox/catalog_top.py) with 20 SKUs and 8 images
#: (4 gallery + 4 colour images): a typical product-detail page.
PRODUCT_ID = "taobao_621795452502"

#: What a product-detail page asks for: 160 fields resolved per execution (counted with
#: ``count_fields`` on the answer: every key of every object, list items included).
QUERY = """query ProductDetail($id: ID!) {
  product(id: $id) {
    id
    title { original }
    price { original { amount } display { amount } }
    priceRange { min { amount } max { amount } }
    totalStock availableForSale brand status
    images { url kind }
    attributes { name { original } value { original } }
    seller { id name location { province city } }
    shipping { domesticFee { amount } }
    category { id }
    variants { skuId stock price { display { amount } } }
  }
}"""

VARIABLES: dict[str, Any] = {"id": PRODUCT_ID}

#: Federation 2 directives the exported SDL uses, so plain graphql-core can build it.
FEDERATION_DIRECTIVES = """
directive @link(url: String!, import: [String]) repeatable on SCHEMA
directive @key(fields: String!, resolvable: Boolean = true) repeatable on OBJECT | INTERFACE
directive @shareable repeatable on OBJECT | FIELD_DEFINITION
directive @tag(name: String!) repeatable on FIELD_DEFINITION | OBJECT | INTERFACE | UNION
  | ARGUMENT_DEFINITION | SCALAR | ENUM | ENUM_VALUE | INPUT_OBJECT | INPUT_FIELD_DEFINITION
directive @inaccessible on FIELD_DEFINITION | OBJECT | INTERFACE | UNION | ARGUMENT_DEFINITION
  | SCALAR | ENUM | ENUM_VALUE | INPUT_OBJECT | INPUT_FIELD_DEFINITION
"""


def count_fields(value: Any) -> int:
    """Fields in a GraphQL answer: every key of every object, including list items'."""
    if isinstance(value, dict):
        return sum(1 + count_fields(v) for v in value.values())
    if isinstance(value, list):
        return sum(count_fields(v) for v in value)
    return 0


def raw_schema(products: dict[str, Any]) -> GraphQLSchema:
    """``schema.graphql`` built by graphql-core, with plain dict resolvers: ``product(id)``
    returns the product's dict and graphql-core's default resolver reads every field from
    it (``dict.get``), so no field has a resolver function of its own."""
    sdl = (ROOT / "schema.graphql").read_text()
    schema = build_schema(FEDERATION_DIRECTIVES + sdl)
    query_type = schema.query_type
    assert query_type is not None
    query_type.fields["product"].resolve = lambda _root, _info, id: products.get(id)
    return schema

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


def standalone_sdl() -> str:
    """``schema.graphql`` as plain GraphQL tools build it: with the federation directive
    definitions (the exported file carries them; older exports did not)."""
    sdl = (ROOT / "schema.graphql").read_text()
    return sdl if "directive @key" in sdl else FEDERATION_DIRECTIVES + sdl


def raw_schema(products: dict[str, Any]) -> GraphQLSchema:
    """``schema.graphql`` built by graphql-core, with plain dict resolvers: ``product(id)``
    returns the product's dict, ``products(ids)`` the list of them, and graphql-core's
    default resolver reads every field from it (``dict.get``), so no field has a resolver
    function of its own."""
    schema = build_schema(standalone_sdl())
    query_type = schema.query_type
    assert query_type is not None
    query_type.fields["product"].resolve = lambda _root, _info, id: products.get(id)
    query_type.fields["products"].resolve = \
        lambda _root, _info, ids: [products.get(i) for i in ids]
    return schema


#: The first 100 Taobao items of the sandbox catalog that are not its corner cases: the
#: rotating shape asks for each in turn, so no answer repeats within 100 requests.
def rotating_ids(count: int = 100) -> list[str]:
    from sandbox.catalog_top import TOP_ITEMS, TRICKY_ITEM_IDS, is_tmall

    tricky = {int(i) for i in TRICKY_ITEM_IDS}
    ids = [f"taobao_{n}" for n in TOP_ITEMS if not is_tmall(int(n)) and int(n) not in tricky]
    return ids[:count]


ID_TITLE = """query IdTitle($id: ID!) { product(id: $id) { id title { original } } }"""

LIST = """query ProductList($ids: [ID!]!) {
  products(ids: $ids) { id title { original } price { display { amount } } images { url } }
}"""


def shapes() -> dict[str, list[dict[str, Any]]]:
    """Each measured shape: its request bodies (``query`` and ``variables``), sent in turn."""
    rotating = rotating_ids()
    return {
        "detail": [{"query": QUERY, "variables": VARIABLES}],
        "detail-rotating": [{"query": QUERY, "variables": {"id": i}} for i in rotating],
        "id-title": [{"query": ID_TITLE, "variables": VARIABLES}],
        "list-20": [{"query": LIST, "variables": {"ids": rotating[:20]}}],
    }


#: Request headers per shape. The rotating shape asks every server not to answer from a
#: stored response (``Cache-Control: no-cache``): productgraph's response cache then
#: executes each request, as the shape is meant to measure.
SHAPE_HEADERS: dict[str, dict[str, str]] = {"detail-rotating": {"Cache-Control": "no-cache"}}

SHAPE_LABELS = {
    "detail": "product detail, 160 fields",
    "detail-rotating": "detail over 100 different products",
    "id-title": "`id title`",
    "list-20": "list of 20 products (title, price, images)",
}


def merge_answer(into: dict[str, Any], answer: Any) -> None:
    """Merge one product's answer into what is known of it (objects key by key, lists
    item by item), so one object per product answers every shape."""
    for key, value in answer.items():
        known = into.get(key)
        if isinstance(value, dict) and isinstance(known, dict):
            merge_answer(known, value)
        elif isinstance(value, list) and isinstance(known, list) and len(value) == len(known):
            for a, b in zip(known, value, strict=True):
                if isinstance(a, dict) and isinstance(b, dict):
                    merge_answer(a, b)
        else:
            into[key] = value

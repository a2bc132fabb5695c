"""Every field of ``Product`` loads the part it reads, whatever else the query selects.

The root resolvers decide which parts of a product to fetch from the fields a query selects
(``resolvers/selection.py``); a field that reads a part nobody fetched answers a
``RuntimeError("core of … was not loaded")`` or, for the other parts, an empty value. The
fields are taken from the schema itself (introspection over HTTP), so a field added to
``Product`` is checked without editing this test."""

from __future__ import annotations

from typing import Any

import pytest
from graphql import (
    GraphQLEnumType,
    GraphQLField,
    GraphQLInputObjectType,
    GraphQLInputType,
    GraphQLList,
    GraphQLNamedType,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLScalarType,
    GraphQLSchema,
    Undefined,
    build_client_schema,
    get_introspection_query,
    get_named_type,
)

from graph.settings import Settings
from resolvers.selection import PART_OF_FIELD
from sandbox.catalog_top import TOP_ITEMS, is_tmall
from sandbox.catalog_weidian import ITEMS as WEIDIAN_ITEMS
from tests.conftest import GraphQLClient

#: Fields known from the product id alone: they need no part (``__typename`` is not a
#: field of the type, so it does not appear here).
#: ``sources`` describes the deployment's routes, not the product's data; the watch history
#: comes from the database, not from a part.
NEEDS_NO_PART = frozenset({"id", "channel", "sourceId", "sources", "priceHistory",
                           "stockHistory"})

#: One product of each channel; taobao_1 does not exist (its fields answer NOT_FOUND).
IDS = ["taobao_680123456789", "taobao_621795452502", "1688_584240750353",
       f"tmall_{min(n for n in TOP_ITEMS if is_tmall(n))}", f"weidian_{min(WEIDIAN_ITEMS)}",
       "taobao_1"]
#: Fields of other parts to select next to each field: CORE, and one that is not CORE.
PARTNERS = {"title": "title { original }", "images": "images { url }"}

QUERY = "query ($ids: [ID!]!) {{ products(ids: $ids) {{ {} }} }}"


@pytest.fixture
def settings() -> Settings:
    # A query selecting every field of Product, three levels deep, is larger and costlier
    # than the defaults allow a client; what is checked here is what each field answers.
    return Settings.from_env({"PRODUCTGRAPH_MAX_TOKENS": "100000",
                              "PRODUCTGRAPH_MAX_COST": "10000000"})


async def client_schema(gql: GraphQLClient) -> GraphQLSchema:
    introspection = await gql.execute(get_introspection_query())
    return build_client_schema(introspection["data"])


def product_type(schema: GraphQLSchema) -> GraphQLObjectType:
    product = schema.get_type("Product")
    assert isinstance(product, GraphQLObjectType)
    return product


async def test_every_product_field_is_mapped_to_a_part_or_needs_none(gql: GraphQLClient) -> None:
    fields = set(product_type(await client_schema(gql)).fields)
    assert fields >= NEEDS_NO_PART
    unmapped = fields - set(PART_OF_FIELD) - NEEDS_NO_PART
    assert unmapped == set(), f"Product fields that load no part: {sorted(unmapped)}"


async def test_each_product_field_answers_the_same_next_to_a_field_of_another_part(
        gql: GraphQLClient) -> None:
    """Each field, selected next to ``title`` (CORE) and next to ``images`` (MEDIA), answers
    no INTERNAL_SERVER_ERROR and what it answers when everything is selected. A CORE field
    the root resolvers did not load is an internal error next to ``images``; a field of a
    part with other fields (``videos``, ``options``) answers empty next to ``title``. A
    part with one field (``description``, ``seller``, ``catalogProduct``) is loaded by
    nothing else in any query, so for those the test above is the check."""
    schema = await client_schema(gql)
    fields = product_type(schema).fields
    selections = {name: selection(name, field, depth=3) for name, field in fields.items()}

    # What each field answers when the query selects everything (so every part is loaded).
    everything = await gql.execute(QUERY.format(" ".join(selections.values())), {"ids": IDS})
    assert_no_internal_error(everything)
    assert [p and p["id"] for p in everything["data"]["products"]] == [*IDS[:-1], None]

    differ = []
    for name, selected in selections.items():
        for partner in PARTNERS:
            if partner == name:
                continue
            answer = await gql.execute(QUERY.format(f"{selected} {PARTNERS[partner]}"),
                                       {"ids": IDS})
            assert_no_internal_error(answer, f"{name} next to {partner}")
            if of_field(answer, name) != of_field(everything, name):
                differ.append((name, partner, of_field(answer, name)))
    assert differ == []


def assert_no_internal_error(answer: dict[str, Any], context: str = "") -> None:
    internal = [e for e in answer.get("errors", [])
                if e.get("extensions", {}).get("code") == "INTERNAL_SERVER_ERROR"]
    assert internal == [], (context, internal)


def of_field(answer: dict[str, Any], name: str) -> list[Any]:
    """Per product: the field's value (None for a missing product), and the codes of the
    errors under it."""
    values = [p and p[name] for p in answer["data"]["products"]]
    codes = sorted((tuple(e["path"]), e["extensions"]["code"]) for e in answer.get("errors", [])
                   if len(e["path"]) > 2 and e["path"][2] == name)
    return [values, codes]


# -- a selection of a field, built from its type --------------------------------------

def selection(name: str, field: GraphQLField, depth: int) -> str:
    """``name``, its required arguments filled in, and a sub-selection of every field of
    its type down to ``depth`` levels (leaves only at the last)."""
    arguments = ", ".join(f"{arg}: {value_of(a.type)}" for arg, a in field.args.items()
                          if isinstance(a.type, GraphQLNonNull) and a.default_value is Undefined)
    text = f"{name}({arguments})" if arguments else name
    inner = get_named_type(field.type)
    if isinstance(inner, GraphQLObjectType):
        text += " { " + sub_selection(inner, depth - 1) + " }"
    elif not is_leaf(field.type):
        text += " { __typename }"       # an interface or union: its type is enough here
    return text


def sub_selection(of: GraphQLObjectType, depth: int) -> str:
    def wanted(field: GraphQLField) -> bool:
        inner = get_named_type(field.type)
        return is_leaf(field.type) or (depth > 0 and isinstance(inner, GraphQLObjectType)
                                       and inner.name != "Product")

    parts = [selection(name, field, depth) for name, field in of.fields.items() if wanted(field)]
    return " ".join(parts) or "__typename"


def is_leaf(of: GraphQLOutputType) -> bool:
    return isinstance(get_named_type(of), GraphQLScalarType | GraphQLEnumType)


def value_of(of: GraphQLInputType) -> str:
    """A literal of the type: the arguments only have to be valid, not to match."""
    if isinstance(of, GraphQLNonNull):
        return value_of(of.of_type)
    if isinstance(of, GraphQLList):
        return f"[{value_of(of.of_type)}]"
    named: GraphQLNamedType = of
    if isinstance(named, GraphQLEnumType):
        return next(iter(named.values))
    if isinstance(named, GraphQLInputObjectType):
        return "{" + ", ".join(f"{n}: {value_of(f.type)}" for n, f in named.fields.items()
                               if isinstance(f.type, GraphQLNonNull)
                               and f.default_value is Undefined) + "}"
    return {"Int": "100", "Float": "1.5", "Boolean": "true"}.get(named.name, '"1"')

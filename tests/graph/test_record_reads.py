"""The declared record reads (graph/record_reads.py): the generated completion reads the
records behind a product page instead of building its wrappers, and answers exactly what
the resolvers answer.

Each declaration names a type and fields of the schema and the strawberry class the
schema has for it (a declaration that no longer matches would silently go unused); a query
over every declared field answers, over products of every channel, what the plain path
answers, and the generated code answers it itself — it does not give up and leave the
work to the closure plan.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import replace
from string import Template
from typing import Any

import pytest
from graphql import (
    GraphQLEnumType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLScalarType,
)

from bench.execution.query import QUERY, rotating_ids
from graph.compiled_codegen import Generator
from graph.compiled_plan import _BACKREF
from graph.record_reads import RECORD_TYPES, FieldRead
from graph.schema import schema
from tests.conftest import serve_app

IDS = ["taobao_680123456789", "taobao_621795452502", "taobao_600000000003",
       "taobao_600000000005", "tmall_600000000007", "1688_584240750353",
       "1688_554456348334", "weidian_1872265599", "taobao_1", "taobao_999999999999",
       *rotating_ids(12)]

MONEY = "{ amount currencyCode }"
PRICE = (f"{{ original {MONEY} display {MONEY} promotion {MONEY} final {MONEY} "
         f"afterCoupon {MONEY} coupon {{ amount {MONEY} threshold {MONEY} startsAt endsAt "
         f"remaining total }} }}")
TEXT = "{ original translated language }"
LOCATION = "{ province city text }"
#: Every declared field of every declared type, reached from ``product(id:)``.
EVERY_DECLARED_FIELD = f"""query Every($id: ID!) {{
  product(id: $id) {{
    id channel sourceId sourceUrl description
    minOrderQuantity distributionMinQuantity unit batchNumber mixWholesale productType
    totalStock salesCount brand condition status sellUnit onlineTradeSupported outerId
    saleType delistingAt hasInvoice hasWarranty sellPoint listedAt updatedAt
    availableForSale
    title {TEXT}
    price {PRICE}
    priceRange {{ min {MONEY} max {MONEY} }}
    referencePriceRange {{ min {MONEY} max {MONEY} }}
    distributionPrice {MONEY} suggestedRetailPrice {MONEY}
    images {{ url kind position option {{ name value translatedName translatedValue }} }}
    attributes {{ name {TEXT} value {TEXT} nameId valueId }}
    priceTiers {{ minQuantity price {MONEY} }}
    seller {{ id channel sourceId name shopUrl tradeScore location {LOCATION} }}
    shipping {{ shipsFrom {LOCATION} domesticFee {MONEY} expressFee {MONEY} emsFee {MONEY}
               unitWeightKg freightTemplateId handlingDays freightPayer }}
    category {{ id }}
    variants {{
      id skuId upstreamSkuId stock skuCode barcode outerId availableForSale
      price {PRICE}
      distributionPrice {MONEY} suggestedRetailPrice {MONEY}
      priceTiers {{ minQuantity price {MONEY} }}
      selectedOptions {{ name value translatedName translatedValue }}
    }}
  }}
}}"""
#: Declared and undeclared fields side by side (the wrapper is built for the latter).
MIXED = """query Mixed($id: ID!) {
  product(id: $id) {
    id title { original } customization { sampleDays }
    variants(onlyAvailable: true) { skuId image { url } price { display { amount } } }
    variantsAll: variants { id priceForQuantity(quantity: 2) { amount } }
    price { display { converted(to: USD) { amount } } }
  }
}"""


def _named(type_: Any) -> Any:
    while isinstance(type_, GraphQLNonNull | GraphQLList):
        type_ = type_.of_type
    return type_


def test_every_declaration_matches_the_schema() -> None:
    for name, declared in RECORD_TYPES.items():
        graphql_type = schema._schema.type_map.get(name)
        assert isinstance(graphql_type, GraphQLObjectType), name
        assert graphql_type.extensions[_BACKREF].origin is declared.cls, name
        allowed = set(declared.parts) | set(declared.lets)
        for template in (declared.wrap, *declared.lets.values()):
            assert set(Template(template).get_identifiers()) <= allowed, (name, template)
        for field_name, read in declared.fields.items():
            field = graphql_type.fields.get(field_name)
            assert field is not None, f"{name}.{field_name}"
            target = _named(field.type)
            if read.value is not None:
                assert isinstance(target, GraphQLScalarType | GraphQLEnumType)
                assert set(Template(read.value).get_identifiers()) <= allowed
                continue
            assert read.parts is not None
            child = RECORD_TYPES[target.name]
            assert tuple(read.parts) == child.parts, f"{name}.{field_name}"
            assert (read.items is not None) == isinstance(
                field.type.of_type if isinstance(field.type, GraphQLNonNull)
                else field.type, GraphQLList), f"{name}.{field_name}"
            known = allowed | ({"item"} if read.items is not None else set())
            for part, template in read.parts.items():
                assert set(Template(template).get_identifiers()) <= known, (name, part)
                known = known | {part}
            if read.null is not None:
                assert set(Template(read.null).get_identifiers()) <= set(child.parts)


@pytest.fixture(scope="module")
def gave_up() -> Iterator[list[str]]:
    """Plans compiled afresh with their generated code recording what it raised."""
    raised: list[str] = []
    original = Generator.root

    def root(self: Generator, *args: Any) -> Any:
        generated = original(self, *args)

        def recording(value: Any, path: Any) -> Any:
            try:
                return generated(value, path)
            except Exception as exc:
                raised.append(repr(exc))
                raise

        return recording

    assert schema.compiled is not None
    Generator.root = root  # type: ignore[method-assign]
    schema.compiled.clear()
    try:
        yield raised
    finally:
        Generator.root = original  # type: ignore[method-assign]
        schema.compiled.clear()


async def _bodies(query: str) -> list[tuple[bytes, bytes]]:
    pairs = []
    async with serve_app() as client:
        for product_id in IDS:
            saved = schema.compiled
            schema.compiled = None
            try:
                await client.post(query, {"id": product_id})  # every part warm
                plain = (await client.post(query, {"id": product_id})).content
            finally:
                schema.compiled = saved
            compiled = (await client.post(query, {"id": product_id})).content
            pairs.append((plain, compiled))
    return pairs


@pytest.mark.parametrize("query", [EVERY_DECLARED_FIELD, MIXED, QUERY],
                         ids=["every-declared-field", "mixed", "bench-detail"])
def test_declared_reads_answer_what_the_resolvers_answer(gave_up: list[str],
                                                         query: str) -> None:
    del gave_up[:]
    pairs = asyncio.run(_bodies(query))
    for plain, compiled in pairs:
        assert compiled == plain
    assert any(b'"product":{' in plain for plain, _ in pairs)
    # Only the products whose answer has an error may leave the generated code.
    with_errors = sum(b'"errors"' in plain for plain, _ in pairs)
    assert len(gave_up) <= with_errors, gave_up


def test_a_broken_declaration_leaves_the_root_to_the_closures(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A generator defect (here a declaration naming a part that does not exist) must not
    fail the operation: the root is completed by the closures, with the same answer."""
    broken = replace(RECORD_TYPES["LocalizedText"],
                     fields={"original": FieldRead(value="$nope.original")})
    monkeypatch.setitem(RECORD_TYPES, "LocalizedText", broken)
    assert schema.compiled is not None
    schema.compiled.clear()
    try:
        pairs = asyncio.run(_bodies(QUERY))
    finally:
        monkeypatch.undo()
        schema.compiled.clear()
    for plain, compiled in pairs:
        assert compiled == plain
    assert any(b'"title":{"original":' in plain for plain, _ in pairs)

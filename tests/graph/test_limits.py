"""Operation limits: every attack is refused with its code and status before any resolver
or upstream call runs, and before the costly steps: graphql-core's validation never sees
it (its overlap check is quadratic), and an operation over the token limit is never
handed to graphql-core's parser at all.

The app runs in production mode over the in-process sandbox. What the server did is
counted, never timed: the sandbox's calls, and the calls into graphql-core's ``parse``
and ``validate`` as the server makes them (``work``), so the tests hold on a loaded
machine.
"""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

import pytest
from graphql import parse

import graph.documents
import graph.limits
from graph.limits import OperationLimits, actual_cost, check_document, estimate_cost
from graph.refusal import RequestRefused
from graph.settings import Settings
from tests.conftest import GraphQLClient, serve_app

SEED_000 = "taobao_680123456789"
REAL = """query Real($id: ID!) { product(id: $id) { id title { original }
  price { display { amount } } variants { skuId stock } } }"""


@pytest.fixture
def settings() -> Settings:
    return Settings.from_env({"PRODUCTGRAPH_ENV": "production"})


@pytest.fixture
def work(monkeypatch: pytest.MonkeyPatch) -> Counter[str]:
    """How many times the server called graphql-core's parser and validator."""
    counts: Counter[str] = Counter()

    def counting(name: str, real: Any) -> Any:
        def call(*args: Any, **kwargs: Any) -> Any:
            counts[name] += 1
            return real(*args, **kwargs)
        return call

    monkeypatch.setattr(graph.limits, "parse", counting("parse", graph.limits.parse))
    monkeypatch.setattr(graph.documents, "validate",
                        counting("validate", graph.documents.validate))
    return counts


async def refused(gql: GraphQLClient, work: Counter[str], body: Any, status: int,
                  code: str, *, validated: bool = False) -> dict[str, Any]:
    """Send the attack; it is refused with ``code``, nothing reaches an upstream and
    graphql-core's validation never runs (unless ``validated``: the cost needs a valid
    document); sent twice, the second is the cached verdict, not parsed again."""
    content = json.dumps(body).encode()
    for _ in range(2):
        response = await gql.http.post("/graphql", content=content,
                                       headers={"content-type": "application/json"})
        assert response.status_code == status, response.text
        payload = response.json()
        assert [e["extensions"]["code"] for e in payload["errors"]] == [code], payload
        assert "data" not in payload or payload["data"] is None
        assert sum(gql.sandbox.calls.values()) == 0, gql.sandbox.calls   # nothing upstream
    assert work["validate"] == int(validated), "the attack reached graphql-core's validation"
    assert work["parse"] <= 1, "a refused query was parsed again"
    return payload  # type: ignore[no-any-return]


def product_field(alias: str) -> str:
    return f'{alias}: product(id: "{SEED_000}") {{ id }}'


async def test_a_thousand_aliases_are_refused_while_parsing(
        gql: GraphQLClient, work: Counter[str]) -> None:
    query = "{ " + " ".join(product_field(f"a{i}") for i in range(1000)) + " }"
    payload = await refused(gql, work, {"query": query}, 400, "MAX_TOKENS_LIMIT")
    assert "4000 tokens" in payload["errors"][0]["message"]
    assert work["parse"] == 0  # the fast token count refused it first


async def test_aliases_hidden_in_a_fragment_count_where_it_is_spread(
        gql: GraphQLClient, work: Counter[str]) -> None:
    # 8 aliases in the fragment, spread 5 times: 40 aliases, over the limit of 30; the
    # document itself has only 8 alias tokens.
    fragment = "fragment F on Product { " + " ".join(f"t{i}: id" for i in range(8)) + " }"
    spreads = " ".join(f'p{i}: product(id: "{SEED_000}") {{ ...F }}' for i in range(4))
    query = "{ " + spreads + " } " + fragment
    await refused(gql, work, {"query": query}, 400, "MAX_ALIASES_LIMIT")


async def test_depth_fifty_is_refused(
        gql: GraphQLClient, work: Counter[str]) -> None:
    query = "{ " + "product(id: \"x\") { " * 50 + "id" + " }" * 50 + " }"
    await refused(gql, work, {"query": query}, 400, "MAX_DEPTH_LIMIT")


async def test_five_thousand_duplicate_fields_are_refused(
        gql: GraphQLClient, work: Counter[str]) -> None:
    query = '{{ product(id: "{}") {{ {} }} }}'.format(SEED_000, " ".join(["id"] * 5000))
    await refused(gql, work, {"query": query}, 400, "MAX_TOKENS_LIMIT")
    assert work["parse"] == 0


async def test_duplicate_fields_under_a_high_token_limit_are_refused_by_cost() -> None:
    """With the token limit raised, the 5,000 duplicates still never reach validation
    (whose overlap check is quadratic) nor a resolver: the cost estimate refuses them."""
    query = '{{ products(ids: ["{0}", "{0}"]) {{ {1} }} }}'.format(
        SEED_000, " ".join(["id"] * 5000))
    document = parse(query)
    check_document(document, OperationLimits(max_tokens=100_000))  # depth 2, no aliases
    assert estimate_cost(document, None, None) == 1 + 2 * 5000

    env = {"PRODUCTGRAPH_ENV": "production", "PRODUCTGRAPH_MAX_TOKENS": "100000",
           "PRODUCTGRAPH_MAX_COST": "1000"}
    async with serve_app(env) as gql:
        response = await gql.post(query)
        assert response.status_code == 400, response.text
        payload = response.json()
        assert [e["extensions"]["code"] for e in payload["errors"]] == [
            "COST_ESTIMATED_TOO_EXPENSIVE"]
        assert "10001 is over the limit of 1000" in payload["errors"][0]["message"]
        assert payload.get("data") is None
        assert sum(gql.sandbox.calls.values()) == 0


async def test_a_hundred_repeated_directives_are_refused(
        gql: GraphQLClient, work: Counter[str]) -> None:
    directives = " ".join(["@include(if: true)"] * 100)
    query = f'{{ product(id: "{SEED_000}") {{ id {directives} }} }}'
    await refused(gql, work, {"query": query}, 400, "MAX_DIRECTIVES_LIMIT")


async def test_too_many_root_fields_are_refused(
        gql: GraphQLClient, work: Counter[str]) -> None:
    query = "{ " + " ".join(f'product(id: "taobao_{i}") {{ id }}' for i in range(25)) + " }"
    await refused(gql, work, {"query": query}, 400, "MAX_ROOT_FIELDS_LIMIT")


async def test_circular_fragments_are_refused_without_looping(
        gql: GraphQLClient, work: Counter[str]) -> None:
    query = (f'{{ product(id: "{SEED_000}") {{ ...A }} }} fragment A on Product {{ id ...B }} '
             'fragment B on Product { title { original } ...A }')
    walked: Counter[str] = Counter()
    walk = graph.limits._ShapeWalker.selection_set

    def counted(self: Any, *args: Any) -> Any:
        walked["selection sets"] += 1
        return walk(self, *args)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(graph.limits._ShapeWalker, "selection_set", counted)
        response = await gql.http.post("/graphql", json={"query": query})
    payload = response.json()
    assert response.status_code == 200  # GraphQL over HTTP: validation errors, application/json
    assert payload["data"] is None
    assert {e["extensions"]["code"] for e in payload["errors"]} == {"GRAPHQL_VALIDATION_FAILED"}
    assert any("Cannot spread fragment 'A' within itself" in e["message"]
               for e in payload["errors"])
    assert sum(gql.sandbox.calls.values()) == 0
    # Each of the document's selection sets walked once or twice: the cycle never loops.
    assert 0 < walked["selection sets"] <= 10, walked


def test_the_walker_terminates_on_a_self_spreading_fragment() -> None:
    document = parse("{ ...A } fragment A on Query { __typename ...A }")
    check_document(document, OperationLimits())   # returns: validation refuses it later
    assert estimate_cost(document, None, None) == 1


async def test_a_batch_of_a_hundred_operations_is_refused(
        gql: GraphQLClient, work: Counter[str]) -> None:
    batch = [{"query": REAL, "variables": {"id": SEED_000}}] * 100
    payload = await refused(gql, work, batch, 400, "TOO_MANY_OPERATIONS")
    assert "one operation per request" in payload["errors"][0]["message"]


async def test_a_three_megabyte_body_is_refused_with_413(
        gql: GraphQLClient, work: Counter[str]) -> None:
    body = {"query": REAL, "variables": {"id": SEED_000, "pad": "x" * (3 * 1024 * 1024)}}
    await refused(gql, work, body, 413, "REQUEST_TOO_LARGE")


async def test_a_body_without_content_length_is_cut_off_while_read(gql: GraphQLClient) -> None:
    async def chunks() -> Any:
        for _ in range(40):   # 40 × 100 KB streamed, no Content-Length
            yield b" " * 100_000

    response = await gql.http.post("/graphql", content=chunks(),
                                   headers={"content-type": "application/json"})
    assert response.status_code == 413
    assert response.json()["errors"][0]["extensions"]["code"] == "REQUEST_TOO_LARGE"
    assert sum(gql.sandbox.calls.values()) == 0


async def test_an_expensive_list_is_refused_by_its_estimated_cost(
        gql: GraphQLClient, work: Counter[str]) -> None:
    fields = " ".join(["id", "title { original }", "price { display { amount } }",
                       "variants { skuId stock price { display { amount } } }"] * 1)
    ids = [f"taobao_{n}" for n in range(1, 101)]
    big = f"{{ products(ids: {json.dumps(ids)}) {{ {fields} }} }}"
    many = "{ " + " ".join(f'p{i}: products(ids: $ids) {{ {fields} }}' for i in range(20)) + " }"
    query = "query ($ids: [ID!]!) " + many
    payload = await refused(gql, work, {"query": query, "variables": {"ids": ids}}, 400,
                            "COST_ESTIMATED_TOO_EXPENSIVE", validated=True)
    assert "20000" in payload["errors"][0]["message"]
    # One such list is within the budget.
    assert estimate_cost(parse(big), None, None) <= 20_000


async def test_a_good_query_reports_requested_and_actual_cost(gql: GraphQLClient) -> None:
    ids = [SEED_000, "taobao_999999999999"]
    result = await gql.execute(
        "query ($ids: [ID!]!) { products(ids: $ids) { id title { original } } }", {"ids": ids})
    # requested: products + 2 × (id + title + original); the unknown product is null.
    assert result["extensions"]["cost"] == {"requested": 7, "actual": 4}
    assert result["data"]["products"][1] is None
    assert actual_cost(result["data"]) == 4


async def test_batches_run_when_enabled_and_are_bounded() -> None:
    env = {"PRODUCTGRAPH_MAX_OPERATIONS": "3"}
    async with serve_app(env) as gql:
        ok = await gql.http.post("/graphql", json=[{"query": "{ __typename }"}] * 3)
        assert ok.status_code == 200
        assert [r["data"] for r in ok.json()] == [{"__typename": "Query"}] * 3
        over = await gql.http.post("/graphql", json=[{"query": "{ __typename }"}] * 4)
        assert over.status_code == 400
        assert over.json()["errors"][0]["extensions"]["code"] == "TOO_MANY_OPERATIONS"
        assert "at most 3" in over.json()["errors"][0]["message"]


def test_limits_are_pure_functions_of_the_document() -> None:
    limits = OperationLimits(max_depth=3)
    document = parse("{ a { b { c { d } } } }")
    for _ in range(2):
        with pytest.raises(RequestRefused) as caught:
            check_document(document, limits)
        assert caught.value.code == "MAX_DEPTH_LIMIT"
    check_document(document, OperationLimits(max_depth=4))


async def test_limits_come_from_the_environment() -> None:
    settings = Settings.from_env({"PRODUCTGRAPH_MAX_DEPTH": "3", "PRODUCTGRAPH_MAX_COST": "9",
                                  "PRODUCTGRAPH_MAX_BODY_BYTES": "1000"})
    assert settings.serving.limits.max_depth == 3
    assert settings.serving.limits.max_cost == 9
    assert settings.serving.limits.max_body_bytes == 1000
    async with serve_app({"PRODUCTGRAPH_MAX_DEPTH": "2"}) as gql:
        response = await gql.http.post(
            "/graphql", json={"query": "{ product(id: \"x\") { title { original } } }"})
        assert response.status_code == 400
        assert response.json()["errors"][0]["extensions"]["code"] == "MAX_DEPTH_LIMIT"



def test_the_fast_token_count_agrees_with_graphql_cores_parser() -> None:
    """The regex pre-count never refuses what graphql-core's own ``max_tokens`` accepts."""
    from graphql import GraphQLSyntaxError, get_introspection_query

    from graph.limits import parse_operation

    def parser_minimum(query: str) -> int:
        low, high = 1, 10_000     # the smallest max_tokens graphql-core accepts
        while low < high:
            middle = (low + high) // 2
            try:
                parse(query, max_tokens=middle)
                high = middle
            except GraphQLSyntaxError:
                low = middle + 1
        return low

    tricky = ('query Q($v: [Int!] = [1, -2.5e3]) @a { x(s: "a \\"q\\" # not a comment", '
              'b: """block "quoted" \\""" text""") # a comment\n ... on T { y } ...F }')
    for query in (get_introspection_query(descriptions=True), tricky, REAL):
        minimum = parser_minimum(query)
        parse_operation(query, OperationLimits(max_tokens=minimum))
        with pytest.raises(RequestRefused):
            parse_operation(query, OperationLimits(max_tokens=minimum - 1))


def test_the_requested_cost_is_kept_per_document_by_what_the_walk_saw() -> None:
    """``requested_cost`` keeps its count per parsed document and the shapes of the
    variables the walk read (an int's value, a list's length): every variable assignment
    counts what a fresh walk counts, including one where a page size cut the walk of
    another argument short."""
    from graph.limits import _CostWalker, requested_cost, select_operation

    document = parse("query ($n: Int, $ids: [ID!], $id: ID!) { products(first: $n, ids: $ids)"
                     " { id title { original } } product(id: $id) { id } }")
    operation = select_operation(document, None)

    def fresh(variables: dict[str, Any]) -> int:
        return _CostWalker(document, variables).selection_set(operation.selection_set)  # type: ignore[union-attr]

    assignments: list[dict[str, Any]] = [
        {"ids": ["a", "b"], "id": "x"}, {"ids": ["c", "d"], "id": "y"}, {"n": 3, "ids": ["a"]},
        {"n": True}, {"n": 1}, {"n": -4, "ids": []}, {"ids": "ab"}, {"n": 2.0, "ids": ["a"]},
        {}, {"ids": ["a", "b", "c"]}, {"ids": ["a", "b"], "id": "z"}]
    for _ in range(2):
        for variables in assignments:
            assert requested_cost(document, operation, variables) == fresh(variables)

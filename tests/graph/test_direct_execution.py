"""Direct execution (graph/direct_execution.py): which operations skip graphql-core's
executor, and that what they answer is graphql-core's own (variables that do not coerce,
a root that fails, nested errors). tests/graph/test_compiled_execution.py compares the
answers of thousands of generated operations; these name the cases."""

from __future__ import annotations

from typing import Any

import pytest
from graphql import parse

from graph.limits import actual_cost, select_operation
from graph.plain_execution import PreparedOperation, answer_cost, execute_plain
from graph.schema import schema
from tests.conftest import serve_app

DETAIL = """query Detail($id: ID!) { product(id: $id) { id title { original }
  variants { skuId stock } } }"""


def direct(query: str, name: str | None = None) -> bool:
    assert schema.compiled is not None
    document = parse(query)
    prepared = PreparedOperation(query, document, name, select_operation(document, name))
    return schema.compiled.direct(prepared) is not None


def test_a_single_compiled_root_runs_directly_and_anything_else_through_the_executor(
        ) -> None:
    assert direct(DETAIL)
    assert direct(DETAIL, "Detail")
    assert direct('{ products(ids: ["taobao_1"]) { id } }')
    assert direct('query Q { ...F } fragment F on Query { product(id: "x") { id } }')
    # Two roots, an uncompiled root, a directive, a mutation: graphql-core's executor.
    assert not direct('{ a: product(id: "x") { id } b: product(id: "y") { id } }')
    assert not direct('{ node(id: "x") { id } }')
    assert not direct('{ product(id: "x") { id @include(if: true) } }')
    assert not direct('mutation { registerWebhook(url: "https://x", ids: ["x"]) { id } }')
    # graphql-core would refuse the name: it reports that itself.
    assert not direct(DETAIL, "")
    assert not direct(DETAIL + " query Other { product(id: \"x\") { id } }")


async def run(query: str, variables: dict[str, Any] | None, compiled: bool) -> Any:
    """``execute_plain``'s result, compiled (directly) or on graphql-core alone."""
    saved = schema.compiled
    if not compiled:
        schema.compiled = None
    try:
        async with serve_app() as gql:
            view = next(r.app for r in gql.app.routes if getattr(r, "path", "") == "/graphql")
            result = await execute_plain(
                schema, PreparedOperation.select(query, parse(query), None),
                variable_values=variables, context_value=view.new_context(),
                root_value=None, allowed_operation_types=None, operation_extensions=None)
    finally:
        schema.compiled = saved
    # An upstream error's ``requestId`` is fresh per upstream call: left out.
    errors = [{**e.formatted, "extensions": {k: v for k, v in (e.extensions or {}).items()
                                             if k != "requestId"}}
              for e in result.errors or ()]
    return result.data, errors, answer_cost(result)


@pytest.mark.parametrize("variables", [
    {"id": "taobao_621795452502"},     # a product
    {"id": "taobao_1"},                # NOT_FOUND at a nullable root
    {"id": "nonsense"},                # INVALID_ID
    {"id": None}, {}, {"id": 7.5}, {"id": ["x"]},   # variables that do not coerce
    {"id": 621795452502},              # an int: graphql-core coerces it to the ID
])
async def test_direct_answers_are_graphql_cores(variables: dict[str, Any]) -> None:
    data, errors, cost = await run(DETAIL, variables, compiled=True)
    plain_data, plain_errors, _ = await run(DETAIL, variables, compiled=False)
    assert (data, errors) == (plain_data, plain_errors)
    # ``extensions.cost.actual``: counted while the answer was built, as a recount says;
    # nothing counted when nothing executed (the variables did not coerce).
    assert cost == (actual_cost(data) if data is not None else None)

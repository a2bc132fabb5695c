"""The generated completion (graph/compiled_codegen.py) gives up on anything unusual and the
closure plan re-completes the root: the answer, the errors and their paths are then exactly
graphql-core's, and the counted ``actual_cost`` is the walked one.

A small strawberry schema of its own, with direct resolvers installed as productgraph's
schema has them, so each case can plant one failure: an exception inside a nested object,
a ``None`` at a non-null position, an error in a list item (nullable and non-null items),
and resolvers taking arguments or ``info`` inside lists (their paths).
"""

from __future__ import annotations

from typing import Any

import pytest
import strawberry
from graphql import ExecutionResult, execute, parse
from strawberry.types import Info

from graph.compiled_codegen import Fallback
from graph.compiler import ANSWER_COST, CompiledOperations, compile_operation
from graph.direct_resolvers import use_direct_resolvers
from graph.limits import actual_cost, select_operation
from graph.plain_execution import PreparedOperation


@strawberry.type
class Leaf:
    name: str
    fail: strawberry.Private[bool] = False

    @strawberry.field
    def boom(self) -> str | None:
        if self.fail:
            raise ValueError("boom")
        return "ok"

    @strawberry.field
    def where(self, info: Info) -> str:
        return ".".join(str(key) for key in info.path.as_list())

    @strawberry.field
    def greet(self, who: str = "you") -> str:
        return f"{self.name} greets {who}"


@strawberry.type
class Item:
    id: strawberry.ID
    leaf: Leaf | None
    strict: Leaf
    leaves: list[Leaf] | None
    maybe_leaves: list[Leaf | None]


def leaf(name: Any = "a", fail: bool = False) -> Leaf:
    return Leaf(name=name, fail=fail)


def item(number: int, **changes: Any) -> Item:
    values: dict[str, Any] = {"id": strawberry.ID(str(number)), "leaf": leaf(),
                              "strict": leaf("s"), "leaves": [leaf("x"), leaf("y")],
                              "maybe_leaves": [leaf("m"), None]}
    values.update(changes)
    return Item(**values)


ROOT: dict[str, Any] = {}


@strawberry.type
class Query:
    @strawberry.field
    def item(self) -> Item | None:
        return ROOT.get("item")  # type: ignore[no-any-return]

    @strawberry.field
    def items(self) -> list[Item | None]:
        return ROOT.get("items", [])  # type: ignore[no-any-return]


SCHEMA = strawberry.Schema(query=Query)
use_direct_resolvers(SCHEMA)
SELECTION = """id leaf { name boom } strict { name } leaves { name where greet(who: "me") }
maybeLeaves { name boom where }"""
QUERY = f"{{ item {{ {SELECTION} }} items {{ {SELECTION} __typename }} }}"


def run(query: str, compiled: bool) -> ExecutionResult:
    document = parse(query)
    executor_class = None
    if compiled:
        prepared = PreparedOperation(query, document, None, select_operation(document, None))
        executor_class = CompiledOperations(SCHEMA._schema).executor_class(prepared)
        assert executor_class is not None
    result = execute(SCHEMA._schema, document, root_value=None,
                     executor_class=executor_class)
    assert isinstance(result, ExecutionResult)
    return result


def same_as_graphql_core(query: str = QUERY) -> dict[str, Any]:
    compiled, plain = run(query, True), run(query, False)
    assert compiled.data == plain.data
    assert [(e.message, e.path, e.locations) for e in compiled.errors or ()] == \
        [(e.message, e.path, e.locations) for e in plain.errors or ()]
    assert compiled.extensions == {ANSWER_COST: actual_cost(plain.data)}
    return {"data": plain.data, "errors": [(e.message, e.path) for e in plain.errors or ()]}


#: The selection without ``where`` and ``greet``: the generated code called directly has
#: no executor for their ``info`` and arguments.
READS = QUERY.replace("where", "").replace('greet(who: "me")', "")


def generated_item(query: str = READS) -> tuple[Any, int]:
    """The generated completer of the ``item`` root, called on the planted value."""
    document = parse(query)
    plan = compile_operation(SCHEMA._schema, document, select_operation(document, None))
    assert not isinstance(plan, str)
    operation = document.definitions[0]
    node = operation.selection_set.selections[0]  # type: ignore[attr-defined]
    return plan.generated[id(node)](ROOT["item"], None)


def generated_raises() -> None:
    """The generated completer gives up on the planted value: the closures take over."""
    with pytest.raises(Exception) as raised:
        generated_item()
    assert isinstance(raised.value, Fallback | ValueError)


@pytest.fixture(autouse=True)
def root() -> Any:
    ROOT.clear()
    yield ROOT
    ROOT.clear()


def test_a_clean_answer_is_generated_with_its_cost_and_paths() -> None:
    ROOT["item"] = item(1)
    ROOT["items"] = [item(2), None, item(3)]
    answer = same_as_graphql_core()
    assert answer["errors"] == []
    assert answer["data"]["items"][2]["leaves"][1] == {
        "name": "y", "where": "items.2.leaves.1.where", "greet": "y greets me"}
    data, cost = generated_item()  # no fallback: the generated code answered it
    assert data == run(READS, False).data["item"]  # type: ignore[index]
    assert cost == actual_cost(data)


def test_an_exception_inside_a_nested_object() -> None:
    ROOT["item"] = item(1, leaf=leaf(fail=True))
    ROOT["items"] = [item(2, leaf=leaf(fail=True))]
    generated_raises()
    answer = same_as_graphql_core()
    assert answer["errors"] == [("boom", ["item", "leaf", "boom"]),
                                ("boom", ["items", 0, "leaf", "boom"])]
    assert answer["data"]["item"]["leaf"] == {"name": "a", "boom": None}


def test_a_none_at_a_non_null_position_nulls_the_nearest_nullable() -> None:
    ROOT["item"] = item(1, leaf=leaf(name=None))   # Leaf.name: String!, leaf nullable
    ROOT["items"] = [item(2, strict=leaf(name=None))]  # strict: Leaf!, the item nullable
    generated_raises()
    answer = same_as_graphql_core()
    assert answer["data"]["item"]["leaf"] is None
    assert answer["data"]["items"] == [None]
    assert answer["errors"] == [
        ("Cannot return null for non-nullable field Leaf.name.", ["item", "leaf", "name"]),
        ("Cannot return null for non-nullable field Leaf.name.",
         ["items", 0, "strict", "name"])]


def test_an_error_in_a_list_item() -> None:
    # leaves: [Leaf!] — a failing item nulls the list; maybeLeaves: [Leaf]! — only the item.
    ROOT["item"] = item(1, leaves=[leaf("x"), leaf(None)],
                        maybe_leaves=[leaf("m"), leaf(None), leaf("n", fail=True)])
    generated_raises()
    answer = same_as_graphql_core()
    data = answer["data"]["item"]
    assert data["leaves"] is None
    assert data["maybeLeaves"] == [{"name": "m", "boom": "ok", "where": "item.maybeLeaves.0.where"},
                                   None,
                                   {"name": "n", "boom": None, "where": "item.maybeLeaves.2.where"}]
    assert answer["errors"] == [
        ("Cannot return null for non-nullable field Leaf.name.",
         ["item", "leaves", 1, "name"]),
        ("Cannot return null for non-nullable field Leaf.name.",
         ["item", "maybeLeaves", 1, "name"]),
        ("boom", ["item", "maybeLeaves", 2, "boom"])]


def test_values_of_the_wrong_kind_fall_back() -> None:
    # an Exception as a value, a leaf of the wrong type, a list that is not a list
    ROOT["item"] = item(1, strict=ValueError("as a value"), leaves="not a list")
    ROOT["items"] = [item(2, leaf=leaf(name=12))]
    generated_raises()
    same_as_graphql_core()

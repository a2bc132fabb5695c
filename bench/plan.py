"""``python -m bench.plan``: µs per in-process execution of issue 14's shapes, by execution
mode — no HTTP, no event-loop hops beyond the root resolvers' own awaits.

What one measured operation does is what the view does between parsing and encoding:
``execute_plain`` (graphql-core with the schema's executor, the root resolvers reading the
warm in-process part cache of the bundled sandbox) and the answer's ``extensions.cost``
count (``graph.limits.actual_cost``, or the count the generated plan made while building
the answer). The document is prepared once, as the view's document cache does.

Modes (``--modes``):

``off``        graphql-core's own ``complete_value`` (``PRODUCTGRAPH_COMPILED_EXECUTION=off``);
``closures``   the compiled plan's closures (graph/compiled_plan.py) alone;
``generated``  the generated code of graph/compiled_codegen.py, the closures as fallback
               (the default).

Shapes: the product detail (160 fields), ``id title``, and ``products(ids:)`` over the
first 20 Taobao items of the sandbox catalog with id, title, price and images. Each
(shape, mode) runs ``--repeats`` times for ``--seconds`` each, after a warm-up; the table
gives the median µs per operation and the spread (min–max) over the repeats.

``--completion`` times the completion of the root field alone: the root's value, resolved
once by a first execution, completed again and again by the executor's ``complete_value``
(graphql-core's own in ``off`` mode) — no variables, no root resolver, no cost count.

``--clock cpu`` (the default) times the thread's CPU time (``time.thread_time``): on a
shared machine the wall clock also counts the time the process waits for a core.
``--clock wall`` times ``time.perf_counter``. The bench runs on a checkout from before
the generated plan too (``off`` and ``closures`` only), for before/after figures.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import statistics
import time
from typing import Any

from bench.execution.query import ID_TITLE, QUERY, VARIABLES, rotating_ids

LIST_20 = """query ProductList($ids: [ID!]!) {
  products(ids: $ids) { id title { original } price { display { amount } } images { url kind } }
}"""
MODES = ("off", "closures", "generated")


def shapes() -> dict[str, tuple[str, dict[str, Any]]]:
    return {
        "detail (160 fields)": (QUERY, VARIABLES),
        "id title": (ID_TITLE, VARIABLES),
        "products(ids:) ×20: id title price images": (LIST_20, {"ids": rotating_ids(20)}),
    }


Figures = dict[str, dict[str, list[float]]]


async def measure(seconds: float, repeats: int, modes: list[str],
                  clock: Any = time.thread_time) -> Figures:
    from graph import plain_execution
    from graph.app import create_app
    from graph.limits import actual_cost
    from graph.plain_execution import PreparedOperation, execute_plain
    from graph.schema import schema
    from graph.settings import Settings

    answer_cost = getattr(plain_execution, "answer_cost", lambda _result: None)

    app = create_app(Settings.from_env())
    view = next(route.endpoint for route in app.routes  # type: ignore[attr-defined]
                if getattr(route, "path", None) == "/graphql")
    compiled = schema.compiled
    assert compiled is not None, "run without PRODUCTGRAPH_COMPILED_EXECUTION=off"
    # A checkout from before the generated plan has neither ``generate`` (set harmlessly)
    # nor ``clear``: its plans are forgotten through the entries themselves.
    forget = getattr(compiled, "clear", None) or compiled._entries.clear
    figures: Figures = {}
    async with app.router.lifespan_context(app):
        for label, (query, variables) in shapes().items():
            prepared = view.documents.prepare(query)
            operation = PreparedOperation.select(query, prepared.document, None)

            async def once(operation: Any = operation, variables: Any = variables) -> int:
                context = await view.get_context(None, None)
                result = await execute_plain(
                    schema, operation, variable_values=variables, context_value=context,
                    root_value=None, allowed_operation_types=None, operation_extensions=None)
                assert not result.errors, result.errors
                known = answer_cost(result)
                return known if known is not None else actual_cost(result.data)

            figures[label] = {}
            for mode in modes:
                schema.compiled = None if mode == "off" else compiled
                compiled.generate = mode == "generated"
                forget()
                runs: list[float] = []
                for _ in range(200):  # warm: the part cache, the plan, the memos
                    await once()
                for _ in range(repeats):
                    gc.collect()
                    count, started, spent = 0, time.perf_counter(), clock()
                    while time.perf_counter() - started < seconds:
                        for _ in range(50):
                            await once()
                        count += 50
                    runs.append((clock() - spent) / count * 1e6)
                figures[label][mode] = runs
            schema.compiled = compiled
            compiled.generate = True
            forget()
    return figures


async def measure_completion(seconds: float, repeats: int, modes: list[str],
                             clock: Any = time.thread_time) -> Figures:
    """µs per ``complete_value`` of each shape's root field, by mode."""
    from graph.app import create_app
    from graph.plain_execution import PreparedOperation, execute_plain
    from graph.schema import schema
    from graph.settings import Settings

    app = create_app(Settings.from_env())
    view = next(route.endpoint for route in app.routes  # type: ignore[attr-defined]
                if getattr(route, "path", None) == "/graphql")
    compiled = schema.compiled
    assert compiled is not None, "run without PRODUCTGRAPH_COMPILED_EXECUTION=off"
    forget = getattr(compiled, "clear", None) or compiled._entries.clear  # as in measure
    figures: Figures = {}
    async with app.router.lifespan_context(app):
        for label, (query, variables) in shapes().items():
            figures[label] = {}
            for mode in modes:
                compiled.generate = mode == "generated"
                forget()
                operation = PreparedOperation.select(
                    query, view.documents.prepare(query).document, None)
                executor_class = compiled.executor_class(operation)
                assert executor_class is not None
                seen: list[Any] = []
                original = executor_class.execute_fields

                def spy(self: Any, *args: Any, original: Any = original,
                        seen: list[Any] = seen) -> Any:
                    if args[2] is None:  # the root fields
                        seen.append((self, args))
                    return original(self, *args)

                # Through the compiled executor (direct execution, graph/direct_execution.py,
                # would run the query without one), whose root field's value is kept to
                # complete it again and again.
                executor_class.execute_fields = spy  # type: ignore[method-assign,assignment]
                compiled.direct = lambda prepared: None  # type: ignore[method-assign]
                try:
                    await execute_plain(
                        schema, operation, variable_values=variables,
                        context_value=await view.get_context(None, None), root_value=None,
                        allowed_operation_types=None, operation_extensions=None)
                finally:
                    del compiled.direct
                    executor_class.execute_fields = original  # type: ignore[method-assign]
                executor, args = await _root_completion(*seen[0])
                complete = super(executor_class, executor).complete_value \
                    if mode == "off" else executor.complete_value
                runs: list[float] = []
                for _ in range(repeats + 1):  # the first: warm-up
                    count, started, spent = 0, time.perf_counter(), clock()
                    while time.perf_counter() - started < seconds:
                        for _ in range(50):
                            executor.answer_costs = None  # one request's worth
                            complete(*args)
                        count += 50
                    runs.append((clock() - spent) / count * 1e6)
                figures[label][mode] = runs[1:]
        compiled.generate = True
        forget()
    return figures


async def _root_completion(executor: Any, fields_args: tuple[Any, ...]
                           ) -> tuple[Any, tuple[Any, ...]]:
    """The executor and ``complete_value``'s arguments for the one root field that
    ``execute_fields`` was given (``fields_args``): its value resolved again, as graphql-core's
    ``execute_field`` resolves it."""
    from graphql.execution.executor import to_nodes
    from graphql.execution.values import get_argument_values
    from graphql.pyutils import Path

    parent_type, source, _, grouped, position = fields_args
    ((key, details),) = grouped.items()
    first = details[0]
    field_def = parent_type.fields[first.node.name.value]
    path = Path(None, key, parent_type.name)
    info = executor.build_resolve_info(field_def, to_nodes(details), parent_type, path)
    arguments = get_argument_values(field_def, first.node, executor.variable_values,
                                    first.fragment_variable_values, executor.hide_suggestions)
    value = (field_def.resolve or executor.field_resolver)(source, info, **arguments)
    if executor.is_awaitable(value):
        value = await value
    return executor, (field_def.type, details, info, path, value, position)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=1.0, help="per repeat")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--modes", default=",".join(MODES))
    parser.add_argument("--clock", choices=("cpu", "wall"), default="cpu")
    parser.add_argument("--completion", action="store_true",
                        help="time the root field's completion alone")
    args = parser.parse_args()
    modes = [m for m in args.modes.split(",") if m]
    clock = time.thread_time if args.clock == "cpu" else time.perf_counter
    run = measure_completion if args.completion else measure
    figures = asyncio.run(run(args.seconds, args.repeats, modes, clock))
    print("| shape | " + " | ".join(f"{m} µs (min–max)" for m in modes) + " |")
    print("|---|" + "---:|" * len(modes))
    for label, by_mode in figures.items():
        cells = [f"{statistics.median(r):.1f} ({min(r):.1f}–{max(r):.1f})"
                 for r in by_mode.values()]
        print(f"| {label} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()

"""The benchmark's servers, one per process: ``python -m bench.execution.servers MODE PORT``.

``productgraph``  ``graph.app.create_app`` as deployed, its data warm (see ``warm_view``).
``default``       productgraph's schema, types and resolvers under a plain strawberry
                  ``GraphQL`` view and a schema with strawberry's default settings (no parse
                  or validation cache, stdlib JSON): the "default settings" baseline.
``graphql-core``  ``schema.graphql`` built by graphql-core with dict resolvers over
                  productgraph's own answer; parse and validation cached per query string.
``floor``         the same answer's bytes from a bare Starlette route: HTTP alone.

Every server runs under uvicorn with one worker, uvloop and httptools, access log off.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import orjson
import uvicorn
from graphql import DocumentNode, GraphQLSchema, execute, parse, validate
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from strawberry.asgi import GraphQL

from bench.execution.query import QUERY, VARIABLES, raw_schema
from graph.app import create_app
from graph.settings import Settings
from resolvers.fetcher import ProductFetcher


class WarmFetcher:
    """Stands in for the part cache while it is not in ``ProductFetcher``: the first fetch
    of a (channel, ids, parts) goes upstream (the in-process sandbox), every later one is
    answered from a dict. Everything else is the real fetcher's."""

    def __init__(self, inner: ProductFetcher) -> None:
        self.inner = inner
        self.memo: dict[Any, dict[str, Any]] = {}

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    async def fetch(self, channel: Any, wanted: Any) -> dict[str, Any]:
        key = (channel, tuple(sorted((sid, tuple(sorted(p.value for p in parts)))
                                     for sid, parts in wanted.items())))
        answers = self.memo.get(key)
        if answers is None:
            answers = self.memo[key] = await self.inner.fetch(channel, wanted)
        return dict(answers)


def graphql_view(app: Starlette) -> Any:
    """The strawberry view behind ``/graphql`` of a ``create_app`` app."""
    for route in app.routes:
        if getattr(route, "path", None) == "/graphql":
            return route.endpoint  # type: ignore[attr-defined]
    raise LookupError("create_app has no /graphql route")


def warm_view(app: Starlette) -> tuple[Any, str]:
    """Make the view's data warm; returns the view and how (for the report).

    With productgraph's own part cache in the fetcher (``fetcher.cache``), the warm-up
    requests fill it and it serves the run; without one, a ``WarmFetcher`` does."""
    view = graphql_view(app)
    if getattr(view.fetcher, "cache", None) is not None:
        return view, "productgraph's part cache (memory backend)"
    view.fetcher = WarmFetcher(view.fetcher)
    app.state.fetcher = view.fetcher
    return view, "a dict in front of ProductFetcher (no part cache in the fetcher yet)"


def request_context_args() -> tuple[Request, Response]:
    """A request and response as the view's ``get_context`` gets them over HTTP, for
    executing in process."""
    scope = {"type": "http", "method": "POST", "path": "/graphql", "headers": [],
             "query_string": b"", "client": ("127.0.0.1", 0), "server": ("127.0.0.1", 0)}
    return Request(scope), Response()


def productgraph_app() -> tuple[Starlette, Any, str]:
    app = create_app(Settings.from_env())
    view, how = warm_view(app)
    return app, view, how


def default_schema() -> Any:
    """productgraph's schema as strawberry builds it with no options and no extensions."""
    from graph.schema import ENTITIES, ProductGraphSchema, Query

    return ProductGraphSchema(query=Query, types=list(ENTITIES))


class DefaultView(GraphQL[Any, None]):
    """strawberry's ASGI view as it comes, with productgraph's context."""

    def __init__(self, schema: Any, productgraph_view: Any) -> None:
        super().__init__(schema, graphql_ide=None)
        self.productgraph_view = productgraph_view

    async def get_context(self, request: Any, response: Any) -> Any:
        return await self.productgraph_view.get_context(request, response)


def default_app() -> tuple[Starlette, Any]:
    inner, view, _ = productgraph_app()
    default_view = DefaultView(default_schema(), view)
    app = Starlette(routes=[Route("/graphql", default_view, methods=["POST"])],
                    lifespan=inner.router.lifespan_context)
    return app, default_view


async def productgraph_answer() -> dict[str, Any]:
    """productgraph's answer to the benchmark query, executed in process."""
    _, view, _ = productgraph_app()
    context = await view.get_context(*request_context_args())
    result = await view.schema.execute(QUERY, variable_values=VARIABLES, context_value=context)
    if result.errors:
        raise RuntimeError(f"productgraph failed the benchmark query: {result.errors}")
    await view.fetcher.registry.aclose()
    return {"data": result.data}


class CachedDocuments:
    """graphql-core's parse and validation, done once per query string."""

    def __init__(self, schema: GraphQLSchema) -> None:
        self.schema = schema
        self.documents: dict[str, DocumentNode] = {}

    def document(self, query: str) -> DocumentNode:
        document = self.documents.get(query)
        if document is None:
            document = parse(query)
            errors = validate(self.schema, document)
            if errors:
                raise ValueError(errors[0].message)
            self.documents[query] = document
        return document


def read_answers(path: str) -> dict[str, Any]:
    """The answers file ``python -m bench.execution`` writes from productgraph's own answers:
    ``products`` (id → every field any shape asked, merged) and ``floor`` (request body →
    productgraph's response body)."""
    return orjson.loads(Path(path).read_bytes())  # type: ignore[no-any-return]


def graphql_core_app(products: dict[str, Any]
                     ) -> tuple[Starlette, GraphQLSchema, CachedDocuments]:
    schema = raw_schema(products)
    documents = CachedDocuments(schema)

    async def endpoint(request: Request) -> Response:
        body = orjson.loads(await request.body())
        try:
            document = documents.document(body["query"])
        except Exception as exc:
            return Response(orjson.dumps({"errors": [{"message": str(exc)}]}), 400,
                            media_type="application/json")
        result = execute(schema, document, variable_values=body.get("variables"),
                         operation_name=body.get("operationName"))
        return Response(orjson.dumps(result.formatted),  # type: ignore[union-attr]
                        media_type="application/json")

    return Starlette(routes=[Route("/graphql", endpoint, methods=["POST"])]), schema, documents


def floor_app(bodies: dict[str, str]) -> Starlette:
    """productgraph's exact response bytes for each request body, from a bare route."""
    answers = {request.encode(): response.encode() for request, response in bodies.items()}

    async def endpoint(request: Request) -> Response:
        return Response(answers[await request.body()], media_type="application/json")

    return Starlette(routes=[Route("/graphql", endpoint, methods=["POST"])])


def build(mode: str, answers_path: str | None = None) -> Starlette:
    if mode == "productgraph":
        return productgraph_app()[0]
    if mode == "default":
        return default_app()[0]
    if answers_path is None:
        raise SystemExit(f"{mode} needs the answers file")
    answers = read_answers(answers_path)
    if mode == "graphql-core":
        return graphql_core_app(answers["products"])[0]
    if mode == "floor":
        return floor_app(answers["floor"])
    raise SystemExit(f"unknown mode {mode!r}: productgraph, default, graphql-core or floor")


def main(argv: list[str]) -> None:
    mode, port = argv[0], int(argv[1])
    uvicorn.run(build(mode, argv[2] if len(argv) > 2 else None), host="127.0.0.1",
                port=port, workers=1, log_level="warning", access_log=False)


if __name__ == "__main__":
    main(sys.argv[1:])

"""The Starlette application: ``/graphql`` (POST, GET, and GraphiQL in development), the
channel adapters and the process-wide fetcher built once at start-up and closed at
shutdown."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from strawberry.asgi import GraphQL

from graph.context import Context
from graph.schema import schema
from graph.settings import Settings
from graph.upstreams import build_registry
from resolvers.fetcher import ProductFetcher


class ProductGraphQL(GraphQL[Context, None]):
    """strawberry's ASGI view with productgraph's per-request context."""

    def __init__(self, fetcher: ProductFetcher, settings: Settings) -> None:
        super().__init__(schema, graphql_ide=None if settings.production else "graphiql",
                         allow_queries_via_get=not settings.production)
        self.fetcher = fetcher
        self.settings = settings

    async def get_context(self, request: Any, response: Any) -> Context:
        return Context(fetcher=self.fetcher, registry=self.fetcher.registry,
                       max_ids=self.settings.max_ids, request=request, response=response)


def create_app(settings: Settings | None = None,
               sandbox_transport: httpx.AsyncBaseTransport | None = None) -> Starlette:
    """Build the productgraph ASGI app from settings (default: the environment)."""
    settings = settings or Settings.from_env()
    registry = build_registry(settings, sandbox_transport)
    fetcher = ProductFetcher(registry)
    graphql_app = ProductGraphQL(fetcher, settings)

    async def healthz(request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        try:
            yield
        finally:
            await registry.aclose()

    app = Starlette(
        routes=[
            Route("/graphql", graphql_app, methods=["GET", "POST"]),
            Route("/healthz", healthz),
        ],
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.fetcher = fetcher
    app.state.registry = registry
    return app

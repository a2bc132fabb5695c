"""The Starlette application: ``/graphql`` (POST, GET, and GraphiQL in development), the
channel adapters and the process-wide fetcher built once at start-up and closed at
shutdown."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any

import httpx
from cross_web import AsyncHTTPRequestAdapter, HTTPException
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from strawberry.asgi import GraphQL

from graph.context import Context
from graph.metrics import metrics_endpoint
from graph.schema import schema
from graph.settings import Settings
from graph.upstreams import build_registry
from resolvers.fetcher import ProductFetcher
from resolvers.listings import MAX_IMAGE_BYTES
from resolvers.part_cache import part_cache_from_settings

#: Headers a cross-site HTML form cannot send; one must accompany a multipart request.
PREFLIGHT_HEADERS = ("apollo-require-preflight", "x-apollo-operation-name", "graphql-preflight")
#: One image plus the operations and map fields.
MAX_MULTIPART_BYTES = MAX_IMAGE_BYTES + 64 * 1024


class ProductGraphQL(GraphQL[Context, None]):
    """strawberry's ASGI view with productgraph's per-request context."""

    def __init__(self, fetcher: ProductFetcher, settings: Settings) -> None:
        # Multipart (the GraphQL multipart request spec) carries `searchByImage(image:)`.
        super().__init__(schema, graphql_ide=None if settings.production else "graphiql",
                         allow_queries_via_get=not settings.production,
                         multipart_uploads_enabled=True)
        self.fetcher = fetcher
        self.settings = settings

    async def parse_multipart(self, request: AsyncHTTPRequestAdapter) -> dict[str, str]:
        """CSRF and size guard for multipart. ``multipart/form-data`` is a "simple" content
        type: a browser sends it cross-site from any page's form without a CORS preflight,
        and this strawberry version does not check. So a multipart request must carry a
        header no plain form can set (``Apollo-Require-Preflight`` or
        ``X-Apollo-Operation-Name``, as Apollo clients send; ``GraphQL-Preflight``), which
        forces the preflight; and its declared length must fit one image upload."""
        headers = request.headers
        if not any(headers.get(name) for name in PREFLIGHT_HEADERS):
            raise HTTPException(400, "multipart requests must carry an "
                                     "Apollo-Require-Preflight: true header (CSRF protection)")
        try:
            length = int(headers.get("content-length") or "")
        except ValueError:
            raise HTTPException(411, "multipart requests need a Content-Length") from None
        if length > MAX_MULTIPART_BYTES:
            raise HTTPException(413, f"multipart requests are at most {MAX_MULTIPART_BYTES} "
                                     "bytes (one image of at most 5 MB)")
        return await super().parse_multipart(request)

    async def get_context(self, request: Any, response: Any) -> Context:
        return Context(fetcher=self.fetcher, registry=self.fetcher.registry,
                       max_ids=self.settings.max_ids, request=request, response=response)


def create_app(settings: Settings | None = None,
               sandbox_transport: httpx.AsyncBaseTransport | None = None) -> Starlette:
    """Build the productgraph ASGI app from settings (default: the environment)."""
    settings = settings or Settings.from_env()
    cache = part_cache_from_settings(settings.cache)
    # With a Redis cache, the upstream QPS budgets and bans share its connection pool.
    redis = getattr(cache.backend, "client", None) if cache is not None else None
    registry = build_registry(settings, sandbox_transport, redis=redis)
    fetcher = ProductFetcher(registry, cache)
    graphql_app = ProductGraphQL(fetcher, settings)

    async def healthz(request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        try:
            yield
        finally:
            await fetcher.aclose()
            await registry.aclose()

    app = Starlette(
        routes=[
            Route("/graphql", graphql_app, methods=["GET", "POST"]),
            Route("/healthz", healthz),
            Route("/metrics", metrics_endpoint),
        ],
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.fetcher = fetcher
    app.state.registry = registry
    return app

"""The Starlette application, composed from the settings: cache, channel registry,
fetcher, the ``/graphql`` view and the other routes, built once at start-up and closed at
shutdown."""

from __future__ import annotations

import contextlib
import functools
import gc
from collections.abc import AsyncIterator

import httpx
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.routing import Mount, Route, WebSocketRoute
from starlette.staticfiles import StaticFiles
from starlette.types import Receive, Scope, Send

from graph.access import AccessControl, AccessControlMiddleware, ApiKeys, RateLimiter
from graph.disconnect import CancelOnDisconnect
from graph.fast_lane import FastLane
from graph.health import health_routes
from graph.localization import build_localization
from graph.metrics import metrics_endpoint
from graph.observability import REQUEST_ID_HEADER, RequestLogMiddleware, install_log_redaction
from graph.persisted import PersistedQueries, load_manifest
from graph.schema import schema
from graph.serving import STATIC_DIR, STATIC_PATH, ProductGraphQL
from graph.settings import Settings, SettingsError
from graph.upstreams import build_registry
from resolvers import cursors
from resolvers.fetcher import ProductFetcher
from resolvers.page_cache import PageCache
from resolvers.part_cache import part_cache_from_settings
from resolvers.watch.service import WatchService


def create_app(settings: Settings | None = None,
               sandbox_transport: httpx.AsyncBaseTransport | None = None) -> Starlette:
    """Build the productgraph ASGI app from settings (default: the environment)."""
    settings = settings or Settings.from_env()
    install_log_redaction()
    cursors.configure_secret(settings.serving.cursor_secret.value)
    cache = part_cache_from_settings(settings.cache)
    # With a Redis cache, the upstream QPS budgets and bans share its connection pool.
    redis = getattr(cache.backend, "client", None) if cache is not None else None
    registry = build_registry(settings, sandbox_transport, redis=redis)
    fetcher = ProductFetcher(registry, cache)
    if cache is not None:
        fetcher.pages = PageCache(cache, ttl_s=settings.cache.search_ttl_s,
                                  max_age_s=settings.cache.search_max_age_s)
    localization = build_localization(settings.localization, redis=redis)
    serving = settings.serving
    manifest = None
    if serving.persisted_queries == "safelist":
        try:
            manifest = load_manifest(serving.persisted_queries_manifest)
        except ValueError as exc:
            raise SettingsError(f"PRODUCTGRAPH_PERSISTED_QUERIES_MANIFEST: {exc}") from None
    persisted = PersistedQueries(serving.persisted_queries, redis=redis, manifest=manifest,
                                 capacity=serving.persisted_queries_cache_size)
    graphql_app = ProductGraphQL(schema, fetcher, settings, persisted)
    # Watching products (resolvers/watch/): subscriptions, webhooks, history.
    watch = WatchService(settings.watch, fetcher, registry, redis=redis)
    watch.production = settings.production
    watch.keys_configured = bool(ApiKeys(settings.serving.api_keys))
    graphql_app.watch = watch
    graphql_app.ws_keys = ApiKeys(settings.serving.api_keys)
    graphql_app.localization = localization

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        # Everything built so far (modules, schema, app) lives as long as the process:
        # out of the collector's sight, a full collection no longer walks it while a
        # request waits (the tail latency it saves: bench/README.md).
        gc.collect()
        gc.freeze()
        localization.rates.start()
        await watch.start()
        try:
            yield
        finally:
            await watch.aclose()
            await localization.aclose()
            await fetcher.aclose()
            await registry.aclose()

    limiter = (RateLimiter(serving.rate_limit_per_minute, redis=redis)
               if serving.rate_limit_per_minute else None)
    keys = ApiKeys(serving.api_keys)
    app = ProductGraphApp(
        routes=[
            Route("/graphql", graphql_app, methods=["GET", "POST"]),
            WebSocketRoute("/graphql", graphql_app),
            *health_routes(registry, redis),
            Route("/metrics", metrics_endpoint),
            Mount(STATIC_PATH, StaticFiles(directory=STATIC_DIR), name="graphiql-static"),
        ],
        middleware=_middleware(settings, keys, limiter),
        lifespan=lifespan,
    )
    if serving.fast_lane:
        app.lane = FastLane(functools.partial(Starlette.__call__, app), view=graphql_app,
                            access=AccessControl(keys, limiter),
                            cors=bool(serving.cors_origins))
    app.state.settings = settings
    app.state.fetcher = fetcher
    app.state.registry = registry
    app.state.watch = watch
    app.state.localization = localization
    #: The view's response cache (graph/response_cache.py; None: off), for a second lane.
    app.state.response_cache = graphql_app.response_cache
    return app


class ProductGraphApp(Starlette):
    """Starlette with the fast lane (graph/fast_lane.py) in front of all of it: the
    common request skips even Starlette's error middleware (the lane answers its own
    errors); what the lane does not take goes to Starlette's stack as it came."""

    lane: FastLane | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        lane = self.lane
        if lane is not None and scope["type"] == "http":
            await lane(scope, receive, send)
        else:
            await super().__call__(scope, receive, send)


def _middleware(settings: Settings, keys: ApiKeys,
                limiter: RateLimiter | None) -> list[Middleware]:
    """Outermost first: request id and access log, CORS, then API keys and rate limit."""
    serving = settings.serving
    stack = [Middleware(RequestLogMiddleware)]
    if serving.cors_origins:
        stack.append(Middleware(
            CORSMiddleware, allow_origins=list(serving.cors_origins),
            allow_methods=["GET", "POST"],
            allow_headers=["Authorization", "X-API-Key", "Content-Type", REQUEST_ID_HEADER,
                           "Apollo-Require-Preflight", "X-Apollo-Operation-Name",
                           "GraphQL-Preflight"],
            expose_headers=[REQUEST_ID_HEADER, "RateLimit-Limit", "RateLimit-Remaining",
                            "RateLimit-Reset", "Retry-After"],
            max_age=600))
    if keys or limiter:
        stack.append(Middleware(AccessControlMiddleware, keys=keys, limiter=limiter))
    stack.append(Middleware(CancelOnDisconnect))  # a client that hangs up cancels its work
    return stack

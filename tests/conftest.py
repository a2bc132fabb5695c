"""Shared fixtures: the productgraph app over an in-process sandbox, and a GraphQL client.

Every test that runs the app builds it here, with ``serve_app``: ``create_app`` over a
sandbox reached through ``httpx.ASGITransport``, its Starlette lifespan run as a server
runs it (so start-up and shutdown are those of production: the lifespan closes the fetcher
and the channel registry), and an HTTP client to it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from graph.app import create_app
from graph.settings import Settings
from sandbox.app import create_sandbox_app

BASE_URL = "http://productgraph.test"


class GraphQLClient:
    """Posts GraphQL operations to the app, as a frontend would."""

    def __init__(self, http: httpx.AsyncClient, sandbox: Any, app: Starlette) -> None:
        self.http = http
        self.sandbox = sandbox  # the sandbox app's state: calls, faults
        self.app = app          # its state holds the process-wide fetcher and registry

    async def post(self, query: str, variables: dict[str, Any] | None = None,
                   **extra: Any) -> httpx.Response:
        body: dict[str, Any] = {"query": query, **extra}
        if variables is not None:
            body["variables"] = variables
        return await self.http.post("/graphql", json=body)

    async def execute(self, query: str, variables: dict[str, Any] | None = None
                      ) -> dict[str, Any]:
        response = await self.post(query, variables)
        assert response.status_code == 200, response.text
        return response.json()  # type: ignore[no-any-return]


def sandboxed_app(settings: Settings | Mapping[str, str] | None = None,
                  sandbox_app: Starlette | None = None) -> tuple[Starlette, Starlette]:
    """The productgraph app built from ``settings`` (or from the environment mapping
    given; none: the defaults) over ``sandbox_app`` (default: a fresh sandbox), and that
    sandbox. For a test that serves the app itself; the others use ``serve_app``."""
    if not isinstance(settings, Settings):
        settings = Settings.from_env(dict(settings or {}))
    sandbox_app = sandbox_app or create_sandbox_app()
    app = create_app(settings, sandbox_transport=httpx.ASGITransport(app=sandbox_app))
    return app, sandbox_app


@asynccontextmanager
async def serve_app(settings: Settings | Mapping[str, str] | None = None,
                    sandbox_app: Starlette | None = None) -> AsyncIterator[GraphQLClient]:
    """``sandboxed_app`` started (its lifespan), with a client to it; on exit the client is
    closed, then the lifespan shuts down (closing the fetcher and the registry)."""
    app, sandbox_app = sandboxed_app(settings, sandbox_app)
    async with app.router.lifespan_context(app), httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url=BASE_URL, timeout=60) as http:
        yield GraphQLClient(http, sandbox_app.state.sandbox, app)


@pytest.fixture
def settings() -> Settings:
    return Settings.from_env({})


@pytest.fixture
async def gql(settings: Settings) -> AsyncIterator[GraphQLClient]:
    async with serve_app(settings) as client:
        yield client

"""Shared fixtures: the productgraph app over an in-process sandbox, and a GraphQL client."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from graph.app import create_app
from graph.settings import Settings
from sandbox.app import create_sandbox_app


class GraphQLClient:
    """Posts GraphQL operations to the app, as a frontend would."""

    def __init__(self, http: httpx.AsyncClient, sandbox: Any) -> None:
        self.http = http
        self.sandbox = sandbox  # the sandbox app's state: calls, faults

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


@pytest.fixture
def settings() -> Settings:
    return Settings.from_env({})


@pytest.fixture
async def gql(settings: Settings) -> AsyncIterator[GraphQLClient]:
    sandbox_app = create_sandbox_app()
    app = create_app(settings, sandbox_transport=httpx.ASGITransport(app=sandbox_app))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                 base_url="http://productgraph.test") as http:
        yield GraphQLClient(http, sandbox_app.state.sandbox)
    await app.state.registry.aclose()

"""A client that hangs up cancels its query (graph/disconnect.py), served by a real uvicorn
on a loopback port in this process, so the test can read productgraph's own fetcher; the
sandbox is in process behind ``httpx.ASGITransport``. tests/acceptance/test_faults.py checks
the same from the gateway's side, with both as separate processes."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
import uvicorn

from tests.conftest import sandboxed_app
from tests.processes import free_port

SEED_000 = "taobao_680123456789"
TITLE = "query ($id: ID!) { product(id: $id) { id title { original } } }"


@asynccontextmanager
async def served() -> AsyncIterator[tuple[str, Any, Any]]:
    """productgraph under uvicorn on a free port: its URL, its app and the sandbox state."""
    app, sandbox_app = sandboxed_app()
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port,
                                           log_level="warning", lifespan="on"))
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}", app, sandbox_app.state.sandbox
    finally:
        server.should_exit = True
        await task


async def eventually(condition: Any, within_s: float = 10.0) -> bool:
    """Wait for ``condition`` (an event, polled); the bound only stops a broken server."""
    for _ in range(round(within_s / 0.02)):
        if condition():
            return True
        await asyncio.sleep(0.02)
    return bool(condition())


async def test_a_client_that_hangs_up_cancels_its_query_and_upstream_call(
        caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="productgraph.access")
    async with served() as (url, app, sandbox), httpx.AsyncClient(timeout=0.4) as client:
        sandbox.faults.latency_ms = 60_000   # only letting go ends the call in time
        request = asyncio.create_task(
            client.post(url + "/graphql", json={"query": TITLE, "variables": {"id": SEED_000}}))
        assert await eventually(lambda: app.state.fetcher.in_flight == 1)
        assert await eventually(lambda: sandbox.in_flight == 1)
        with pytest.raises(httpx.ReadTimeout):
            await request
        # Most of a minute of the gateway's latency was still to go: both sides let go.
        assert await eventually(lambda: app.state.fetcher.in_flight == 0), \
            "productgraph still waits for an answer nobody will read"
        assert await eventually(lambda: sandbox.in_flight == 0)
        assert sum(sandbox.calls.values()) == 1

        # The access log says who ended the request: 499, as nginx logs a client's close.
        lines = [json.loads(r.getMessage()) for r in caplog.records
                 if r.name == "productgraph.access"]
        assert [line["status"] for line in lines if line["path"] == "/graphql"] == [499]

        # Nothing is left behind: the next query is served, from a fresh upstream call.
        sandbox.faults.latency_ms = 0
        answer = (await client.post(url + "/graphql", json={
            "query": TITLE, "variables": {"id": SEED_000}})).json()
        assert answer["data"]["product"]["id"] == SEED_000
        assert sum(sandbox.calls.values()) == 2


async def test_answered_requests_on_one_connection_are_never_cancelled() -> None:
    """After a response is complete the server answers ``receive()`` with http.disconnect
    although the client is still there (keep-alive): that must not cancel anything."""
    async with served() as (url, _, _), httpx.AsyncClient(timeout=10) as client:
        for _ in range(3):
            post = await client.post(url + "/graphql", json={
                "query": TITLE, "variables": {"id": SEED_000}})
            get = await client.get(url + "/graphql", params={
                "query": TITLE, "variables": json.dumps({"id": SEED_000})})
            for response in (post, get):
                assert response.status_code == 200, response.text
                assert response.json()["data"]["product"]["id"] == SEED_000


async def test_a_body_sent_in_slow_chunks_is_read_whole() -> None:
    """The body passes through as it arrives (chunked, with pauses): nothing listens for a
    hang-up until its last chunk, and nothing of it is lost."""
    body = json.dumps({"query": TITLE, "variables": {"id": SEED_000}}).encode()

    async def chunks() -> AsyncIterator[bytes]:
        for start in range(0, len(body), 16):
            await asyncio.sleep(0.01)
            yield body[start:start + 16]

    async with served() as (url, _, _), httpx.AsyncClient(timeout=10) as client:
        response = await client.post(url + "/graphql", content=chunks(),
                                     headers={"content-type": "application/json"})
    assert response.status_code == 200, response.text
    assert response.json()["data"]["product"]["id"] == SEED_000

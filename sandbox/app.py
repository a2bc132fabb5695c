"""The sandbox gateway: one ASGI app that speaks every upstream protocol productgraph uses.

It serves a bundled catalog, checks signatures, app keys and tokens like the real gateways,
and injects latency and faults on demand. The server talks to it in process
(``httpx.ASGITransport``) when a channel has no credentials; ``productgraph sandbox`` serves
it on a loopback port for tests and benchmarks.

Control endpoints (sandbox only): ``GET /_sandbox/stats`` (calls per upstream method, peak
calls in any one second, TOP calls ``rejected`` with code 7), ``POST /_sandbox/reset``,
``POST /_sandbox/faults`` (JSON body with any field of ``Faults``).
"""

from __future__ import annotations

import time

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import BaseRoute, Route

from sandbox import alibaba, standard, tbk, top, weidian
from sandbox.state import Faults, SandboxState


def create_sandbox_app(faults: Faults | None = None) -> Starlette:
    """Build a sandbox gateway with its own state (statistics and faults)."""
    state = SandboxState(faults=faults or Faults())

    async def stats(request: Request) -> JSONResponse:
        return JSONResponse(state.stats())

    async def reset(request: Request) -> JSONResponse:
        state.reset()
        return JSONResponse({"ok": True})

    async def set_faults(request: Request) -> JSONResponse:
        body = await request.json()
        for name, value in body.items():
            if not hasattr(state.faults, name):
                return JSONResponse({"error": f"unknown fault {name!r}"}, status_code=400)
            setattr(state.faults, name, value)
        if body.get("ban_seconds"):
            state.faults.ban_until = 0.0  # the next TOP call starts the ban
        return JSONResponse({"ok": True, "at": time.time()})

    routes: list[BaseRoute] = [
        Route("/_sandbox/stats", stats),
        Route("/_sandbox/reset", reset, methods=["POST"]),
        Route("/_sandbox/faults", set_faults, methods=["POST"]),
        *top.routes(state),
        *tbk.routes(state),
        *alibaba.routes(state),
        *weidian.routes(state),
        *standard.routes(state),
    ]
    app = Starlette(routes=routes)
    app.state.sandbox = state
    return app

"""The sandbox gateway: one ASGI app that speaks every upstream protocol productgraph uses.

It serves a bundled catalog, checks signatures, app keys and tokens like the real gateways,
and injects latency and faults on demand. The server talks to it in process
(``httpx.ASGITransport``) when a channel has no credentials; ``productgraph sandbox`` serves
it on a loopback port for tests and benchmarks.

Control endpoints (sandbox only): ``GET /_sandbox/stats`` (calls per upstream method, peak
calls in any one second, TOP calls ``rejected`` with code 7), ``POST /_sandbox/reset``,
``POST /_sandbox/faults`` (JSON body with any field of ``Faults``), ``POST
/_sandbox/items/{id}`` (``{"price": "59.00", "stock": 3}``: what TOP, 1688 and Weidian
answer for that item from now on; sandbox/drift.py).

``drift_ids`` (``productgraph sandbox --drift``) makes those items' price and stock drift
every ``drift_interval_s`` seconds.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Sequence
from decimal import Decimal, InvalidOperation

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import BaseRoute, Route

from sandbox import alibaba, standard, tbk, top, weidian
from sandbox.drift import all_item_ids, base_price, source_id_of
from sandbox.state import Faults, SandboxState


def create_sandbox_app(faults: Faults | None = None, *,
                       drift_ids: Sequence[str] = (),
                       drift_interval_s: float = 5.0) -> Starlette:
    """Build a sandbox gateway with its own state (statistics, faults, drift);
    ``drift_ids`` (``["all"]``: every item) drift every ``drift_interval_s`` seconds."""
    state = SandboxState(faults=faults or Faults())
    drifting = all_item_ids() if list(drift_ids) == ["all"] else list(drift_ids)

    async def set_item(request: Request) -> JSONResponse:
        item_id = request.path_params["item_id"]
        if base_price(source_id_of(item_id)) is None:
            return JSONResponse({"error": f"no item {item_id!r} in the catalog"},
                                status_code=404)
        body = await request.json()
        try:
            price = Decimal(str(body["price"])) if body.get("price") is not None else None
            stock = int(body["stock"]) if body.get("stock") is not None else None
        except (InvalidOperation, ValueError, TypeError):
            return JSONResponse({"error": "price must be a decimal, stock an integer"},
                                status_code=400)
        entry = state.drift.set(item_id, price=price, stock=stock)
        return JSONResponse({"ok": True, "at": time.time(),
                             "price": None if entry.price is None else f"{entry.price:.2f}",
                             "stock": entry.stock})

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        task = (asyncio.create_task(state.drift.drift_forever(drifting, drift_interval_s))
                if drifting else None)
        try:
            yield
        finally:
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task

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
        Route("/_sandbox/items/{item_id}", set_item, methods=["POST"]),
        *top.routes(state),
        *tbk.routes(state),
        *alibaba.routes(state),
        *weidian.routes(state),
        *standard.routes(state),
    ]
    app = Starlette(routes=routes, lifespan=lifespan)
    app.state.sandbox = state
    return app

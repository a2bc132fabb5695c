"""``/healthz`` and ``/readyz``: whether the process is alive, and whether it can serve."""

from __future__ import annotations

import asyncio
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route


async def readiness(registry: Any, redis: Any, *, timeout_s: float = 1.0) -> dict[str, Any]:
    """``/readyz``: ready when the cache backend answers. Each channel's circuit breaker
    state is reported but never makes the instance unready: every instance shares the same
    upstreams, so taking this one out of rotation would not help."""
    cache: dict[str, Any] = {"backend": "redis" if redis is not None else "memory", "ok": True}
    if redis is not None:
        try:
            async with asyncio.timeout(timeout_s):
                await redis.ping()
        except Exception as exc:
            cache["ok"] = False
            cache["error"] = type(exc).__name__
    channels: dict[str, str] = {}
    for adapter in registry.adapters:
        client = getattr(adapter, "client", None)
        breaker = getattr(client, "breaker", None)
        if breaker is None:
            continue
        for channel in adapter.channels:
            channels[channel.value] = breaker.state
    return {"status": "ready" if cache["ok"] else "unready", "cache": cache,
            "channels": channels}


def health_routes(registry: Any, redis: Any) -> list[Route]:
    """The two health endpoints over the app's channel registry and Redis (or ``None``)."""

    async def healthz(request: Request) -> Response:
        """The process is alive (no dependency is checked)."""
        return JSONResponse({"status": "ok"})

    async def readyz(request: Request) -> Response:
        """Ready to serve: the cache backend answers; each channel's circuit state."""
        body = await readiness(registry, redis)
        return JSONResponse(body, status_code=200 if body["status"] == "ready" else 503)

    return [Route("/healthz", healthz), Route("/readyz", readyz)]

"""``python -m bench.response_cache``: what a response cache hit costs, next to the same
request executed (``Cache-Control: no-cache``, which executes and refreshes the entry).

1. In process: the productgraph app (``create_app`` over the in-process sandbox, its
   lifespan run), called as ASGI with the benchmark's product-detail body, ``--iterations``
   times each: executed with the response cache off (main's path); executed with it on
   (``no-cache``: the keys, ETag and store a miss adds); a hit through the whole
   middleware stack (request id, access log, the view's lookup and replay); a hit through
   the view alone; and ``ResponseCache.lookup_raw`` plus ``answer`` alone (what a fast
   lane pays). µs per request, best of 5 runs.
2. Over HTTP: ``productgraph serve`` (defaults) on a loopback port, driven by ``wrk``
   (bench/execution/loadgen.py) for ``--duration`` s per point: hit vs executed, at 1 and
   16 connections.

Options: ``--iterations``, ``--duration``, ``--skip-http``.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
import orjson

from bench.execution import loadgen
from bench.execution.__main__ import command
from bench.execution.query import QUERY
from graph.app import create_app
from graph.settings import Settings
from sandbox.app import create_sandbox_app
from sandbox.process import free_port, running

PRODUCT = "taobao_680123456789"
BODY = orjson.dumps({"query": QUERY, "variables": {"id": PRODUCT}})


def scope_of(extra: list[tuple[bytes, bytes]]) -> dict[str, Any]:
    return {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1",
            "method": "POST", "scheme": "http", "path": "/graphql", "raw_path": b"/graphql",
            "root_path": "", "query_string": b"", "client": ("127.0.0.1", 50000),
            "server": ("127.0.0.1", 8000),
            "headers": [(b"host", b"127.0.0.1"), (b"content-type", b"application/json"),
                        (b"content-length", str(len(BODY)).encode()), *extra]}


async def call(app: Any, extra: list[tuple[bytes, bytes]]) -> int:
    status = 0
    sent = asyncio.Event()
    received = False

    async def receive() -> dict[str, Any]:
        nonlocal received
        if not received:
            received = True
            return {"type": "http.request", "body": BODY, "more_body": False}
        await sent.wait()                 # as a server: the disconnect comes after
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]
        elif not message.get("more_body", False):
            sent.set()

    await app(scope_of(extra), receive, send)
    return status


async def best_of(app: Any, extra: list[tuple[bytes, bytes]], iterations: int) -> float:
    """µs per request through ``app``, best of 5 runs."""
    best = float("inf")
    for _ in range(5):
        started = time.perf_counter()
        for _ in range(iterations):
            await call(app, extra)
        best = min(best, (time.perf_counter() - started) / iterations)
    return best * 1e6


def sandboxed(environ: dict[str, str]) -> Any:
    return create_app(Settings.from_env(environ),
                      sandbox_transport=httpx.ASGITransport(app=create_sandbox_app()))


async def in_process(iterations: int) -> dict[str, float]:
    results: dict[str, float] = {}
    off = sandboxed({"PRODUCTGRAPH_RESPONSE_CACHE": "off"})
    async with off.router.lifespan_context(off):
        assert await call(off, []) == 200
        results["executed, cache off"] = await best_of(off, [], iterations)
    app = sandboxed({})
    async with app.router.lifespan_context(app):
        assert await call(app, []) == 200            # cold: stores the entry
        cache = app.state.response_cache
        results["executed (no-cache)"] = await best_of(
            app, [(b"cache-control", b"no-cache")], iterations)
        results["hit (whole app)"] = await best_of(app, [], iterations)
        view = next(r.app for r in app.routes if getattr(r, "path", "") == "/graphql"
                    and hasattr(r, "methods"))
        results["hit (the view alone)"] = await best_of(view, [], iterations)
        raw = cache.raw_key(b"POST", BODY, "application/json", b"")
        best = float("inf")
        for _ in range(5):
            started = time.perf_counter()
            for _ in range(iterations):
                entry = cache.lookup_raw(raw)
                cache.answer(entry, None)
            best = min(best, (time.perf_counter() - started) / iterations)
        results["lookup_raw + answer"] = best * 1e6
        results["answer bytes"] = len(cache.lookup_raw(raw).body)
    return results


def over_http(duration: float) -> list[tuple[str, loadgen.Point]]:
    wrk = loadgen.ensure_wrk()
    if wrk is None:
        raise SystemExit("wrk is not installed")
    port = free_port()
    url = f"http://127.0.0.1:{port}/graphql"
    with tempfile.TemporaryDirectory() as tmp:
        args, env = command("productgraph", port, Path(tmp))
        # The access log goes to a file: an unread pipe would stall the server.
        with running(args, ready_url=f"http://127.0.0.1:{port}/healthz", env=env,
                     timeout_s=60, log=Path(tmp) / "server.log"), \
                httpx.Client(timeout=30) as client:
            points = _points(client, url, wrk, duration)
    return points


def _points(client: httpx.Client, url: str, wrk: str,
            duration: float) -> list[tuple[str, loadgen.Point]]:
    points = []
    for _ in range(50):
        client.post(url, content=BODY, headers={"Content-Type": "application/json"})
    for label, headers in (("hit", {}), ("executed (no-cache)", {"Cache-Control": "no-cache"})):
        for connections in (1, 16):
            point = loadgen.run_wrk(wrk, url, [BODY], connections, duration, headers)
            print(f"  {label:20} c={connections:<3} {point.rps:8.0f} req/s  "
                  f"p50 {point.p50_us / 1000:6.2f} ms  p99 {point.p99_us / 1000:6.2f} ms",
                  flush=True)
            points.append((label, point))
    return points


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--iterations", type=int, default=2000)
    parser.add_argument("--duration", type=float, default=5.0)
    parser.add_argument("--skip-http", action="store_true")
    options = parser.parse_args(argv)
    for label, value in asyncio.run(in_process(options.iterations)).items():
        print(f"  {label:22} {value:10.1f}" + ("" if label == "answer bytes" else " µs"))
    if not options.skip_http:
        over_http(options.duration)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

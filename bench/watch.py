"""The watch feed's cost and latency, against real processes.

    python -m bench.watch [--products 50] [--interval 2] [--seconds 20] [--changes 10]

Starts ``productgraph sandbox`` and ``productgraph serve`` (SQLite in a temporary
directory) on loopback ports, watches ``--products`` Taobao items with two
``graphql-transport-ws`` subscribers and one webhook (a loopback consumer), and reports:

* upstream calls per watched product per hour, counted at the sandbox over ``--seconds``,
  next to a naive poller: each of the three consumers calling ``taobao.item.get`` for each
  product once per interval (the cheapest a client polling without productgraph can do);
* event latency: ``--changes`` price changes made at the sandbox, the time until the
  first subscriber and the webhook receive each, the change made at a random point of the
  poll cycle (so on average half an interval, at most one interval, plus the work).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import random
import statistics
import tempfile
import threading
import time
from collections.abc import AsyncIterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import websockets

from sandbox import catalog_top
from sandbox.process import free_port, productgraph, running, sandbox_env

SUBSCRIPTION = """subscription($ids: [ID!]!) { productChanges(ids: $ids, fields: [PRICE]) {
  productId sequence changes { field variantId newValue } } }"""


@contextlib.contextmanager
def consumer(arrivals: list[tuple[float, bytes]]) -> Any:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("content-length") or 0))
            arrivals.append((time.monotonic(), body))
            self.send_response(200)
            self.send_header("content-length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            return None

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/hook"
    finally:
        server.shutdown()


@contextlib.asynccontextmanager
async def subscriber(port: int, ids: list[str],
                     arrivals: list[tuple[float, dict[str, Any]]]) -> AsyncIterator[None]:
    async with websockets.connect(f"ws://127.0.0.1:{port}/graphql",
                                  subprotocols=["graphql-transport-ws"]) as ws:  # type: ignore[list-item]
        await ws.send(json.dumps({"type": "connection_init"}))
        await ws.recv()
        await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": {
            "query": SUBSCRIPTION, "variables": {"ids": ids}}}))

        async def read() -> None:
            async for message in ws:
                data = json.loads(message)
                if data["type"] == "next":
                    arrivals.append((time.monotonic(), data["payload"]["data"]["productChanges"]))

        task = asyncio.create_task(read())
        try:
            yield
        finally:
            task.cancel()


async def measure(args: argparse.Namespace, sandbox: str, port: int) -> dict[str, Any]:
    http = httpx.AsyncClient(timeout=10)
    items = [str(i) for i in catalog_top.TOP_ITEMS if not catalog_top.is_tmall(i)]
    items = items[:args.products]
    ids = [f"taobao_{i}" for i in items]
    ws_a: list[tuple[float, dict[str, Any]]] = []
    ws_b: list[tuple[float, dict[str, Any]]] = []
    hooks: list[tuple[float, bytes]] = []
    with consumer(hooks) as hook_url:
        await http.post(f"http://127.0.0.1:{port}/graphql", json={
            "query": "mutation($u: String!, $ids: [ID!]!) { registerWebhook(url: $u, ids: $ids,"
                     " fields: [PRICE]) { secret } }", "variables": {"u": hook_url, "ids": ids}})
        async with subscriber(port, ids, ws_a), subscriber(port, ids, ws_b):
            await asyncio.sleep(args.interval * 1.5)  # the baseline round is done
            await http.post(f"{sandbox}/_sandbox/reset")
            started = time.monotonic()
            await asyncio.sleep(args.seconds)
            stats = (await http.get(f"{sandbox}/_sandbox/stats")).json()
            elapsed = time.monotonic() - started
            ws_lat, hook_lat = [], []
            rng = random.Random(3)
            for n in range(args.changes):
                item = items[n % len(items)]
                price = f"{10 + n}.{n % 100:02d}"
                # A change lands anywhere in the poll cycle, as a real one would.
                await asyncio.sleep(rng.uniform(0, args.interval))
                ws_a.clear()
                hooks.clear()
                changed = time.monotonic()
                await http.post(f"{sandbox}/_sandbox/items/{item}", json={"price": price})
                deadline = changed + args.interval + 5
                # The webhook's arrivals come from the consumer's thread: polled.
                while time.monotonic() < deadline and not (ws_a and hooks):  # noqa: ASYNC110
                    await asyncio.sleep(0.01)
                if ws_a:
                    ws_lat.append(ws_a[0][0] - changed)
                if hooks:
                    hook_lat.append(hooks[0][0] - changed)
    await http.aclose()
    per_hour = stats["total"] / len(items) * 3600 / elapsed
    naive = 3 * 3600 / args.interval  # three consumers × one item.get per interval

    def summary(values: list[float]) -> dict[str, float]:
        ordered = sorted(values)
        return {"median_s": round(statistics.median(ordered), 3),
                "max_s": round(ordered[-1], 3), "n": len(ordered)} if ordered else {}

    return {"products": len(items), "interval_s": args.interval,
            "window_s": round(elapsed, 1), "sandbox_calls": stats["total"],
            "calls_per_product_hour": round(per_hour, 1),
            "naive_calls_per_product_hour": round(naive, 1),
            "peak_calls_per_second": stats["peakPerSecond"],
            "subscriber_latency": summary(ws_lat), "webhook_latency": summary(hook_lat)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--products", type=int, default=50)
    parser.add_argument("--interval", type=float, default=2.0)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--changes", type=int, default=10)
    args = parser.parse_args()
    sandbox_port, port = free_port(), free_port()
    sandbox = f"http://127.0.0.1:{sandbox_port}"
    with tempfile.TemporaryDirectory() as tmp:
        env = {**sandbox_env(sandbox), "PRODUCTGRAPH_PORT": str(port),
               "PRODUCTGRAPH_DATABASE_URL": f"sqlite:///{Path(tmp) / 'watch.db'}",
               "PRODUCTGRAPH_WATCH_INTERVAL": str(args.interval),
               "PRODUCTGRAPH_WEBHOOK_ALLOW_PRIVATE": "true"}
        with running(productgraph("sandbox", "--port", str(sandbox_port)),
                     ready_url=f"{sandbox}/_sandbox/stats"), \
                running(productgraph("serve"), env=env, ready_url=f"http://127.0.0.1:{port}/healthz",
                        log=Path(tmp) / "server.log"):
            result = asyncio.run(measure(args, sandbox, port))
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()

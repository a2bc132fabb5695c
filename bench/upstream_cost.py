"""What one query costs the marketplaces, cold and warm.

    python -m bench.upstream_cost [--latency-ms 100] [--warm-seconds 3] [--concurrency 16]

Starts ``productgraph sandbox --latency-ms N`` as its own process on a loopback port, points
an in-process productgraph at it with the sandbox's real credentials (so signing, HTTP,
the QPS budget and the cache all run as in production), and for each query shape prints:

* upstream calls of a cold query (empty cache) next to the theoretical minimum
  (one batch call per ``batch_limit`` ids, one call per id where a channel has no batch);
* cold wall time divided by the emulated latency (ideal: one round trip per wave);
* warm throughput: queries/s with ``--concurrency`` clients for ``--warm-seconds``, and the
  upstream calls those warm queries made;

then 1,000 identical concurrent cold queries and the calls they cost. Bounded: about
``4 × warm-seconds + 5`` seconds.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from graph.app import create_app
from graph.settings import Settings
from sandbox import credentials as sandbox
from sandbox.process import free_port, productgraph, running, sandbox_env


@dataclass(frozen=True)
class Shape:
    name: str
    query: str
    variables: dict[str, Any]
    minimum_calls: int


def shapes() -> list[Shape]:
    from sandbox.catalog_1688 import OFFERS
    from sandbox.catalog_top import SHARED_SPU_ITEM_IDS, TOP_ITEMS, is_tmall
    from sandbox.catalog_weidian import ITEMS as WEIDIAN_ITEMS

    taobao = [f"taobao_{n}" for n in sorted(TOP_ITEMS) if not is_tmall(n)]
    tmall = [f"tmall_{n}" for n in sorted(TOP_ITEMS) if is_tmall(n)]
    shared_spus = [f"tmall_{n}" for n in SHARED_SPU_ITEM_IDS]
    mixed = (taobao[:4] + [f"1688_{n}" for n in sorted(OFFERS)[:3]]
             + [f"weidian_{n}" for n in sorted(WEIDIAN_ITEMS)[:3]])
    return [
        Shape("single product: id title", "query ($id: ID!) { product(id: $id) { id "
              "title { original } } }", {"id": taobao[0]}, 1),
        Shape("40 Taobao: title price variants images",
              """query ($ids: [ID!]!) { products(ids: $ids) { id title { original }
                 price { display { amount } } variants { skuId price { display { amount } } }
                 images { url } } }""", {"ids": taobao[:40]}, 2),
        Shape("mixed channels, 10 ids (4 TOP, 3 1688, 3 Weidian)",
              "query ($ids: [ID!]!) { products(ids: $ids) { id title { original } "
              "price { display { amount } } } }",
              {"ids": mixed}, 1 + 3 + 3),
        Shape("Taobao + Tmall, 10 + 10 ids through TOP",
              "query ($ids: [ID!]!) { products(ids: $ids) { id title { original } "
              "price { display { amount } } } }",
              {"ids": taobao[40:50] + tmall[:10]}, 1),
        Shape("20 Tmall items over 4 SPUs, with catalogProduct",
              "query ($ids: [ID!]!) { products(ids: $ids) { id title { original } "
              "catalogProduct { id name } } }",
              {"ids": shared_spus}, 1 + 4),
        Shape("search page: 20 hits, id title price",
              """query { search(channel: TAOBAO, query: "shirt", first: 20) {
                 edges { node { id title { original } price { display { amount } } } } } }""",
              {}, 1),
    ]


def settings_for(origin: str) -> Settings:
    """productgraph configured as for real gateways, at the sandbox's loopback origin."""
    return Settings.from_env({
        **sandbox_env(origin),
        "PRODUCTGRAPH_STANDARD_URL": origin + sandbox.STANDARD_PATH,  # search
        "PRODUCTGRAPH_STANDARD_TOKEN": sandbox.STANDARD_TOKEN,
        # The bench measures cost, not throttling: budgets far above what it sends.
        "PRODUCTGRAPH_TAOBAO_QPS": "1000", "PRODUCTGRAPH_1688_QPS": "1000",
        "PRODUCTGRAPH_WEIDIAN_QPS": "1000", "PRODUCTGRAPH_STANDARD_QPS": "1000",
    })


async def upstream_calls(control: httpx.AsyncClient) -> int:
    return int((await control.get("/_sandbox/stats")).json()["total"])


async def run(args: argparse.Namespace) -> dict[str, Any]:
    port = free_port()
    origin = f"http://127.0.0.1:{port}"
    results: dict[str, Any] = {"shapes": []}
    with tempfile.TemporaryDirectory() as logs, running(
            productgraph("sandbox", "--port", str(port), "--latency-ms", str(args.latency_ms)),
            ready_url=origin + "/_sandbox/stats", log=Path(logs) / "sandbox.log"):
        app = create_app(settings_for(origin))
        fetcher = app.state.fetcher
        latency_s = args.latency_ms / 1000
        async with httpx.AsyncClient(base_url=origin) as control, \
                httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                  base_url="http://productgraph.bench", timeout=60) as http:

            async def execute(shape: Shape) -> dict[str, Any]:
                response = await http.post("/graphql", json={"query": shape.query,
                                                             "variables": shape.variables})
                body: dict[str, Any] = response.json()
                if body.get("errors"):
                    raise RuntimeError(f"{shape.name}: {body['errors'][0]}")
                return body

            # Warm the connection pools (not the cache) so cold means "cold cache".
            for shape in shapes():
                await execute(shape)
            for shape in shapes():
                await fetcher.cache.clear()
                await fetcher.drain()
                before = await upstream_calls(control)
                started = time.perf_counter()
                await execute(shape)
                cold_s = time.perf_counter() - started
                await fetcher.drain()
                cold_calls = await upstream_calls(control) - before

                before = await upstream_calls(control)
                done = 0
                stop_at = time.perf_counter() + args.warm_seconds

                async def client(shape: Shape = shape, stop_at: float = stop_at) -> int:
                    count = 0
                    while time.perf_counter() < stop_at:
                        await execute(shape)
                        count += 1
                    return count

                warm_started = time.perf_counter()
                done = sum(await asyncio.gather(*(client() for _ in range(args.concurrency))))
                warm_s = time.perf_counter() - warm_started
                warm_calls = await upstream_calls(control) - before
                results["shapes"].append({
                    "shape": shape.name, "cold_calls": cold_calls,
                    "minimum_calls": shape.minimum_calls,
                    "cold_ms": round(cold_s * 1000, 1),
                    "cold_round_trips": round(cold_s / latency_s, 2) if latency_s else None,
                    "warm_qps": round(done / warm_s, 1), "warm_queries": done,
                    "warm_upstream_calls": warm_calls,
                })

            single = shapes()[0]
            await fetcher.cache.clear()
            before = await upstream_calls(control)
            started = time.perf_counter()
            await asyncio.gather(*(execute(single) for _ in range(1000)))
            results["thousand_identical_cold"] = {
                "upstream_calls": await upstream_calls(control) - before,
                "wall_ms": round((time.perf_counter() - started) * 1000, 1),
            }
        await fetcher.aclose()
        await app.state.registry.aclose()
    return results


def machine() -> dict[str, str]:
    model = "unknown"
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return {"nproc": str(os.cpu_count()), "cpu": model,
            "python": platform.python_version(), "platform": platform.platform()}


def report(results: dict[str, Any], args: argparse.Namespace) -> str:
    lines = [f"sandbox latency {args.latency_ms:g} ms per upstream call; warm: "
             f"{args.concurrency} concurrent clients for {args.warm_seconds:g} s; "
             + ", ".join(f"{k} {v}" for k, v in machine().items()),
             "",
             "| query shape | cold calls | minimum | cold wall / latency | warm queries/s "
             "| warm calls |",
             "|---|---:|---:|---:|---:|---:|"]
    for row in results["shapes"]:
        lines.append(f"| {row['shape']} | {row['cold_calls']} | {row['minimum_calls']} | "
                     f"{row['cold_round_trips']} ({row['cold_ms']} ms) | {row['warm_qps']} | "
                     f"{row['warm_upstream_calls']} |")
    thousand = results["thousand_identical_cold"]
    lines += ["", f"1,000 identical concurrent cold queries: {thousand['upstream_calls']} "
                  f"upstream call(s), {thousand['wall_ms']} ms wall"]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--latency-ms", type=float, default=100.0)
    parser.add_argument("--warm-seconds", type=float, default=3.0)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--json", action="store_true", help="print raw results as JSON")
    args = parser.parse_args(argv)
    results = asyncio.run(run(args))
    print(json.dumps(results, indent=2) if args.json else report(results, args))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

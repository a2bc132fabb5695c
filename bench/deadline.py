"""Answer times under a tight budget: ``python -m bench.deadline``.

Starts ``productgraph sandbox`` (its TOP gateway banning over ``--qps`` calls in any second,
``--latency-ms`` per call) and ``productgraph serve`` with ``PRODUCTGRAPH_TAOBAO_QPS`` the
same and ``PRODUCTGRAPH_UPSTREAM_DEADLINE`` ``--deadline``, each its own process on a
loopback port, then sends ``--queries`` concurrent cold single-product queries over as many
distinct items and prints, per outcome (data, each error code, each HTTP status), the count
and the slowest answer, next to the deadline + 1 s that issue 12 promises.
"""

from __future__ import annotations

import argparse
import asyncio
import time
from collections import Counter
from typing import Any

import httpx

from sandbox.catalog_top import TOP_ITEMS, is_tmall
from sandbox.process import free_port, productgraph, running, sandbox_env

QUERY = "query ($id: ID!) { product(id: $id) { id title { original } } }"


async def one(client: httpx.AsyncClient, product_id: str) -> tuple[str, float, Any]:
    started = time.perf_counter()
    response = await client.post("/graphql", json={"query": QUERY,
                                                   "variables": {"id": product_id}})
    taken = time.perf_counter() - started
    if response.status_code != 200:
        return f"HTTP {response.status_code}", taken, None
    body = response.json()
    if body.get("data") and body["data"].get("product"):
        return "data", taken, None
    error = (body.get("errors") or [{}])[0].get("extensions", {})
    return str(error.get("code")), taken, error.get("retryAfter")


async def run(args: argparse.Namespace) -> None:
    sandbox_port, server_port = free_port(), free_port()
    sandbox_url = f"http://127.0.0.1:{sandbox_port}"
    server_url = f"http://127.0.0.1:{server_port}"
    ids = [f"{'tmall' if is_tmall(n) else 'taobao'}_{n}"
           for n in sorted(TOP_ITEMS)][:args.queries]
    with running(productgraph("sandbox", "--port", str(sandbox_port)),
                 ready_url=sandbox_url + "/_sandbox/stats"):
        async with httpx.AsyncClient() as control:
            await control.post(sandbox_url + "/_sandbox/faults",
                               json={"qps_limit": args.qps, "latency_ms": args.latency_ms})
        env = {**sandbox_env(sandbox_url), "PRODUCTGRAPH_TAOBAO_QPS": str(args.qps),
               "PRODUCTGRAPH_UPSTREAM_DEADLINE": str(args.deadline)}
        with running(productgraph("serve", "--port", str(server_port)),
                     ready_url=server_url + "/healthz", env=env):
            limits = httpx.Limits(max_connections=len(ids))
            async with httpx.AsyncClient(base_url=server_url, timeout=120,
                                         limits=limits) as client:
                results = await asyncio.gather(*(one(client, i) for i in ids))
        async with httpx.AsyncClient() as control:
            stats = (await control.get(sandbox_url + "/_sandbox/stats")).json()
    counts = Counter(outcome for outcome, _, _ in results)
    print(f"{len(ids)} concurrent cold queries, budget {args.qps}/s, upstream deadline "
          f"{args.deadline:g} s, sandbox latency {args.latency_ms:g} ms; promise: every answer "
          f"within {args.deadline + 1:g} s")
    for outcome, count in counts.most_common():
        slowest = max(t for o, t, _ in results if o == outcome)
        print(f"  {outcome:>14}: {count:4d}  slowest {slowest:6.2f} s")
    retry_afters = [r for o, _, r in results if o == "RATE_LIMITED"]
    if retry_afters:
        print(f"  retryAfter: min {min(retry_afters):.2f} s, max {max(retry_afters):.2f} s")
    print(f"  slowest of all: {max(t for _, t, _ in results):.2f} s; gateway rejections "
          f"(code 7): {stats.get('rejectedTotal')}; TOP calls: {stats['calls']}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--qps", type=float, default=2.0)
    parser.add_argument("--deadline", type=float, default=2.0)
    parser.add_argument("--latency-ms", type=float, default=100.0)
    parser.add_argument("--queries", type=int, default=200)
    asyncio.run(run(parser.parse_args(argv)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""``python -m bench.load``: 200 clients against productgraph in front of a faulty sandbox.

The sandbox runs as its own process (``productgraph sandbox --latency-ms 50 --fail-rate 0.3``)
and is then told to hang some calls (``timeout_rate``, short ``hang_s``), answer garbage
(``garbage_rate``), ban the app with code 7 for a few seconds every ``--ban-every`` seconds,
and ban on its own past ``qps_limit`` (TOP's budget). productgraph runs as its own process
pointed at it with real credentials and a short ``PRODUCTGRAPH_UPSTREAM_TIMEOUT``. Clients
send a mix of ``product``, ``products(ids:)``, ``search`` (when the schema has it) and
``_entities`` queries over ~300 ids for ``--duration`` seconds after a warm-up, and the run
reports what a client and the upstream saw, and productgraph's memory.

Done-when: no HTTP 500, every error coded, no gateway above its QPS budget, RSS at the end
within 20% of RSS after warm-up.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from channels.policy import DEFAULT_QPS
from sandbox import credentials
from sandbox.catalog_1688 import OFFERS
from sandbox.catalog_top import TOP_ITEMS, is_tmall
from sandbox.process import free_port, productgraph, running, sandbox_env

ROOT = Path(__file__).resolve().parents[2]

#: The budget each sandbox gateway must never see exceeded (productgraph's defaults).
BUDGETS = {"top": DEFAULT_QPS["top"], "1688": DEFAULT_QPS["alibaba"],
           "weidian": DEFAULT_QPS["weidian"], "standard": DEFAULT_QPS["standard"]}

PRODUCT = """query ($id: ID!) { product(id: $id) {
  id title { original } price { display { amount } } variants { skuId stock } } }"""
BATCH = """query ($ids: [ID!]!) { products(ids: $ids) {
  id title { original } price { display { amount } } images { url } } }"""
ENTITIES = """query ($representations: [_Any!]!) { _entities(representations: $representations) {
  ... on Product { id title { original } totalStock } } }"""


def product_ids(count: int) -> list[str]:
    top = [f"{'tmall' if is_tmall(n) else 'taobao'}_{n}" for n in sorted(TOP_ITEMS)]
    offers = [f"1688_{n}" for n in sorted(OFFERS)]
    return (top + offers)[:count]


@dataclass
class Tally:
    """What the clients saw during the measured phase."""

    statuses: Counter[int] = field(default_factory=Counter)
    codes: Counter[str] = field(default_factory=Counter)
    uncoded: list[str] = field(default_factory=list)
    client_errors: Counter[str] = field(default_factory=Counter)
    shapes: Counter[str] = field(default_factory=Counter)
    latencies: list[float] = field(default_factory=list)

    def add(self, shape: str, response: httpx.Response, seconds: float) -> None:
        self.shapes[shape] += 1
        self.statuses[response.status_code] += 1
        self.latencies.append(seconds)
        try:
            body = response.json()
        except ValueError:
            self.uncoded.append(f"HTTP {response.status_code}, not JSON")
            return
        for error in body.get("errors") or []:
            code = (error.get("extensions") or {}).get("code")
            if code:
                self.codes[code] += 1
            else:
                self.uncoded.append(str(error.get("message"))[:200])


async def search_query(http: httpx.AsyncClient) -> str | None:
    """A ``search`` query, or None when the schema has no ``search`` field."""
    response = await http.post("/graphql", json={
        "query": "{ __schema { queryType { fields { name } } } }"})
    names = {f["name"] for f in response.json()["data"]["__schema"]["queryType"]["fields"]}
    if "search" not in names:
        return None
    return """{ search(channel: TAOBAO, query: "连衣裙", first: 10) {
      totalCount edges { node { id title { original } price { display { amount } } } } } }"""


async def client_loop(http: httpx.AsyncClient, ids: list[str], search: str | None,
                      until: float, tally: Tally | None, rng: random.Random) -> None:
    while time.monotonic() < until:
        roll = rng.random()
        if roll < 0.4:
            shape, body = "product", {"query": PRODUCT, "variables": {"id": rng.choice(ids)}}
        elif roll < 0.65:
            shape, body = "batch", {"query": BATCH,
                                    "variables": {"ids": rng.sample(ids, 10)}}
        elif roll < 0.85 or search is None:
            shape, body = "entities", {"query": ENTITIES, "variables": {"representations": [
                {"__typename": "Product", "id": i} for i in rng.sample(ids, 5)]}}
        else:
            shape, body = "search", {"query": search}
        started = time.monotonic()
        try:
            response = await http.post("/graphql", json=body)
        except httpx.HTTPError as exc:
            if tally is not None:
                tally.client_errors[type(exc).__name__] += 1
            continue
        if tally is not None:
            tally.add(shape, response, time.monotonic() - started)


def rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


async def drive(server: str, sandbox: str, pid: int, args: argparse.Namespace
                ) -> dict[str, Any]:
    ids = product_ids(args.ids)
    rss = {"start": rss_kb(pid)}
    limits = httpx.Limits(max_connections=args.clients, max_keepalive_connections=args.clients)
    async with httpx.AsyncClient(base_url=server, limits=limits,
                                 timeout=args.client_timeout) as http, \
            httpx.AsyncClient(base_url=sandbox, timeout=10) as control:
        search = await search_query(http)
        print("search: " + ("included" if search else "skipped (no `search` field in the "
                                                        "schema)"), flush=True)
        await control.post("/_sandbox/faults", json={
            "timeout_rate": args.timeout_rate, "hang_s": args.hang_s,
            "garbage_rate": args.garbage_rate, "qps_limit": BUDGETS["top"]})

        async def phase(seconds: float, tally: Tally | None) -> None:
            until = time.monotonic() + seconds
            clients = [client_loop(http, ids, search, until, tally, random.Random(n))
                       for n in range(args.clients)]

            async def bans() -> None:
                while time.monotonic() + args.ban_every < until:
                    await asyncio.sleep(args.ban_every)
                    await control.post("/_sandbox/faults", json={"ban_seconds": args.ban_s})

            await asyncio.gather(*clients, bans())

        print(f"warm-up: {args.warmup:g} s, {args.clients} clients", flush=True)
        await phase(args.warmup, None)
        rss["after_warmup"] = rss_kb(pid)
        await control.post("/_sandbox/reset")
        tally = Tally()
        print(f"measured: {args.duration:g} s, {args.clients} clients", flush=True)
        started = time.monotonic()
        await phase(args.duration, tally)
        elapsed = time.monotonic() - started
        rss["end"] = rss_kb(pid)
        stats = (await control.get("/_sandbox/stats")).json()
        await control.post("/_sandbox/faults", json={
            "timeout_rate": 0, "garbage_rate": 0, "fail_rate": 0, "qps_limit": 0})
    latencies = sorted(tally.latencies)
    return {
        "search": bool(search),
        "seconds": elapsed,
        "requests": len(latencies),
        "rps": len(latencies) / elapsed if elapsed else 0.0,
        "shapes": dict(tally.shapes),
        "statuses": {str(k): v for k, v in sorted(tally.statuses.items())},
        "codes": dict(tally.codes.most_common()),
        "uncoded": len(tally.uncoded),
        "uncoded_examples": tally.uncoded[:5],
        "client_errors": dict(tally.client_errors),
        "p50_ms": statistics.median(latencies) * 1000 if latencies else None,
        "p99_ms": latencies[int(len(latencies) * 0.99)] * 1000 if latencies else None,
        "upstream_calls": stats["total"],
        "upstream_calls_by_api": stats["calls"],
        "peak_per_second": stats["peakPerSecond"],
        "peak_per_second_by_gateway": stats.get("peakPerSecondByGateway", {}),
        "rss_kb": rss,
    }


#: The upstream deadline the bench's ``PRODUCTGRAPH_UPSTREAM_TIMEOUT=1`` gives (2 × 1 s).
UPSTREAM_DEADLINE_S = 2.0


def verdict(result: dict[str, Any]) -> dict[str, bool]:
    rss = result["rss_kb"]
    peaks = result["peak_per_second_by_gateway"]
    return {
        "no HTTP 500": result["statuses"].get("500", 0) == 0,
        "every error coded": result["uncoded"] == 0,
        "no gateway above its QPS budget": all(
            peak <= BUDGETS.get(gateway, float("inf")) for gateway, peak in peaks.items()),
        "RSS at end within 20% of after warm-up":
            rss["end"] <= rss["after_warmup"] * 1.2,
        # Issue 12: load is shed with RATE_LIMITED + retryAfter, never left to time out.
        "no REQUEST_TIMEOUT": result["codes"].get("REQUEST_TIMEOUT", 0) == 0,
        "p99 below the upstream deadline + 1 s":
            result["p99_ms"] is not None and result["p99_ms"] < UPSTREAM_DEADLINE_S * 1000 + 1000,
    }


def report(result: dict[str, Any], checks: dict[str, bool], args: argparse.Namespace) -> str:
    rss = result["rss_kb"]
    lines = [
        "# Load-and-fault benchmark", "",
        f"`python -m bench.load --duration {args.duration:g}` — {time.strftime('%Y-%m-%d')}", "",
        f"Sandbox: latency {args.latency_ms:g} ms, fail_rate {args.fail_rate}, timeout_rate "
        f"{args.timeout_rate} (hang {args.hang_s:g} s), garbage_rate {args.garbage_rate}, "
        f"code-7 ban of {args.ban_s} s every {args.ban_every:g} s, qps_limit {BUDGETS['top']:g} "
        f"(TOP). productgraph: PRODUCTGRAPH_UPSTREAM_TIMEOUT={args.upstream_timeout:g}. "
        f"{args.clients} clients, {args.ids} ids, warm-up {args.warmup:g} s, measured "
        f"{result['seconds']:.0f} s; search "
        f"{'included' if result['search'] else 'skipped (not in the schema)'}.", "",
        "| figure | value |", "|---|---|",
        f"| requests served | {result['requests']:,} ({result['rps']:.0f}/s) |",
        f"| by shape | {result['shapes']} |",
        f"| HTTP statuses | {result['statuses']} |",
        f"| error codes | {result['codes']} |",
        f"| errors without a code | {result['uncoded']} |",
        f"| client-side failures | {result['client_errors'] or 0} |",
        f"| latency p50 / p99 | {result['p50_ms']:.0f} ms / {result['p99_ms']:.0f} ms |",
        f"| upstream calls | {result['upstream_calls']:,} |",
        f"| peak calls in one second (all / per gateway) | {result['peak_per_second']} / "
        f"{result['peak_per_second_by_gateway']} (budgets {BUDGETS}) |",
        f"| productgraph RSS start / after warm-up / end | {rss['start'] / 1024:.0f} / "
        f"{rss['after_warmup'] / 1024:.0f} / {rss['end'] / 1024:.0f} MiB |", "",
        "| Done-when | holds |", "|---|---|",
        *(f"| {name} | {'yes' if ok else '**no**'} |" for name, ok in checks.items()),
    ]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.load", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--duration", type=float, default=60.0, help="measured seconds")
    parser.add_argument("--warmup", type=float, default=10.0, help="seconds before measuring")
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--ids", type=int, default=300, help="distinct product ids")
    parser.add_argument("--latency-ms", type=float, default=50.0)
    parser.add_argument("--fail-rate", type=float, default=0.3)
    parser.add_argument("--timeout-rate", type=float, default=0.02)
    parser.add_argument("--hang-s", type=float, default=3.0)
    parser.add_argument("--garbage-rate", type=float, default=0.02)
    parser.add_argument("--ban-every", type=float, default=20.0)
    parser.add_argument("--ban-s", type=int, default=2)
    parser.add_argument("--upstream-timeout", type=float, default=1.0)
    # Longer than productgraph's 30-s request deadline (PRODUCTGRAPH_REQUEST_TIMEOUT), so
    # what is measured is the server's answer (504 REQUEST_TIMEOUT at worst), not a client
    # giving up at the same instant.
    parser.add_argument("--client-timeout", type=float, default=40.0)
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results")
    args = parser.parse_args(argv)

    sandbox_port, server_port = free_port(), free_port()
    sandbox = f"http://127.0.0.1:{sandbox_port}"
    server = f"http://127.0.0.1:{server_port}"
    env = {**sandbox_env(sandbox), "PRODUCTGRAPH_UPSTREAM_TIMEOUT": str(args.upstream_timeout),
           # search goes to the sandbox's standard aggregator (the gateways cannot search)
           "PRODUCTGRAPH_STANDARD_URL": sandbox + credentials.STANDARD_PATH,
           "PRODUCTGRAPH_STANDARD_TOKEN": credentials.STANDARD_TOKEN}
    args.out.mkdir(parents=True, exist_ok=True)
    logs = Path(tempfile.mkdtemp(prefix="productgraph-load-"))
    print(f"process logs: {logs}", flush=True)
    with running(productgraph("sandbox", "--port", str(sandbox_port), "--latency-ms",
                              str(args.latency_ms), "--fail-rate", str(args.fail_rate)),
                 ready_url=sandbox + "/_sandbox/stats", log=logs / "sandbox.log"), \
            running(productgraph("serve", "--port", str(server_port)),
                    ready_url=server + "/healthz", env=env,
                    log=logs / "productgraph.log") as process:
        result = asyncio.run(drive(server, sandbox, process.pid, args))
    checks = verdict(result)
    print(json.dumps(result, ensure_ascii=False, indent=2))
    for name, ok in checks.items():
        print(f"{'PASS' if ok else 'FAIL'}  {name}")
    (args.out / "load.md").write_text(report(result, checks, args))
    (args.out / "load.json").write_text(json.dumps(
        {"args": vars(args) | {"out": str(args.out)}, "result": result, "checks": checks},
        ensure_ascii=False, indent=2) + "\n")
    print(f"wrote {args.out / 'load.md'}, load.json")
    return 0 if all(checks.values()) else 1


if __name__ == "__main__":
    raise SystemExit(main())

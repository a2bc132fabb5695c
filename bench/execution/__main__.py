"""``python -m bench.execution``: one product-detail query, served warm on loopback by
productgraph, by productgraph under strawberry's default settings, by raw graphql-core and by
a bare HTTP endpoint; req/s and p50/p99 at 1 and 16 connections, µs per in-process execution,
and the ratios the issue's Done-when names. Writes ``bench/results/execution.{md,json,png}``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import statistics
import sys
import time
from importlib import metadata
from pathlib import Path
from typing import Any

import httpx
import orjson

from bench.execution import loadgen
from bench.execution.query import PRODUCT_ID, QUERY, ROOT, VARIABLES, count_fields
from sandbox.process import free_port, running

MODES = ("productgraph", "default", "graphql-core", "floor")
LABELS = {
    "productgraph": "productgraph",
    "default": "productgraph, strawberry defaults",
    "graphql-core": "raw graphql-core (cached parse+validate)",
    "floor": "bare HTTP floor",
}
SHORT = {"productgraph": "productgraph", "default": "strawberry\ndefaults",
         "graphql-core": "graphql-core\n(cached)", "floor": "HTTP floor"}


def machine() -> dict[str, str]:
    cpu = next((line.split(":", 1)[1].strip() for line in
                Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    mem_kb = next(int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines()
                  if line.startswith("MemTotal"))
    return {
        "nproc": str(os.cpu_count()),
        "cpu": cpu,
        "memory": f"{mem_kb / 1024 / 1024:.1f} GiB",
        "python": platform.python_version(),
        "strawberry-graphql": metadata.version("strawberry-graphql"),
        "graphql-core": metadata.version("graphql-core"),
        "uvicorn": metadata.version("uvicorn"),
    }


def measure_http(mode: str, body: bytes, args: argparse.Namespace, wrk: str | None
                 ) -> tuple[dict[str, Any], list[loadgen.Point]]:
    port = free_port()
    url = f"http://127.0.0.1:{port}/graphql"
    command = [sys.executable, "-m", "bench.execution.servers", mode, str(port)]
    with running(command, ready_url=f"http://127.0.0.1:{port}/graphql", cwd=ROOT,
                 timeout_s=60):
        with httpx.Client(timeout=30) as client:
            answer: dict[str, Any] = {}
            for _ in range(args.warmup):
                response = client.post(url, content=body,
                                       headers={"Content-Type": "application/json"})
                response.raise_for_status()
                answer = response.json()
        points = []
        for connections in args.connections:
            if wrk:
                point = loadgen.run_wrk(wrk, url, body, connections, args.duration)
            else:
                point = loadgen.run_python("127.0.0.1", port, "/graphql", body, connections,
                                           args.duration)
            print(f"  {mode:13} c={connections:<3} {point.rps:9.0f} req/s  "
                  f"p50 {point.p50_us / 1000:7.2f} ms  p99 {point.p99_us / 1000:7.2f} ms"
                  + (f"  non-2xx {point.bad_status}" if point.bad_status else ""), flush=True)
            points.append(point)
    return answer, points


async def measure_in_process(iterations: int, answer: dict[str, Any]
                             ) -> tuple[dict[str, float], str]:
    """µs per execution, calling each engine's execute directly (no HTTP, no JSON), and how
    productgraph's data was kept warm."""
    from graphql import execute

    from bench.execution.query import raw_schema
    from bench.execution.servers import (
        CachedDocuments,
        default_schema,
        productgraph_app,
        request_context_args,
    )

    _, view, warm = productgraph_app()
    bare = default_schema()

    async def productgraph_once() -> None:
        context = await view.get_context(*request_context_args())
        result = await view.schema.execute(QUERY, variable_values=VARIABLES,
                                           context_value=context)
        assert not result.errors, result.errors

    async def default_once() -> None:
        context = await view.get_context(*request_context_args())
        result = await bare.execute(QUERY, variable_values=VARIABLES, context_value=context)
        assert not result.errors, result.errors

    raw = raw_schema({PRODUCT_ID: answer["data"]["product"]})
    documents = CachedDocuments(raw)

    async def graphql_core_once() -> None:
        result = execute(raw, documents.document(QUERY), variable_values=VARIABLES)
        assert not result.errors, result.errors  # type: ignore[union-attr]

    timings: dict[str, float] = {}
    for name, once in (("productgraph", productgraph_once), ("default", default_once),
                       ("graphql-core", graphql_core_once)):
        for _ in range(max(20, iterations // 10)):
            await once()
        samples = []
        for _ in range(iterations):
            started = time.perf_counter()
            await once()
            samples.append(time.perf_counter() - started)
        timings[name] = statistics.median(samples) * 1e6
        print(f"  in process   {name:13} {timings[name]:8.0f} µs/query (median of "
              f"{iterations})", flush=True)
    await view.fetcher.registry.aclose()
    return timings, warm


def chart(path: Path, http: dict[str, list[loadgen.Point]], in_process: dict[str, float]
          ) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (left, right) = plt.subplots(1, 2, figsize=(12, 4.8),
                                      gridspec_kw={"width_ratios": [2, 1]})
    modes = [m for m in MODES if m in http]
    connections = [p.connections for p in http[modes[0]]]
    width = 0.8 / len(connections)
    for index, count in enumerate(connections):
        values = [next(p.rps for p in http[m] if p.connections == count) for m in modes]
        xs = [i + index * width for i in range(len(modes))]
        bars = left.bar(xs, values, width, label=f"{count} connection{'s' * (count > 1)}")
        left.bar_label(bars, fmt="%.0f", fontsize=8)
    left.set_xticks([i + width * (len(connections) - 1) / 2 for i in range(len(modes))],
                    [SHORT[m] for m in modes],
                    fontsize=8)
    left.set_yscale("log")
    left.set_ylabel("requests per second (log)")
    left.set_title("Loopback HTTP, one uvicorn worker")
    left.legend()
    names = list(in_process)
    bars = right.bar(range(len(names)), [in_process[n] for n in names],
                     color=["C0", "C1", "C2"][:len(names)])
    right.bar_label(bars, fmt="%.0f", fontsize=8)
    right.set_xticks(range(len(names)), [SHORT[n] for n in names], fontsize=8)
    right.set_ylabel("µs per execution")
    right.set_title("In process: schema.execute")
    fig.suptitle("Product-detail query (~160 fields, 20 variants, 8 images), data warm")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def table(info: dict[str, str], generator: str, warm: str, fields: int,
          http: dict[str, list[loadgen.Point]], in_process: dict[str, float],
          ratios: dict[str, float | None], args: argparse.Namespace) -> str:
    lines = [
        "# Execution benchmark",
        "",
        f"`python -m bench.execution --duration {args.duration:g}` — {time.strftime('%Y-%m-%d')}",
        "",
        f"Query: product-detail of `{PRODUCT_ID}`, {fields} fields in the answer. Data warm: "
        f"{warm}. Load generator: {generator}, {args.duration:g} s per point after "
        f"{args.warmup} warm-up requests.",
        "",
        "Machine: " + ", ".join(f"{k} {v}" for k, v in info.items()),
        "",
        "| server | connections | req/s | p50 ms | p99 ms |",
        "|---|---:|---:|---:|---:|",
    ]
    for mode, points in http.items():
        for p in points:
            lines.append(f"| {LABELS[mode]} | {p.connections} | {p.rps:,.0f} | "
                         f"{p.p50_us / 1000:.2f} | {p.p99_us / 1000:.2f} |")
    lines += ["", "| in process (`schema.execute`, median) | µs per query |", "|---|---:|"]
    lines += [f"| {LABELS[name]} | {us:,.0f} |" for name, us in in_process.items()]
    lines += ["", "| ratio | value | target |", "|---|---:|---|"]
    targets = {
        "in-process productgraph / graphql-core": "≤ 1.25",
        "req/s productgraph / strawberry defaults, 1 connection": "≥ 3",
        "req/s productgraph / strawberry defaults, 16 connections": "≥ 3",
        "req/s productgraph / graphql-core, 1 connection": "",
        "req/s productgraph / graphql-core, 16 connections": "",
    }
    for name, value in ratios.items():
        shown = "—" if value is None else f"{value:.2f}"
        lines.append(f"| {name} | {shown} | {targets.get(name, '')} |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.execution", description=__doc__)
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per point")
    parser.add_argument("--connections", type=lambda s: [int(x) for x in s.split(",")],
                        default=[1, 16], help="comma-separated (default 1,16)")
    parser.add_argument("--warmup", type=int, default=200, help="requests before measuring")
    parser.add_argument("--iterations", type=int, default=1000,
                        help="in-process executions per engine")
    parser.add_argument("--modes", type=lambda s: s.split(","), default=list(MODES))
    parser.add_argument("--generator", choices=("auto", "wrk", "python"), default="auto")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results")
    args = parser.parse_args(argv)

    wrk = None if args.generator == "python" else loadgen.ensure_wrk()
    if args.generator == "wrk" and not wrk:
        parser.error("wrk is not installed and could not be installed")
    generator = (f"wrk ({loadgen.wrk_version(wrk)}, 1 thread, Lua POST body)" if wrk
                 else "Python asyncio generator (wrk not available)")
    info = machine()
    if wrk:
        info["wrk"] = loadgen.wrk_version(wrk).split(" [")[0]
    print(f"machine: {info}\nload generator: {generator}", flush=True)

    body = orjson.dumps({"query": QUERY, "variables": VARIABLES})
    http: dict[str, list[loadgen.Point]] = {}
    answers: dict[str, dict[str, Any]] = {}
    for mode in args.modes:
        answers[mode], http[mode] = measure_http(mode, body, args, wrk)
    reference = next(iter(answers.values()))
    for mode, answer in answers.items():
        # Only `data` must agree: productgraph may add `extensions` (cost, request id).
        if answer.get("data") != reference.get("data") or answer.get("errors"):
            raise SystemExit(f"{mode} answered differently from {args.modes[0]}: "
                             f"{json.dumps(answer, ensure_ascii=False)[:400]}")
    fields = count_fields(reference["data"])
    print(f"  every server gave the same answer ({fields} fields)", flush=True)

    in_process, warm = asyncio.run(measure_in_process(args.iterations, {"data": reference["data"]}))

    def rps(mode: str, connections: int) -> float | None:
        points = [p for p in http.get(mode, []) if p.connections == connections]
        return points[0].rps if points else None

    def ratio(a: float | None, b: float | None) -> float | None:
        return a / b if a and b else None

    ratios = {"in-process productgraph / graphql-core":
              ratio(in_process["productgraph"], in_process["graphql-core"])}
    for c in args.connections:
        suffix = f"{c} connection{'s' * (c > 1)}"
        ratios[f"req/s productgraph / strawberry defaults, {suffix}"] = ratio(
            rps("productgraph", c), rps("default", c))
    for c in args.connections:
        suffix = f"{c} connection{'s' * (c > 1)}"
        ratios[f"req/s productgraph / graphql-core, {suffix}"] = ratio(
            rps("productgraph", c), rps("graphql-core", c))
    for name, value in ratios.items():
        print(f"  {name}: {'—' if value is None else f'{value:.2f}'}", flush=True)

    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "execution.md").write_text(
        table(info, generator, warm, fields, http, in_process, ratios, args))
    (args.out / "execution.json").write_text(json.dumps({
        "machine": info, "generator": generator, "warm": warm, "fields": fields,
        "duration_s": args.duration,
        "http": {m: [{**p.__dict__, "rps": p.rps} for p in ps] for m, ps in http.items()},
        "in_process_us": in_process, "ratios": ratios,
    }, indent=2) + "\n")
    chart(args.out / "execution.png", http, in_process)
    print(f"wrote {args.out / 'execution.md'}, execution.json, execution.png", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

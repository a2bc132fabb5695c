"""``python -m bench.execution``: productgraph as users run it against Node's graphql-js,
raw graphql-core and a bare HTTP floor, on four warm query shapes, at 1 and 16 connections.

Servers, each its own process on a loopback port, started in this order every round:

``productgraph``  ``productgraph serve`` with the default configuration (no PRODUCTGRAPH_*
                  variable: bundled sandbox, in-memory part cache, JSON access log on
                  stderr — written to a file here —, metrics, one worker). Warmed by a first
                  round of every shape's requests; its answers are the reference data.
``graphql-js``    Node's graphql-js (``bench/execution/node/server.mjs``, ``npm ci``) over
                  productgraph's ``schema.graphql`` with resolvers over productgraph's
                  answers; parse and validation cached per query text.
``graphql-core``  the same in Python: graphql-core over ``schema.graphql`` and the same
                  answers, under uvicorn (uvloop, httptools), cached parse and validation.
``floor``         productgraph's exact response bytes per request body from a bare
                  Starlette route: HTTP alone.
``productgraph-2w`` (``--workers``) ``productgraph serve`` with ``PRODUCTGRAPH_WORKERS=2``.
``productgraph-uncompiled`` (``--servers``) the same with ``PRODUCTGRAPH_COMPILED_EXECUTION=off``:
                  the plain graphql-core path, for the before/after of the compiler.

Shapes (``bench/execution/query.py``): product detail (160 fields), the same detail rotating
over 100 different products (no response cache can help), ``id title``, and a list of 20
products (title, price, images). ``wrk`` drives each point (a Lua ``request()`` rotates the
bodies). ``--rounds`` repeats everything; the report gives min / median / max req/s.
Writes ``bench/results/execution.{md,json}``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from importlib import metadata
from pathlib import Path
from typing import Any

import httpx
import orjson

from bench.execution import loadgen
from bench.execution.query import (
    ROOT,
    SHAPE_HEADERS,
    SHAPE_LABELS,
    merge_answer,
    shapes,
    standalone_sdl,
)
from sandbox.process import free_port, running

SERVERS = ("productgraph", "graphql-js", "graphql-core", "floor")
LABELS = {
    "productgraph": "productgraph serve (defaults)",
    "productgraph-2w": "productgraph serve, PRODUCTGRAPH_WORKERS=2",
    "productgraph-uncompiled": "productgraph serve, PRODUCTGRAPH_COMPILED_EXECUTION=off",
    "productgraph-full-stack": "productgraph serve, PRODUCTGRAPH_FAST_LANE=off",
    "graphql-js": "Node graphql-js (cached parse+validate)",
    "graphql-core": "raw graphql-core (cached parse+validate)",
    "floor": "bare HTTP floor",
}
NODE_DIR = ROOT / "bench" / "execution" / "node"


def machine() -> dict[str, str]:
    cpu = next((line.split(":", 1)[1].strip() for line in
                Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    mem_kb = next(int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines()
                  if line.startswith("MemTotal"))
    node = subprocess.run(["node", "--version"], capture_output=True, text=True, check=False)
    return {
        "nproc": str(os.cpu_count()),
        "cpu": cpu,
        "memory": f"{mem_kb / 1024 / 1024:.1f} GiB",
        "python": platform.python_version(),
        "node": node.stdout.strip(),
        "strawberry-graphql": metadata.version("strawberry-graphql"),
        "graphql-core": metadata.version("graphql-core"),
        "uvicorn": metadata.version("uvicorn"),
        "load average at start": " ".join(Path("/proc/loadavg").read_text().split()[:3]),
    }


def default_environment(workers: int = 1) -> dict[str, str]:
    """This process's environment without any PRODUCTGRAPH_* setting: the defaults."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PRODUCTGRAPH_")}
    if workers > 1:
        env["PRODUCTGRAPH_WORKERS"] = str(workers)
    return env


def ensure_node_packages() -> None:
    if not (NODE_DIR / "node_modules" / "graphql").exists():
        print("+ npm ci (bench/execution/node)", flush=True)
        subprocess.run(["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"],
                       cwd=NODE_DIR, check=True)


def command(server: str, port: int, files: Path) -> tuple[list[str], dict[str, str]]:
    if server.startswith("productgraph"):
        exe = shutil.which("productgraph", path=str(Path(sys.executable).parent)) \
            or "productgraph"
        workers = 2 if server == "productgraph-2w" else 1
        env = default_environment(workers)
        if server == "productgraph-uncompiled":
            env["PRODUCTGRAPH_COMPILED_EXECUTION"] = "off"
        if server == "productgraph-full-stack":
            env["PRODUCTGRAPH_FAST_LANE"] = "off"
        return [exe, "serve", "--port", str(port)], env
    if server == "graphql-js":
        return (["node", str(NODE_DIR / "server.mjs"), str(port), str(files / "answers.json"),
                 str(files / "schema.graphql")], dict(os.environ))
    return ([sys.executable, "-m", "bench.execution.servers", server, str(port),
             str(files / "answers.json")], dict(os.environ))


def measure(server: str, bodies: dict[str, list[bytes]], args: argparse.Namespace,
            wrk: str | None, files: Path) -> tuple[dict[bytes, bytes], dict[str, list[Any]]]:
    """Start ``server``, warm it with every shape's bodies, measure every point; returns
    its answers (request body → response body) and the points per shape."""
    port = free_port()
    url = f"http://127.0.0.1:{port}/graphql"
    args_, env = command(server, port, files)
    log = files / f"{server}.log"
    answers: dict[bytes, bytes] = {}
    points: dict[str, list[Any]] = {}
    with running(args_, ready_url=f"http://127.0.0.1:{port}/healthz"
                 if server.startswith("productgraph") else url,
                 env=env, cwd=ROOT, timeout_s=60, log=log), httpx.Client(timeout=30) as client:
        for shape_bodies in bodies.values():
            for _ in range(max(1, args.warmup // len(shape_bodies))):
                for body in shape_bodies:
                    response = client.post(url, content=body,
                                           headers={"Content-Type": "application/json"})
                    response.raise_for_status()
                    answers[body] = response.content
        for shape, shape_bodies in bodies.items():
            if args.shapes and shape not in args.shapes:
                continue
            for connections in args.connections:
                headers = SHAPE_HEADERS.get(shape)
                if wrk:
                    point = loadgen.run_wrk(wrk, url, shape_bodies, connections, args.duration,
                                            headers)
                else:
                    point = loadgen.run_python("127.0.0.1", port, "/graphql", shape_bodies,
                                               connections, args.duration, headers)
                print(f"  {server:15} {shape:16} c={connections:<3} {point.rps:8.0f} req/s  "
                      f"p50 {point.p50_us / 1000:6.2f} ms  p99 {point.p99_us / 1000:6.2f} ms"
                      + (f"  non-2xx {point.bad_status}" if point.bad_status else "")
                      + (f"  socket errors {point.socket_errors}" if point.socket_errors
                         else ""), flush=True)
                points.setdefault(shape, []).append(point)
    return answers, points


def write_reference_files(files: Path, answers: dict[bytes, bytes]) -> None:
    """productgraph's answers as the references' data: every product merged over shapes."""
    products: dict[str, Any] = {}
    for body in answers.values():
        data = orjson.loads(body).get("data") or {}
        found = [data["product"]] if data.get("product") else data.get("products") or []
        for product in found:
            if product:
                merge_answer(products.setdefault(product["id"], {}), product)
    (files / "answers.json").write_bytes(orjson.dumps({
        "products": products,
        "floor": {k.decode(): v.decode() for k, v in answers.items()}}))
    (files / "schema.graphql").write_text(standalone_sdl())


def check_same_data(server: str, answers: dict[bytes, bytes],
                    reference: dict[bytes, bytes]) -> None:
    for body, expected in reference.items():
        got = orjson.loads(answers[body])
        want = orjson.loads(expected)
        if got.get("data") != want.get("data") or got.get("errors"):
            raise SystemExit(f"{server} answered {body[:80]!r} differently: "
                             f"{answers[body][:300]!r}")


def spread(values: list[float]) -> dict[str, float]:
    return {"min": min(values), "median": statistics.median(values), "max": max(values)}


def report(info: dict[str, str], generator: str, args: argparse.Namespace,
           results: dict[str, dict[str, dict[int, list[Any]]]]) -> tuple[str, dict[str, Any]]:
    lines = ["# Execution benchmark", "",
             f"`python -m bench.execution --duration {args.duration:g} --rounds {args.rounds}`"
             f" — {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}", "",
             f"Load generator: {generator}, {args.duration:g} s per point; {args.rounds} "
             "round(s), servers in turn each round; req/s as min / median / max over rounds.",
             "", "Machine: " + ", ".join(f"{k} {v}" for k, v in info.items()), ""]
    summary: dict[str, Any] = {}
    for shape in results.get("productgraph", {}):
        lines += [f"## {SHAPE_LABELS[shape]}", "",
                  "| server | conns | req/s min | median | max | p50 ms | p99 ms |",
                  "|---|---:|---:|---:|---:|---:|---:|"]
        for server, per_shape in results.items():
            for connections, points in per_shape.get(shape, {}).items():
                s = spread([p.rps for p in points])
                summary.setdefault(shape, {}).setdefault(server, {})[connections] = {
                    **s, "p50_ms": statistics.median(p.p50_us for p in points) / 1000,
                    "p99_ms": statistics.median(p.p99_us for p in points) / 1000}
                cell = summary[shape][server][connections]
                lines.append(f"| {LABELS[server]} | {connections} | {s['min']:,.0f} | "
                             f"{s['median']:,.0f} | {s['max']:,.0f} | {cell['p50_ms']:.2f} | "
                             f"{cell['p99_ms']:.2f} |")
        lines += ["", "| productgraph ÷ (median req/s) | " + " | ".join(
            f"{c} conn" for c in args.connections) + " |",
                  "|---|" + "---:|" * len(args.connections)]
        for other in results:
            if other == "productgraph" or shape not in summary or other not in summary[shape]:
                continue
            cells = []
            for c in args.connections:
                mine = summary[shape]["productgraph"].get(c, {}).get("median")
                theirs = summary[shape][other].get(c, {}).get("median")
                ratio = mine / theirs if mine and theirs else None
                summary[shape].setdefault("ratios", {}).setdefault(other, {})[c] = ratio
                cells.append("—" if ratio is None else f"{ratio:.2f}")
            lines.append(f"| ÷ {LABELS[other]} | " + " | ".join(cells) + " |")
        lines.append("")
    return "\n".join(lines) + "\n", summary


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.execution", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per point")
    parser.add_argument("--connections", type=lambda s: [int(x) for x in s.split(",")],
                        default=[1, 16], help="comma-separated (default 1,16)")
    parser.add_argument("--warmup", type=int, default=200,
                        help="requests per shape before measuring (at least one per body)")
    parser.add_argument("--rounds", type=int, default=1, help="repeat everything N times")
    parser.add_argument("--servers", type=lambda s: s.split(","), default=list(SERVERS))
    parser.add_argument("--shapes", type=lambda s: s.split(","), default=None)
    parser.add_argument("--workers", action="store_true",
                        help="also productgraph with PRODUCTGRAPH_WORKERS=2")
    parser.add_argument("--generator", choices=("auto", "wrk", "python"), default="auto")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results")
    args = parser.parse_args(argv)

    wrk = None if args.generator == "python" else loadgen.ensure_wrk()
    if args.generator == "wrk" and not wrk:
        parser.error("wrk is not installed and could not be installed")
    generator = (f"wrk ({loadgen.wrk_version(wrk)}, 1 thread, Lua POST bodies)" if wrk
                 else "Python asyncio generator (wrk not available)")
    info = machine()
    print(f"machine: {info}\nload generator: {generator}", flush=True)
    if "graphql-js" in args.servers:
        ensure_node_packages()
    servers = [s for s in args.servers if s != "productgraph"]
    servers = ["productgraph", *servers, *(["productgraph-2w"] if args.workers else [])]
    bodies = {shape: [orjson.dumps(b) for b in shape_bodies]
              for shape, shape_bodies in shapes().items()}

    results: dict[str, dict[str, dict[int, list[Any]]]] = {}
    reference: dict[bytes, bytes] | None = None
    with tempfile.TemporaryDirectory(prefix="bench-execution-") as tmp:
        files = Path(tmp)
        for round_ in range(args.rounds):
            print(f"round {round_ + 1}/{args.rounds}", flush=True)
            for server in servers:
                answers, points = measure(server, bodies, args, wrk, files)
                if reference is None:
                    reference = answers
                    write_reference_files(files, answers)
                else:
                    check_same_data(server, answers, reference)
                for shape, shape_points in points.items():
                    for point in shape_points:
                        results.setdefault(server, {}).setdefault(shape, {}).setdefault(
                            point.connections, []).append(point)
    info["load average at end"] = " ".join(Path("/proc/loadavg").read_text().split()[:3])
    markdown, summary = report(info, generator, args, results)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "execution.md").write_text(markdown)
    (args.out / "execution.json").write_text(json.dumps({
        "machine": info, "generator": generator, "duration_s": args.duration,
        "rounds": args.rounds, "summary": summary,
        "points": {server: {shape: {str(c): [{**p.__dict__, "rps": p.rps} for p in ps]
                                    for c, ps in per.items()}
                            for shape, per in shapes_.items()}
                   for server, shapes_ in results.items()},
    }, indent=2, default=str) + "\n")
    print(markdown)
    print(f"wrote {args.out / 'execution.md'} and execution.json", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

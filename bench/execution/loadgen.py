"""Drive one POST endpoint at a fixed number of connections for a fixed time.

``wrk`` (Debian's package; installed with apt when missing and running as root) when it can
be had, with a Lua script for the POST body; else a Python generator (asyncio streams,
keep-alive HTTP/1.1, one coroutine per connection) that reports the same figures.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import statistics
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

LUA = """wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
%s
%s
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("RESULT %%d %%d %%d %%d %%d %%d\\n", summary.requests,
    summary.duration, latency:percentile(50), latency:percentile(99), e.status,
    e.connect + e.read + e.write + e.timeout))
end
"""


@dataclass(frozen=True)
class Point:
    """One measured point: requests per second and latency percentiles in µs."""

    connections: int
    requests: int
    seconds: float
    p50_us: float
    p99_us: float
    bad_status: int
    socket_errors: int

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


def ensure_wrk() -> str | None:
    """The path of ``wrk``, installing Debian's package when missing and we are root."""
    found = shutil.which("wrk")
    if found or os.geteuid() != 0 or not shutil.which("apt-get"):
        return found
    print("+ installing wrk (apt-get install -y wrk)", flush=True)
    for args in (["apt-get", "install", "-y", "-qq", "wrk"],
                 ["apt-get", "update", "-qq"], ["apt-get", "install", "-y", "-qq", "wrk"]):
        subprocess.run(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
        if shutil.which("wrk"):
            break
    return shutil.which("wrk")


def wrk_version(wrk: str) -> str:
    out = subprocess.run([wrk, "--version"], capture_output=True, text=True, check=False)
    return (out.stdout or out.stderr).splitlines()[0].strip()


def lua_bodies(bodies: list[bytes]) -> str:
    """One body: ``wrk.body``. Several: a ``request()`` that sends them in turn, each
    connection starting at its own offset (wrk runs one Lua state per thread)."""
    if len(bodies) == 1:
        return f"wrk.body = [==[{bodies[0].decode()}]==]"
    listed = ",\n".join(f"[==[{b.decode()}]==]" for b in bodies)
    return (f"bodies = {{\n{listed}\n}}\ncounter = 0\n"
            "request = function()\n  counter = counter + 1\n"
            "  return wrk.format(nil, nil, nil, bodies[(counter % #bodies) + 1])\nend")


def lua_headers(headers: dict[str, str]) -> str:
    return "\n".join(f'wrk.headers["{k}"] = "{v}"' for k, v in headers.items())


def run_wrk(wrk: str, url: str, bodies: list[bytes], connections: int,
            seconds: float, headers: dict[str, str] | None = None) -> Point:
    """One point; ``headers`` are sent besides ``Content-Type`` (``Cache-Control``)."""
    with tempfile.TemporaryDirectory() as tmp:
        script = Path(tmp) / "post.lua"
        script.write_text(LUA % (lua_headers(headers or {}), lua_bodies(bodies)))
        out = subprocess.run(
            [wrk, "-t1", f"-c{connections}", f"-d{max(1, round(seconds))}s", "--timeout", "10s",
             "-s", str(script), url],
            capture_output=True, text=True, check=True)
    line = next(x for x in out.stdout.splitlines() if x.startswith("RESULT "))
    requests, duration_us, p50, p99, status, errors = (int(x) for x in line.split()[1:])
    return Point(connections, requests, duration_us / 1e6, p50, p99, status, errors)


async def _python_point(host: str, port: int, path: str, bodies: list[bytes],
                        connections: int, seconds: float,
                        headers: dict[str, str] | None = None) -> Point:
    extra = "".join(f"{k}: {v}\r\n" for k, v in (headers or {}).items())
    requests = [(f"POST {path} HTTP/1.1\r\nHost: {host}:{port}\r\n{extra}"
                 f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
                 ).encode() + body for body in bodies]
    sent = 0
    latencies: list[float] = []
    bad = 0
    deadline = time.perf_counter() + seconds

    async def connection() -> None:
        nonlocal bad, sent
        reader, writer = await asyncio.open_connection(host, port)
        try:
            while time.perf_counter() < deadline:
                started = time.perf_counter()
                writer.write(requests[sent % len(requests)])
                sent += 1
                head = await reader.readuntil(b"\r\n\r\n")
                status = int(head.split(b" ", 2)[1])
                length = next(int(line.split(b":", 1)[1]) for line in head.split(b"\r\n")
                              if line.lower().startswith(b"content-length:"))
                await reader.readexactly(length)
                latencies.append(time.perf_counter() - started)
                bad += not 200 <= status < 400
        finally:
            writer.close()

    started = time.perf_counter()
    await asyncio.gather(*(connection() for _ in range(connections)))
    elapsed = time.perf_counter() - started
    latencies.sort()
    p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] if latencies else 0.0
    return Point(connections, len(latencies), elapsed,
                 statistics.median(latencies) * 1e6 if latencies else 0.0, p99 * 1e6, bad, 0)


def run_python(host: str, port: int, path: str, bodies: list[bytes], connections: int,
               seconds: float, headers: dict[str, str] | None = None) -> Point:
    return asyncio.run(_python_point(host, port, path, bodies, connections, seconds, headers))

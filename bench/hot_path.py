"""What each piece of a warm request costs, in process (issue 14, point 2).

``python -m bench.hot_path [--requests N] [--rounds R]`` builds productgraph's app as
``productgraph serve`` does (default settings, bundled sandbox, in-memory part cache, the
access log configured as the CLI configures it, written to a temporary file), warms it,
then:

1. times whole requests through the ASGI app (no network: what the server does per
   request above uvicorn's HTTP parsing) for the shapes of bench/execution, answered from
   the response cache (a repeated request, the default) and executed (``Cache-Control:
   no-cache``), with each switch of the hot path on and off: the fast lane
   (``PRODUCTGRAPH_FAST_LANE``) and the access log (compiled execution is chosen when the
   schema is built, at import: its served comparison is bench/execution's
   ``productgraph-uncompiled``);
2. times whole requests through the HTTP protocol ``productgraph serve`` runs
   (graph/http_protocol.py, over an in-memory transport: the request's bytes in, the
   response's bytes out, no system calls), with the protocol's shortcut on (a hit answered
   from the protocol) and off (uvicorn's cycle, its task and the ASGI app);
3. times each step of the fast lane on its own, on the detail query: the request JSON,
   the document cache, operation selection, the cost estimate, the context and its
   loaders, the part-cache fast path, execution, the recount of the cost, the JSON
   answer, the access-log line and the metrics.

Figures are CPU time of this process (``time.process_time``) per request, so other
processes on the machine disturb them less than wall time; each is the median of
``--rounds`` rounds, with the spread.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import logging.config
import os
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from typing import Any

import orjson

from bench.execution.query import ID_TITLE, LIST, QUERY, VARIABLES, rotating_ids
from channels.model import Channel, Part
from graph.app import create_app
from graph.cli import uvicorn_log_config
from graph.limits import actual_cost, requested_cost
from graph.metrics import observe_operation
from graph.observability import RequestStats, log_request
from graph.plain_execution import PreparedOperation, execute_plain
from graph.request_body import check_request_shape, decode_request_json
from graph.settings import Settings
from graph.tracing import tracing_active

SHAPES = {
    "detail": (QUERY, VARIABLES),
    "id-title": (ID_TITLE, VARIABLES),
    "list-20": (LIST, {"ids": rotating_ids()[:20]}),
}
#: variant → environment (and ``log``: the access log's switch, ``header``: a request
#: header). Defaults answer a repeated request from the response cache; ``no-cache``
#: executes it.
VARIANTS: dict[str, dict[str, str]] = {
    "defaults (response cache hit)": {},
    "hit, fast lane off": {"PRODUCTGRAPH_FAST_LANE": "off"},
    "hit, access log off": {"log": "off"},
    "executed (no-cache)": {"header": "no-cache"},
    "executed, fast lane off": {"header": "no-cache", "PRODUCTGRAPH_FAST_LANE": "off"},
    "executed, access log off": {"header": "no-cache", "log": "off"},
}


def scope_for(body: bytes, extra: list[tuple[bytes, bytes]] | None = None
              ) -> dict[str, Any]:
    return {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1",
            "method": "POST", "scheme": "http", "path": "/graphql", "raw_path": b"/graphql",
            "query_string": b"", "root_path": "", "client": ("127.0.0.1", 50000),
            "server": ("127.0.0.1", 8000),
            "headers": [(b"host", b"127.0.0.1:8000"), (b"content-type", b"application/json"),
                        (b"content-length", str(len(body)).encode()), *(extra or ())]}


async def call(app: Any, body: bytes, extra: list[tuple[bytes, bytes]] | None = None
               ) -> bytes:
    """One request through the ASGI app; the response body."""
    sent = False
    chunks: list[bytes] = []

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        await asyncio.Event().wait()  # pragma: no cover — a warm request never listens
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))

    await app(scope_for(body, extra), receive, send)
    return b"".join(chunks)


def per_call_us(samples: list[float]) -> str:
    median = statistics.median(samples)
    return f"{median:8.1f} ({min(samples):.1f}–{max(samples):.1f})"


async def time_async(step: Callable[[], Awaitable[Any]], count: int) -> float:
    started = time.process_time()
    for _ in range(count):
        await step()
    return (time.process_time() - started) / count * 1e6


def time_sync(step: Callable[[], Any], count: int) -> float:
    started = time.process_time()
    for _ in range(count):
        step()
    return (time.process_time() - started) / count * 1e6


def configure_logging(log_file: str, on: bool) -> None:
    """The CLI's log config, the access log into ``log_file``."""
    config = uvicorn_log_config()
    config["handlers"]["productgraph"]["stream"] = open(log_file, "a")  # noqa: SIM115
    if not on:
        config["loggers"]["productgraph"]["level"] = "WARNING"
    logging.config.dictConfig(config)


async def whole_requests(args: argparse.Namespace, log_file: str) -> None:
    print(f"whole requests, CPU µs per request, median (min–max) of {args.rounds} rounds "
          f"of {args.requests}:")
    print(f"  {'variant':24}" + "".join(f"{shape:>26}" for shape in SHAPES))
    for variant, env in VARIANTS.items():
        saved = dict(os.environ)
        os.environ.update({k: v for k, v in env.items() if k.startswith("PRODUCTGRAPH_")})
        configure_logging(log_file, env.get("log") != "off")
        try:
            app = create_app(Settings.from_env())
            async with app.router.lifespan_context(app):
                row = []
                extra = [(b"cache-control", env["header"].encode())] if "header" in env \
                    else []
                for query, variables in SHAPES.values():
                    body = orjson.dumps({"query": query, "variables": variables})
                    answer = orjson.loads(await call(app, body))
                    assert "errors" not in answer, answer
                    samples = [await time_async(lambda a=app, b=body, e=extra: call(a, b, e),
                                                args.requests)
                               for _ in range(args.rounds)]
                    row.append(per_call_us(samples))
                print(f"  {variant:24}" + "".join(f"{cell:>26}" for cell in row), flush=True)
        finally:
            os.environ.clear()
            os.environ.update(saved)


class MemoryTransport(asyncio.Transport):
    """A transport that keeps what is written (and is never paused)."""

    def __init__(self) -> None:
        super().__init__()
        self.written: list[bytes] = []
        self.closed = False

    def write(self, data: bytes | bytearray | memoryview) -> None:
        self.written.append(bytes(data))

    def is_closing(self) -> bool:
        return self.closed

    def close(self) -> None:
        self.closed = True

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return {"peername": ("127.0.0.1", 50000), "sockname": ("127.0.0.1", 8000)}.get(
            name, default)

    def get_write_buffer_size(self) -> int:
        return 0

    def pause_reading(self) -> None:
        pass

    def resume_reading(self) -> None:
        pass


#: The header that has a request executed, not answered from the response cache.
NO_CACHE = b"Cache-Control: no-cache\r\n"

#: Connections served at once through the protocol (bench/execution's 16).
CONNECTIONS = 16


async def through_protocol(args: argparse.Namespace, log_file: str) -> None:
    import uvicorn
    from uvicorn.server import ServerState

    from graph.http_protocol import HttpToolsProtocolWithDeadline

    if HttpToolsProtocolWithDeadline is None:  # pragma: no cover - no httptools
        return

    class WithoutShortcut(HttpToolsProtocolWithDeadline):  # type: ignore[misc,valid-type]
        def __init__(self, *a: Any, **k: Any) -> None:
            super().__init__(*a, **k)
            self._shortcut = None

    print(f"\nwhole requests through the HTTP protocol (bytes in, bytes out; {CONNECTIONS} "
          f"connections, a request on each per loop turn), CPU µs per request, median "
          f"(min–max) of {args.rounds} rounds of {args.requests}:")
    print(f"  {'variant':24}" + "".join(f"{shape:>26}" for shape in SHAPES))
    configure_logging(log_file, True)
    app = create_app(Settings.from_env())
    async with app.router.lifespan_context(app):
        for variant, protocol_class, extra in (
                ("hit, shortcut", HttpToolsProtocolWithDeadline, b""),
                ("hit, uvicorn's cycle", WithoutShortcut, b""),
                # Every request executed (bench/execution's rotating detail sends it).
                ("executed, shortcut", HttpToolsProtocolWithDeadline, NO_CACHE),
                ("executed, uvicorn's cycle", WithoutShortcut, NO_CACHE)):
            config = uvicorn.Config(app, http=protocol_class, log_config=None,
                                    access_log=False, lifespan="off")
            config.load()
            state = ServerState()
            state.default_headers = [(b"date", b"Wed, 02 Dec 2026 02:00:00 GMT"),
                                     *config.encoded_headers]
            row = []
            for query, variables in SHAPES.values():
                body = orjson.dumps({"query": query, "variables": variables})
                raw = (b"POST /graphql HTTP/1.1\r\nHost: 127.0.0.1:8000\r\n"
                       b"Content-Type: application/json\r\n" + extra + b"Content-Length: "
                       + str(len(body)).encode() + b"\r\n\r\n" + body)
                connections = []
                for _ in range(CONNECTIONS):
                    transport = MemoryTransport()
                    protocol = protocol_class(config=config, server_state=state,
                                              app_state={})
                    protocol.connection_made(transport)
                    connections.append((protocol, transport))

                async def turn(c: list[tuple[Any, MemoryTransport]] = connections,
                               r: bytes = raw) -> None:
                    """A request on each connection, as a loop turn under load has them;
                    then the turns until every answer is written."""
                    for p, t in c:
                        t.written.clear()
                        p.data_received(r)
                    # Polled turn by turn, as the server's loop runs them.
                    while not all(t.written for _, t in c):  # noqa: ASYNC110
                        await asyncio.sleep(0)
                    assert c[0][1].written[0].startswith(b"HTTP/1.1 200 ")

                await turn()
                samples = [await time_async(turn, max(1, args.requests // CONNECTIONS))
                           / CONNECTIONS for _ in range(args.rounds)]
                row.append(per_call_us(samples))
                for p, _ in connections:
                    p.connection_lost(None)
            print(f"  {variant:24}" + "".join(f"{cell:>26}" for cell in row), flush=True)


async def steps(args: argparse.Namespace, log_file: str) -> None:
    configure_logging(log_file, True)
    app = create_app(Settings.from_env())
    async with app.router.lifespan_context(app):
        body = orjson.dumps({"query": QUERY, "variables": VARIABLES})
        await call(app, body)
        view = next(r.app for r in app.routes if getattr(r, "path", "") == "/graphql")
        fetcher = app.state.fetcher
        prepared = view.documents.prepare(QUERY)
        operation = PreparedOperation.select(QUERY, prepared.document, None)
        context = view.new_context()
        result = await execute_plain(view.plain_schema, operation, variable_values=VARIABLES,
                                     context_value=context, root_value=None,
                                     allowed_operation_types=None, operation_extensions=None)
        stats = RequestStats("0" * 32)
        scope = scope_for(body)
        parts = frozenset({Part.CORE, Part.VARIANTS, Part.MEDIA, Part.SELLER})
        source_id = VARIABLES["id"].split("_", 1)[1]
        assert fetcher.cached(Channel.TAOBAO, source_id, parts) is not None

        async def execute() -> Any:
            return await execute_plain(
                view.plain_schema, operation, variable_values=VARIABLES,
                context_value=view.new_context(), root_value=None,
                allowed_operation_types=None, operation_extensions=None)

        measured: dict[str, Callable[[], Any]] = {
            "request JSON (decode + shape check)":
                lambda: check_request_shape(decode_request_json(body)),
            "document cache hit": lambda: view.documents.prepare(QUERY),
            "operation selection":
                lambda: PreparedOperation.select(QUERY, prepared.document, None),
            "cost estimate (memoised per document)":
                lambda: requested_cost(prepared.document, operation.operation, VARIABLES),
            "context and loaders": view.new_context,
            "part-cache fast path (fetcher.cached)":
                lambda: fetcher.cached(Channel.TAOBAO, source_id, parts),
            "cost recount (actual_cost)": lambda: actual_cost(result.data),
            "JSON answer (orjson)": lambda: orjson.dumps({"data": result.data}),
            "access-log line": lambda: log_request(scope, stats, 200, 1.0),
            "metrics (observe_operation)": lambda: observe_operation(0.001, None, result.data),
            "tracing check": tracing_active,
        }
        print(f"\nsteps of a warm detail request, CPU µs per call, median (min–max) of "
              f"{args.rounds} rounds of {args.requests}:")
        samples = [await time_async(execute, args.requests) for _ in range(args.rounds)]
        print(f"  {'execution (execute_plain)':44}{per_call_us(samples)}")
        for name, step in measured.items():
            samples = [time_sync(step, args.requests) for _ in range(args.rounds)]
            print(f"  {name:44}{per_call_us(samples)}", flush=True)


def _server_loop() -> Callable[[], asyncio.AbstractEventLoop] | None:
    """uvloop's loop, as uvicorn picks it when installed."""
    try:
        import uvloop
    except ImportError:  # pragma: no cover - uvicorn[standard] installs it
        return None
    return uvloop.new_event_loop


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.hot_path", description=__doc__)
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        log_file = os.path.join(tmp, "access.log")
        asyncio.run(whole_requests(args, log_file))
        with asyncio.Runner(loop_factory=_server_loop()) as runner:  # as uvicorn runs it
            runner.run(through_protocol(args, log_file))
        asyncio.run(steps(args, log_file))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

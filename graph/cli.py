"""``productgraph serve`` and ``productgraph sandbox``."""

from __future__ import annotations

import argparse
import copy
import os
import secrets
import sys
from typing import Any

import uvicorn
from uvicorn.config import LOGGING_CONFIG

from graph.http_protocol import protocol_class
from graph.settings import Settings, SettingsError


def _positive_float(text: str) -> float:
    value = float(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be >= 0, got {text}")
    return value


def _rate(text: str) -> float:
    value = float(text)
    if not 0 <= value <= 1:
        raise argparse.ArgumentTypeError(f"must be between 0 and 1, got {text}")
    return value


def uvicorn_log_config() -> dict[str, Any]:
    """uvicorn's logging config plus productgraph's loggers on stderr, one message (the
    access log's JSON object) per line. uvicorn's own access lines are turned off: the
    ``productgraph.access`` line says more, says it once, and holds no query string."""
    config: dict[str, Any] = copy.deepcopy(LOGGING_CONFIG)
    config["formatters"]["productgraph"] = {"format": "%(message)s"}
    config["handlers"]["productgraph"] = {"class": "graph.observability.TurnBufferedHandler",
                                          "formatter": "productgraph",
                                          "stream": "ext://sys.stderr"}
    config["loggers"]["productgraph"] = {"handlers": ["productgraph"], "level": "INFO",
                                         "propagate": False}
    # Off entirely (uvicorn.run also gets access_log=False): its lines carry the raw
    # query string, where a client may have put an ``?api_key=``.
    config["loggers"]["uvicorn.access"] = {"handlers": [], "level": "CRITICAL",
                                           "propagate": False}
    return config


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="productgraph",
                                     description="One GraphQL API over Chinese marketplaces.")
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="run the GraphQL server")
    serve.add_argument("--host", default=None, help="bind address (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=None, help="port (default 8000)")
    serve.add_argument("--workers", type=int, default=None, help="worker processes (default 1)")

    sandbox = commands.add_parser("sandbox", help="run the sandbox marketplace gateway")
    sandbox.add_argument("--host", default="127.0.0.1", help="bind address")
    sandbox.add_argument("--port", type=int, default=8001, help="port (default 8001)")
    sandbox.add_argument("--latency-ms", type=_positive_float, default=0.0,
                         help="added latency per upstream call")
    sandbox.add_argument("--fail-rate", type=_rate, default=0.0,
                         help="share of calls answered with a retryable failure (0..1)")
    sandbox.add_argument("--drift", default="",
                         help="items whose price and stock drift: comma-separated ids "
                              "(taobao_680123456789 or 680123456789) or `all`")
    sandbox.add_argument("--drift-interval", type=_positive_float, default=5.0,
                         help="seconds between two drift steps (default 5)")

    args = parser.parse_args(argv)
    if args.command == "sandbox":
        from graph.upstreams import bundled_sandbox

        drift = [i.strip() for i in args.drift.split(",") if i.strip()]
        app = bundled_sandbox().create_app(latency_ms=args.latency_ms,
                                           fail_rate=args.fail_rate, drift_ids=drift,
                                           drift_interval_s=args.drift_interval)
        uvicorn.run(app, host=args.host, port=args.port, log_level="warning")
        return 0

    try:
        settings = Settings.from_env()
    except SettingsError as exc:
        print(f"productgraph: {exc}", file=sys.stderr)
        return 2
    host = args.host or settings.host
    port = args.port or settings.port
    workers = args.workers or settings.workers
    # uvicorn answers SIGTERM by refusing new connections and letting in-flight requests
    # finish (at most PRODUCTGRAPH_SHUTDOWN_TIMEOUT s), then runs the app's lifespan
    # shutdown, which closes the upstream clients and the cache.
    # ``http``: uvicorn's own protocol with a deadline on the request head
    # (graph/http_protocol.py, PRODUCTGRAPH_HEADER_TIMEOUT); every worker uses it.
    # access_log=False: uvicorn's log_level re-raises "uvicorn.access" to INFO over the
    # log config, which printed a second access line per request (bench/README.md).
    options: dict[str, Any] = {
        "host": host, "port": port, "log_level": "info", "log_config": uvicorn_log_config(),
        "access_log": False, "http": protocol_class(),
        "timeout_graceful_shutdown": settings.serving.shutdown_timeout_s}
    if workers > 1:
        # One cursor key for all workers (each reads the environment): a client's next
        # page may reach another worker.
        os.environ.setdefault("PRODUCTGRAPH_CURSOR_SECRET", secrets.token_hex(32))
        uvicorn.run("graph.asgi:app", workers=workers, **options)
    else:
        from graph.app import create_app

        uvicorn.run(create_app(settings), **options)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Observability: request ids, one JSON access-log line per request, tracing, health.

- ``X-Request-Id``: taken from the request when it is 1–128 characters of
  ``[A-Za-z0-9._:-]``, else a fresh one; always returned.
- ``productgraph.access``: one JSON line per request — request id, method, path, status,
  duration, operation names, upstream calls, error codes, cost, and the API key's id
  (a digest prefix, never the key). /healthz, /readyz and /metrics log at DEBUG.
- Tracing: when the OpenTelemetry API is importable, a server span per request (continuing
  the caller's ``traceparent``), a span per GraphQL operation (``query ProductDetail``)
  and a client span per upstream attempt (``upstream <channel> <api>``), codes only, never
  a URL or a message (docs/operations.md lists the attributes). They are exported where an
  OpenTelemetry SDK ``TracerProvider`` is configured (e.g. by ``opentelemetry-instrument``);
  without one they cost next to nothing. No hard dependency.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import re
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from channels.errors import ChannelError
from channels.http import request_observer
from channels.model import Channel

try:  # optional: tracing only when OpenTelemetry is installed
    from opentelemetry import propagate as _otel_propagate
    from opentelemetry import trace as _otel_trace
except ImportError:  # pragma: no cover - depends on the environment
    _otel_trace = None  # type: ignore[assignment]
    _otel_propagate = None  # type: ignore[assignment]

_NO_OP_PROVIDERS: tuple[type, ...] = (
    (_otel_trace.ProxyTracerProvider, _otel_trace.NoOpTracerProvider)
    if _otel_trace is not None else ())
_SPAN_KINDS = ({"internal": _otel_trace.SpanKind.INTERNAL,
                "client": _otel_trace.SpanKind.CLIENT,
                "server": _otel_trace.SpanKind.SERVER} if _otel_trace is not None else {})

access_log = logging.getLogger("productgraph.access")

REQUEST_ID_HEADER = "X-Request-Id"
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
QUIET_PATHS = ("/healthz", "/readyz", "/metrics")
#: Paths that name a server span (others are named by the method alone: no path scanner
#: can make a span name per path).
TRACED_ROUTES = ("/graphql",)


@dataclass
class RequestStats:
    """What one HTTP request did; filled as it runs, logged when it ends."""

    request_id: str
    operations: list[str] = field(default_factory=list)
    upstream_calls: Counter[str] = field(default_factory=Counter)
    error_codes: list[str] = field(default_factory=list)
    cost: list[dict[str, int]] = field(default_factory=list)
    key_id: str | None = None
    cache_hits: int | None = None

    @contextlib.contextmanager
    def upstream_call(self, channel: Channel, api: str) -> Iterator[UpstreamSpan | None]:
        """Counts one upstream attempt and traces it (``channels.http.RequestObserver``)."""
        self.upstream_calls[f"{channel.value}:{api}"] += 1
        with tracer_span(f"upstream {channel.value} {api}", kind="client",
                         attributes={"productgraph.channel": channel.value,
                                     "productgraph.upstream.api": api},
                         error_on_exception=False) as span:
            if span is None or not span.is_recording():
                yield None
                return
            watched = UpstreamSpan(span)
            try:
                yield watched
            except BaseException as exc:
                watched.failed(exc)
                raise
            span.set_attribute("productgraph.upstream.outcome", "ok")


class UpstreamSpan:
    """The span of one upstream attempt: its HTTP answer and outcome, as codes only. No
    URL (TOP's query string holds the session and signature) and no error message (an
    upstream may echo a secret; the adapter redacts it only after the attempt)."""

    def __init__(self, span: Any) -> None:
        self.span = span

    def answered(self, http_method: str, status_code: int) -> None:
        self.span.set_attribute("http.request.method", http_method)
        self.span.set_attribute("http.response.status_code", status_code)

    def failed(self, exc: BaseException) -> None:
        if isinstance(exc, ChannelError):
            code = exc.code
            for key, value in (("upstream_code", exc.upstream_code),
                               ("sub_code", exc.sub_code), ("request_id", exc.request_id)):
                if value:
                    self.span.set_attribute(f"productgraph.upstream.{key}", str(value))
        elif isinstance(exc, TimeoutError):            # the call's deadline expired
            code = "UPSTREAM_TIMEOUT"
        elif isinstance(exc, asyncio.CancelledError):  # the client hung up: no verdict
            self.span.set_attribute("productgraph.upstream.outcome", "cancelled")
            return
        else:
            code = "INTERNAL_ERROR"
        self.span.set_attribute("productgraph.upstream.outcome", code.lower())
        if code == "NOT_FOUND":                        # an answer, not a failure
            return
        self.span.set_attribute("error.type", code)
        self.span.set_status(_otel_trace.Status(_otel_trace.StatusCode.ERROR, code))


_current: ContextVar[RequestStats | None] = ContextVar("productgraph_request", default=None)


def current_stats() -> RequestStats | None:
    return _current.get()


def request_id_from(headers: Headers) -> str:
    given = headers.get(REQUEST_ID_HEADER, "")
    return given if _REQUEST_ID.match(given) else uuid.uuid4().hex


@contextlib.contextmanager
def tracer_span(name: str, *, kind: str = "internal",
                attributes: dict[str, Any] | None = None, context: Any = None,
                error_on_exception: bool = True) -> Iterator[Any]:
    """An OpenTelemetry span, current while the block runs, when OpenTelemetry is
    installed; else ``None``. The tracer is looked up from the global provider on each
    call, so a provider configured after import (``opentelemetry-instrument``, a test) is
    used. An exception escaping the block sets the span's status to ERROR with the
    exception's type name only (unless ``error_on_exception`` is false: the caller judges):
    no exception event, whose message and stack trace could carry what the code never
    logs."""
    provider = _otel_trace.get_tracer_provider() if _otel_trace is not None else None
    if provider is None or isinstance(provider, _NO_OP_PROVIDERS):
        yield None                      # no SDK configured: skip even the no-op spans
        return
    tracer = provider.get_tracer("productgraph")
    with tracer.start_as_current_span(
            name, context=context, kind=_SPAN_KINDS[kind], attributes=attributes,
            record_exception=False, set_status_on_exception=False) as span:
        try:
            yield span
        except Exception as exc:
            if error_on_exception:
                span.set_status(_otel_trace.Status(_otel_trace.StatusCode.ERROR,
                                                   type(exc).__name__))
            raise


def operation_span(name: str | None, kind: str | None,
                   stats: RequestStats | None) -> contextlib.AbstractContextManager[Any]:
    """The ``tracer_span`` of one GraphQL operation, named as
    OpenTelemetry's GraphQL conventions say (``query ProductDetail``). The document and
    the variables stay out: they are the caller's data."""
    attributes: dict[str, Any] = {"graphql.operation.type": kind or "query"}
    if name:
        attributes["graphql.operation.name"] = name
    if stats is not None:
        attributes["productgraph.request_id"] = stats.request_id
    return tracer_span(" ".join(filter(None, (kind or "query", name))),
                       attributes=attributes)


def end_operation_span(span: Any, result: Any) -> None:
    """The answer's error codes and cost on the operation's span. A coded error is an
    answer (NOT_FOUND, a rate-limited field), so the status stays unset; only a result
    with no data at all marks the span as failed."""
    if span is None or not span.is_recording():
        return
    codes = [str((e.extensions or {}).get("code")) for e in result.errors or ()]
    if codes:
        span.set_attribute("productgraph.error_codes", codes)
    cost = (result.extensions or {}).get("cost")
    if cost:
        span.set_attribute("productgraph.cost.requested", cost["requested"])
        span.set_attribute("productgraph.cost.actual", cost["actual"])
    if result.data is None and codes:
        span.set_status(_otel_trace.Status(_otel_trace.StatusCode.ERROR, codes[0]))


def trace_context(headers: Headers) -> Any:
    """The caller's trace (W3C ``traceparent``, e.g. from a federation router), for the
    request's server span to continue; ``None`` without OpenTelemetry."""
    if _otel_propagate is None or isinstance(_otel_trace.get_tracer_provider(),
                                             _NO_OP_PROVIDERS):
        return None
    return _otel_propagate.extract(headers)


class UrlQueryRedaction(logging.Filter):
    """httpx logs every request as ``HTTP Request: POST <url> "HTTP/1.1 200 OK"`` at INFO.
    Upstream URLs carry app keys, sessions and signatures in their query strings (TOP's
    ``session=``), so the query string is cut from that line before any handler sees it."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple) and len(record.args) >= 2:
            url = str(record.args[1])
            if "?" in url:
                record.args = (record.args[0], url.split("?", 1)[0] + "?<redacted>",
                               *record.args[2:])
        return True


def install_log_redaction() -> None:
    """Attach ``UrlQueryRedaction`` to httpx's logger (once per process)."""
    logger = logging.getLogger("httpx")
    if not any(isinstance(f, UrlQueryRedaction) for f in logger.filters):
        logger.addFilter(UrlQueryRedaction())


class RequestLogMiddleware:
    """Outermost: gives the request its id and stats, logs one line when it is done."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        stats = RequestStats(request_id_from(Headers(scope=scope)))
        stats_token = _current.set(stats)
        observer_token = request_observer.set(stats.upstream_call)
        started = time.perf_counter()
        status = 500
        header = (REQUEST_ID_HEADER.lower().encode(), stats.request_id.encode())

        async def send_logged(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = [h for h in message.get("headers", [])
                           if h[0].lower() != header[0]]
                message = {**message, "headers": [*headers, header]}
            await send(message)

        try:
            if scope.get("path", "") in QUIET_PATHS:
                await self.app(scope, receive, send_logged)
            else:
                with _server_span(scope, stats) as span:
                    try:
                        await self.app(scope, receive, send_logged)
                    finally:
                        _end_server_span(span, status)
        finally:
            request_observer.reset(observer_token)
            _current.reset(stats_token)
            _log(scope, stats, status, (time.perf_counter() - started) * 1000)


def _server_span(scope: Scope, stats: RequestStats) -> contextlib.AbstractContextManager[Any]:
    """The request's span, continuing the caller's trace: every operation of the request
    (a batch has several) and every upstream call is in it."""
    method = scope.get("method", "")
    path = scope.get("path", "")
    return tracer_span(
        f"{method} {path}" if path in TRACED_ROUTES else method, kind="server",
        context=trace_context(Headers(scope=scope)),
        attributes={"http.request.method": method, "url.path": path,
                    "productgraph.request_id": stats.request_id})


def _end_server_span(span: Any, status: int) -> None:
    if span is None or not span.is_recording():
        return
    span.set_attribute("http.response.status_code", status)
    if status >= 500:
        span.set_status(_otel_trace.Status(_otel_trace.StatusCode.ERROR, str(status)))


def _log(scope: Scope, stats: RequestStats, status: int, duration_ms: float) -> None:
    path = scope.get("path", "")
    level = logging.DEBUG if path in QUIET_PATHS else logging.INFO
    if not access_log.isEnabledFor(level):
        return
    record: dict[str, Any] = {
        "request_id": stats.request_id,
        "method": scope.get("method"),
        "path": path,
        "status": status,
        "duration_ms": round(duration_ms, 2),
        "operations": stats.operations,
        "upstream_calls": sum(stats.upstream_calls.values()),
        "upstream": dict(stats.upstream_calls),
        "error_codes": stats.error_codes,
    }
    if stats.cost:
        record["cost"] = stats.cost
    if stats.key_id:
        record["key_id"] = stats.key_id
    if stats.cache_hits is not None:
        record["cache_hits"] = stats.cache_hits
    access_log.log(level, json.dumps(record, separators=(",", ":")))


async def readiness(registry: Any, redis: Any, *, timeout_s: float = 1.0) -> dict[str, Any]:
    """``/readyz``: ready when the cache backend answers. Each channel's circuit breaker
    state is reported but never makes the instance unready: every instance shares the same
    upstreams, so taking this one out of rotation would not help."""
    import asyncio

    cache: dict[str, Any] = {"backend": "redis" if redis is not None else "memory", "ok": True}
    if redis is not None:
        try:
            async with asyncio.timeout(timeout_s):
                await redis.ping()
        except Exception as exc:
            cache["ok"] = False
            cache["error"] = type(exc).__name__
    channels: dict[str, str] = {}
    for adapter in registry.adapters:
        client = getattr(adapter, "client", None)
        breaker = getattr(client, "breaker", None)
        if breaker is None:
            continue
        for channel in adapter.channels:
            channels[channel.value] = breaker.state
    return {"status": "ready" if cache["ok"] else "unready", "cache": cache,
            "channels": channels}


def uvicorn_log_config() -> dict[str, Any]:
    """uvicorn's logging config plus productgraph's loggers on stderr, one message (the
    access log's JSON object) per line. uvicorn's own access lines are turned off: the
    ``productgraph.access`` line says more, and says it once."""
    import copy

    from uvicorn.config import LOGGING_CONFIG

    config: dict[str, Any] = copy.deepcopy(LOGGING_CONFIG)
    config["formatters"]["productgraph"] = {"format": "%(message)s"}
    config["handlers"]["productgraph"] = {"class": "logging.StreamHandler",
                                          "formatter": "productgraph",
                                          "stream": "ext://sys.stderr"}
    config["loggers"]["productgraph"] = {"handlers": ["productgraph"], "level": "INFO",
                                         "propagate": False}
    config["loggers"]["uvicorn.access"] = {"handlers": ["access"], "level": "WARNING",
                                           "propagate": False}
    return config

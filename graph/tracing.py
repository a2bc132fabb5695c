"""OpenTelemetry spans: one server span per request, one per GraphQL operation, one client
span per upstream attempt, recording codes only, never a URL or a message.

The spans are made when the OpenTelemetry API can be imported and exported wherever an
OpenTelemetry SDK ``TracerProvider`` is configured (e.g. by ``opentelemetry-instrument``).
Without one they cost next to nothing, and nothing here is a hard dependency. The server
span continues the caller's ``traceparent``, and operation spans are named ``query
ProductDetail``. Upstream spans are named ``upstream <channel> <api>``; docs/operations.md
lists the attributes.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import os
from collections.abc import Iterator
from typing import Any

from starlette.datastructures import Headers
from starlette.types import Scope

from channels.errors import ChannelError

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

#: Paths that name a server span (others are named by the method alone: no path scanner
#: can make a span name per path).
TRACED_ROUTES = ("/graphql",)


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


def tracing_active() -> bool:
    """True when an OpenTelemetry SDK is configured: spans are recorded. Asked on every
    request (graph/fast_lane.py): OpenTelemetry's own ``get_tracer_provider`` reads the
    environment each time until a provider is set, so the provider it has set, if any,
    is read first."""
    if _otel_trace is None:
        return False
    provider = getattr(_otel_trace, "_TRACER_PROVIDER", None)
    if provider is None:
        if not _provider_named_in_environment():
            return False
        provider = _otel_trace.get_tracer_provider()
    return not isinstance(provider, _NO_OP_PROVIDERS)


@functools.cache
def _provider_named_in_environment() -> bool:
    """``OTEL_PYTHON_TRACER_PROVIDER`` is set (it is read once: the environment of a
    server does not change while it runs)."""
    return "OTEL_PYTHON_TRACER_PROVIDER" in os.environ


def trace_context(headers: Headers) -> Any:
    """The caller's trace (W3C ``traceparent``, e.g. from a federation router), for the
    request's server span to continue; ``None`` without OpenTelemetry."""
    if _otel_propagate is None or isinstance(_otel_trace.get_tracer_provider(),
                                             _NO_OP_PROVIDERS):
        return None
    return _otel_propagate.extract(headers)


def server_span(scope: Scope, request_id: str) -> contextlib.AbstractContextManager[Any]:
    """The request's span, continuing the caller's trace: every operation of the request
    (a batch has several) and every upstream call is in it."""
    method = scope.get("method", "")
    path = scope.get("path", "")
    return tracer_span(
        f"{method} {path}" if path in TRACED_ROUTES else method, kind="server",
        context=trace_context(Headers(scope=scope)),
        attributes={"http.request.method": method, "url.path": path,
                    "productgraph.request_id": request_id})


def end_server_span(span: Any, status: int) -> None:
    """The response's status on the request's span; a 5xx marks it as failed."""
    if span is None or not span.is_recording():
        return
    span.set_attribute("http.response.status_code", status)
    if status >= 500:
        span.set_status(_otel_trace.Status(_otel_trace.StatusCode.ERROR, str(status)))


def operation_span(name: str | None, kind: str | None,
                   request_id: str | None) -> contextlib.AbstractContextManager[Any]:
    """The ``tracer_span`` of one GraphQL operation, named as
    OpenTelemetry's GraphQL conventions say (``query ProductDetail``). The document and
    the variables stay out: they are the caller's data."""
    attributes: dict[str, Any] = {"graphql.operation.type": kind or "query"}
    if name:
        attributes["graphql.operation.name"] = name
    if request_id is not None:
        attributes["productgraph.request_id"] = request_id
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


@contextlib.contextmanager
def upstream_span(channel: str, api: str) -> Iterator[UpstreamSpan | None]:
    """The client span of one upstream attempt; ``None`` when nothing records it."""
    with tracer_span(f"upstream {channel} {api}", kind="client",
                     attributes={"productgraph.channel": channel,
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

"""Who asked what: the request id, one JSON access-log line per request, and the
redaction of upstream URLs from httpx's log.

- ``X-Request-Id``: taken from the request when it is 1–128 characters of
  ``[A-Za-z0-9._:-]``, else a fresh one; always returned, with
  ``X-Content-Type-Options: nosniff``.
- ``productgraph.access``: one JSON line per request — request id, method, path, status,
  duration, operation names, upstream calls, error codes, cost, and the API key's id
  (a digest prefix, never the key). /healthz, /readyz and /metrics log at DEBUG.
- The request's server span and its upstream spans (graph/tracing.py) are opened here.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import random
import re
import time
from collections import Counter
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

import orjson
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from channels.http import request_observer
from channels.model import Channel
from graph.tracing import UpstreamSpan, end_server_span, server_span, upstream_span

access_log = logging.getLogger("productgraph.access")

REQUEST_ID_HEADER = "X-Request-Id"
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
QUIET_PATHS = ("/healthz", "/readyz", "/metrics")
#: On every response: a browser never guesses a type other than the one declared (a JSON
#: answer echoing a client's text is never run as a script or page).
NOSNIFF = (b"x-content-type-options", b"nosniff")


def _empty_counter() -> Counter[str]:
    """An empty ``Counter`` without ``Counter.__init__`` (which only calls ``update``):
    ``Counter()`` was more than half of a request's stats (0.46 of 0.76 µs)."""
    return dict.__new__(Counter)


@dataclass
class RequestStats:
    """What one HTTP request did; filled as it runs, logged when it ends."""

    request_id: str
    operations: list[str] = field(default_factory=list)
    upstream_calls: Counter[str] = field(default_factory=_empty_counter)
    error_codes: list[str] = field(default_factory=list)
    cost: list[dict[str, int]] = field(default_factory=list)
    key_id: str | None = None

    @contextlib.contextmanager
    def upstream_call(self, channel: Channel, api: str) -> Iterator[UpstreamSpan | None]:
        """Counts one upstream attempt and traces it (``channels.http.RequestObserver``)."""
        self.upstream_calls[f"{channel.value}:{api}"] += 1
        with upstream_span(channel.value, api) as span:
            yield span


_current: ContextVar[RequestStats | None] = ContextVar("productgraph_request", default=None)


def current_stats() -> RequestStats | None:
    return _current.get()


def request_id_of(scope: Scope) -> str:
    """The request's ``X-Request-Id`` when it is a valid one, else a fresh id."""
    for name, value in scope["headers"]:
        if name == b"x-request-id":
            return request_id_from(value)
    return new_request_id()


def request_id_from(given: bytes | None) -> str:
    """``request_id_of`` from the (first) ``X-Request-Id`` value, read already."""
    return valid_request_id(given) or new_request_id()


def valid_request_id(given: bytes | None) -> str | None:
    """The (first) ``X-Request-Id`` value when it is a valid id; ``None``: a fresh one."""
    if given is None:
        return None
    text = given.decode("latin-1")
    return text if _REQUEST_ID.match(text) else None


def new_request_id() -> str:
    """32 random hex digits, as ``uuid4().hex`` looks, from ``random`` rather than the
    system's entropy: an id must be unique, not secret, and a system call per request
    was ~4 % of a cached answer's time (py-spy). ``random`` reseeds in a forked child."""
    return f"{random.getrandbits(128):032x}"


class _Bound:
    """``stats`` as the current request's until ``close()``."""

    __slots__ = ("_token",)

    def __init__(self, stats: RequestStats) -> None:
        self._token = _current.set(stats)

    def close(self) -> None:
        _current.reset(self._token)


def bind_stats(stats: RequestStats) -> _Bound:
    """Make ``stats`` the request's (``current_stats``) until the returned ``close()``."""
    return _Bound(stats)


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


class TurnBufferedHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """A stream handler whose lines of one event-loop turn are written together.

    ``sys.stderr`` is line-buffered: one access line, one ``write`` system call. Under
    load a loop turn serves many requests; their lines are gathered and written once at
    the end of the turn (``call_soon``), so a line waits for nothing but the turn it was
    logged in. Outside a running loop (start-up, shutdown, another thread) a line is
    written at once. ``productgraph serve``'s log config uses it for productgraph's
    loggers (bench/hot_path.py has the cost)."""

    def __init__(self, stream: Any = None) -> None:
        super().__init__(stream)
        self._lines: list[str] = []
        self._scheduled = False

    def emit(self, record: logging.LogRecord) -> None:
        try:
            line = self.format(record) + self.terminator
        except Exception:
            self.handleError(record)
            return
        self.add_line(line)

    def add_line(self, line: str) -> None:
        """Write ``line`` (formatted, with its terminator) at the end of this turn."""
        self._lines.append(line)
        if self._scheduled:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            self.flush()
            return
        self._scheduled = True
        loop.call_soon(self.flush)

    def writes_messages_as_is(self) -> bool:
        """Whether this handler's line for a record is the record's message (plus the
        terminator) whatever the record: no filter, logging's own formatter with
        ``%(message)s`` and nothing else (``productgraph serve``'s log config)."""
        formatter = self.formatter
        if self.filters or formatter is None or type(formatter) is not logging.Formatter:
            return False
        style = formatter._style
        return type(style) is logging.PercentStyle and style._fmt == "%(message)s"

    def flush(self) -> None:
        self.acquire()
        try:
            self._scheduled = False
            if self._lines:
                text = "".join(self._lines)
                self._lines.clear()
                self.stream.write(text)
            if self.stream and hasattr(self.stream, "flush"):
                self.stream.flush()
        finally:
            self.release()


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
        stats = RequestStats(request_id_of(scope))
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
                           if h[0].lower() not in (header[0], NOSNIFF[0])]
                message = {**message, "headers": [*headers, header, NOSNIFF]}
            await send(message)

        try:
            if scope.get("path", "") in QUIET_PATHS:
                await self.app(scope, receive, send_logged)
            else:
                with server_span(scope, stats.request_id) as span:
                    try:
                        await self.app(scope, receive, send_logged)
                    finally:
                        end_server_span(span, status)
        finally:
            request_observer.reset(observer_token)
            _current.reset(stats_token)
            log_request(scope, stats, status, (time.perf_counter() - started) * 1000)


def _access_line(request_id: str, method: Any, path: str, status: int, duration_ms: float,
                 operations: list[str], upstream: dict[str, int],
                 error_codes: list[str]) -> dict[str, Any]:
    """The access line's fields every line has, in their order."""
    return {
        "request_id": request_id,
        "method": method,
        "path": path,
        "status": status,
        "duration_ms": round(duration_ms, 2),
        "operations": operations,
        "upstream_calls": sum(upstream.values()),
        "upstream": upstream,
        "error_codes": error_codes,
    }


def log_request(scope: Scope, stats: RequestStats, status: int, duration_ms: float) -> None:
    path = scope.get("path", "")
    level = logging.DEBUG if path in QUIET_PATHS else logging.INFO
    if not access_log.isEnabledFor(level):
        return
    record = _access_line(stats.request_id, scope.get("method"), path, status, duration_ms,
                          stats.operations, dict(stats.upstream_calls), stats.error_codes)
    if stats.cost:
        record["cost"] = stats.cost
    if stats.key_id:
        record["key_id"] = stats.key_id
    _emit(level, record)


def log_replayed(path: str, request_id: str, status: int, duration_ms: float,
                 operation: str) -> None:
    """``log_request``'s line for a request that only replayed a stored answer (one
    operation, no upstream call, no error, no cost, no API key): the same line, without
    a ``RequestStats`` to fill and read (graph/fast_lane.py ``FastLane._stored_now``)."""
    level = logging.DEBUG if path in QUIET_PATHS else logging.INFO
    if not access_log.isEnabledFor(level):
        return
    _emit(level, _access_line(request_id, "POST", path, status, duration_ms, [operation], {},
                              []))


def _emit(level: int, record: dict[str, Any]) -> None:
    # orjson: a sixth of json.dumps's time on this line (bench/hot_path.py); its UTF-8
    # output is the same JSON.
    message = orjson.dumps(record).decode()
    handler = _sole_handler(level)
    if handler is not None:
        with handler.lock:  # type: ignore[union-attr]  # as Handler.handle holds it
            handler.add_line(message + handler.terminator)
    else:
        access_log.handle(_access_record(level, message))


def _sole_handler(level: int) -> TurnBufferedHandler | None:
    """The one handler the access line goes to, when it is ``productgraph serve``'s
    (``TurnBufferedHandler``, writing the message as is, no filter on the way): then the
    line is handed to it directly, the same text ``logging`` would have made it write,
    without the ``LogRecord``, ``Logger.handle``, ``callHandlers``, ``Handler.handle`` and
    ``Formatter.format`` around it — about half of the line's cost (bench/hot_path.py).
    ``None`` for any other configuration (a filter, a second handler, another
    formatter…): the line then goes through ``logging`` as any record does. Read on every
    line, so a reconfiguration takes effect at once."""
    logger: logging.Logger | None = access_log
    if access_log.filters:
        return None
    found: logging.Handler | None = None
    while logger is not None:
        for handler in logger.handlers:
            if found is not None:
                return None
            found = handler
        logger = logger.parent if logger.propagate else None
    if type(found) is not TurnBufferedHandler or level < found.level \
            or not found.writes_messages_as_is():
        return None
    return found


#: When logging started, for ``relativeCreated`` (logging's own ``_startTime``).
_LOGGING_STARTED: float = getattr(logging, "_startTime", time.time())
#: (process id, level) → the access logger's record every access line is copied from.
_TEMPLATES: dict[tuple[int, int], logging.LogRecord] = {}


def _access_record(level: int, message: str) -> logging.LogRecord:
    """The access line's ``LogRecord``, as ``Logger.log`` would make it from this module
    on the event loop's thread, copied from one made once per process and level with its
    time set: ``LogRecord.__init__`` (path and module names, thread and process) was a
    fifth of a cached answer's time (bench/hot_path.py). Handlers, filters and formatters
    see a complete record, as before."""
    key = (os.getpid(), level)
    template = _TEMPLATES.get(key)
    if template is None:
        template = _TEMPLATES[key] = access_log.makeRecord(
            access_log.name, level, __file__, 0, "", (), None)
    record = logging.LogRecord.__new__(logging.LogRecord)
    fields = template.__dict__.copy()
    now = time.time()
    fields["msg"] = message
    fields["created"] = now
    fields["msecs"] = (now - int(now)) * 1000
    fields["relativeCreated"] = (now - _LOGGING_STARTED) * 1000
    record.__dict__ = fields
    return record

"""uvicorn's HTTP/1.1 protocol with a deadline on the request head, and the fast lane's
shortcut.

uvicorn bounds an idle keep-alive connection (``timeout_keep_alive``) but not a request
whose line and headers trickle in: a client sending one header byte every 2 s holds its
connection (and a slot of ``limit_concurrency``) for as long as it likes — slowloris.
No uvicorn setting covers it, so this subclass of uvicorn's own protocol arms a timer
when a request's first byte arrives (or the connection opens) and disarms it once the
head is parsed and the request handed to the app. If it fires, the client gets a 408
``REQUEST_TIMEOUT`` (JSON, ``Connection: close``) and the connection is closed.

The body has its own deadline in the app (``PRODUCTGRAPH_BODY_TIMEOUT``,
graph/serving.py), which knows the request and answers with its id; a slow execution
has the request deadline (504).

With httptools, the protocol also answers a whole request whose answer the fast lane has
stored without uvicorn's request-response cycle (``LaneShortcut``, below): a response-cache
hit costs about half of its cost through the cycle. A whole request the lane executes runs
in a task the protocol makes for it (``LaneCycle``), also without the cycle.

``productgraph serve`` passes ``protocol_class()`` to ``uvicorn.run(http=...)``: the
httptools protocol when httptools is installed (as ``uvicorn[standard]`` picks), else
h11. Another launcher can name it too: ``uvicorn graph.asgi:app --http
graph.http_protocol:HttpToolsProtocolWithDeadline``.
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import json
import logging
from collections.abc import Coroutine
from typing import Any

from uvicorn.protocols.http.h11_impl import H11Protocol

from graph.settings import ServingSettings, Settings, SettingsError

log = logging.getLogger("productgraph.http")

_TIMED_OUT = (b'{"errors":[{"message":"The request line and headers did not arrive in '
              b'time.","extensions":{"code":"REQUEST_TIMEOUT"}}]}')
_RESPONSE_408 = (b"HTTP/1.1 408 Request Timeout\r\n"
                 b"content-type: application/json\r\n"
                 b"content-length: " + str(len(_TIMED_OUT)).encode() + b"\r\n"
                 b"connection: close\r\n\r\n" + _TIMED_OUT)


@functools.cache
def header_timeout_s() -> float:
    """``PRODUCTGRAPH_HEADER_TIMEOUT``, read once per process (a worker reads its own)."""
    try:
        return Settings.from_env().serving.header_timeout_s
    except SettingsError:  # productgraph serve has already refused to start on it
        return ServingSettings.header_timeout_s


class CoalescedWrites:
    """A transport whose writes within one turn of the event loop leave as one.

    uvicorn writes a response's status line and headers when the app sends
    ``http.response.start``, and its body on ``http.response.body``: two ``send`` system
    calls (and two TCP segments) per response where one would do — on a warm answer, about
    a sixth of the server's time (py-spy, bench/README.md). The app sends both in the same
    loop turn, so writes are gathered and written once at the end of the turn
    (``call_soon``); nothing waits longer. ``close`` writes what is pending first; the
    write-buffer size counts it, so uvicorn's flow control sees every byte."""

    __slots__ = ("_loop", "_pending", "_scheduled", "_transport")

    def __init__(self, transport: asyncio.Transport, loop: asyncio.AbstractEventLoop) -> None:
        self._transport = transport
        self._loop = loop
        self._pending: list[bytes] = []
        self._scheduled = False

    def write(self, data: bytes) -> None:
        if not data:
            return
        self._pending.append(data)
        if not self._scheduled:
            self._scheduled = True
            self._loop.call_soon(self.flush)

    def write_whole(self, data: bytes) -> None:
        """Write a whole response: at once when nothing is pending (no turn to wait for
        a second part), else after what is."""
        if self._pending:
            self.write(data)
        elif not self._transport.is_closing():
            self._transport.write(data)

    def writelines(self, lines: Any) -> None:
        for data in lines:
            self.write(data)

    def flush(self) -> None:
        self._scheduled = False
        if self._pending:
            data = self._pending[0] if len(self._pending) == 1 else b"".join(self._pending)
            self._pending.clear()
            if not self._transport.is_closing():
                self._transport.write(data)

    def close(self) -> None:
        self.flush()
        self._transport.close()

    def write_eof(self) -> None:
        self.flush()
        self._transport.write_eof()

    def get_write_buffer_size(self) -> int:
        return self._transport.get_write_buffer_size() + sum(map(len, self._pending))

    def is_closing(self) -> bool:
        return self._transport.is_closing()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._transport, name)


class HeadDeadline:
    """The mixin: ``data_received`` and ``connection_made`` of uvicorn's protocols, with
    the deadline around them, and their writes coalesced (``CoalescedWrites``). Works
    with both, which keep the request in ``self.cycle``.

    One timer per connection, not one per request: a request's head records when it
    began; the timer, when it fires, answers 408 if a head has been waiting for the whole
    timeout, else sleeps again for what is left of it (or ends, with no head waiting: the
    next head arms it anew)."""

    transport: asyncio.Transport
    cycle: Any
    _head_timer: asyncio.TimerHandle | None = None
    _head_since: float | None = None
    _timed_cycle: Any = None

    def connection_made(self, transport: asyncio.Transport) -> None:
        loop = asyncio.get_running_loop()
        super().connection_made(CoalescedWrites(transport, loop))  # type: ignore[misc]
        self._head_since = loop.time()
        self._arm(header_timeout_s())

    def data_received(self, data: bytes) -> None:
        if self._head_since is None and self._waiting_for_head():
            self._head_since = asyncio.get_running_loop().time()
            if self._head_timer is None:
                self._arm(header_timeout_s())
        super().data_received(data)  # type: ignore[misc]
        if self.cycle is not None and self.cycle is not self._timed_cycle:
            self._timed_cycle = self.cycle  # the head is in: the app has the request
            self._head_since = None

    def connection_lost(self, exc: Exception | None) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None
        super().connection_lost(exc)  # type: ignore[misc]

    def _waiting_for_head(self) -> bool:
        return self.cycle is None or self.cycle.response_complete

    def _head_began(self) -> None:
        """A request's head begins (``LaneShortcut``): timed from now if nothing is."""
        if self._head_since is None and self._waiting_for_head():
            self._head_since = asyncio.get_running_loop().time()
            if self._head_timer is None:
                self._arm(header_timeout_s())

    def _head_answered(self) -> None:
        """The request was answered in the protocol (``LaneShortcut``), no cycle made:
        no head is waiting any more."""
        self._head_since = None

    def _arm(self, delay_s: float) -> None:
        loop = asyncio.get_running_loop()
        self._head_timer = loop.call_later(delay_s, self._head_timer_fired)

    def _head_timer_fired(self) -> None:
        self._head_timer = None
        since = self._head_since
        if since is None or self.transport.is_closing() or not self._waiting_for_head():
            return
        left = since + header_timeout_s() - asyncio.get_running_loop().time()
        if left > 0:
            self._arm(left)
            return
        self._head_timed_out()

    def _head_timed_out(self) -> None:
        peer = self.transport.get_extra_info("peername")
        # One line, JSON like the access log's: no request was made, so none is logged.
        log.info(json.dumps({"event": "request_head_timeout", "status": 408,
                             "client": peer[0] if peer else None,
                             "timeout_s": header_timeout_s()}, separators=(",", ":")))
        self.transport.write(_RESPONSE_408)
        self.transport.close()


class H11ProtocolWithDeadline(HeadDeadline, H11Protocol):  # type: ignore[misc]
    """uvicorn's h11 protocol with the request-head deadline."""



#: What ``LaneShortcut`` reads and calls of uvicorn's ``HttpToolsProtocol`` (0.54) beyond
#: the parser callbacks: if any is missing (another uvicorn), there is no shortcut.
_UVICORN_ATTRIBUTES = ("app", "parser", "headers", "scope", "expect_100_continue", "cycle",
                       "flow", "transport", "server_state", "limit_concurrency",
                       "connections", "tasks", "root_path", "access_log", "pipeline",
                       "on_response_complete", "config", "loop", "logger")


class _Shortcut:
    """What a connection needs to hand a request to the fast lane itself: the lane, its
    path, and uvicorn's proxy-headers middlewares in front of the app (their rewrite of
    the client address is applied when the lane needs it)."""

    __slots__ = ("lane", "needs_client", "path", "proxies", "raw_path")

    def __init__(self, lane: Any, proxies: list[Any]) -> None:
        self.lane = lane
        self.path: str = lane.path
        self.raw_path = lane.path.encode("ascii")
        self.proxies = proxies
        self.needs_client: bool = lane.needs_client and bool(proxies)


def _shortcut_of(protocol: Any) -> _Shortcut | None:
    """The shortcut for ``protocol``'s app, or ``None``: the app is not productgraph's with
    a synchronous fast lane (graph/app.py ``ProductGraphApp``) behind nothing but uvicorn's
    proxy-headers middleware; a root path is set; uvicorn's own access log is on (its
    line is written by the cycle); or this uvicorn lacks what the shortcut relies on."""
    if not all(hasattr(protocol, name) for name in _UVICORN_ATTRIBUTES):
        return None
    if protocol.root_path or protocol.access_log:
        return None
    from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

    from graph.fast_lane import FastLane

    app, proxies = protocol.app, []
    while isinstance(app, ProxyHeadersMiddleware):
        proxies.append(app)
        app = app.app
    lane = getattr(app, "lane", None)
    if type(lane) is not FastLane or not lane.synchronous:
        return None
    return _Shortcut(lane, proxies)


async def _nothing(scope: Any, receive: Any, send: Any) -> None:
    return None


def _through_proxies(scope: dict[str, Any], proxies: list[Any]) -> dict[str, Any]:
    """A copy of ``scope`` as uvicorn's proxy-headers middlewares pass it on (their own
    code, run on the copy: the client address from a trusted proxy's
    ``X-Forwarded-For``)."""
    from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

    scope = dict(scope)
    for proxy in proxies:
        shadow = ProxyHeadersMiddleware(_nothing)
        shadow.trusted_hosts = proxy.trusted_hosts
        step = shadow(scope, _nothing, _nothing)  # type: ignore[arg-type]
        try:
            step.send(None)
        except StopIteration:
            pass
        else:  # pragma: no cover - the middleware awaits nothing but the app
            step.close()
            raise RuntimeError("uvicorn's proxy-headers middleware suspended")
    return scope


#: (uvicorn's default headers list, its response-head bytes): rebuilt when uvicorn
#: replaces the list (once a second, for ``date``).
_default_head: tuple[list[tuple[bytes, bytes]] | None, bytes] = (None, b"")


def _default_head_bytes(default_headers: list[tuple[bytes, bytes]]) -> bytes:
    global _default_head
    cached, head = _default_head
    if cached is not default_headers:
        head = b"".join(b"%s: %s\r\n" % (name.lower(), value)
                        for name, value in default_headers)
        _default_head = (default_headers, head)
    return head


class LaneShortcut:
    """The mixin over uvicorn's ``HttpToolsProtocol``: a whole request for the fast lane
    answered from the protocol, without uvicorn's request-response cycle.

    uvicorn's machinery around one request — the scope completed, a
    ``RequestResponseCycle`` with its ``asyncio.Event``, a task scheduled for it, the ASGI
    ``receive`` and two ``send`` messages, the response head built and checked header by
    header — costs more than a response-cache hit itself (bench/README.md). A hit needs
    none of it: its answer is at hand when the request's last byte is. So:

    - the head of ``POST <the lane's path>`` (no query, no ``Expect: 100-continue``, no
      upgrade) is held instead of starting a cycle; its body is gathered;
    - when the whole request is in, no earlier request's cycle is still running, the
      connection is neither closing nor write-paused, and ``limit_concurrency`` is not
      reached, the lane is asked to answer it at once (``FastLane.answer_now``: only a
      stored answer, its 304 or a refusal of admission — never anything that executes
      or waits). The response is written as uvicorn writes it: its status line,
      ``server_state.default_headers`` (``date``, ``server``), the lane's headers,
      ``connection: close`` when the request did not keep the connection alive (HTTP/1.0,
      ``Connection: close``), and then uvicorn's ``on_response_complete`` (the request
      counted, reading resumed, the keep-alive timeout started: ``LazyKeepAlive``);
    - a whole request the lane declines to answer at once but takes (to execute: not
      stored, ``Cache-Control: no-cache``), under the same conditions, runs in a task made
      here with the request's context (``FastLane.executing``, ``LaneCycle``): counted in
      ``server_state.tasks`` (graceful shutdown waits for it), standing in ``self.cycle``
      meanwhile so that uvicorn's callbacks queue a pipelined request behind it, mark it
      disconnected on a hang-up (the lane cancels the execution: 499) and have it answer
      ``connection: close`` on shutdown; answered through ``_write_response`` as above;
    - anything else — the lane declines, the body is not all in this ``data_received``,
      another path or method — is handed to uvicorn exactly as it would have had it: its
      ``on_headers_complete``, ``on_body`` and ``on_message_complete`` run with what was
      held, so its cycle, task, pipelining, flow control, disconnects and graceful
      shutdown are untouched.

    What is answered at once is never in flight across loop turns; what is executed is in
    ``server_state.tasks``, as uvicorn's own tasks are. uvicorn's internals this relies on
    are checked when the connection is made (``_UVICORN_ATTRIBUTES``; pyproject.toml pins
    uvicorn's range): without them there is no shortcut."""

    parser: Any
    url: bytes
    scope: Any
    cycle: Any
    flow: Any
    transport: Any
    logger: logging.Logger
    server_state: Any
    config: Any
    expect_100_continue: bool
    limit_concurrency: int | None
    connections: Any
    tasks: Any
    on_response_complete: Any
    _shortcut: _Shortcut | None = None
    #: The current request's head is held (nothing of uvicorn's started for it yet).
    _held = False
    _held_body = b""
    _held_keep_alive = True
    _closing_down = False
    _responded = False
    #: A response written here closed the connection: what follows it in the same
    #: ``data_received`` (pipelined behind an HTTP/1.0 request that asked for keep-alive:
    #: httptools reads on, uvicorn does not keep it) is dropped, as uvicorn never starts a
    #: request queued behind a response that closes.
    _closed_here = False
    #: The request the lane executes in a task made here, while it runs (and after).
    _lane_cycle: LaneCycle | None = None
    loop: asyncio.AbstractEventLoop

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._shortcut = _shortcut_of(self)

    def data_received(self, data: bytes) -> None:
        super().data_received(data)  # type: ignore[misc]
        if self._held:  # the head is in, not the whole body: uvicorn's, as it came
            self._release(complete=False)

    def shutdown(self) -> None:
        self._closing_down = True
        super().shutdown()  # type: ignore[misc]

    # -- uvicorn's parser callbacks, held for a request the lane may answer

    def on_message_begin(self) -> None:
        super().on_message_begin()  # type: ignore[misc]
        self._head_began()

    def on_headers_complete(self) -> None:
        if self._closed_here:
            self._held = True  # and dropped
            return
        shortcut = self._shortcut
        parser = self.parser
        if shortcut is None or self.url != shortcut.raw_path or self.expect_100_continue \
                or parser.get_method() != b"POST" or parser.should_upgrade():
            super().on_headers_complete()  # type: ignore[misc]
            return
        http_version = parser.get_http_version()
        scope = self.scope
        scope["method"] = "POST"
        if http_version != "1.1":
            scope["http_version"] = http_version
        scope["path"] = shortcut.path
        scope["raw_path"] = shortcut.raw_path
        scope["query_string"] = b""
        self._held = True
        self._held_body = b""
        self._held_keep_alive = http_version != "1.0" and parser.should_keep_alive()

    def on_body(self, body: bytes) -> None:
        if self._held:
            self._held_body += body
        else:
            super().on_body(body)  # type: ignore[misc]

    def on_message_complete(self) -> None:
        if not self._held:
            super().on_message_complete()  # type: ignore[misc]
            return
        if self._closed_here or self._answered() or self._executing():
            self._held = False
            self._held_body = b""
        else:
            self._release(complete=True)

    def connection_lost(self, exc: Exception | None) -> None:
        super().connection_lost(exc)  # type: ignore[misc]
        cycle = self._lane_cycle
        if cycle is not None and cycle is not self.cycle:  # a pipelined request behind it
            cycle.hung_up()

    def _release(self, *, complete: bool) -> None:
        """Give the held request to uvicorn, as its callbacks would have had it."""
        self._held = False
        body, self._held_body = self._held_body, b""
        if self._closed_here:
            return
        super().on_headers_complete()  # type: ignore[misc]
        if body:
            super().on_body(body)  # type: ignore[misc]
        if complete:
            super().on_message_complete()  # type: ignore[misc]

    # -- answering

    def _may_take(self) -> bool:
        """Whether the held, complete request may be served here: no earlier request's
        cycle is still running (a pipelined request is queued by uvicorn), the server is
        not shutting down, the connection is neither closing nor write-paused, and
        ``limit_concurrency`` is not reached (uvicorn answers its 503)."""
        cycle = self.cycle
        limit = self.limit_concurrency
        return not ((cycle is not None and not cycle.response_complete)
                    or self._closing_down or self.flow.write_paused
                    or self.transport.is_closing()
                    or (limit is not None and (len(self.connections) >= limit
                                               or len(self.tasks) >= limit)))

    def _lane_scope(self, shortcut: _Shortcut) -> Any:
        scope = self.scope
        if shortcut.needs_client:
            scope = _through_proxies(scope, shortcut.proxies)
        return scope

    def _request_context(self) -> contextvars.Context:
        """The context the request runs in, as uvicorn's ``_start_asgi_task`` gives its
        task one."""
        return contextvars.Context() if getattr(self.config, "reset_contextvars", False) \
            else contextvars.copy_context()

    def _executing(self) -> bool:
        """Whether the lane took the held, complete request to execute it, in a task made
        here (``LaneCycle``) instead of uvicorn's request-response cycle."""
        shortcut = self._shortcut
        assert shortcut is not None
        if not self._may_take():
            return False
        cycle = LaneCycle(self, self._held_keep_alive)
        context = self._request_context()
        try:
            work = context.run(shortcut.lane.executing, self._lane_scope(shortcut),
                               self._held_body, cycle.respond, cycle.hang_up)
        except Exception:  # nothing done yet: uvicorn's path takes it
            log.exception("the fast lane's shortcut failed; the request is served as usual")
            return False
        if work is None:
            return False
        self.cycle = self._lane_cycle = cycle
        task = self.loop.create_task(cycle.run(work), context=context)
        task.add_done_callback(self.tasks.discard)
        self.tasks.add(task)
        return True

    def _answered(self) -> bool:
        """Whether the lane answered the held, complete request (written, done)."""
        shortcut = self._shortcut
        assert shortcut is not None
        if not self._may_take():
            return False
        scope = self._lane_scope(shortcut)
        context = self._request_context()
        self._responded = False
        try:
            answered = context.run(shortcut.lane.answer_now, scope, self._held_body,
                                   self._respond)
        except Exception:
            if not self._responded:  # nothing done yet: uvicorn's path takes it
                log.exception("the fast lane's shortcut failed; the request is served "
                              "as usual")
                return False
            log.exception("the fast lane failed after answering")
            self.transport.close()  # as uvicorn's cycle does when the app fails late
            answered = True
        if not answered:
            return False
        if not self._responded:  # a bug: as uvicorn does, never a connection left hanging
            log.error("the fast lane answered without a response")
            self.transport.close()
        self._head_answered()
        self.on_response_complete()
        return True

    def _respond(self, status: int, headers: list[tuple[bytes, bytes]] | bytes,
                 body: bytes) -> int:
        """Write the response as uvicorn's ``RequestResponseCycle.send`` writes it.
        ``headers``: pairs, or a block already rendered as uvicorn renders them (names in
        lower case, with the body's ``content-length``, no ``connection``: a stored
        answer, graph/fast_lane.py ``_stored_now``), which needs no reading."""
        self._responded = True
        if not self._write_whole(status, headers, body, self._held_keep_alive):
            self._closed_here = True
        return status

    def _write_whole(self, status: int, headers: list[tuple[bytes, bytes]] | bytes,
                     body: bytes, keep_alive: bool) -> bool:
        """Write a whole response, its headers as pairs or a rendered block
        (``_respond``), and close the connection when it is not kept alive; whether it
        is."""
        if type(headers) is not bytes:
            assert not isinstance(headers, bytes)
            return self._write_response(status, headers, body, keep_alive)
        self._write(b"".join((
            STATUS_LINE[status], _default_head_bytes(self.server_state.default_headers),
            headers, b"\r\n" if keep_alive else b"connection: close\r\n\r\n", body)),
            keep_alive)
        return keep_alive

    def _write_response(self, status: int, headers: list[tuple[bytes, bytes]], body: bytes,
                        keep_alive: bool) -> bool:
        """Write a whole response with pairs of headers as uvicorn's
        ``RequestResponseCycle.send`` writes it, and close the connection when it is not
        kept alive; whether it is."""
        content = [STATUS_LINE[status], _default_head_bytes(self.server_state.default_headers)]
        length = None
        connection_close = False
        for name, value in headers:
            name = name.lower()
            if name == b"content-length" and length is None:
                length = int(value)
            elif name == b"connection" and b"close" in [
                    token.lower().strip() for token in value.split(b",")]:
                keep_alive = False
                connection_close = True
            content.extend((name, b": ", value, b"\r\n"))
        if not keep_alive and not connection_close:
            content.append(b"connection: close\r\n")
        if length is None and status not in (204, 304):
            content.append(b"transfer-encoding: chunked\r\n\r\n")
            if body:
                content.extend((b"%x\r\n" % len(body), body, b"\r\n"))
            content.append(b"0\r\n\r\n")
        else:
            if length is not None and len(body) != length:  # a bug: as uvicorn, no answer
                log.error("a response of %d bytes said content-length: %d", len(body), length)
                self.transport.close()
                return False
            content.extend((b"\r\n", body))
        self._write(b"".join(content), keep_alive)
        return keep_alive

    def _write(self, data: bytes, keep_alive: bool) -> None:
        transport = self.transport
        if type(transport) is CoalescedWrites:
            transport.write_whole(data)
        else:
            transport.write(data)
        if not keep_alive:
            transport.close()

    def _head_began(self) -> None:
        """Hook: a request's head begins (``HeadDeadline`` times it)."""

    def _head_answered(self) -> None:
        """Hook: the request was answered here (``HeadDeadline`` stops timing its head)."""


class LazyKeepAlive:
    """The mixin over uvicorn's ``HttpToolsProtocol``: its keep-alive timeout with one
    timer per connection instead of one per response.

    uvicorn arms ``timeout_keep_alive`` with a ``call_later`` when a response completes
    and cancels it when the next request's bytes arrive: a timer made and cancelled per
    request, a tenth of a stored answer's cost in the protocol. Here a completed response
    records when the connection became idle and arms the timer only if none is armed; the
    next bytes mark it busy. The timer, when it fires, closes the connection if it has been
    idle for the whole timeout, else sleeps again for what is left of it (or ends, the
    connection busy: the next response arms it anew) — as ``HeadDeadline`` times heads.
    The same connections are closed at the same moments as uvicorn closes them."""

    transport: Any
    flow: Any
    pipeline: Any
    server_state: Any
    loop: asyncio.AbstractEventLoop
    timeout_keep_alive: float
    timeout_keep_alive_task: asyncio.TimerHandle | None
    #: When the connection became idle (its last response complete, nothing since).
    _idle_since: float | None = None

    def _unset_keepalive_if_required(self) -> None:
        """uvicorn's cancel (bytes arrived, or the connection is lost): marked busy."""
        self._idle_since = None

    def connection_lost(self, exc: Exception | None) -> None:
        super().connection_lost(exc)  # type: ignore[misc]
        timer = self.timeout_keep_alive_task
        if timer is not None:
            timer.cancel()
            self.timeout_keep_alive_task = None

    def on_response_complete(self) -> None:
        """uvicorn's ``on_response_complete`` (0.54), the timer armed lazily."""
        self.server_state.total_requests += 1
        if self.transport.is_closing():
            return
        self._idle_since = None
        self.flow.resume_reading()
        if self.pipeline:
            cycle, app = self.pipeline.pop()
            self._start_asgi_task(cycle, app)  # type: ignore[attr-defined]
            return
        self._idle_since = self.loop.time()
        if self.timeout_keep_alive_task is None:
            self.timeout_keep_alive_task = self.loop.call_later(
                self.timeout_keep_alive, self._keep_alive_timer_fired)

    def _keep_alive_timer_fired(self) -> None:
        self.timeout_keep_alive_task = None
        since = self._idle_since
        if since is None:
            return
        left = since + self.timeout_keep_alive - self.loop.time()
        if left > 0:
            self.timeout_keep_alive_task = self.loop.call_later(
                left, self._keep_alive_timer_fired)
            return
        self.timeout_keep_alive_handler()  # type: ignore[attr-defined]


class LaneCycle:
    """A request the fast lane executes, in a task the protocol makes for it: what stands
    for uvicorn's ``RequestResponseCycle`` in ``protocol.cycle`` meanwhile, so that
    uvicorn's own callbacks treat it as theirs — a pipelined request is queued behind it
    (reading paused), ``shutdown`` has it close the connection once answered
    (``keep_alive``), ``connection_lost`` marks it ``disconnected`` and sets its
    ``message_event`` (the lane's execution is then cancelled: 499), the request-head
    deadline does not run while it does. ``run`` is the task: it does what uvicorn's
    ``run_asgi`` does around the app (a 500 if the lane failed before answering, the
    connection closed if after, or if it never answered), and the response is written by
    ``respond`` as uvicorn's ``send`` writes it, then ``on_response_complete``."""

    __slots__ = ("_gone", "disconnected", "keep_alive", "protocol", "response_complete",
                 "response_started")

    def __init__(self, protocol: LaneShortcut, keep_alive: bool) -> None:
        self.protocol = protocol
        self.keep_alive = keep_alive
        self.disconnected = False
        self.response_started = False
        self.response_complete = False
        #: Made when the execution suspends and listens for a hang-up (``disconnected``).
        self._gone: asyncio.Future[None] | None = None

    @property
    def message_event(self) -> LaneCycle:
        """uvicorn's ``connection_lost`` sets its cycle's ``message_event``."""
        return self

    def set(self) -> None:
        """What uvicorn's ``message_event.set()`` does here: wakes the hang-up listener."""
        if self.disconnected and self._gone is not None and not self._gone.done():
            self._gone.set_result(None)

    def hung_up(self) -> None:
        """The connection was lost while this request ran behind a pipelined one."""
        if not self.response_complete:
            self.disconnected = True
            self.set()

    async def hang_up(self) -> dict[str, Any]:
        """``receive`` for the lane's disconnect listener: returns on a hang-up."""
        if not self.disconnected:
            if self._gone is None:
                self._gone = asyncio.get_running_loop().create_future()
            await self._gone
        return {"type": "http.disconnect"}

    async def respond(self, status: int, headers: list[tuple[bytes, bytes]] | bytes,
                      body: bytes) -> int:
        """The lane's answer: written unless the client is gone; then uvicorn's
        ``on_response_complete`` (counted, reading resumed, a queued request started or
        the keep-alive timer armed)."""
        if self.response_started:
            raise RuntimeError("the fast lane answered twice")
        self.response_started = True
        protocol = self.protocol
        if protocol.flow.write_paused and not self.disconnected:
            await protocol.flow.drain()
        if self.disconnected:
            return status  # as uvicorn's send: nothing to write to
        self.keep_alive = protocol._write_whole(status, headers, body, self.keep_alive)
        self.response_complete = True
        protocol.on_response_complete()
        return status

    async def run(self, work: Coroutine[Any, Any, None]) -> None:
        """The task: ``work`` (the lane serving the request), with what uvicorn's
        ``run_asgi`` does around an app, logged to uvicorn's logger as it logs."""
        logger = self.protocol.logger
        try:
            await work
        except BaseException as exc:
            logger.error("Exception in ASGI application\n", exc_info=exc)
            if not self.response_started:
                await self._respond_500()
            else:
                self.protocol.transport.close()
        else:
            if not self.response_started and not self.disconnected:
                logger.error("ASGI callable returned without starting response.")
                await self._respond_500()
            elif not self.response_complete and not self.disconnected:  # pragma: no cover
                logger.error("ASGI callable returned without completing response.")
                self.protocol.transport.close()
        finally:
            # Done with the protocol: no reference cycle left to it (uvicorn's cycle
            # drops its ``on_response`` for the same reason).
            if self.protocol._lane_cycle is self:
                self.protocol._lane_cycle = None
            del self.protocol

    async def _respond_500(self) -> None:
        """uvicorn's ``send_500_response``."""
        await self.respond(500, [(b"content-type", b"text/plain; charset=utf-8"),
                                 (b"content-length", b"21"), (b"connection", b"close")],
                           b"Internal Server Error")


try:
    from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol
except ImportError:  # pragma: no cover - uvicorn[standard] installs httptools
    HttpToolsProtocolWithDeadline: type[asyncio.Protocol] | None = None
else:
    class HttpToolsProtocolWithDeadline(  # type: ignore[no-redef,misc]
            HeadDeadline, LaneShortcut, LazyKeepAlive, HttpToolsProtocol):
        """uvicorn's httptools protocol with the request-head deadline, the fast
        lane's shortcut and one keep-alive timer per connection."""


def protocol_class() -> type[asyncio.Protocol]:
    """What uvicorn's ``http="auto"`` would pick, with the deadline."""
    return HttpToolsProtocolWithDeadline or H11ProtocolWithDeadline

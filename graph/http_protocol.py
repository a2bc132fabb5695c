"""uvicorn's HTTP/1.1 protocol with a deadline on the request head.

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

``productgraph serve`` passes ``protocol_class()`` to ``uvicorn.run(http=...)``: the
httptools protocol when httptools is installed (as ``uvicorn[standard]`` picks), else
h11. Another launcher can name it too: ``uvicorn graph.asgi:app --http
graph.http_protocol:HttpToolsProtocolWithDeadline``.
"""

from __future__ import annotations

import asyncio
import functools
import json
import logging
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


try:
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
except ImportError:  # pragma: no cover - uvicorn[standard] installs httptools
    HttpToolsProtocolWithDeadline: type[asyncio.Protocol] | None = None
else:
    class HttpToolsProtocolWithDeadline(  # type: ignore[no-redef,misc]
            HeadDeadline, HttpToolsProtocol):
        """uvicorn's httptools protocol with the request-head deadline."""


def protocol_class() -> type[asyncio.Protocol]:
    """What uvicorn's ``http="auto"`` would pick, with the deadline."""
    return HttpToolsProtocolWithDeadline or H11ProtocolWithDeadline

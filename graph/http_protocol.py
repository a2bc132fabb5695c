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


class HeadDeadline:
    """The mixin: ``data_received`` and ``connection_made`` of uvicorn's protocols, with
    the timer around them. Works with both, which keep the request in ``self.cycle``."""

    transport: asyncio.Transport
    cycle: Any
    _head_timer: asyncio.TimerHandle | None = None
    _timed_cycle: Any = None

    def connection_made(self, transport: asyncio.Transport) -> None:
        super().connection_made(transport)  # type: ignore[misc]
        self._arm()

    def data_received(self, data: bytes) -> None:
        if self._head_timer is None and self._waiting_for_head():
            self._arm()
        super().data_received(data)  # type: ignore[misc]
        if self.cycle is not None and self.cycle is not self._timed_cycle:
            self._timed_cycle = self.cycle  # the head is in: the app has the request
            self._disarm()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)  # type: ignore[misc]

    def _waiting_for_head(self) -> bool:
        return self.cycle is None or self.cycle.response_complete

    def _arm(self) -> None:
        self._disarm()
        loop = asyncio.get_running_loop()
        self._head_timer = loop.call_later(header_timeout_s(), self._head_timed_out)

    def _disarm(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _head_timed_out(self) -> None:
        self._head_timer = None
        if self.transport.is_closing() or not self._waiting_for_head():
            return
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

"""Cancel a request's work when its client hangs up.

uvicorn never cancels the application task when a client disconnects: it only answers a
later ``receive()`` with ``http.disconnect``. A GraphQL request that nobody reads any more
would therefore wait for its upstream calls to the end, holding a budget slot, a pooled
connection and the marketplace's time. ``CancelOnDisconnect`` runs ``/graphql`` in a task
of its own and, once the request body has been read, listens for ``http.disconnect`` next
to it; when the client leaves before the response is complete, it cancels that task. The
cancellation reaches the resolvers' loaders, ``ProductFetcher`` (which drops a batch when
its last waiter is gone, resolvers/fetcher.py) and the adapter's httpx request, which
closes its upstream connection.

How ``receive`` is shared: while the body is still coming, the application's own
``receive()`` calls pass straight through (streamed and multipart uploads keep their
back-pressure and the body limit of graph/serving.py still counts every chunk). Only after
the last body message (``more_body`` false) does the listener start, and from then on it is
the only caller of the server's ``receive``: anything it reads is handed on to the
application's later ``receive()`` calls. A request that declares no body (GET, or
``Content-Length: 0``) is listened to from the start, since its application may never call
``receive()`` at all.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Collection

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

#: nginx's "client closed request": what the access log records for a cancelled request.
CLIENT_CLOSED_REQUEST = 499


class CancelOnDisconnect:
    """ASGI middleware: cancel an HTTP request on ``paths`` when its client disconnects."""

    def __init__(self, app: ASGIApp, paths: Collection[str] = ("/graphql",),
                 methods: Collection[str] = ("GET", "POST")) -> None:
        self.app = app
        self.paths = frozenset(paths)
        self.methods = frozenset(methods)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not self._watches(scope):
            await self.app(scope, receive, send)
            return
        watch = _Watch(receive, send, listen_now=_declares_no_body(scope))

        async def run() -> None:
            await self.app(scope, watch.receive, watch.send)

        work = asyncio.create_task(run())
        watch.work = work
        if watch.listen_now:
            watch.listen()
        try:
            # Cancelling this task (server shutdown) cancels ``work`` too: ``await`` on a
            # task passes the cancellation on.
            await work
        except asyncio.CancelledError:
            current = asyncio.current_task()
            if not watch.client_gone or (current is not None and current.cancelling()):
                raise
            await watch.record_hang_up()
        finally:
            await watch.stop()

    def _watches(self, scope: Scope) -> bool:
        if scope["type"] != "http" or scope.get("method") not in self.methods:
            return False
        path: str = scope.get("path", "")
        root = scope.get("root_path", "")
        if root and path.startswith(root):
            path = path[len(root):]
        return path in self.paths


def _declares_no_body(scope: Scope) -> bool:
    headers = Headers(scope=scope)
    if "transfer-encoding" in headers:
        return False
    length = headers.get("content-length")
    if length is None:
        return scope.get("method") in ("GET", "HEAD")
    return length.strip() == "0"


class _Watch:
    """One request's shared ``receive``, its listener and what the response has done."""

    def __init__(self, receive: Receive, send: Send, *, listen_now: bool) -> None:
        self._receive = receive
        self._send = send
        self.listen_now = listen_now
        self.work: asyncio.Task[None] | None = None
        self.client_gone = False
        self._listener: asyncio.Task[None] | None = None
        self._heard: asyncio.Queue[Message] = asyncio.Queue()
        self._failure: Exception | None = None
        self._response_started = False
        self._response_complete = False

    # -- the application's side ------------------------------------------------------

    async def receive(self) -> Message:
        if self._listener is None:
            message = await self._receive()
            if message["type"] == "http.request" and not message.get("more_body", False):
                self.listen()    # the body is complete: from now on only a hang-up can come
            return message
        message = await self._heard.get()
        if self._failure is not None:
            self._heard.put_nowait(message)
            raise self._failure
        if message["type"] == "http.disconnect":
            self._heard.put_nowait(message)   # every later call hears it too
        return message

    async def send(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self._response_started = True
        elif message["type"] == "http.response.body" and not message.get("more_body", False):
            # Before sending: the server answers ``receive()`` with http.disconnect as soon
            # as the response is complete, which is no hang-up.
            self._response_complete = True
        await self._send(message)

    # -- the listener ------------------------------------------------------------------

    def listen(self) -> None:
        if self._listener is None:
            self._listener = asyncio.create_task(self._listen())

    async def _listen(self) -> None:
        while True:
            try:
                message = await self._receive()
            except Exception as exc:
                # The server's receive() failed: the application hears it on its next call.
                self._failure = exc
                self._heard.put_nowait({"type": "productgraph.receive_failed"})
                return
            self._heard.put_nowait(message)
            if message["type"] == "http.disconnect":
                if not self._response_complete and self.work is not None \
                        and not self.work.done():
                    self.client_gone = True
                    self.work.cancel("the client disconnected")
                return

    async def stop(self) -> None:
        listener = self._listener
        if listener is not None and not listener.done():
            listener.cancel()
            await asyncio.wait([listener])

    async def record_hang_up(self) -> None:
        """Nobody will read an answer; the 499 is for the access log and outer middleware
        (the server drops what is sent on a closed connection; per the ASGI spec it may
        raise an ``OSError`` instead)."""
        if self._response_started:
            return
        with contextlib.suppress(OSError):
            await self._send({"type": "http.response.start", "status": CLIENT_CLOSED_REQUEST,
                              "headers": []})
            await self._send({"type": "http.response.body", "body": b""})

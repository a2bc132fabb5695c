"""The fast lane: the common ``POST /graphql`` request served without the general stack.

Measured in process (bench/README.md, "HTTP stack"), a warm product-detail request spent
more time in the layers around execution than in execution: Starlette's middleware chain
and router, ``CancelOnDisconnect``'s two tasks, strawberry's view (a request adapter, the
content type parsed through ``email.message``, a temporal response, the result processed
and re-encoded) and the tracing calls that do nothing without a tracer. ``FastLane`` is the
outermost ASGI layer; it answers the requests that need none of that and hands every other
one, untouched, to the full application:

- taken: ``POST /graphql`` with ``Content-Type: application/json`` and a
  ``Content-Length`` within the body limit, an ``Accept`` that negotiates to one of the two
  JSON media types, a body in one piece that is one JSON object (strict decoding,
  graph/request_body.py) with a string ``query``, an object (or null) ``variables``, no
  ``extensions``; a valid query operation within the cost limit; no ``Origin`` header when
  CORS is configured; no tracer configured; persisted queries not in safelist mode.
- everything else — GET, batches, multipart, subscriptions, mutations, parse and
  validation errors, refusals, GraphiQL, WebSockets, a request with a body in several
  chunks — goes to the application as it came (a body already read is replayed); nothing
  has run for it yet, so the full stack answers it exactly as before.

What the lane does is what the stack would have done, through the same code: the request
id and its access-log line (graph/observability.py), the API key and rate limit
(graph/access.py), the request deadline handed to the channels, the operation through
``ProductGraphQL.run_prepared`` (plain or compiled execution, cost, error finishing, the
operation span and metrics) and the answer through ``ProductGraphQL.answer_data``. The
same bytes and headers come out (tests/graph/test_fast_lane.py compares the two).

A stored answer can be had without awaiting anything: ``answer_now`` gives it (or its 304,
or a refusal of admission) synchronously, for the HTTP protocol to write before uvicorn
makes a request-response cycle and a task for the request (graph/http_protocol.py
``LaneShortcut``); it declines, having done nothing, whatever would execute or wait. The
common hit — no API keys or rate limit, the body's raw key stored, no ``If-None-Match`` —
is answered in one go (``_stored_now``): what the headers decide is kept per header list
and the response's header block per entry, so a hit in the protocol costs about half of
what the general path's does (bench/hot_path.py, "through the HTTP protocol").

Execution is started eagerly: a warm operation (every part fresh in the process's cache)
completes without suspending, so no task is created and nothing can hang up on it. Only
when it suspends (an upstream call, a Redis cache) does the rest of it run in a task,
cancelled — as ``CancelOnDisconnect`` does — when the client disconnects, and bounded by
the request timeout (504 REQUEST_TIMEOUT).
"""

from __future__ import annotations

import asyncio
import functools
import logging
import time
import types
from collections.abc import Awaitable, Callable, Coroutine, Generator
from typing import TYPE_CHECKING, Any, NamedTuple

import orjson
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from strawberry.types.graphql import OperationType

from channels.http import call_deadline, request_observer
from channels.memo import remember
from graph.access import AccessControl
from graph.disconnect import CLIENT_CLOSED_REQUEST
from graph.http_media import negotiate
from graph.limits import requested_cost
from graph.observability import (
    NOSNIFF,
    RequestStats,
    bind_stats,
    log_replayed,
    log_request,
    new_request_id,
    request_id_from,
    valid_request_id,
)
from graph.plain_execution import PreparedOperation
from graph.refusal import RequestRefused, refusal_response
from graph.request_body import check_request_shape, decode_request_json
from graph.request_headers import RequestHeaders
from graph.response_cache import CachedResponse, HttpLookup
from graph.tracing import tracing_active

if TYPE_CHECKING:
    from graph.serving import ProductGraphQL

log = logging.getLogger("productgraph.serving")

_JSON_TYPES = frozenset({b"application/json", b"application/json; charset=utf-8",
                         b"application/json;charset=utf-8"})
_ACCEPT_MEMO_SIZE = 256
NO_STORE = (b"cache-control", b"no-store")
_BODIES = 1024
_BODY_MEMO_BYTES = 16 * 1024
_VERDICTS = 256
_HEADER_LISTS = 256
#: Response cache keys kept per operation (one per media type and API key asking).
_KEYS_PER_OPERATION = 8
_NOSNIFF_LINE = b"%s: %s\r\n" % NOSNIFF
#: A body starting with one of these may be a batch (``HttpLookup.read`` strips
#: whitespace first): never answered by ``_stored_now``.
_MAYBE_BATCH = b" \t\n\r\x0b\x0c["


#: ``respond(status, headers, body)``: writes a whole response; returns the status.
#: ``headers`` is a list of pairs, or a header block already rendered (``name: value\r\n``
#: lines, names in lower case, with its ``content-length`` and no ``connection``).
Respond = Callable[[int, "list[tuple[bytes, bytes]] | bytes", bytes], int]
#: What a request's headers decide for ``_stored_now``: the negotiated media type, the
#: body's length, the context key and the request id given (``None``: a fresh one).
_Verdict = tuple[str, int, bytes, "str | None"]
#: What ``_serve`` answers through (ASGI messages, or the protocol's ``LaneCycle``):
#: ``respond`` awaited, with pairs of headers — or, the protocol's (``rendered``), a
#: header block as ``Respond`` takes one.
AsyncRespond = Callable[[int, "list[tuple[bytes, bytes]] | bytes", bytes], Awaitable[int]]


class _LaneOperation(NamedTuple):
    """What ``_prepare`` made of a body: the operation, its variables (only read) and
    requested cost, and the response cache's keys of it by media type and context key
    (``_operation_key``), made once: a SHA-256 of the query and the variables' canonical
    JSON were 2 µs of an executed request."""

    operation: PreparedOperation
    variables: dict[str, Any] | None
    cost: int
    keys: dict[tuple[str, bytes], bytes]


class _Slow(Exception):
    """This request takes the full stack."""


class FastLane:
    """ASGI layer over the full application (see the module docstring)."""

    def __init__(self, app: ASGIApp, view: ProductGraphQL, *, access: AccessControl,
                 cors: bool, path: str = "/graphql") -> None:
        self.app = app
        self.view = view
        self.access = access
        self.cors = cors
        self.path = path
        self.enabled = view.persisted.mode != "safelist" and view.plain_schema is not None
        #: ``answer_now`` may answer: the lane is on, the response cache too, and admission
        #: never waits (no rate limit, or this process's buckets: not Redis's).
        self.synchronous = self.enabled and view.response_cache is not None \
            and access.synchronous
        #: The request's client address matters (a rate limit per address): ``answer_now``
        #: needs the scope's ``client`` as uvicorn's proxy-headers middleware makes it.
        self.needs_client = access.limiter is not None and not access.keys
        self._accept: dict[bytes | None, str | None] = {}
        #: a request's headers (a tuple of the scope's) → ``_verdict`` of them.
        self._verdicts: dict[tuple[tuple[bytes, bytes], ...], _Verdict | None] = {}
        #: a request's headers → them read, and what they decide for the lane whatever
        #: the moment (``_lane_headers``).
        self._header_lists: dict[tuple[tuple[bytes, bytes], ...],
                                 tuple[RequestHeaders, tuple[str, int] | None]] = {}
        #: request body → what ``_prepare`` made of it (its variables are only read).
        self._bodies: dict[bytes, _LaneOperation] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not self.enabled or scope["type"] != "http" or not self._lane_post(scope):
            await self.app(scope, receive, send)
            return
        lane = self._lane_headers(scope)
        if lane is None:
            await self.app(scope, receive, send)
            return
        headers, (media_type, length) = lane
        read: list[Message] = []
        parts: list[bytes] = []
        while True:
            pending = receive()
            if not isinstance(pending, Coroutine):
                message = await pending
            else:
                try:
                    waiting = pending.send(None)
                except StopIteration as done:
                    message = done.value
                else:
                    # Not here yet: the full stack waits for the body, within its deadline.
                    rest = functools.partial(_continue, pending, waiting)
                    await self.app(scope, _replay(read, rest, receive), send)
                    return
            read.append(message)
            if message["type"] != "http.request":
                break
            parts.append(message.get("body", b""))
            if not message.get("more_body", False):
                break
        body = parts[0] if len(parts) == 1 else b"".join(parts)
        cache = self.view.response_cache
        lookup = None if cache is None else HttpLookup.begin(
            cache, "POST", headers, media_type, self.view.identify_context)
        hit = lookup.read(body) if lookup is not None else None
        prepared = None
        try:
            if message["type"] != "http.request" or len(body) != length:
                raise _Slow
            if hit is None:  # a stored answer needs no operation
                prepared = self._prepare(body)
        except _Slow:
            await self.app(scope, _replay(read, None, receive), send)
            return
        await self._serve(scope, receive, _asgi_respond(send), media_type, headers,
                          prepared, lookup, hit)

    def executing(self, scope: Scope, body: bytes, respond: AsyncRespond,
                  disconnected: Receive) -> Coroutine[Any, Any, None] | None:
        """What serves a whole ``POST`` request that ``answer_now`` declined — to be run
        in a task the HTTP protocol makes for it (graph/http_protocol.py): the request as
        ``__call__`` serves it, answered through ``respond`` instead of ASGI messages, and
        cancelled when ``disconnected()`` returns (the client hung up). ``None``, with
        nothing done: a request the lane does not take, which the protocol then hands to
        the server's normal path (and so to the full stack) as it came."""
        if not self.enabled or not self._lane_post(scope):
            return None
        read = self._lane_headers(scope)
        if read is None:
            return None
        headers, (media_type, length) = read
        if len(body) != length:
            return None
        cache = self.view.response_cache
        lookup = None if cache is None else HttpLookup.begin(
            cache, "POST", headers, media_type, self.view.identify_context)
        hit = lookup.read(body) if lookup is not None else None
        prepared = None
        if hit is None:
            try:
                prepared = self._prepare(body)
            except _Slow:
                return None
        return self._serve(scope, disconnected, respond, media_type, headers, prepared,
                           lookup, hit, True)

    def answer_now(self, scope: Scope, body: bytes, respond: Respond) -> bool:
        """Answer a whole ``POST`` request now, without suspending, when its answer is
        stored (the response cache's hit or 304) — the HTTP protocol's shortcut
        (graph/http_protocol.py): no ASGI messages, no task. ``respond(status, headers,
        body)`` writes the response; the request is then done, logged and counted as
        ``__call__`` would have. ``False``, with nothing done (no id, no count, no log):
        anything else, which the protocol then hands to the server's normal path (and so
        to ``__call__``) as it came."""
        if not self.synchronous or not self._lane_post(scope):
            return False
        if not self.access and self._stored_now(scope, body, respond):
            return True
        read = self._lane_headers(scope)
        if read is None:
            return False
        headers, (media_type, length) = read
        cache = self.view.response_cache
        if cache is None or len(body) != length or headers.no_cache():
            return False  # to be executed
        lookup = HttpLookup.begin(cache, "POST", headers, media_type, self.view.identify_context)
        if lookup is None:
            return False
        hit = lookup.read(body)
        key = None
        if hit is None:
            if not lookup.may_read:
                return False
            try:
                prepared = self._prepare(body)
            except _Slow:
                return False
            key = self._operation_key(lookup, prepared, media_type)
            hit = cache.get(key)
            if hit is None:
                return False  # to be executed: the normal path
        self._serve_now(scope, respond, media_type, headers, lookup, hit, key)
        return True

    def _stored_now(self, scope: Scope, body: bytes, respond: Respond) -> bool:
        """The common hit, answered in one go: no API keys or rate limit (no admission to
        ask), the body's raw key stored and fresh, no ``If-None-Match``. What the headers
        decide is kept per header list (``_verdict``: a client repeats its headers byte
        for byte), the response's header block per entry (``CachedResponse.wire``); only
        the request id, ``max-age`` and the log line's duration are made per request.
        The same response, count and log line as ``_serve_now``'s; ``False``, with
        nothing done: anything else, for ``answer_now``'s general path."""
        if tracing_active():
            return False
        shape = tuple(scope["headers"])
        try:
            verdict = self._verdicts[shape]
        except KeyError:
            verdict = self._verdict(shape)
        if verdict is None:
            return False
        media_type, length, context_key, request_id = verdict
        if len(body) != length or body[:1] in _MAYBE_BATCH:
            return False
        cache = self.view.response_cache
        assert cache is not None  # self.synchronous
        entry = cache.lookup_raw((b"POST", body, media_type, context_key))
        if entry is None:
            return False
        started = time.perf_counter()
        rendered = cache.rendered(entry)
        if request_id is None:
            request_id = new_request_id()
        cache.count("hit")
        status = 500
        try:
            status = respond(entry.status, b"%sx-request-id: %s\r\n%s" % (
                rendered, request_id.encode(), _NOSNIFF_LINE), entry.body)
        finally:
            log_replayed(self.path, request_id, status,
                         (time.perf_counter() - started) * 1000, entry.operation)
        return True

    def _verdict(self, shape: tuple[tuple[bytes, bytes], ...]) -> _Verdict | None:
        """What ``shape``'s headers decide for ``_stored_now`` (kept, up to
        ``_VERDICTS`` header lists): ``None`` when anything in them asks for more than
        the lookup of a stored answer by its body (the lane or the response cache
        declining them, ``no-cache``/``no-store``, ``If-None-Match``). Depends on nothing
        but the headers and the lane's settings; ``tracing_active`` is asked per request."""
        headers = RequestHeaders.of(shape)
        taken = self._headers(headers)
        verdict: _Verdict | None = None
        if taken is not None and headers.if_none_match is None and not headers.no_cache() \
                and (headers.accept is None or b"multipart/mixed" not in headers.accept):
            verdict = (taken[0], taken[1],
                       self.view.identify_context(headers.authorization, headers.x_api_key),
                       valid_request_id(headers.x_request_id))
        return remember(self._verdicts, shape, verdict, _VERDICTS)

    def _serve_now(self, scope: Scope, respond: Respond, media_type: str,
                   headers: RequestHeaders, lookup: HttpLookup, hit: CachedResponse,
                   key: bytes | None) -> None:
        """``_serve`` for a stored answer, without awaiting: admission is synchronous
        (``self.synchronous``), the answer is at hand."""
        stats = RequestStats(request_id_from(headers.x_request_id))
        started = time.perf_counter()
        status = 500
        responded = False
        bound = bind_stats(stats)
        try:
            extra = self._admit_now(scope, stats)
            if isinstance(extra, RequestRefused):
                responded = True
                status = respond(*_refusal_parts(extra, stats, "application/json"))
                return
            if key is not None:  # found by the operation: as ``_operation_hit`` does
                lookup.operations = 1
                if lookup.raw is not None:
                    lookup.cache.alias(lookup.raw, key)
            status, stored, answer = lookup.replayed(hit)
            responded = True
            respond(status, [*stored, *extra, (b"x-request-id", stats.request_id.encode()),
                             NOSNIFF], answer)
        except Exception:  # a bug: coded, logged once, never a plain-text 500
            log.exception("request %s failed", stats.request_id)
            if not responded:
                responded = True
                status = respond(*_refusal_parts(RequestRefused(
                    500, "INTERNAL_SERVER_ERROR", "Internal server error"), stats, media_type,
                    lookup))
        finally:
            bound.close()
            log_request(scope, stats, status, (time.perf_counter() - started) * 1000)

    def _admit_now(self, scope: Scope, stats: RequestStats
                   ) -> list[tuple[bytes, bytes]] | RequestRefused:
        """``AccessControl.admit``, which completes without suspending here."""
        if not self.access:
            return []
        pending = self.access.admit(scope, Headers(scope=scope), stats)
        try:
            pending.send(None)
        except StopIteration as done:
            return done.value  # type: ignore[no-any-return]
        pending.close()
        raise RuntimeError("admission waited, although it is synchronous")

    # -- what the lane takes -----------------------------------------------------------

    def _lane_post(self, scope: Scope) -> bool:
        """Whether the HTTP request is a ``POST`` to the lane's path."""
        return scope["method"] == "POST" and scope["path"] == self.path \
            and not scope.get("root_path")

    def _lane_headers(self, scope: Scope) -> tuple[RequestHeaders, tuple[str, int]] | None:
        """The request's headers and their ``_headers`` verdict, when they allow the
        lane. Kept per header list (``_HEADER_LISTS`` of them: a client repeats its
        headers byte for byte, and reading them twice — ``answer_now``, then ``executing``
        — was 2 µs of an executed request); ``RequestHeaders`` is only ever read."""
        raw = scope["headers"]
        try:
            shape = tuple(raw)
            headers, taken = self._header_lists[shape]
        except TypeError:  # pairs as lists (another ASGI server): read, not kept
            headers = RequestHeaders.of(raw)
            taken = self._lasting(headers)
        except KeyError:
            headers = RequestHeaders.of(shape)
            taken = self._lasting(headers)
            remember(self._header_lists, shape, (headers, taken), _HEADER_LISTS)
        return None if taken is None or tracing_active() else (headers, taken)

    def _headers(self, headers: RequestHeaders) -> tuple[str, int] | None:
        """The negotiated media type and the body's length, when the headers allow the
        lane."""
        return None if tracing_active() else self._lasting(headers)

    def _lasting(self, headers: RequestHeaders) -> tuple[str, int] | None:
        """``_headers`` but for the tracer, which may be configured at any moment: what
        the headers and the lane's settings decide."""
        if (headers.origin is not None and self.cors) or headers.transfer_encoding is not None:
            return None
        content_type, length = headers.content_type, headers.content_length
        if content_type is None or content_type.lower() not in _JSON_TYPES \
                or length is None or not length.isdigit():
            return None
        size = int(length)
        if size > self.view.limits.max_body_bytes:
            return None
        media_type = self._negotiated(headers.accept)
        return (media_type, size) if media_type is not None else None

    def _negotiated(self, accept: bytes | None) -> str | None:
        try:
            return self._accept[accept]
        except KeyError:
            pass
        text = accept.decode("latin-1") if accept is not None else None
        media_type = None if text is not None and "multipart" in text.lower() \
            else negotiate(text)
        if len(self._accept) < _ACCEPT_MEMO_SIZE:
            self._accept[accept] = media_type
        return media_type

    def _prepare(self, body: bytes) -> _LaneOperation:
        """The valid query operation the body asks for, its variables and requested
        cost; ``_Slow`` when the full stack has anything to say about it. Kept per body
        (``_BODIES``, bodies up to ``_BODY_MEMO_BYTES``): a client repeats its requests
        byte for byte, and the strict JSON decoding alone is ~10 µs of a request."""
        known = self._bodies.get(body)
        if known is not None:
            return known
        prepared = self._prepare_anew(body)
        if len(body) <= _BODY_MEMO_BYTES:
            remember(self._bodies, body, prepared, _BODIES)
        return prepared

    def _prepare_anew(self, body: bytes
                      ) -> _LaneOperation:
        try:
            data = decode_request_json(body)
            check_request_shape(data)
        except Exception:
            raise _Slow from None
        if type(data) is not dict:
            raise _Slow
        query = data.get("query")
        variables = data.get("variables")
        name = data.get("operationName")
        if type(query) is not str or data.get("extensions") is not None \
                or (variables is not None and type(variables) is not dict) \
                or (name is not None and type(name) is not str):
            raise _Slow
        view = self.view
        try:
            document = view.documents.prepare(query)
        except Exception:
            raise _Slow from None
        if document.errors:
            raise _Slow
        operation = PreparedOperation.select(query, document.document, name)
        selected = operation.operation
        if selected is None or selected.operation.value != OperationType.QUERY.value:
            raise _Slow
        cost = requested_cost(document.document, selected, variables)  # memoised
        if cost > view.limits.max_cost:
            raise _Slow
        return _LaneOperation(operation, variables, cost, {})

    # -- serving -----------------------------------------------------------------------

    async def _serve(self, scope: Scope, receive: Receive, respond: AsyncRespond,
                     media_type: str,
                     headers: RequestHeaders,
                     prepared: _LaneOperation | None,
                     lookup: HttpLookup | None, hit: CachedResponse | None,
                     rendered: bool = False) -> None:
        """Answer the request: from the response cache (``hit``, or the operation's key),
        else by executing ``prepared`` (stored when it may be). ``rendered``: ``respond``
        also takes a rendered header block (``_replay_entry``)."""
        view = self.view
        stats = RequestStats(request_id_from(headers.x_request_id))
        started = time.perf_counter()
        status = 500
        timeout = view.request_timeout_s
        deadline = call_deadline.set(time.monotonic() + timeout - min(1.0, 0.1 * timeout))
        bound = bind_stats(stats)
        observer = request_observer.set(stats.upstream_call)
        try:
            # Without keys or a rate limit there is nothing to admit: no headers to wrap.
            extra = await self.access.admit(scope, Headers(scope=scope), stats) \
                if self.access else []
            if isinstance(extra, RequestRefused):  # answered as AccessControlMiddleware does
                status = await respond(*_refusal_parts(extra, stats, "application/json"))
                return
            tail = [*extra, (b"x-request-id", stats.request_id.encode()), NOSNIFF]
            key = None
            if lookup is not None and prepared is not None:
                hit, key = self._operation_hit(lookup, prepared, media_type)
            if hit is None:
                assert prepared is not None
                status = await self._execute(respond, receive, media_type, prepared, lookup,
                                             key, tail, stats, rendered)
                return
            assert lookup is not None
            status = await _replay_entry(lookup, hit, respond, tail, rendered)
        except Exception:  # a bug: coded, logged once, never a plain-text 500
            log.exception("request %s failed", stats.request_id)
            status = await respond(*_refusal_parts(RequestRefused(
                500, "INTERNAL_SERVER_ERROR", "Internal server error"), stats, media_type,
                lookup))
        finally:
            request_observer.reset(observer)
            bound.close()
            call_deadline.reset(deadline)
            log_request(scope, stats, status, (time.perf_counter() - started) * 1000)

    @staticmethod
    def _operation_hit(lookup: HttpLookup, prepared: _LaneOperation,
                       media_type: str) -> tuple[CachedResponse | None, bytes]:
        """The entry of the operation (another body for the same query and variables), as
        the view looks it up, and the operation's key (to store the answer under)."""
        lookup.operations = 1
        key = FastLane._operation_key(lookup, prepared, media_type)
        entry = lookup.cache.get(key) if lookup.may_read else None
        if entry is not None and lookup.raw is not None:
            lookup.cache.alias(lookup.raw, key)
        return entry, key

    @staticmethod
    def _operation_key(lookup: HttpLookup, prepared: _LaneOperation,
                       media_type: str) -> bytes:
        keys = prepared.keys
        context = (media_type, lookup.context_key)
        key = keys.get(context)
        if key is None:
            operation = prepared.operation
            key = lookup.cache.key(operation.query, operation.name, prepared.variables,
                                   media_type, lookup.context_key)
            if len(keys) < _KEYS_PER_OPERATION:
                keys[context] = key
        return key

    async def _execute(self, respond: AsyncRespond, receive: Receive, media_type: str,
                       prepared: _LaneOperation,
                       lookup: HttpLookup | None, key: bytes | None,
                       tail: list[tuple[bytes, bytes]], stats: RequestStats,
                       rendered: bool) -> int:
        """Execute the operation and send its answer (stored when it may be); the status."""
        operation, variables, requested, _ = prepared
        view = self.view
        try:
            result = await _run_eagerly(
                view.run_prepared("POST", operation, view.new_context(), None, variables,
                                  None, requested,
                                  lookup.freshness if lookup is not None else None),
                receive, view.request_timeout_s)
        except RequestRefused as refusal:
            return await respond(*_refusal_parts(refusal, stats, media_type, lookup))
        except _ClientGone:
            return CLIENT_CLOSED_REQUEST
        data, status = view.answer_data(result, media_type)
        answer = orjson.dumps(data)
        if lookup is not None:
            selected = operation.operation
            if not result.errors and selected is not None:
                lookup.key = key
                lookup.operation = selected.name.value if selected.name else "anonymous"
            entry = lookup.finish(status, answer, media_type)
            if entry is not None:
                return await _replay_entry(lookup, entry, respond, tail, rendered)
        return await respond(status, [
            (b"content-length", str(len(answer)).encode()),
            (b"content-type", media_type.encode()),
            *((NO_STORE,) if lookup is not None else ()), *tail], answer)


async def _replay_entry(lookup: HttpLookup, entry: CachedResponse, respond: AsyncRespond,
                        tail: list[tuple[bytes, bytes]], rendered: bool) -> int:
    """Answer with a stored answer (or its 304) and the request's own headers; the
    status. ``rendered``: ``respond`` takes a header block (``Respond``'s), and the
    entry's, made once, is used (not a 304): no pairs to make and write one by one."""
    if rendered:
        block = lookup.replayed_rendered(entry)
        if block is not None:
            return await respond(entry.status, b"".join(
                (block, *(b"%s: %s\r\n" % pair for pair in tail))), entry.body)
    status, stored, answer = lookup.replayed(entry)
    return await respond(status, [*stored, *tail], answer)


def _asgi_respond(send: Send) -> AsyncRespond:
    """``respond`` through ASGI: the response's two messages (pairs of headers: ``_serve``
    is not ``rendered`` here)."""

    async def respond(status: int, headers: list[tuple[bytes, bytes]] | bytes,
                      body: bytes) -> int:
        assert not isinstance(headers, bytes)
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})
        return status

    return respond


def _refusal_parts(refusal: RequestRefused, stats: RequestStats, media_type: str,
                   lookup: HttpLookup | None = None
                   ) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
    """A refusal's status, headers and body, as the full stack answers it: with the
    request's id, and — past the response cache's lookup — never stored (``no-store``
    unless it says otherwise)."""
    stats.error_codes.append(refusal.code)
    response = refusal_response(refusal, media_type=media_type)
    if lookup is not None:
        lookup.finish(refusal.status, response.body, media_type)
        response.headers.setdefault("cache-control", "no-store")
    response.headers["x-request-id"] = stats.request_id
    response.headers["x-content-type-options"] = "nosniff"
    return response.status_code, response.raw_headers, bytes(response.body)


def _replay(read: list[Message], rest: Callable[[], Awaitable[Message]] | None,
            receive: Receive) -> Receive:
    """``receive`` for the full stack: the messages the lane read first, then the one it
    was waiting for (``rest``), then the server's."""
    queue = list(read)
    pending = rest

    async def replayed() -> Message:
        nonlocal pending
        if queue:
            return queue.pop(0)
        if pending is not None:
            awaited, pending = pending, None
            return await awaited()
        return await receive()

    return replayed


class _ClientGone(Exception):
    """The client disconnected before the answer: nothing is sent."""


async def _run_eagerly(work: Coroutine[Any, Any, Any], receive: Receive,
                       limit_s: float) -> Any:
    """``work``'s result, its first step run at once: a warm operation finishes there.
    If it suspends, the rest runs on in this task (anyio's cancel scopes and asyncio's
    timeouts that it entered belong to it), bounded by ``limit_s`` (504
    REQUEST_TIMEOUT), while a listener cancels it when the client disconnects
    (``_ClientGone``), as ``CancelOnDisconnect`` would."""
    try:
        waiting = work.send(None)
    except StopIteration as done:
        return done.value
    task = asyncio.current_task()
    assert task is not None
    gone = asyncio.Event()

    async def listen() -> None:
        while (await receive())["type"] != "http.disconnect":
            pass
        gone.set()
        task.cancel("the client disconnected")

    listener = asyncio.create_task(listen())
    try:
        async with asyncio.timeout(limit_s):
            return await _resume(work, waiting)
    except TimeoutError:
        raise RequestRefused(504, "REQUEST_TIMEOUT",
                             f"The request did not finish within {limit_s:g} s.") from None
    except asyncio.CancelledError:
        # A hang-up, not a shutdown (which cancels this task once more): answered 499.
        if gone.is_set() and task.uncancel() == 0:
            raise _ClientGone from None
        raise
    finally:
        listener.cancel()


async def _continue(work: Coroutine[Any, Any, Any], waiting: Any) -> Any:
    """The rest of ``work``, which yielded ``waiting`` at its first step."""
    return await _resume(work, waiting)


@types.coroutine
def _resume(work: Coroutine[Any, Any, Any], waiting: Any) -> Generator[Any, Any, Any]:
    """Drive ``work`` from where its first step stopped (it yielded ``waiting`` to the
    event loop): the task running this waits on what ``work`` waits on, and passes a
    cancellation or error in."""
    while True:
        try:
            yield waiting
        except BaseException as exc:
            try:
                waiting = work.throw(exc)
            except StopIteration as done:
                return done.value
        else:
            try:
                waiting = work.send(None)
            except StopIteration as done:
                return done.value

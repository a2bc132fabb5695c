"""The response cache: the bytes of a query's answer, replayed for the identical operation
while every part the answer was built from is still fresh.

Why: a warm query still costs a parse lookup, validation verdict, execution over cached
parts and JSON encoding — hundreds of microseconds; a hit here is a dictionary lookup and
two ASGI messages (bench/README.md has the figures). The part cache (resolvers/part_cache.py)
stays the source of truth: an entry lives exactly as long as the freshest-expiring part it
read, so a replayed answer is never older than a freshly executed one could be.

**Keys.** Two levels, both exact:

- the *raw* key ``raw_key(method, payload, media_type, context_key)``: the request body
  (POST) or query string (GET) as received, with the negotiated media type and the context
  key; a tuple, so the dict hashes it and compares it byte for byte (a hit is verified, not
  trusted to a digest). Looked up before anything is parsed.
- the *operation* key ``key(query, operation_name, variables, media_type, context_key)``:
  a SHA-256 over the resolved query text (a persisted query's hash resolves to its text, so
  persisted and plain requests share entries), the operation name, the variables in a
  canonical JSON form, the media type and the context key. Looked up when the raw key
  missed (another spelling of the same request, GET vs POST, APQ); a hit then adds the raw
  key as an alias of the entry.

``context_key`` covers what outside the operation changes the answer: the API key's
identity (a SHA-256 of the presented key, never the key) when keys are configured, so two
keys never share an entry. Languages and currencies are chosen by field arguments
(``translation(language:)``, ``converted(to:)``, docs/localization.md), so the document
and variables already cover them; production mode is process-wide.

**What is stored.** Only the answer of one query operation (not a batch, a mutation, a
subscription or a multipart request), HTTP 200, no ``errors``, and a ``Freshness`` that
stayed cacheable (resolvers/freshness.py: the parts it read, their remaining TTL; never
``shopProducts``, watch data, a stale part, a fetch without the part cache). An entry is
fresh until ``request start + fresh_for``, and never longer than ``max_ttl_s``.

**Bounds.** LRU by entries (``max_entries``) and by bytes (``max_bytes``: bodies, raw keys
and a fixed overhead per entry and alias); one answer larger than an eighth of
``max_bytes`` is not stored (it would evict everything), and an entry keeps at most
``MAX_ALIASES`` raw spellings. Per process: workers do not share entries (each holds its
own, bounded; the shared part cache is what keeps them consistent).

**HTTP.** A stored (or storable) answer carries a strong ``ETag`` (a hash of the media type
and the bytes) and ``Cache-Control: <public|private>, max-age=<seconds left>`` — no
``Age``: ``max-age`` is already what is left, and an ``Age`` beside it would make a
downstream cache count the time twice. ``private`` when API keys are configured: a shared
cache (CDN) in front does not see the key and would answer one client's request to another,
or to nobody with a key at all; ``public`` otherwise (everyone gets the same bytes;
``Vary: Accept``, the only request header that changes them). An answer not storable
carries ``Cache-Control: no-store``. ``If-None-Match`` naming the entry's ETag is answered
304 with the ETag and ``Cache-Control`` and no body — for POST too: RFC 9110 prescribes 412
for a matched precondition on a method other than GET/HEAD, but a GraphQL query over POST
is safe, and a client that sends ``If-None-Match`` wants the 304. A request with
``Cache-Control: no-cache`` (or ``Pragma: no-cache``) is executed and may refresh the
entry; ``no-store`` is executed and stores nothing.

The view (graph/serving.py) is one caller; ``HttpLookup.begin`` and ``ResponseCache.answer``
are all a second one (a fast HTTP lane) needs.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import orjson
from starlette.types import Message, Receive, Send

from graph.metrics import RESPONSE_CACHE_REQUESTS
from graph.observability import current_stats
from graph.request_headers import RequestHeaders
from resolvers.freshness import Freshness

#: ``(method, body or query string, media type, context key)``.
RawKey = tuple[bytes, bytes, str, bytes]
Headers = list[tuple[bytes, bytes]]

#: Raw spellings one entry keeps (an attacker varying whitespace only adds misses).
MAX_ALIASES = 16
#: Bytes counted per entry and per alias beyond their bytes (objects, dict slots).
ENTRY_OVERHEAD = 400
ALIAS_OVERHEAD = 150
_RESULTS = ("hit", "miss", "bypass", "not_modified", "uncacheable")


@dataclass(slots=True, eq=False)
class CachedResponse:
    """One stored answer and what is needed to replay it."""

    body: bytes
    status: int
    content_type: bytes
    etag: bytes
    #: The operation's name, for the access log of a hit.
    operation: str
    stored_at: float
    fresh_until: float
    #: The headers every replay sends (content type, ETag, Vary), built once.
    headers: Headers
    size: int
    raws: list[RawKey] = field(default_factory=list)
    #: The ``content-length`` header of a replay with the body, made once.
    content_length: tuple[bytes, bytes] = (b"content-length", b"0")
    #: A replay's header block around its ``max-age`` value, rendered once by the
    #: protocol's shortcut (graph/fast_lane.py ``FastLane._stored_now``).
    wire: tuple[bytes, bytes] | None = None

    def __post_init__(self) -> None:
        self.content_length = (b"content-length", str(len(self.body)).encode())


class ResponseCache:
    """Answers by key, LRU-bounded by entries and bytes, on ``clock`` (monotonic)."""

    def __init__(self, *, max_bytes: int = 64 * 1024 * 1024, max_entries: int = 10_000,
                 max_ttl_s: float = 3600.0, private: bool = False,
                 clock: Callable[[], float] = time.monotonic) -> None:
        """``private``: API keys are configured (``Cache-Control: private`` and a context
        key per API key)."""
        self.max_bytes = max_bytes
        self.max_entries = max_entries
        self.max_entry_bytes = max(1, max_bytes // 8)
        self.max_ttl_s = max_ttl_s
        self.private = private
        self.clock = clock
        self.bytes = 0
        self._scope = b"private, max-age=" if private else b"public, max-age="
        self._entries: OrderedDict[bytes, CachedResponse] = OrderedDict()
        self._raw: dict[RawKey, bytes] = {}
        self._counters = {r: RESPONSE_CACHE_REQUESTS.labels(r) for r in _RESULTS}

    def __len__(self) -> int:
        return len(self._entries)

    # -- keys

    @staticmethod
    def raw_key(method: bytes, payload: bytes, media_type: str, context_key: bytes) -> RawKey:
        return (method, payload, media_type, context_key)

    @staticmethod
    def key(query: str, operation_name: str | None, variables: dict[str, Any] | None,
            media_type: str, context_key: bytes) -> bytes:
        """The operation key: a digest of everything that selects the answer."""
        digest = hashlib.sha256(query.encode("utf-8", "surrogatepass"))
        digest.update(b"\x00" + (operation_name or "").encode("utf-8", "surrogatepass"))
        digest.update(b"\x00" + canonical_variables(variables))
        digest.update(b"\x00" + media_type.encode() + b"\x00" + context_key)
        return digest.digest()

    # -- lookups

    def lookup_raw(self, raw: RawKey) -> CachedResponse | None:
        """The fresh entry a raw key aliases, if any."""
        key = self._raw.get(raw)
        return self.get(key) if key is not None else None

    def get(self, key: bytes) -> CachedResponse | None:
        """The fresh entry under ``key``; an expired one is dropped."""
        entry = self._entries.get(key)
        if entry is None:
            return None
        if entry.fresh_until <= self.clock():
            self._drop(key)
            return None
        self._entries.move_to_end(key)
        return entry

    def alias(self, raw: RawKey, key: bytes) -> None:
        """``raw`` names the entry under ``key`` from now on (within ``MAX_ALIASES``)."""
        entry = self._entries.get(key)
        if entry is None or raw in self._raw or len(entry.raws) >= MAX_ALIASES:
            return
        self._raw[raw] = key
        entry.raws.append(raw)
        added = _alias_size(raw)
        entry.size += added
        self.bytes += added
        self._evict()

    # -- writes

    def freshness(self) -> Freshness:
        """A tracker for one request's reads, bounded by ``max_ttl_s``."""
        return Freshness(self.max_ttl_s)

    def store(self, key: bytes, *, body: bytes, status: int, content_type: bytes,
              started: float, fresh_for: float, operation: str,
              raw: RawKey | None = None) -> CachedResponse | None:
        """Store an answer fresh until ``started + fresh_for``; ``None`` when it is not
        (already expired, or too large). The ETag and headers are built here, once."""
        fresh_until = started + min(fresh_for, self.max_ttl_s)
        now = self.clock()
        size = ENTRY_OVERHEAD + len(body)
        if fresh_until <= now or size > self.max_entry_bytes:
            return None
        old = self._entries.pop(key, None)
        if old is not None and old.body == body and old.status == status \
                and old.content_type == content_type and old.operation == operation:
            # Refreshed with the same answer (a no-cache request, the usual case): the
            # same entry, stored again from now (and last in the LRU order); its size,
            # ETag, headers and aliases are those of these bytes already.
            old.stored_at, old.fresh_until = now, fresh_until
            self._entries[key] = old
            if raw is not None:
                self.alias(raw, key)
            return old if key in self._entries else None
        if old is not None and old.body == body and old.content_type == content_type:
            # The same bytes (under another status or operation name): the ETag, a
            # digest of these bytes, and the headers naming it are the same.
            etag, headers = old.etag, old.headers
        else:
            etag = b'"' + hashlib.blake2b(content_type + b"\x00" + body,
                                          digest_size=16).hexdigest().encode() + b'"'
            headers = [(b"content-type", content_type), (b"etag", etag),
                       (b"vary", b"Accept")]
        entry = CachedResponse(body, status, content_type, etag, operation, now, fresh_until,
                               headers, size)
        if old is not None:           # refreshed (a no-cache request): its aliases stay
            self.bytes -= old.size
            entry.raws = old.raws
            # What the old entry's aliases added to its size (``alias``).
            entry.size += old.size - ENTRY_OVERHEAD - len(old.body)
        self._entries[key] = entry
        self.bytes += entry.size
        if raw is not None:
            self.alias(raw, key)
        self._evict()
        return entry if key in self._entries else None

    def _evict(self) -> None:
        while self._entries and (self.bytes > self.max_bytes
                                 or len(self._entries) > self.max_entries):
            self._drop(next(iter(self._entries)))

    def _drop(self, key: bytes) -> None:
        entry = self._entries.pop(key)
        self.bytes -= entry.size
        for raw in entry.raws:
            self._raw.pop(raw, None)

    def clear(self) -> None:
        self._entries.clear()
        self._raw.clear()
        self.bytes = 0

    # -- answers

    def answer(self, entry: CachedResponse,
               if_none_match: bytes | None) -> tuple[int, Headers, bytes]:
        """Status, headers and body replaying ``entry``: 304 without a body when
        ``if_none_match`` names its ETag."""
        remaining = max(0, int(entry.fresh_until - self.clock()))
        cache_control = (b"cache-control", self._scope + str(remaining).encode())
        if if_none_match is not None and etag_matches(if_none_match, entry.etag):
            return 304, [(b"etag", entry.etag), cache_control, (b"vary", b"Accept")], b""
        return entry.status, [*entry.headers, cache_control, entry.content_length], entry.body

    def wire(self, entry: CachedResponse) -> tuple[bytes, bytes]:
        """``answer``'s headers for ``entry`` with its body, rendered as HTTP/1.1 header
        lines around the ``max-age`` value: the same headers in the same order."""
        head = b"".join(b"%s: %s\r\n" % pair for pair in entry.headers)
        return (head + b"cache-control: " + self._scope,
                b"\r\n%s: %s\r\n" % entry.content_length)

    def rendered(self, entry: CachedResponse) -> bytes:
        """``answer``'s headers for ``entry`` (not a 304) as HTTP/1.1 header lines, with
        the ``max-age`` left now: ``wire`` made once per entry, filled in."""
        wire = entry.wire
        if wire is None:
            wire = entry.wire = self.wire(entry)
        return b"%s%d%s" % (wire[0], max(0, int(entry.fresh_until - self.clock())), wire[1])

    def count(self, result: str) -> None:
        """Count one request's outcome: hit, miss, bypass, not_modified, uncacheable."""
        self._counters[result].inc()


def canonical_variables(variables: dict[str, Any] | None) -> bytes:
    """The variables as canonical JSON (keys sorted); ``None`` and ``{}`` alike."""
    if not variables:
        return b"{}"
    try:
        return orjson.dumps(variables, option=orjson.OPT_SORT_KEYS)
    except TypeError:  # an integer beyond 64 bits (request bodies keep them exact)
        return json.dumps(variables, sort_keys=True, separators=(",", ":"),
                          ensure_ascii=False, default=str).encode("utf-8", "surrogatepass")


def etag_matches(if_none_match: bytes, etag: bytes) -> bool:
    """RFC 9110 weak comparison, as ``If-None-Match`` uses: ``*``, or any listed tag equal
    to ``etag`` once a ``W/`` prefix is dropped."""
    for candidate in if_none_match.split(b","):
        candidate = candidate.strip()
        if candidate == b"*" or candidate.removeprefix(b"W/") == etag:
            return True
    return False


def _alias_size(raw: RawKey) -> int:
    return ALIAS_OVERHEAD + len(raw[1]) + len(raw[3])


@dataclass(slots=True)
class HttpLookup:
    """One HTTP request's dealings with the cache, from its headers to its answer.

    ``begin`` reads the headers that matter in one pass; the caller then looks the raw key
    up (``read``), executes on a miss under ``freshness`` and sets ``key``, and finishes
    with ``ResponseCache.store``/``answer`` or a ``no-store`` answer."""

    cache: ResponseCache
    method: bytes
    media_type: str
    context_key: bytes
    #: The request allows an answer from the cache (no ``no-cache``/``no-store``).
    may_read: bool
    #: The request allows its answer to be stored (no ``no-store``).
    may_store: bool
    if_none_match: bytes | None
    started: float
    freshness: Freshness
    raw: RawKey | None = None
    #: The operation key, once the operation is known (set by the executor).
    key: bytes | None = None
    operation: str = "anonymous"
    #: Operations executed for this request (a batch: more than one, never stored).
    operations: int = 0

    @classmethod
    def begin(cls, cache: ResponseCache, method: str, headers: RequestHeaders,
              media_type: str, identify: Callable[[bytes | None, bytes | None], bytes]
              ) -> HttpLookup | None:
        """The lookup of a POST of JSON or a GET; ``None`` for anything else (multipart,
        a streamed subscription). ``identify(authorization, x_api_key)`` is the context
        key (``api_key_context``)."""
        content_type, accept = headers.content_type, headers.accept
        if method == "POST":
            if content_type is None or not content_type.lower().startswith(
                    b"application/json"):
                return None
        elif method != "GET":
            return None
        if accept is not None and b"multipart/mixed" in accept:
            return None
        return cls(cache, method.encode(), media_type,
                   identify(headers.authorization, headers.x_api_key), not headers.no_cache(),
                   not headers.no_store(), headers.if_none_match, cache.clock(),
                   cache.freshness())

    def read(self, payload: bytes) -> CachedResponse | None:
        """The raw key of ``payload`` (body or query string) and its fresh entry, if the
        request may be answered from the cache (a batch never is, nor stored)."""
        if payload.lstrip()[:1] == b"[":
            self.may_read = self.may_store = False
        self.raw = self.cache.raw_key(self.method, payload, self.media_type, self.context_key)
        return self.cache.lookup_raw(self.raw) if self.may_read else None

    def finish(self, status: int, body: Any, content_type: str) -> CachedResponse | None:
        """Store the executed answer when it may be (``key`` set: one query executed
        without errors; HTTP 200; a cacheable freshness; the request allows it), and
        count the request."""
        entry = None
        if (status == 200 and self.key is not None and self.operations == 1
                and self.may_store and self.freshness.cacheable and isinstance(body, bytes)):
            entry = self.cache.store(
                self.key, body=body, status=status,
                content_type=content_type.encode("latin-1"), started=self.started,
                fresh_for=self.freshness.fresh_for, operation=self.operation, raw=self.raw)
        self.cache.count("bypass" if not self.may_read else
                         "miss" if entry is not None else "uncacheable")
        return entry

    async def replay(self, entry: CachedResponse, send: Send) -> None:
        """Send ``entry`` (or its 304) as two raw ASGI messages: no Response to build."""
        status, headers, body = self.replayed(entry)
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    def replayed(self, entry: CachedResponse) -> tuple[int, Headers, bytes]:
        """Status, headers and body replaying ``entry`` (or its 304), counted as a hit
        when it was served without executing."""
        status, headers, body = self.cache.answer(entry, self.if_none_match)
        self._replayed(entry, status)
        return status, headers, body

    def replayed_rendered(self, entry: CachedResponse) -> bytes | None:
        """``replayed``'s headers rendered (``ResponseCache.rendered``), for a request that
        cannot be answered 304 (no ``If-None-Match``); ``None``, counting nothing, for one
        that may (``replayed`` then)."""
        if self.if_none_match is not None:
            return None
        rendered = self.cache.rendered(entry)
        self._replayed(entry, entry.status)
        return rendered

    def _replayed(self, entry: CachedResponse, status: int) -> None:
        if self.key is None:
            self.cache.count("not_modified" if status == 304 else "hit")
            stats = current_stats()
            if stats is not None:
                stats.operations.append(entry.operation)


async def buffered_body(receive: Receive) -> tuple[bytes, Receive]:
    """The whole request body, and a ``receive`` that hands it out again (then passes on
    to ``receive``: a disconnect)."""
    chunks = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    body = b"".join(chunks)
    replayed = False

    async def replay() -> Message:
        nonlocal replayed
        if replayed:
            return await receive()
        replayed = True
        return {"type": "http.request", "body": body, "more_body": False}

    return body, replay


def api_key_context(keys_configured: bool) -> Callable[[bytes | None, bytes | None], bytes]:
    """The context key of a request: a SHA-256 of the API key it presents when keys are
    configured (as graph/access.py reads it: ``Authorization: Bearer`` first, then
    ``X-API-Key``), else empty — answers do not depend on who asks."""
    if not keys_configured:
        return lambda authorization, api_key: b""

    def identify(authorization: bytes | None, api_key: bytes | None) -> bytes:
        presented = b""
        if authorization is not None:
            scheme, _, credentials = authorization.partition(b" ")
            if scheme.lower() == b"bearer" and credentials.strip():
                presented = credentials.strip()
        if not presented and api_key is not None:
            presented = api_key.strip()
        return hashlib.sha256(b"api-key\x00" + presented).digest()

    return identify


class ServeCached(Exception):
    """Raised by the executor when the operation key hits: the view replays ``entry``."""

    def __init__(self, entry: CachedResponse, key: bytes) -> None:
        super().__init__("served from the response cache")
        self.entry = entry
        self.key = key

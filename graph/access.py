"""Access control for ``/graphql``: API keys and a per-client rate limit.

- **API keys** (``PRODUCTGRAPH_API_KEYS``, comma-separated), sent as
  ``Authorization: Bearer <key>`` or ``X-API-Key: <key>``. Only SHA-256 digests of the
  keys are kept; a presented key's digest is compared with every configured digest by
  ``hmac.compare_digest`` (no early exit), so timing tells nothing. A missing or wrong key
  is 401 UNAUTHENTICATED. The key itself is never logged: the access log gets its
  ``key_id``, the first 12 hex digits of its digest.
- **Rate limit** (``PRODUCTGRAPH_RATE_LIMIT_PER_MINUTE``): a token bucket per key (per
  client address without keys) holding a minute's allowance, refilled continuously. With
  a Redis cache the bucket lives in Redis (one atomic Lua script on the server's clock),
  shared by every worker and instance; if Redis fails, the process's own buckets serve.
  Every answer carries ``RateLimit-Limit``/``-Remaining``/``-Reset`` (IETF
  draft-ietf-httpapi-ratelimit-headers); over the limit it is 429 RATE_LIMITED with
  ``Retry-After``.

/healthz, /readyz, /metrics, the GraphiQL page and its static files need no key.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import math
import time
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Receive, Scope, Send

from graph.observability import RequestStats, current_stats
from graph.refusal import RequestRefused, refusal_response
from graph.settings import Secret

log = logging.getLogger("productgraph.access")

PROTECTED_PATHS = ("/graphql",)
REDIS_PREFIX = "productgraph:ratelimit:"


def _digest(key: str) -> bytes:
    return hashlib.sha256(key.encode()).digest()


class ApiKeys:
    """The configured keys, held only as digests."""

    def __init__(self, keys: Sequence[Secret]) -> None:
        self._digests = [_digest(k.value) for k in keys if k]

    def __bool__(self) -> bool:
        return bool(self._digests)

    def __repr__(self) -> str:
        return f"ApiKeys({len(self._digests)} keys)"

    def identify(self, headers: Headers) -> str:
        """The key id of the request's valid key; raise 401 UNAUTHENTICATED."""
        presented = presented_key(headers)
        if presented is None:
            raise _unauthenticated("An API key is required: send `Authorization: Bearer "
                                   "<key>` or `X-API-Key: <key>`.")
        digest = _digest(presented)
        matched = False
        for known in self._digests:
            matched |= hmac.compare_digest(digest, known)
        if not matched:
            raise _unauthenticated("The API key is not valid.")
        return digest.hex()[:12]


def presented_key(headers: Headers) -> str | None:
    authorization = headers.get("authorization", "")
    scheme, _, credentials = authorization.partition(" ")
    if scheme.lower() == "bearer" and credentials.strip():
        return credentials.strip()
    key = headers.get("x-api-key", "").strip()
    return key or None


def _unauthenticated(message: str) -> RequestRefused:
    return RequestRefused(401, "UNAUTHENTICATED", message,
                          {"WWW-Authenticate": 'Bearer realm="productgraph"'})


@dataclass(frozen=True)
class RateDecision:
    allowed: bool
    limit: int
    remaining: int
    reset_s: int          # seconds until the bucket is full again
    retry_after_s: int    # seconds until one request is allowed (0 when allowed)

    def headers(self) -> dict[str, str]:
        headers = {"RateLimit-Limit": str(self.limit),
                   "RateLimit-Remaining": str(self.remaining),
                   "RateLimit-Reset": str(self.reset_s)}
        if not self.allowed:
            headers["Retry-After"] = str(self.retry_after_s)
        return headers


def _decide(tokens: float, allowed: bool, capacity: int, rate: float) -> RateDecision:
    return RateDecision(
        allowed=allowed, limit=capacity, remaining=max(0, math.floor(tokens)),
        reset_s=max(0, math.ceil((capacity - tokens) / rate)),
        retry_after_s=0 if allowed else max(1, math.ceil((1 - tokens) / rate)),
    )


class LocalTokenBuckets:
    """Token buckets of one process, at most ``max_clients`` (least recently used go)."""

    def __init__(self, per_minute: int, *, clock: Any = time.monotonic,
                 max_clients: int = 100_000) -> None:
        self.capacity = per_minute
        self.rate = per_minute / 60.0
        self._clock = clock
        self._max = max_clients
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()

    def take(self, client: str) -> RateDecision:
        now = self._clock()
        tokens, then = self._buckets.pop(client, (float(self.capacity), now))
        tokens = min(self.capacity, tokens + (now - then) * self.rate)
        allowed = tokens >= 1
        if allowed:
            tokens -= 1
        self._buckets[client] = (tokens, now)
        if len(self._buckets) > self._max:
            self._buckets.popitem(last=False)
        return _decide(tokens, allowed, self.capacity, self.rate)


# KEYS[1] the bucket; ARGV: capacity, refill per second. Returns {allowed, tokens as text}
# (Redis truncates Lua numbers to integers). TIME needs effect replication (Redis >= 5).
_TOKEN_BUCKET_LUA = """
local capacity = tonumber(ARGV[1])
local rate = tonumber(ARGV[2])
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local state = redis.call('HMGET', KEYS[1], 'tokens', 'ts')
local tokens = tonumber(state[1]) or capacity
local ts = tonumber(state[2]) or now
tokens = math.min(capacity, tokens + math.max(0, now - ts) * rate)
local allowed = 0
if tokens >= 1 then
  tokens = tokens - 1
  allowed = 1
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'ts', tostring(now))
redis.call('EXPIRE', KEYS[1], math.ceil(capacity / rate) + 1)
return {allowed, tostring(tokens)}
"""


class RateLimiter:
    """Per-client token buckets, in Redis when given one (falling back to local)."""

    def __init__(self, per_minute: int, *, redis: Any = None) -> None:
        self.local = LocalTokenBuckets(per_minute)
        self.redis = redis
        self._script = redis.register_script(_TOKEN_BUCKET_LUA) if redis is not None else None

    async def take(self, client: str) -> RateDecision:
        if self._script is not None:
            try:
                allowed, tokens = await self._script(
                    keys=[REDIS_PREFIX + client],
                    args=[self.local.capacity, self.local.rate])
                return _decide(float(tokens), bool(int(allowed)), self.local.capacity,
                               self.local.rate)
            except Exception as exc:
                log.warning("rate limit: Redis failed (%s); using this process's buckets",
                            type(exc).__name__)
        return self.local.take(client)

    @property
    def local_only(self) -> bool:
        """``take`` uses this process's buckets only, and so never waits."""
        return self._script is None


def _exempt(scope: Scope) -> bool:
    if scope["path"] not in PROTECTED_PATHS:
        return True
    if scope["method"] == "OPTIONS":
        return True
    # The GraphiQL page itself (GET, no operation, asked for as HTML): the key goes into
    # its headers editor, and every operation it sends is checked.
    headers = Headers(scope=scope)
    query_string = scope.get("query_string", b"")
    return (scope["method"] == "GET" and b"query=" not in query_string
            and b"extensions=" not in query_string
            and "text/html" in headers.get("accept", ""))


class AccessControl:
    """The API key, then the client's rate limit: what a ``/graphql`` request must pass
    before it runs (``AccessControlMiddleware``, and graph/fast_lane.py)."""

    def __init__(self, keys: ApiKeys, limiter: RateLimiter | None) -> None:
        self.keys = keys
        self.limiter = limiter

    def __bool__(self) -> bool:
        return bool(self.keys) or self.limiter is not None

    @property
    def synchronous(self) -> bool:
        """``admit`` completes without suspending (no Redis bucket to ask)."""
        return self.limiter is None or self.limiter.local_only

    async def admit(self, scope: Scope, headers: Headers,
                    stats: RequestStats | None) -> list[tuple[bytes, bytes]] | RequestRefused:
        """The rate-limit headers to add to the answer, or the refusal to answer with
        (counted in ``stats``)."""
        if not self:
            return []
        try:
            if self.keys:
                client = "key:" + self.keys.identify(headers)
                if stats is not None:
                    stats.key_id = client[4:]
            else:
                peer = scope.get("client")
                client = "addr:" + (peer[0] if peer else "unknown")
            decision = await self.limiter.take(client) if self.limiter else None
        except RequestRefused as refused:
            return refused
        if decision is None:
            return []
        if not decision.allowed:
            return RequestRefused(
                429, "RATE_LIMITED",
                f"Rate limit of {decision.limit} requests per minute exceeded; retry in "
                f"{decision.retry_after_s} s.", decision.headers())
        return [(k.lower().encode(), v.encode()) for k, v in decision.headers().items()]


class AccessControlMiddleware:
    """Checks the API key, then the client's rate limit, before ``/graphql`` runs."""

    def __init__(self, app: ASGIApp, *, keys: ApiKeys, limiter: RateLimiter | None) -> None:
        self.app = app
        self.control = AccessControl(keys, limiter)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or _exempt(scope):
            await self.app(scope, receive, send)
            return
        stats = current_stats()
        extra = await self.control.admit(scope, Headers(scope=scope), stats)
        if isinstance(extra, RequestRefused):
            if stats is not None:
                stats.error_codes.append(extra.code)
            await refusal_response(extra)(scope, receive, send)
            return
        if not extra:
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Any) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", []), *extra]}
            await send(message)

        await self.app(scope, receive, send_with_headers)

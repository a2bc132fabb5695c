"""Persisted queries: Apollo's automatic persisted queries (APQ) and a safelist.

APQ (``extensions.persistedQuery = {"version": 1, "sha256Hash": "<hex>"}``):

- hash only, known      → the stored query runs;
- hash only, unknown    → ``PersistedQueryNotFound`` / PERSISTED_QUERY_NOT_FOUND (HTTP 200,
                          as Apollo answers, so clients resend the hash with the query);
- hash and query        → the hash must be the query's SHA-256 (else
                          PERSISTED_QUERY_HASH_MISMATCH, 400); the query is stored and runs.

The store is a bounded LRU in the process, backed by Redis when the cache is Redis
(``productgraph:apq:<hash>``, refreshed on use, expiring after ``REDIS_TTL_S``), so a
query registered through one worker is found by every other.

Safelist mode (``PRODUCTGRAPH_PERSISTED_QUERIES=safelist``) serves only the operations of
an Apollo persisted query manifest (``{"format": "apollo-persisted-query-manifest",
"version": 1, "operations": [{"id", "body", "name", "type"}]}``), by id or by exact body;
anything else is PERSISTED_QUERY_NOT_IN_LIST (400). ``off`` ignores the extension when a
query is sent and refuses a bare hash with PERSISTED_QUERY_NOT_SUPPORTED.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from collections import OrderedDict
from pathlib import Path
from typing import Any

from graph.refusal import RequestRefused

log = logging.getLogger("productgraph.persisted")

REDIS_PREFIX = "productgraph:apq:"
REDIS_TTL_S = 7 * 24 * 3600
_SHA256_HEX = re.compile(r"^[0-9a-f]{64}$")
# A persisted-query miss must not be cached by a CDN in front of GET requests.
_NO_STORE = {"Cache-Control": "private, no-cache, must-revalidate"}


def sha256_hex(query: str) -> str:
    return hashlib.sha256(query.encode()).hexdigest()


def load_manifest(path: str | Path) -> dict[str, str]:
    """An Apollo persisted query manifest as ``{id: body}``; raises ``ValueError`` naming
    what is wrong with the file."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise ValueError(f"cannot read the persisted query manifest {path}: {exc}") from None
    if not isinstance(data, dict) or data.get("format") != "apollo-persisted-query-manifest" \
            or data.get("version") != 1 or not isinstance(data.get("operations"), list):
        raise ValueError(f"{path} is not an apollo-persisted-query-manifest version 1")
    operations: dict[str, str] = {}
    for entry in data["operations"]:
        if not (isinstance(entry, dict) and isinstance(entry.get("id"), str)
                and isinstance(entry.get("body"), str)):
            raise ValueError(f"{path}: every operation needs a string id and body")
        operations[entry["id"]] = entry["body"]
    return operations


class PersistedQueries:
    """Turns a request's ``query`` and ``extensions`` into the query text to run."""

    def __init__(self, mode: str = "apq", *, capacity: int = 10_000, redis: Any = None,
                 manifest: dict[str, str] | None = None) -> None:
        self.mode = mode
        self.capacity = capacity
        self.redis = redis
        self._lru: OrderedDict[str, str] = OrderedDict()
        self.manifest = dict(manifest or {})
        self._safelisted_bodies = frozenset(self.manifest.values())

    def __len__(self) -> int:
        return len(self._lru)

    async def resolve(self, query: str | None, extensions: dict[str, Any] | None) -> str | None:
        """The query to run (None when there is none: strawberry reports it)."""
        persisted = (extensions or {}).get("persistedQuery")
        if self.mode == "safelist":
            return self._safelisted(query, persisted)
        if persisted is None:
            return query
        if self.mode == "off":
            if query:
                return query
            raise RequestRefused(200, "PERSISTED_QUERY_NOT_SUPPORTED",
                                 "PersistedQueryNotSupported", _NO_STORE)
        digest = _hash_of(persisted)
        if query:
            if sha256_hex(query) != digest:
                raise RequestRefused(400, "PERSISTED_QUERY_HASH_MISMATCH",
                                     "The persisted query hash is not the SHA-256 of the "
                                     "query sent with it.")
            await self._store(digest, query)
            return query
        stored = await self._lookup(digest)
        if stored is None:
            raise RequestRefused(200, "PERSISTED_QUERY_NOT_FOUND", "PersistedQueryNotFound",
                                 _NO_STORE)
        return stored

    def _safelisted(self, query: str | None, persisted: Any) -> str:
        if persisted is not None:
            # Manifest ids are usually SHA-256 digests, but any string is allowed.
            digest = persisted.get("sha256Hash") if isinstance(persisted, dict) else None
            body = self.manifest.get(digest) if isinstance(digest, str) else None
            if body is not None and (not query or query == body):
                return body
        elif query and query in self._safelisted_bodies:
            return query
        raise RequestRefused(400, "PERSISTED_QUERY_NOT_IN_LIST",
                             "This server runs only the operations of its persisted query "
                             "list; this one is not in it.", _NO_STORE)

    def _remember(self, digest: str, query: str) -> None:
        self._lru[digest] = query
        self._lru.move_to_end(digest)
        while len(self._lru) > self.capacity:
            self._lru.popitem(last=False)

    async def _store(self, digest: str, query: str) -> None:
        self._remember(digest, query)
        if self.redis is not None:
            try:
                await self.redis.set(REDIS_PREFIX + digest, query, ex=REDIS_TTL_S)
            except Exception as exc:  # the local LRU still serves this worker
                log.warning("persisted query store: Redis SET failed (%s)", type(exc).__name__)

    async def _lookup(self, digest: str) -> str | None:
        query = self._lru.get(digest)
        if query is not None:
            self._lru.move_to_end(digest)
            return query
        if self.redis is None:
            return None
        try:
            raw = await self.redis.getex(REDIS_PREFIX + digest, ex=REDIS_TTL_S)
        except Exception as exc:
            log.warning("persisted query store: Redis GET failed (%s)", type(exc).__name__)
            return None
        if raw is None:
            return None
        query = raw.decode() if isinstance(raw, bytes) else str(raw)
        if sha256_hex(query) != digest:  # never run what does not match its hash
            return None
        self._remember(digest, query)
        return query


def _hash_of(persisted: Any) -> str:
    if not isinstance(persisted, dict):
        raise RequestRefused(400, "PERSISTED_QUERY_INVALID",
                             "extensions.persistedQuery must be an object with version and "
                             "sha256Hash.")
    if persisted.get("version") != 1:
        raise RequestRefused(400, "PERSISTED_QUERY_VERSION_NOT_SUPPORTED",
                             "Only persisted query version 1 is supported.")
    digest = persisted.get("sha256Hash")
    if not isinstance(digest, str) or not _SHA256_HEX.match(digest.lower()):
        raise RequestRefused(400, "PERSISTED_QUERY_INVALID",
                             "extensions.persistedQuery.sha256Hash must be 64 hex digits.")
    return digest.lower()

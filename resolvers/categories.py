"""Category names and paths: a second key space beside product parts.

TOP items carry only their leaf ``cid``; the names come from ``taobao.itemcats.get``
(apiId 122), which takes up to 999 ``cids`` a call and answers each with its
``parent_cid``. ``CategoryFetcher`` is shared by every request of a process, like the
product fetcher, and works the same way:

1. a fresh entry of the shared part cache's backend (``resolvers/part_cache.PartCache``,
   keys ``productgraph:category:v1:…``) is served; with the in-process backend it is read
   without awaiting, so a warm path costs no call and no loop turn;
2. otherwise the key joins the call in flight for it, or is registered, and on the loop's
   next turn every key registered meanwhile (by every request) is looked up in the cache
   in one round trip and the misses go upstream in one call per 999 ids;
3. a stale entry (past a day, within a week) is served at once and refreshed in the
   background, once per key; while the upstream fails the stale entry keeps being served.

A path from the root needs the ancestors: each answer names its parent, so ``path`` walks
up in waves — every path being built asks for its next parent in the same loop turn,
hence one call per wave for all of them. Only answers are cached, never an error; an id
the upstream does not know is remembered as unknown for as long as a name would be.

Nothing here knows GraphQL: it returns ``channels.model.Category`` records.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import cast

from channels.base import CategoryTree, ChannelRegistry
from channels.errors import ChannelError
from channels.model import Category, Channel
from resolvers.freshness import note_fresh_for
from resolvers.part_cache import CachedPart, PartCache

log = logging.getLogger("productgraph.categories")

#: Category names change rarely: fresh for a day, served stale (while refreshing, or while
#: the upstream fails) for a week.
CATEGORY_TTL_S = 86400.0
CATEGORY_MAX_AGE_S = 7 * 86400.0
KEY_PREFIX = "productgraph:category:v1:"
#: Marks "the upstream knows no such category" in the cache.
_UNKNOWN = "unknown"
ROOT_ID = "0"
#: A path deeper than this is a loop in the upstream's parents.
MAX_DEPTH = 16

#: Taobao and Tmall share one category tree (one TOP app, one ``taobao.itemcats.get``).
_TREE_OF = {Channel.TMALL: Channel.TAOBAO}

#: What a future resolves to: a category, ``None`` (unknown), a tuple of children, or
#: the error of the call — for a node, paired with when it was stored (its freshness).
Answer = object


def tree_channel(channel: Channel) -> Channel:
    """The channel whose tree ``channel``'s categories are in."""
    return _TREE_OF.get(channel, channel)


def node_key(channel: Channel, category_id: str) -> str:
    return f"{KEY_PREFIX}{tree_channel(channel).value}:node:{category_id}"


def children_key(channel: Channel, parent_id: str) -> str:
    return f"{KEY_PREFIX}{tree_channel(channel).value}:children:{parent_id}"


@dataclass
class _Pending:
    tree: CategoryTree
    ids: dict[str, None] = field(default_factory=dict)


class CategoryFetcher:
    """Names categories through the cache and the channel's category tree, one upstream
    call per loop-turn batch of missing ids across all requests."""

    def __init__(self, registry: ChannelRegistry, cache: PartCache | None = None, *,
                 ttl_s: float = CATEGORY_TTL_S, max_age_s: float = CATEGORY_MAX_AGE_S,
                 clock: Callable[[], float] = time.time) -> None:
        self.registry = registry
        self.cache = cache
        self.ttl_s = ttl_s
        self.max_age_s = max(ttl_s, max_age_s)
        self.clock = clock
        self._inflight: dict[str, asyncio.Future[Answer]] = {}
        self._pending: dict[Channel, _Pending] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        #: Upstream category calls made (by ids and by parent), for tests and metrics.
        self.calls = 0
        self.refreshes_started = 0

    # -- nodes

    async def categories(self, channel: Channel,
                         ids: Sequence[str]) -> dict[str, Category | None]:
        """Each id's category (``None``: the upstream knows no such id). Raises the
        channel's error when the upstream call fails and nothing is cached."""
        tree_of = tree_channel(channel)
        wanted = list(dict.fromkeys(ids))
        keys = [node_key(tree_of, i) for i in wanted]
        found: dict[str, Category | None] = {}
        waiting: dict[str, asyncio.Future[Answer]] = {}
        peeked = self.cache.peek_entries(keys) if self.cache is not None else None
        for index, (category_id, key) in enumerate(zip(wanted, keys, strict=True)):
            entry = peeked[index] if peeked is not None else None
            if entry is not None:
                age = self.clock() - entry.stored_at
                if age < self.max_age_s:
                    note_fresh_for(self.ttl_s - age)   # the request's (resolvers/freshness.py)
                    found[category_id] = _node_of(entry)
                    if age >= self.ttl_s:
                        self._refresh(tree_of, category_id, key)
                    continue
            future = self._inflight.get(key)
            waiting[category_id] = future if future is not None else self._register(
                tree_of, category_id, key)
        if waiting:
            await asyncio.wait(set(waiting.values()))
            for category_id, future in waiting.items():
                answer, stored_at = cast(tuple[Answer, float], future.result())
                if isinstance(answer, BaseException):
                    raise answer
                note_fresh_for(stored_at + self.ttl_s - self.clock())
                found[category_id] = answer if isinstance(answer, Category) else None
        return found

    async def category(self, channel: Channel, category_id: str) -> Category | None:
        return (await self.categories(channel, [category_id]))[category_id]

    async def path(self, channel: Channel, category_id: str) -> tuple[Category, ...] | None:
        """The categories from the root down to ``category_id``; ``None`` when some
        category on the way is unknown to the upstream."""
        chain: list[Category] = []
        current: str | None = category_id
        while current and current != ROOT_ID:
            if len(chain) >= MAX_DEPTH or any(c.id == current for c in chain):
                log.warning("category %s of %s: parents loop or run too deep", category_id,
                            channel.value)
                return None
            node = await self.category(channel, current)
            if node is None:
                return None
            chain.append(node)
            current = node.parent_id
        return tuple(reversed(chain))

    def _register(self, channel: Channel, category_id: str,
                  key: str) -> asyncio.Future[Answer]:
        loop = asyncio.get_running_loop()
        pending = self._pending.get(channel)
        if pending is None:
            pending = self._pending[channel] = _Pending(self.registry.category_tree(channel))
            loop.call_soon(self._flush, channel)
        future: asyncio.Future[Answer] = loop.create_future()
        # Nobody may read a background refresh's answer: never warn about it.
        future.add_done_callback(_consume)
        self._inflight[key] = future
        pending.ids[category_id] = None
        return future

    def _refresh(self, channel: Channel, category_id: str, key: str) -> None:
        if key not in self._inflight:
            self.refreshes_started += 1
            self._register(channel, category_id, key)

    def _flush(self, channel: Channel) -> None:
        pending = self._pending.pop(channel)
        task = asyncio.get_running_loop().create_task(
            self._load(channel, pending.tree, list(pending.ids)))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _load(self, channel: Channel, tree: CategoryTree, ids: list[str]) -> None:
        """Resolve the futures of ``ids``: from the cache when another process stored them
        meanwhile (or for a non-memory backend, looked up here in one round trip), else
        from one upstream call per ``category_batch_limit`` ids."""
        keys = {i: node_key(channel, i) for i in ids}
        answers: dict[str, Answer] = {}
        stale: dict[str, Category | None] = {}
        # When each answer was stored (its freshness, for the waiters): now, unless the
        # cache or a stale entry answers.
        stored: dict[str, float] = {}
        try:
            if self.cache is not None:
                now = self.clock()
                entries = await self.cache.get_entries(list(keys.values()))
                for category_id, entry in zip(ids, entries, strict=True):
                    if entry is None or now - entry.stored_at >= self.max_age_s:
                        continue
                    stored[category_id] = entry.stored_at
                    if now - entry.stored_at < self.ttl_s:
                        answers[category_id] = _node_of(entry)
                    else:
                        stale[category_id] = _node_of(entry)
            missing = [i for i in ids if i not in answers]
            if missing:
                size = max(1, tree.category_batch_limit)
                fetched: dict[str, Category] = {}
                try:
                    for start in range(0, len(missing), size):
                        self.calls += 1
                        fetched.update(await tree.fetch_categories(missing[start:start + size]))
                except ChannelError as exc:
                    # A stale name beats an error; the rest fail, uncached.
                    for category_id in missing:
                        answers[category_id] = stale.get(category_id, exc)
                else:
                    store = {keys[i]: fetched.get(i, _UNKNOWN) for i in missing}
                    for category_id in missing:
                        answers[category_id] = fetched.get(category_id)
                        stored.pop(category_id, None)
                    if self.cache is not None:
                        await self.cache.put_entries(store, self.max_age_s)
        except BaseException as exc:  # never leave a waiter hanging
            for category_id in ids:
                answers.setdefault(category_id, exc)
            if not isinstance(exc, Exception):
                raise
        finally:
            fetched_at = self.clock()
            for category_id, key in keys.items():
                future = self._inflight.pop(key, None)
                if future is not None and not future.done():
                    future.set_result((answers.get(category_id),
                                       stored.get(category_id, fetched_at)))

    # -- children (browsing the tree)

    async def children(self, channel: Channel, parent_id: str) -> list[Category]:
        """The children of ``parent_id`` ("0": the roots), cached like names; each child is
        cached as a node too, so their paths cost only their ancestors."""
        tree = self.registry.category_tree(channel)
        key = children_key(channel, parent_id)
        if self.cache is not None:
            entry = (await self.cache.get_entries([key]))[0]
            if entry is not None and self.clock() - entry.stored_at < self.ttl_s \
                    and isinstance(entry.value, tuple):
                note_fresh_for(entry.stored_at + self.ttl_s - self.clock())
                return list(entry.value)
        future = self._inflight.get(key)
        if future is None:
            future = asyncio.get_running_loop().create_future()
            future.add_done_callback(_consume)
            self._inflight[key] = future
            task = asyncio.get_running_loop().create_task(
                self._load_children(channel, tree, parent_id, key, future))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        await asyncio.wait({future})
        answer = future.result()
        if isinstance(answer, BaseException):
            raise answer
        note_fresh_for(self.ttl_s)      # fetched now
        return list(answer) if isinstance(answer, tuple) else []

    async def _load_children(self, channel: Channel, tree: CategoryTree, parent_id: str,
                             key: str, future: asyncio.Future[Answer]) -> None:
        try:
            self.calls += 1
            found = tuple(replace(c, parent_id=c.parent_id or parent_id)
                          for c in await tree.fetch_child_categories(parent_id))
            if self.cache is not None:
                values: dict[str, object] = {node_key(channel, c.id): c for c in found}
                values[key] = found
                await self.cache.put_entries(values, self.max_age_s)
            future.set_result(found)
        except BaseException as exc:
            if not future.done():
                future.set_result(exc)
            if not isinstance(exc, Exception):
                raise
        finally:
            self._inflight.pop(key, None)


def _node_of(entry: CachedPart) -> Category | None:
    return entry.value if isinstance(entry.value, Category) else None


def _consume(future: asyncio.Future[Answer]) -> None:
    if not future.cancelled():
        future.exception()


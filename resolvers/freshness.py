"""How long the answer of the request being executed stays true: the freshness of every part
it read, tracked where the reads happen, for the response cache (graph/response_cache.py).

While a request executes under ``tracking(freshness)``, each read of cached or fetched data
lowers ``freshness.fresh_for`` (seconds from the request's start) to what is left of that
data's freshness, and anything whose freshness is unknown, or that must never be replayed
(``shopProducts``, watch history, webhooks, a stale part served while it refreshes, a
fetch with the part cache off), marks the request uncacheable with a reason:

    part cache hit              ttl(part) - age          resolvers/part_cache.py
    part fetched (or joined)    ttl(part)                resolvers/fetcher.py
    search page hit / fetched   ttl(search) - age / ttl  resolvers/page_cache.py
    category name or children   ttl - age / ttl          resolvers/categories.py
    currency rates (with a URL) until the next refresh   resolvers/rates.py
    stale anything              uncacheable              (the answer is already old)

The tracker lives in a ``ContextVar``: each request sets its own, and the tasks a request
starts for its own work (its dataloaders' batches) inherit it. Work shared between
requests (the fetcher's batches, background refreshes) never notes anything: what a
request read is noted on that request's own path, after it waited. A task started by one
request and outliving it can at most lower a finished tracker's numbers, which nobody
reads any more — notes only ever lower freshness, so a stray one is conservative.

Translations are not noted: a machine translation is kept 30 days and the glossary and the
marketplace's own translations do not change while the process runs, both longer than the
response cache's ``max_ttl_s``; a provider failure is an error in the answer, and answers
with errors are never cached.

Reading the ``ContextVar`` costs tens of nanoseconds, and nothing at all is noted without
a tracker (the response cache off, the watcher, a WebSocket subscription).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextvars import ContextVar, Token


class Freshness:
    """One request's freshness: ``fresh_for`` seconds from its start, unless
    ``uncacheable`` names why its answer must not be replayed."""

    __slots__ = ("fresh_for", "uncacheable")

    def __init__(self, max_ttl_s: float) -> None:
        self.fresh_for = max_ttl_s
        self.uncacheable: str | None = None

    def note(self, remaining_s: float) -> None:
        """Something read is fresh for ``remaining_s`` more seconds (0 or less: stale)."""
        if remaining_s < self.fresh_for:
            self.fresh_for = remaining_s
            if remaining_s <= 0:
                self.refuse("stale data")

    def refuse(self, reason: str) -> None:
        """The answer must not be cached; the first reason is kept."""
        if self.uncacheable is None:
            self.uncacheable = reason

    @property
    def cacheable(self) -> bool:
        return self.uncacheable is None and self.fresh_for > 0


_CURRENT: ContextVar[Freshness | None] = ContextVar("productgraph_freshness", default=None)


def current() -> Freshness | None:
    """The tracker of the request being executed, if any."""
    return _CURRENT.get()


def note_fresh_for(remaining_s: float) -> None:
    """The current request read something fresh for ``remaining_s`` more seconds."""
    freshness = _CURRENT.get()
    if freshness is not None:
        freshness.note(remaining_s)


def note_uncacheable(reason: str) -> None:
    """The current request read something whose answer must never be replayed."""
    freshness = _CURRENT.get()
    if freshness is not None:
        freshness.refuse(reason)


def begin_tracking(freshness: Freshness) -> Token[Freshness | None]:
    """``tracking`` without a context manager, for the request path (graph/serving.py):
    reads from now on are noted into ``freshness`` until ``end_tracking(token)``."""
    return _CURRENT.set(freshness)


def end_tracking(token: Token[Freshness | None]) -> None:
    _CURRENT.reset(token)


@contextlib.contextmanager
def tracking(freshness: Freshness) -> Iterator[Freshness]:
    """Note every read of the code run inside into ``freshness``."""
    token = begin_tracking(freshness)
    try:
        yield freshness
    finally:
        end_tracking(token)

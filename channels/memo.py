"""Bounded memos: a dict that keeps its newest entries, the oldest forgotten first."""

from __future__ import annotations

from typing import TypeVar

K = TypeVar("K")
V = TypeVar("V")


def remember(memo: dict[K, V], key: K, value: V, limit: int) -> V:
    """``value`` kept under ``key`` in ``memo``, which then holds at most ``limit``
    entries (the oldest dropped); ``value``."""
    memo[key] = value
    if len(memo) > limit:
        del memo[next(iter(memo))]
    return value

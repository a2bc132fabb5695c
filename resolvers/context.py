"""The per-request context: fresh loaders for every request, over the process's fetcher."""

from __future__ import annotations

import weakref
from dataclasses import dataclass, field
from typing import Any

from channels.base import ChannelRegistry
from resolvers.categories import CategoryFetcher
from resolvers.fetcher import ProductFetcher
from resolvers.loaders import ProductPartLoader

#: One category fetcher per product fetcher (per process, as the product fetcher is),
#: over the same cache backend.
_CATEGORY_FETCHERS: weakref.WeakKeyDictionary[ProductFetcher, CategoryFetcher] = \
    weakref.WeakKeyDictionary()


def category_fetcher_for(fetcher: ProductFetcher) -> CategoryFetcher:
    """The process's ``CategoryFetcher`` beside ``fetcher``, sharing its registry and its
    part cache's backend."""
    found = _CATEGORY_FETCHERS.get(fetcher)
    if found is None:
        found = _CATEGORY_FETCHERS[fetcher] = CategoryFetcher(
            fetcher.registry, getattr(fetcher, "cache", None))
    return found


@dataclass
class Context:
    """What every resolver of one request sees as ``info.context``."""

    fetcher: ProductFetcher
    registry: ChannelRegistry
    max_ids: int = 100
    request: Any = None
    response: Any = None
    loader: ProductPartLoader = field(init=False)
    #: Category names and paths (process-wide, like the fetcher); built when not given.
    categories: CategoryFetcher | None = None

    def __post_init__(self) -> None:
        # Built per request: a loader's memo must never serve another request or user.
        self.loader = ProductPartLoader(self.fetcher)
        if self.categories is None:
            self.categories = category_fetcher_for(self.fetcher)

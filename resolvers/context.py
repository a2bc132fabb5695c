"""The per-request context: fresh loaders for every request, over the process's fetcher."""

from __future__ import annotations

import weakref
from dataclasses import dataclass, field
from typing import Any

from channels.base import ChannelRegistry
from resolvers.categories import CategoryFetcher
from resolvers.fetcher import ProductFetcher
from resolvers.loaders import ProductPartLoader
from resolvers.localization import Localization
from resolvers.translations import TextTranslator

#: Glossary only, no machine provider, the bundled rates: for a context built without one.
_DEFAULT_LOCALIZATION: Localization | None = None


def default_localization() -> Localization:
    global _DEFAULT_LOCALIZATION
    if _DEFAULT_LOCALIZATION is None:
        _DEFAULT_LOCALIZATION = Localization()
    return _DEFAULT_LOCALIZATION

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
    #: The process's ``resolvers.watch.service.WatchService`` (None: watching is off).
    watch: Any = None
    #: The ``connection_init`` payload of a WebSocket (graphql-transport-ws) connection.
    connection_params: Any = None
    #: The process's translation service and rates (graph/app.py builds it from the settings).
    localization: Localization = field(default_factory=default_localization)
    loader: ProductPartLoader = field(init=False)
    _translator: TextTranslator | None = field(init=False, default=None)
    #: Category names and paths (process-wide, like the fetcher); built when not given.
    categories: CategoryFetcher | None = None

    def __post_init__(self) -> None:
        # Built per request: a loader's memo must never serve another request or user.
        self.loader = ProductPartLoader(self.fetcher)
        if self.categories is None:
            self.categories = category_fetcher_for(self.fetcher)

    @property
    def translator(self) -> TextTranslator:
        """This request's translator (its dataloader), built when a text is first asked for."""
        if self._translator is None:
            self._translator = TextTranslator(self.localization.translations)
        return self._translator

"""The per-request context: fresh loaders for every request, over the process's fetcher."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from channels.base import ChannelRegistry
from resolvers.fetcher import ProductFetcher
from resolvers.loaders import ProductPartLoader


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
    loader: ProductPartLoader = field(init=False)

    def __post_init__(self) -> None:
        # Built per request: a loader's memo must never serve another request or user.
        self.loader = ProductPartLoader(self.fetcher)

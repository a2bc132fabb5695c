"""What the watch feature is configured with (read from ``PRODUCTGRAPH_*`` in
graph/settings.py; described in docs/operations.md)."""

from __future__ import annotations

from dataclasses import dataclass

from resolvers.storage import DEFAULT_DATABASE_URL


@dataclass(frozen=True)
class WatchSettings:
    #: ``sqlite:///path`` (embedded, one instance) or ``postgresql://…`` (several).
    database_url: str = DEFAULT_DATABASE_URL
    #: Seconds between two polls of one watched product.
    interval_s: float = 60.0
    #: The share of each upstream's QPS the watcher may use; the rest stays for queries.
    budget_share: float = 0.5
    #: Deliver webhooks to loopback, private and link-local addresses (tests, intranets).
    webhook_allow_private: bool = False
    #: First retry after this many seconds, doubling each time.
    webhook_backoff_base_s: float = 5.0
    #: Attempts before a delivery is dead-lettered.
    webhook_max_attempts: int = 8
    #: One delivery attempt's timeout.
    webhook_timeout_s: float = 10.0
    #: Product ids one subscription or webhook may watch.
    max_products: int = 100

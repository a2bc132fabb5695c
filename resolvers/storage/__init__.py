"""The watch database: SQLite in a file by default, PostgreSQL for several instances,
through one async layer (``store.WatchStore``) and versioned migrations."""

from resolvers.storage.store import (
    DEFAULT_DATABASE_URL,
    Delivery,
    HistoryPoint,
    WatchStore,
    Webhook,
    async_url,
    now_us,
    sqlite_path,
)

__all__ = ["DEFAULT_DATABASE_URL", "Delivery", "HistoryPoint", "WatchStore", "Webhook",
           "async_url", "now_us", "sqlite_path"]

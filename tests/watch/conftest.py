"""The watch tests run against SQLite and PostgreSQL (tests/databases.py)."""

from tests.databases import database_url, postgres_cluster

__all__ = ["database_url", "postgres_cluster"]

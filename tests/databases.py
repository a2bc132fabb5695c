"""Both watch databases as one fixture: SQLite in a temporary file and a PostgreSQL
cluster started once per session (a fresh database per test). Import both fixtures into
a test module: ``from tests.databases import database_url, postgres_cluster``."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.postgres_server import fresh_database, running_postgres

_names = itertools.count()


@pytest.fixture(scope="session")
def postgres_cluster() -> Iterator[str]:
    with running_postgres() as url:
        yield url


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'watch.db'}"
    cluster = request.getfixturevalue("postgres_cluster")
    return fresh_database(cluster, f"watch_{next(_names)}")

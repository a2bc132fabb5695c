"""A throwaway PostgreSQL cluster on a free loopback port, for the storage tests.

``initdb`` into a temporary directory and ``pg_ctl start`` on 127.0.0.1 (the socket in the
same directory), as the ``postgres`` user when this process is root (PostgreSQL refuses
to run as root). Missing binaries fail the test (``apt-get install -y postgresql``, which
``.ci/test`` does): the tests must run against both databases, never skip one.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.processes import free_port


def _binary(name: str) -> str:
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    if not candidates:
        pytest.fail(f"{name} is not installed: run `apt-get install -y postgresql`")
    return candidates[-1]


def _as_user() -> list[str]:
    if os.geteuid() != 0:
        return []
    runuser = shutil.which("runuser")
    if runuser:
        return [runuser, "-u", "postgres", "--"]
    return ["su", "postgres", "-s", "/bin/sh", "-c"]  # pragma: no cover


def _accepting(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.2):
            return True
    except OSError:
        return False


@contextmanager
def running_postgres() -> Iterator[str]:
    """Start a PostgreSQL cluster, yield ``postgresql://postgres@127.0.0.1:<port>/postgres``."""
    initdb, pg_ctl = _binary("initdb"), _binary("pg_ctl")
    user = _as_user()
    root = Path(tempfile.mkdtemp(prefix="pg-test-"))
    data = root / "data"
    if user:
        shutil.chown(root, "postgres", "postgres")
    port = free_port()
    try:
        subprocess.run([*user, initdb, "-D", str(data), "-U", "postgres", "-A", "trust",
                        "--no-sync", "-E", "UTF8"],
                       check=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        options = (f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off "
                   "-c max_connections=100")
        started = subprocess.run([*user, pg_ctl, "-D", str(data), "-l", str(root / "log"),
                                  "-o", options, "-w", "-t", "30", "start"],
                                 stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        if started.returncode != 0:
            log = (root / "log").read_text(errors="replace") if (root / "log").exists() else ""
            pytest.fail(f"pg_ctl start failed: {started.stdout.decode()[-500:]} {log[-500:]}")
        deadline = time.monotonic() + 10
        while not _accepting(port):
            if time.monotonic() > deadline:
                pytest.fail("PostgreSQL did not accept connections within 10 s")
            time.sleep(0.05)
        yield f"postgresql://postgres@127.0.0.1:{port}/postgres"
    finally:
        if (data / "postmaster.pid").exists():
            subprocess.run([*user, pg_ctl, "-D", str(data), "-m", "immediate", "-w", "stop"],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        shutil.rmtree(root, ignore_errors=True)


def fresh_database(url: str, name: str) -> str:
    """Create database ``name`` on the cluster at ``url``; its URL."""
    import asyncio

    import asyncpg

    async def create() -> None:
        conn = await asyncpg.connect(url)
        try:
            await conn.execute(f'CREATE DATABASE "{name}"')
        finally:
            await conn.close()

    asyncio.run(create())
    return url.rsplit("/", 1)[0] + "/" + name

"""Run a gateway or the server on loopback, for acceptance tests and benchmarks, and always
stop it.

It lives in the installed sandbox package (``tests`` is not a package that is installed),
so ``bench/`` and ``tests/`` start processes the same way. Like the rest of the sandbox it
imports nothing of the server: ``productgraph()`` only names the console command.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

import httpx

from sandbox.credentials import environment


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for_http(url: str, process: subprocess.Popen[bytes], timeout_s: float = 30.0) -> None:
    """Wait until ``url`` answers (any status), failing fast if the process died."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            out = process.stdout.read().decode(errors="replace") if process.stdout else ""
            raise RuntimeError(f"process exited with {process.returncode} before {url} "
                               f"answered:\n{out[-4000:]}")
        try:
            httpx.get(url, timeout=1.0)
            return
        except httpx.TransportError:
            time.sleep(0.1)
    raise TimeoutError(f"{url} did not answer within {timeout_s} s")


def stop(process: subprocess.Popen[bytes]) -> None:
    """Terminate, and kill what does not stop within 10 s."""
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=5)


@contextlib.contextmanager
def running(args: Sequence[str], *, ready_url: str, env: Mapping[str, str] | None = None,
            cwd: Path | None = None, timeout_s: float = 30.0,
            log: Path | None = None) -> Iterator[subprocess.Popen[bytes]]:
    """Run ``args`` (in ``cwd``, default this process's directory) until the block ends;
    ``ready_url`` must answer before it starts.

    Output goes to a pipe the caller may read, or to ``log``: a server under load writes
    more than an unread pipe holds, and would stall on it.
    """
    full_env = {**os.environ, **(env or {})}
    with contextlib.ExitStack() as stack:
        out = stack.enter_context(log.open("wb")) if log else subprocess.PIPE
        process = subprocess.Popen(list(args), cwd=cwd, env=full_env, stdout=out,
                                   stderr=subprocess.STDOUT)
        try:
            wait_for_http(ready_url, process, timeout_s)
            yield process
        finally:
            stop(process)
            if process.stdout:
                process.stdout.close()


def productgraph(*args: str) -> list[str]:
    """The ``productgraph`` console script of this interpreter's environment."""
    return [sys.executable, "-m", "graph.cli", *args]


def sandbox_env(sandbox_url: str) -> dict[str, str]:
    """Point every channel at a sandbox gateway process with its real credentials."""
    return environment(sandbox_url)

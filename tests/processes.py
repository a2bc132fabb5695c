"""Start real processes on loopback ports for acceptance tests, and always stop them
(sandbox/process.py, shared with bench/), in the repository's directory."""

from __future__ import annotations

import contextlib
import subprocess
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from sandbox import process
from sandbox.process import free_port, productgraph, sandbox_env, stop, wait_for_http

ROOT = Path(__file__).resolve().parents[1]

__all__ = ["ROOT", "free_port", "productgraph", "running", "sandbox_env", "stop",
           "wait_for_http"]


@contextlib.contextmanager
def running(args: Sequence[str], *, cwd: Path = ROOT,
            **options: Any) -> Iterator[subprocess.Popen[bytes]]:
    """``sandbox.process.running``, run from the repository unless ``cwd`` says otherwise."""
    with process.running(args, cwd=cwd, **options) as started:
        yield started

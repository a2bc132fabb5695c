"""The ASGI entry point for multi-worker uvicorn: ``uvicorn graph.asgi:app``."""

import os

from graph.app import create_app
from graph.observability import LEAN_LOG_RECORDS, lean_log_records

if os.environ.get(LEAN_LOG_RECORDS) == "1":  # a worker of ``productgraph serve``
    lean_log_records()

app = create_app()

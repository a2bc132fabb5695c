"""The ASGI entry point for multi-worker uvicorn: ``uvicorn graph.asgi:app``."""

from graph.app import create_app

app = create_app()

"""The access line written directly to ``productgraph serve``'s handler is the line
``logging`` writes (graph/observability.py ``log_request``)."""

from __future__ import annotations

import asyncio
import io
import json
import logging
import logging.config
from collections.abc import Iterator

import pytest

from graph.cli import uvicorn_log_config
from graph.observability import RequestStats, TurnBufferedHandler, access_log, log_request

SCOPE = {"type": "http", "method": "POST", "path": "/graphql", "headers": []}


@pytest.fixture
def restore_logging() -> Iterator[None]:
    """dictConfig below replaces productgraph's loggers' handlers: put them back."""
    loggers = [logging.getLogger(n) for n in ("productgraph", "productgraph.access")]
    saved = [(lg.handlers[:], lg.level, lg.propagate, lg.disabled, lg.filters[:])
             for lg in loggers]
    root = logging.getLogger()
    root_saved = (root.handlers[:], root.level)
    yield
    for lg, (handlers, level, propagate, disabled, filters) in zip(loggers, saved,
                                                                   strict=True):
        lg.handlers[:] = handlers
        lg.setLevel(level)
        lg.propagate, lg.disabled, lg.filters[:] = propagate, disabled, filters
    root.handlers[:], _ = root_saved
    root.setLevel(root_saved[1])


def configure(stream: io.StringIO, fmt: str = "%(message)s") -> TurnBufferedHandler:
    config = uvicorn_log_config()
    config["handlers"]["productgraph"]["stream"] = stream
    config["formatters"]["productgraph"] = {"format": fmt}
    logging.config.dictConfig(config)
    handler = logging.getLogger("productgraph").handlers[0]
    assert isinstance(handler, TurnBufferedHandler)
    return handler


def stats() -> RequestStats:
    found = RequestStats("f" * 32)
    found.operations.append("Détail")
    found.upstream_calls["taobao:item_get"] += 2
    found.error_codes.append("NOT_FOUND")
    found.cost.append({"requested": 3, "actual": 2})
    found.key_id = "abcdef012345"
    return found


async def lines(stream: io.StringIO, count: int = 3) -> list[str]:
    for _ in range(count):
        log_request(SCOPE, stats(), 200, 1.2345)
    await asyncio.sleep(0)  # the handler writes at the end of the loop turn
    return stream.getvalue().splitlines(keepends=True)


@pytest.mark.usefixtures("restore_logging")
async def test_the_direct_line_is_the_line_logging_writes(
        monkeypatch: pytest.MonkeyPatch) -> None:
    handled: list[logging.LogRecord] = []
    original = access_log.handle
    monkeypatch.setattr(access_log, "handle",
                        lambda record: (handled.append(record), original(record)))
    direct = io.StringIO()
    configure(direct)
    written = await lines(direct)
    assert handled == []  # straight to the handler
    through_logging = io.StringIO()
    handler = configure(through_logging)
    handler.addFilter(lambda record: True)  # a filter: the line goes through logging
    assert written == await lines(through_logging)
    assert len(handled) == 3
    assert len(written) == 3
    line = json.loads(written[0])
    assert line["operations"] == ["Détail"] and line["upstream"] == {"taobao:item_get": 2}
    assert line["duration_ms"] == 1.23 and line["key_id"] == "abcdef012345"


@pytest.mark.usefixtures("restore_logging")
async def test_any_other_configuration_gets_the_line_through_logging() -> None:
    stream = io.StringIO()
    configure(stream, "%(levelname)s %(name)s %(message)s")
    assert all(line.startswith("INFO productgraph.access {") for line in await lines(stream))

    stream = io.StringIO()
    configure(stream)
    second = io.StringIO()
    logging.getLogger("productgraph").addHandler(logging.StreamHandler(second))
    assert len(await lines(stream)) == 3
    assert len(second.getvalue().splitlines()) == 3  # both handlers have it

    stream = io.StringIO()
    configure(stream)
    logging.getLogger("productgraph").setLevel(logging.WARNING)
    assert await lines(stream) == []

"""The protocol's shortcut (graph/http_protocol.py ``LaneShortcut``) answers what uvicorn's
normal path answers, byte for byte, over real sockets.

Two uvicorn servers run in the test's loop over the same settings: one with
``productgraph serve``'s protocol (the shortcut on), one with the same protocol and the
shortcut off (every request through uvicorn's ``RequestResponseCycle`` and the ASGI fast
lane). Raw HTTP/1.x goes to both — keep-alive, ``Connection: close``, HTTP/1.0,
pipelined requests, a body split across segments, executed requests (in the task the
protocol makes for them, ``LaneCycle``), requests that must suspend, hang-ups, a shutdown
with a request in flight, the request timeout, the head deadline — and the responses must
be the same bytes, the values that differ between two servers aside (``date``, request ids,
``max-age``, rate-limit counters).
"""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
import random
import re
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from typing import Any

import pytest
import uvicorn

from graph.fast_lane import FastLane
from graph.http_protocol import HttpToolsProtocolWithDeadline
from sandbox.app import create_sandbox_app
from sandbox.process import free_port
from sandbox.state import Faults
from tests.conftest import sandboxed_app
from tests.graph.test_fast_lane import DETAIL, ITEM, REQUESTS, body

pytestmark = pytest.mark.skipif(HttpToolsProtocolWithDeadline is None,
                                reason="httptools is not installed")

OTHER_ITEM = "taobao_621795452502"
_ID = re.compile(rb"[0-9a-f]{32}")
_UPSTREAM_ID = re.compile(rb'"requestId":"[0-9a-f]{13}"')
_VARYING = re.compile(rb"^(date|ratelimit-remaining|ratelimit-reset): .*$", re.M)
_MAX_AGE = re.compile(rb"max-age=\d+")


class WithoutShortcut(HttpToolsProtocolWithDeadline):  # type: ignore[misc,valid-type]
    """The same protocol, every request through uvicorn's cycle."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._shortcut = None


@pytest.fixture
def shortcut_answers(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """What ``FastLane.answer_now`` said, request by request."""
    said: list[bool] = []
    original = FastLane.answer_now

    def recorded(self: FastLane, *args: Any) -> bool:
        answered = original(self, *args)
        said.append(answered)
        return answered

    monkeypatch.setattr(FastLane, "answer_now", recorded)
    return said


@pytest.fixture
def lane_executions(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """Whether the protocol's server took each request ``FastLane.executing`` was asked
    for (executed in the protocol's own task, without uvicorn's cycle)."""
    said: list[bool] = []
    original = FastLane.executing

    def recorded(self: FastLane, *args: Any) -> Any:
        work = original(self, *args)
        said.append(work is not None)
        return work

    monkeypatch.setattr(FastLane, "executing", recorded)
    return said


@asynccontextmanager
async def server(env: dict[str, str], protocol: type[Any], *, latency_ms: float = 0.0,
                 **config: Any) -> AsyncIterator[tuple[uvicorn.Server, int]]:
    sandbox = create_sandbox_app(Faults(latency_ms=latency_ms))
    app, _ = sandboxed_app(env, sandbox)
    port = free_port()
    running = uvicorn.Server(uvicorn.Config(
        app, host="127.0.0.1", port=port, http=protocol, lifespan="on", log_config=None,
        access_log=False, **config))
    task = asyncio.create_task(running.serve())
    while not running.started:
        assert not task.done(), task
        await asyncio.sleep(0.01)
    try:
        yield running, port
    finally:
        running.should_exit = True
        await task


@asynccontextmanager
async def two_servers(env: dict[str, str] | None = None, **config: Any
                      ) -> AsyncIterator[list[tuple[uvicorn.Server, int]]]:
    """The shortcut's server first, then uvicorn's normal path."""
    async with AsyncExitStack() as stack:
        yield [await stack.enter_async_context(server(env or {}, protocol, **config))
               for protocol in (HttpToolsProtocolWithDeadline, WithoutShortcut)]


def request(content: bytes = b"", *, headers: dict[str, str] | None = None,
            method: str = "POST", target: str = "/graphql", version: str = "1.1") -> bytes:
    lines = [f"{method} {target} HTTP/{version}", "host: productgraph.test"]
    fields = {"content-type": "application/json", **(headers or {})} if method == "POST" \
        else dict(headers or {})
    lines += [f"{k}: {v}" for k, v in fields.items()]
    if method == "POST":
        lines.append(f"content-length: {len(content)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + content


HIT = request(body(DETAIL, {"id": ITEM}))
MISS = request(body(DETAIL, {"id": ITEM}), headers={"cache-control": "no-cache"})


class Connection:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer

    @classmethod
    async def open(cls, port: int) -> Connection:
        return cls(*await asyncio.open_connection("127.0.0.1", port))

    async def send(self, data: bytes) -> None:
        self.writer.write(data)
        await self.writer.drain()

    async def response(self) -> bytes | None:
        """The next whole response, as received; ``None``: the server closed first."""
        try:
            head = await asyncio.wait_for(self.reader.readuntil(b"\r\n\r\n"), 30)
        except asyncio.IncompleteReadError as partial:
            assert partial.partial == b"", partial.partial
            return None
        fields = dict(line.split(b": ", 1) for line in head.split(b"\r\n")[1:-2])
        status = int(head.split(b" ", 2)[1])
        if b"content-length" in fields:
            rest = await self.reader.readexactly(int(fields[b"content-length"]))
        elif fields.get(b"transfer-encoding") == b"chunked":
            rest = await self.reader.readuntil(b"0\r\n\r\n")
        elif status in (204, 304):
            rest = b""
        else:
            rest = await self.reader.read()
        return head + rest

    async def closed(self) -> bool:
        """The server closed the connection (nothing more came)."""
        return await asyncio.wait_for(self.reader.read(), 30) == b""

    def close(self) -> None:
        self.writer.close()


def comparable(response: bytes | None) -> bytes | None:
    if response is None:
        return None
    response = _VARYING.sub(rb"\1: <v>", response)
    return _UPSTREAM_ID.sub(b"<upstream>", _ID.sub(b"<id>", _MAX_AGE.sub(b"max-age=<s>",
                                                                         response)))


async def exchange(port: int, message: bytes) -> bytes | None:
    """One request on a connection of its own; its response as received."""
    connection = await Connection.open(port)
    try:
        await connection.send(message)
        return await connection.response()
    finally:
        connection.close()


@pytest.mark.parametrize("env", [{}, {"PRODUCTGRAPH_RATE_LIMIT_PER_MINUTE": "1000",
                                      "PRODUCTGRAPH_API_KEYS": "k-one,k-two"}],
                         ids=["defaults", "keys and rate limit"])
async def test_the_fast_lanes_requests_over_a_socket_are_uvicorns(
        env: dict[str, str], shortcut_answers: list[bool]) -> None:
    key = {"x-api-key": "k-one"} if env else {}
    async with two_servers(env) as servers:
        connections = [await Connection.open(port) for _, port in servers]
        for name, (method, headers, content) in REQUESTS.items():
            message = request(content, headers={**headers, **key}) if method == "POST" \
                else request(method="GET", target="/graphql?query=%7B__typename%7D",
                             headers=key)
            for _ in range(2):  # the second time, a stored answer where there is one
                answers = []
                for connection in connections:
                    await connection.send(message)
                    answers.append(comparable(await connection.response()))
                assert answers[0] == answers[1], name
        if env:
            wrong = request(body(DETAIL, {"id": ITEM}), headers={"x-api-key": "wrong"})
            answers = []
            for connection in connections:
                await connection.send(wrong)
                answers.append(comparable(await connection.response()))
            assert answers[0] == answers[1]
            assert answers[0] is not None and answers[0].startswith(b"HTTP/1.1 401 ")
        for connection in connections:
            connection.close()
    assert shortcut_answers.count(True) >= 8  # the stored answers, their 304, a refusal


async def test_keep_alive_close_http_1_0_and_pipelining_are_uvicorns(
        caplog: pytest.LogCaptureFixture, shortcut_answers: list[bool],
        lane_executions: list[bool]) -> None:
    caplog.set_level(logging.INFO, logger="productgraph.access")
    other = request(body(DETAIL, {"id": OTHER_ITEM}))
    behind_close = request(body(DETAIL, {"id": ITEM}), headers={"x-request-id": "behind"})
    close = request(body(DETAIL, {"id": ITEM}), headers={"connection": "close"})
    http10 = request(body(DETAIL, {"id": ITEM}), version="1.0")
    http10_keep = request(body(DETAIL, {"id": ITEM}), version="1.0",
                          headers={"connection": "keep-alive"})
    health = request(method="GET", target="/healthz")
    executed = {"cache-control": "no-cache"}
    miss_close = request(body(DETAIL, {"id": ITEM}), headers={**executed, "connection": "close"})
    miss_http10 = request(body(DETAIL, {"id": ITEM}), version="1.0", headers=executed)
    miss_http10_keep = request(body(DETAIL, {"id": ITEM}), version="1.0",
                               headers={**executed, "connection": "keep-alive"})
    half = len(HIT) - 40
    cases: dict[str, tuple[list[bytes], int, bool]] = {
        # name: (what is sent, each in its own segment; responses; closed after)
        "keep-alive, three in turn": ([HIT, other, HIT], 3, False),
        "connection: close": ([close], 1, True),
        "HTTP/1.0": ([http10], 1, True),
        "HTTP/1.0 with keep-alive": ([http10_keep], 1, True),
        "pipelined": ([HIT + MISS + HIT + health + other], 5, False),
        "pipelined behind a close": ([close + behind_close], 1, True),
        "executed, keep-alive, in turn": ([MISS, MISS, HIT], 3, False),
        "executed, connection: close": ([miss_close], 1, True),
        "executed, HTTP/1.0": ([miss_http10], 1, True),
        "executed, HTTP/1.0 with keep-alive": ([miss_http10_keep], 1, True),
        "executed, pipelined": ([MISS + MISS + HIT + MISS + health], 5, False),
        "executed, pipelined behind a close": ([miss_close + behind_close], 1, True),
        "pipelined behind HTTP/1.0 with keep-alive": ([http10_keep + behind_close], 1, True),
        "pipelined, the last one closing": ([HIT + other + close], 3, True),
        "body split across segments": ([HIT[:half], HIT[half:], HIT], 2, False),
        "head split across segments": ([HIT[:20], HIT[20:]], 1, False),
    }
    async with two_servers() as servers:
        for _, port in servers:  # both answers stored
            for message in (HIT, other):
                assert b" 200 " in (await exchange(port, message) or b"")
        for name, (segments, count, closes) in cases.items():
            answers = []
            for _, port in servers:
                connection = await Connection.open(port)
                for n, segment in enumerate(segments):
                    if n:
                        await asyncio.sleep(0.05)  # its own TCP segment
                    await connection.send(segment)
                    if "in turn" in name:
                        answers.append(comparable(await connection.response()))
                if "in turn" not in name:
                    answers += [comparable(await connection.response()) for _ in range(count)]
                if closes:
                    assert await connection.closed(), name
                else:  # still open, and still serving
                    await connection.send(HIT)
                    assert b" 200 " in (await connection.response() or b""), name
                connection.close()
            mine, theirs = answers[:len(answers) // 2], answers[len(answers) // 2:]
            assert mine == theirs, name
            assert all(a is not None for a in mine), name
            if closes:
                assert b"\r\nconnection: close\r\n" in (mine[-1] or b""), name
    assert shortcut_answers.count(True) >= 10
    assert lane_executions.count(True) >= 6  # the executed ones not queued behind another
    # uvicorn never starts a request queued behind a response that closes: not run.
    assert not [r for r in caplog.records if '"behind"' in r.getMessage()]


async def test_an_idle_connection_answered_here_is_closed_after_the_keep_alive_timeout(
        shortcut_answers: list[bool]) -> None:
    async with two_servers(timeout_keep_alive=1) as servers:
        for _, port in servers:
            await exchange(port, HIT)  # stored
            connection = await Connection.open(port)
            await connection.send(HIT)
            assert b" 200 " in (await connection.response() or b"")
            await asyncio.sleep(0.5)  # within the timeout: still open
            await connection.send(HIT)
            assert b" 200 " in (await connection.response() or b"")
            assert await connection.closed()  # ~1 s after the last answer
            connection.close()
    assert shortcut_answers.count(True) >= 2


@pytest.mark.parametrize(("headers", "version"), [
    ({"x-request-id": "given-1"}, "1.1"),
    ({}, "1.1"),
    ({"x-request-id": "not a valid id"}, "1.1"),
    ({"x-request-id": "given-2", "connection": "close"}, "1.1"),
    ({"x-request-id": "given-3"}, "1.0"),
    ({"x-request-id": "given-4", "accept": "application/graphql-response+json"}, "1.1"),
], ids=["given id", "no id", "invalid id", "connection close", "HTTP/1.0", "accept"])
async def test_a_hit_answered_in_one_go_is_the_general_paths_hit(
        headers: dict[str, str], version: str, caplog: pytest.LogCaptureFixture,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """``FastLane._stored_now`` against ``answer_now``'s general path: the same bytes
    (but ``date`` and ``max-age``), access-log line (but its duration) and count."""
    from prometheus_client import REGISTRY

    def hits() -> float:
        return REGISTRY.get_sample_value("productgraph_response_cache_requests_total",
                                         {"result": "hit"}) or 0.0

    caplog.set_level(logging.INFO, logger="productgraph.access")
    message = request(body(DETAIL, {"id": ITEM}), headers=headers, version=version)
    stored_now = FastLane._stored_now
    taken: list[bool] = []

    def recorded(self: FastLane, *args: Any) -> bool:
        answered = stored_now(self, *args)
        taken.append(answered)
        return answered

    async with server({}, HttpToolsProtocolWithDeadline) as (_, port):
        await exchange(port, message)  # stored
        answers, lines, counted = [], [], []
        for one_go in (True, False):
            monkeypatch.setattr(FastLane, "_stored_now", recorded if one_go
                                else lambda *args: False)
            caplog.clear()
            before = hits()
            connection = await Connection.open(port)
            await connection.send(message)
            answers.append(_VARYING.sub(rb"\1: <v>", _MAX_AGE.sub(
                b"max-age=<s>", await connection.response() or b"")))
            if "close" in headers.values() or version == "1.0":
                assert await connection.closed()
            connection.close()
            counted.append(hits() - before)
            [line] = [json.loads(r.getMessage()) for r in caplog.records
                      if r.name == "productgraph.access"]
            assert line.pop("duration_ms") >= 0
            lines.append(line)
    assert taken == [True]
    if "x-request-id" not in headers or " " in headers["x-request-id"]:  # fresh ids
        assert lines[0].pop("request_id") != lines[1].pop("request_id")
        answers = [_ID.sub(b"<id>", answer) for answer in answers]
    assert answers[0] == answers[1]
    assert answers[0].startswith(b"HTTP/1.1 200 OK\r\n")
    assert lines[0] == lines[1]
    assert counted == [1.0, 1.0]


@pytest.mark.parametrize("protocol", [HttpToolsProtocolWithDeadline, WithoutShortcut],
                         ids=["shortcut", "uvicorn's cycle"])
async def test_the_keep_alive_timeout_spares_a_busy_connection_and_closes_an_idle_one(
        protocol: type[Any]) -> None:
    timeout = 1.0
    async with server({}, protocol, timeout_keep_alive=timeout) as (_, port):
        await exchange(port, HIT)  # stored
        connection = await Connection.open(port)
        # Request after request for more than twice the timeout: never closed under them.
        loop = asyncio.get_running_loop()
        until = loop.time() + 2.5 * timeout
        answered = 0
        while loop.time() < until:
            await connection.send(HIT)
            assert b" 200 " in (await connection.response() or b"")
            answered += 1
        # A request in flight past the timeout (its head and half its body in): not idle.
        await connection.send(HIT[:-10])
        await asyncio.sleep(1.5 * timeout)
        await connection.send(HIT[-10:])
        assert b" 200 " in (await connection.response() or b""), answered
        # Then idle: closed by the server.
        assert await connection.closed()
        connection.close()


async def test_a_request_that_must_suspend_and_a_hang_up_are_answered_as_uvicorn_does(
        caplog: pytest.LogCaptureFixture, shortcut_answers: list[bool],
        lane_executions: list[bool]) -> None:
    caplog.set_level(logging.INFO, logger="productgraph.access")
    async with two_servers(latency_ms=200) as servers:
        for n, (_, port) in enumerate(servers):
            # Cold: executed, waiting on the sandbox; the same answer both ways.
            assert b" 200 " in (await exchange(port, HIT) or b"")
            # Cold again (another product), the client gone while it waits: cancelled.
            connection = await Connection.open(port)
            await connection.send(request(body(DETAIL, {"id": OTHER_ITEM}),
                                          headers={"x-request-id": f"gone-{n}"}))
            await asyncio.sleep(0.05)
            connection.close()
            # Half a body, then the hang-up: nothing to answer.
            connection = await Connection.open(port)
            await connection.send(HIT[:-10])
            await asyncio.sleep(0.05)
            connection.close()
        await asyncio.sleep(0.5)  # the hung-up requests done
        answers = [comparable(await exchange(port, HIT)) for _, port in servers]
        assert answers[0] == answers[1]
    gone = [json.loads(r.getMessage()) for r in caplog.records
            if r.name == "productgraph.access" and "gone-" in r.getMessage()]
    assert [(line["request_id"], line["status"]) for line in gone] == [("gone-0", 499),
                                                                      ("gone-1", 499)]
    assert shortcut_answers.count(True) == 1  # the stored answer at the end
    # Both executed (the cold one, the one hung up on) in the protocol's own task.
    assert lane_executions == [True, True]


async def test_a_hang_up_with_a_request_pipelined_behind_an_execution_is_uvicorns(
        caplog: pytest.LogCaptureFixture, lane_executions: list[bool]) -> None:
    """With a request queued behind another, uvicorn reads no more (flow control): the
    hang-up is seen once the execution is answered (so it is, as uvicorn answers it), and
    the queued one, started then, is not served."""
    caplog.set_level(logging.INFO, logger="productgraph.access")
    async with two_servers(latency_ms=300) as servers:
        for n, (_, port) in enumerate(servers):
            cold = request(body(DETAIL, {"id": OTHER_ITEM}),
                           headers={"cache-control": "no-cache", "x-request-id": f"first-{n}"})
            behind = request(body(DETAIL, {"id": ITEM}), headers={"x-request-id": f"next-{n}"})
            connection = await Connection.open(port)
            await connection.send(cold + behind)
            await asyncio.sleep(0.05)
            connection.close()
            await asyncio.sleep(0.8)  # both done
    lines = [json.loads(r.getMessage()) for r in caplog.records
             if r.name == "productgraph.access"]
    statuses = {line["request_id"]: line["status"] for line in lines}
    assert statuses["first-0"] == statuses["first-1"] == 200
    # The one queued, started with the client gone: cancelled, or (when the hang-up is
    # seen before it reads its body) never served.
    assert statuses.get("next-0", 499) == statuses.get("next-1", 499) == 499
    assert lane_executions == [True]  # the one behind: queued by uvicorn, not asked


async def test_shutdown_lets_the_request_in_flight_finish_and_closes_idle_connections(
        lane_executions: list[bool]) -> None:
    answers: list[list[bytes | None]] = []
    async with two_servers(latency_ms=300) as servers:
        for running, port in servers:
            assert await exchange(port, HIT) is not None  # stored: the idle one is a hit
            idle = await Connection.open(port)
            await idle.send(HIT)
            hit = await idle.response()
            busy = await Connection.open(port)
            await busy.send(request(body(DETAIL, {"id": OTHER_ITEM})))  # cold: waits
            await asyncio.sleep(0.05)
            running.should_exit = True
            in_flight = await busy.response()
            answers.append([comparable(hit), comparable(in_flight)])
            assert await busy.closed() and await idle.closed()
            busy.close()
            idle.close()
    assert answers[0] == answers[1]
    assert b" 200 " in (answers[0][1] or b"")
    assert b"\r\nconnection: close\r\n" in (answers[0][1] or b"")
    assert lane_executions == [True, True]  # the first, cold; the one in flight


async def test_an_execution_past_the_request_timeout_is_answered_504_as_uvicorn_does(
        caplog: pytest.LogCaptureFixture, lane_executions: list[bool]) -> None:
    caplog.set_level(logging.INFO, logger="productgraph.access")
    env = {"PRODUCTGRAPH_REQUEST_TIMEOUT": "0.3"}
    async with two_servers(env, latency_ms=1500) as servers:
        answers = []
        for _, port in servers:
            connection = await Connection.open(port)
            await connection.send(MISS)  # cold, the sandbox slower than the timeout
            answers.append(comparable(await connection.response()))
            await connection.send(request(b'{"query": "{ __typename }"}'))  # still serving
            assert b" 200 " in (await connection.response() or b"")
            connection.close()
    assert answers[0] == answers[1]
    assert answers[0] is not None and answers[0].startswith(b"HTTP/1.1 504 ")
    assert b'"REQUEST_TIMEOUT"' in answers[0]
    assert lane_executions[0] is True
    statuses = [json.loads(r.getMessage())["status"] for r in caplog.records
                if r.name == "productgraph.access"]
    assert statuses.count(504) == 2


async def test_an_executed_request_the_lane_fails_on_is_answered_500_as_uvicorn_does(
        monkeypatch: pytest.MonkeyPatch, lane_executions: list[bool]) -> None:
    async def broken(self: FastLane, *args: Any) -> None:
        raise RuntimeError("a bug")

    async with two_servers() as servers:
        monkeypatch.setattr(FastLane, "_serve", broken)
        answers = [comparable(await exchange(port, MISS)) for _, port in servers]
    assert answers[0] == answers[1]
    assert answers[0] is not None and answers[0].startswith(b"HTTP/1.1 500 ")
    assert lane_executions == [True]


async def test_the_head_deadline_still_holds_and_spares_a_connection_answered_here(
        monkeypatch: pytest.MonkeyPatch, shortcut_answers: list[bool]) -> None:
    monkeypatch.setattr("graph.http_protocol.header_timeout_s", lambda: 0.3)
    async with two_servers() as servers:
        for _, port in servers:
            await exchange(port, HIT)  # stored
            connection = await Connection.open(port)
            await connection.send(HIT)
            assert b" 200 " in (await connection.response() or b"")
            await asyncio.sleep(0.8)  # idle, past the head deadline: no 408
            await connection.send(HIT)
            assert b" 200 " in (await connection.response() or b"")
            # A head that stops coming: 408, after an answer or on its own.
            await connection.send(HIT[:30])
            late = await connection.response()
            assert late is not None and late.startswith(b"HTTP/1.1 408 ")
            assert await connection.closed()
            connection.close()
        # Pipelined: an answer, then a head that stops coming.
        connection = await Connection.open(servers[0][1])
        await connection.send(HIT + HIT[:30])
        assert b" 200 " in (await connection.response() or b"")
        late = await connection.response()
        assert late is not None and late.startswith(b"HTTP/1.1 408 ")
        connection.close()
    assert shortcut_answers.count(True) >= 3


async def test_a_rate_limit_per_client_address_reads_the_forwarded_address(
        shortcut_answers: list[bool]) -> None:
    env = {"PRODUCTGRAPH_RATE_LIMIT_PER_MINUTE": "2"}

    def forwarded(address: str) -> bytes:
        return request(body(DETAIL, {"id": ITEM}), headers={"x-forwarded-for": address})

    async with two_servers(env) as servers:
        statuses = []
        for _, port in servers:
            connection = await Connection.open(port)
            seen = []
            for message in (forwarded("203.0.113.1"), forwarded("203.0.113.1"),
                            forwarded("203.0.113.1"), forwarded("203.0.113.2")):
                await connection.send(message)
                seen.append(int((await connection.response() or b"- 0").split(b" ")[1]))
            statuses.append(seen)
            connection.close()
    assert statuses[0] == statuses[1] == [200, 200, 429, 200]
    assert True in shortcut_answers


async def test_over_the_concurrency_limit_both_answer_503() -> None:
    async with two_servers(limit_concurrency=1) as servers:
        for message in (HIT, MISS):
            answers = [comparable(await exchange(port, message)) for _, port in servers]
            assert answers[0] == answers[1]
            assert answers[0] is not None and answers[0].startswith(b"HTTP/1.1 503 ")


def protocol_for(env: dict[str, str], **config: Any) -> Any:
    """The protocol a connection to a server with these settings gets."""
    from uvicorn.server import ServerState

    app, _ = sandboxed_app(env)
    loaded = uvicorn.Config(app, http=HttpToolsProtocolWithDeadline, lifespan="off",
                            **{"access_log": False, "log_config": None, **config})
    loop = asyncio.new_event_loop()
    try:
        return HttpToolsProtocolWithDeadline(config=loaded, server_state=ServerState(),
                                             app_state={}, _loop=loop)
    finally:
        loop.close()


@pytest.mark.parametrize(("env", "config", "taken"), [
    ({}, {}, True),
    ({"PRODUCTGRAPH_RATE_LIMIT_PER_MINUTE": "10"}, {}, True),
    ({"PRODUCTGRAPH_FAST_LANE": "off"}, {}, False),
    ({"PRODUCTGRAPH_RESPONSE_CACHE": "off"}, {}, False),
    ({}, {"root_path": "/api"}, False),
    ({}, {"access_log": True}, False),
], ids=["defaults", "local rate limit", "no fast lane", "no response cache", "root path",
        "uvicorn's access log"])
def test_the_shortcut_steps_aside_when_it_could_not_answer_as_uvicorn(
        env: dict[str, str], config: dict[str, Any], taken: bool) -> None:
    access = logging.getLogger("uvicorn.access")
    if config.get("access_log"):
        access.addHandler(logging.NullHandler())
    try:
        assert (protocol_for(env, **config)._shortcut is not None) == taken
    finally:
        access.handlers.clear()


def test_without_the_uvicorn_internals_it_reads_there_is_no_shortcut(
        monkeypatch: pytest.MonkeyPatch) -> None:
    from graph import http_protocol

    monkeypatch.setattr(http_protocol, "_UVICORN_ATTRIBUTES",
                        (*http_protocol._UVICORN_ATTRIBUTES, "a_later_uvicorns_attribute"))
    assert protocol_for({})._shortcut is None


@pytest.mark.parametrize("bug", ["a body longer than its content-length", "no response"])
async def test_a_lane_bug_closes_the_connection_as_uvicorn_does(
        bug: str, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(self: FastLane, scope: Any, content: bytes, respond: Any) -> bool:
        if bug != "no response":
            respond(200, [(b"content-length", b"2")], b"{}{}")
        return True

    async with server({}, HttpToolsProtocolWithDeadline) as (_, port):
        monkeypatch.setattr(FastLane, "answer_now", broken)
        connection = await Connection.open(port)
        await connection.send(HIT)
        assert await connection.response() is None  # closed, nothing half-written
        connection.close()


@pytest.mark.parametrize("seed", range(3))
async def test_a_stream_of_requests_cut_anywhere_is_answered_as_uvicorn_answers_it(
        seed: int, shortcut_answers: list[bool]) -> None:
    """Mixed requests, pipelined, in segments cut at random places: the same answers."""
    rng = random.Random(seed)
    kinds = [HIT, MISS, request(body(DETAIL, {"id": OTHER_ITEM})),
             request(method="GET", target="/healthz"), request(b'{"query": '),
             request(body("{ __typename }")), request(json.dumps(
                 [{"query": "{ __typename }"}]).encode())]
    messages = [HIT, *rng.choices(kinds, k=11)]  # the first whole in the first segment
    stream = b"".join(messages)
    cuts = [0, *sorted(rng.sample(range(len(HIT) + 1, len(stream)), 8)), len(stream)]
    answers = []
    async with two_servers() as servers:
        for _, port in servers:
            await exchange(port, HIT)  # stored
            connection = await Connection.open(port)
            for start, end in itertools.pairwise(cuts):
                await connection.send(stream[start:end])
                await asyncio.sleep(0.03)  # its own segment; what came before answered
            answers.append([comparable(await connection.response()) for _ in messages])
            connection.close()
    assert answers[0] == answers[1]
    assert all(a is not None for a in answers[0])
    assert True in shortcut_answers

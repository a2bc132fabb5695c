"""On the real server process: a client trickling its request head is cut off with a
408 while others are served; a body that stops coming is 408; the log holds one JSON line
per request and never a query string (issue 18)."""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.processes import free_port, productgraph, running

HEAD = (b"POST /graphql HTTP/1.1\r\nHost: productgraph.test\r\n"
        b"Content-Type: application/json\r\nContent-Length: 27\r\n"
        b"X-Padding: " + b"p" * 200 + b"\r\n\r\n")


@pytest.fixture(scope="module", params=["development", "production"])
def server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
           ) -> Iterator[tuple[str, Path]]:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log = tmp_path_factory.mktemp("log") / "server.log"
    env = {"PRODUCTGRAPH_ENV": request.param, "PRODUCTGRAPH_HEADER_TIMEOUT": "1",
           "PRODUCTGRAPH_BODY_TIMEOUT": "1", "PRODUCTGRAPH_ALLOW_GET": "true"}
    with running(productgraph("serve", "--port", str(port)), ready_url=url + "/healthz",
                 env=env, log=log):
        yield url, log


def _connect(url: str) -> socket.socket:
    host, port = url.removeprefix("http://").split(":")
    sock = socket.create_connection((host, int(port)))
    sock.settimeout(30)  # a hang guard only: the server must close long before
    return sock


def test_a_trickled_request_head_is_cut_off_while_others_are_served(
        server: tuple[str, Path]) -> None:
    url, _ = server
    sock = _connect(url)
    sock.settimeout(0.2)
    answered = 0
    sent = 0
    reply = b""
    with sock, httpx.Client(base_url=url) as other:
        while sent < len(HEAD):
            try:
                sock.sendall(HEAD[sent:sent + 1])
            except OSError:  # closed by the server while we were still sending
                break
            sent += 1
            try:
                reply = sock.recv(4096)
            except TimeoutError:
                pass  # nothing yet: meanwhile another client is served
            else:
                break
            response = other.post("/graphql", json={"query": "{ __typename }"})
            assert response.status_code == 200
            answered += 1
        if not reply:
            sock.settimeout(30)
            reply = sock.recv(4096)
        rest = sock.recv(4096) if reply else b""
    assert sent < len(HEAD), "the server waited for the whole trickled head"
    assert answered >= 1
    assert reply.startswith(b"HTTP/1.1 408 ")
    body = json.loads(reply.split(b"\r\n\r\n", 1)[1] + rest)
    assert body["errors"][0]["extensions"]["code"] == "REQUEST_TIMEOUT"


def test_a_body_that_stops_coming_is_408_and_the_connection_closed(
        server: tuple[str, Path]) -> None:
    url, _ = server
    with _connect(url) as sock:
        sock.sendall(HEAD + b'{"query":')
        reply = b""
        while chunk := sock.recv(4096):  # until the server closes the connection
            reply += chunk
    head, _, body = reply.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 408 ")
    assert b"connection: close" in head.lower()
    error = json.loads(body)["errors"][0]
    assert error["extensions"]["code"] == "REQUEST_TIMEOUT"
    assert error["extensions"]["requestId"]


def test_one_json_log_line_per_request_and_no_query_string(server: tuple[str, Path]) -> None:
    url, log = server
    ids = [f"log-line-{n}" for n in range(4)]
    with httpx.Client(base_url=url) as client:
        client.get("/graphql", params={"api_key": "SECRET-KEY-1", "query": "{ __typename }"},
                   headers={"x-request-id": ids[0]})
        client.post("/graphql?api_key=SECRET-KEY-1", json={"query": "{ __typename }"},
                    headers={"x-request-id": ids[1]})
        client.post("/graphql?token=SECRET-KEY-1", content=b"null",
                    headers={"x-request-id": ids[2], "content-type": "application/json"})
        client.post("/graphql", json={"query": "{ nope }"}, headers={"x-request-id": ids[3]})
        # The log is written as each request ends; /healthz logs at DEBUG, so ask for one
        # request more and wait for its line: every earlier line is then in the file.
        marker = "log-line-marker"
        client.post("/graphql", json={"query": "{ __typename }"},
                    headers={"x-request-id": marker})
    lines = log.read_text().splitlines()
    for _ in range(200):  # the line is written just after the response is sent
        if marker in "".join(lines):
            break
        time.sleep(0.05)
        lines = log.read_text().splitlines()
    text = "\n".join(lines)
    assert "SECRET-KEY-1" not in text
    assert "?" not in "".join(line for line in lines if "/graphql" in line)
    logged = [json.loads(line) for line in lines if line.startswith("{")]
    for request_id in ids:
        assert [r.get("request_id") for r in logged].count(request_id) == 1
    assert not [line for line in lines if "/graphql" in line and not line.startswith("{")]

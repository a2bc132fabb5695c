"""The fast lane (graph/fast_lane.py) answers what the full stack answers.

Each request goes to two servers over the same sandbox catalog: one with the lane
(the default), one with ``PRODUCTGRAPH_FAST_LANE=off``. Status, headers and body must be
the same, request ids aside (each server makes its own, and echoes a given one). The
requests cover what the lane takes (warm and cold queries, coded errors, variables that do
not coerce under both media types, rate-limit and API-key headers) and what it must hand
on untouched (batches, GET, mutations, bad JSON, chunked bodies, CORS, APQ).
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from typing import Any

import httpx
import pytest

from tests.conftest import BASE_URL, sandboxed_app

DETAIL = """query Detail($id: ID!) { product(id: $id) { id title { original }
  price { display { amount currencyCode } } variants { skuId stock }
  images { url } seller { id name } } }"""
ITEM = "taobao_680123456789"
JSON = {"content-type": "application/json"}
_ID = re.compile(rb"[0-9a-f]{32}")
#: The response cache's remaining seconds depend on when each server stored the answer.
_MAX_AGE = re.compile(r"max-age=\d+")
#: Upstream request ids in errors differ per sandbox.
_UPSTREAM_ID = re.compile(rb'"requestId":"[0-9a-f]{13}"')


def body(query: str, variables: Any = None, **extra: Any) -> bytes:
    payload: dict[str, Any] = {"query": query, **extra}
    if variables is not None:
        payload["variables"] = variables
    return json.dumps(payload).encode()


#: name → (method, headers, body)
REQUESTS: dict[str, tuple[str, dict[str, str], bytes]] = {
    "detail": ("POST", JSON, body(DETAIL, {"id": ITEM})),
    "detail again (warm)": ("POST", JSON, body(DETAIL, {"id": ITEM})),
    "graphql-response+json": ("POST", {**JSON, "accept": "application/graphql-response+json"},
                              body(DETAIL, {"id": ITEM})),
    "accept both, q-values": ("POST", {**JSON, "accept": "application/graphql-response+json, "
                                                          "application/json;q=0.9"},
                              body(DETAIL, {"id": ITEM})),
    "no-cache": ("POST", {**JSON, "cache-control": "no-cache"}, body(DETAIL, {"id": ITEM})),
    "no-store": ("POST", {**JSON, "cache-control": "no-store"}, body(DETAIL, {"id": ITEM})),
    "same operation, other body": ("POST", JSON, body(DETAIL, {"id": ITEM}, operationName=None)),
    "given request id": ("POST", {**JSON, "x-request-id": "abc-123"},
                         body(DETAIL, {"id": ITEM})),
    "invalid request id": ("POST", {**JSON, "x-request-id": "not an id"},
                           body(DETAIL, {"id": ITEM})),
    "charset": ("POST", {"content-type": "application/json; charset=utf-8"},
                body(DETAIL, {"id": ITEM})),
    "coded field error": ("POST", JSON, body(DETAIL, {"id": "bogus_1"})),
    "not found": ("POST", JSON, body(DETAIL, {"id": "taobao_1"})),
    "variables do not coerce": ("POST", JSON, body(DETAIL, {"id": 5.5})),
    "variables do not coerce, graphql-response+json": (
        "POST", {**JSON, "accept": "application/graphql-response+json"},
        body(DETAIL, {"id": 5.5})),
    "missing variable": ("POST", JSON, body(DETAIL)),
    "operation name": ("POST", JSON, body(DETAIL, {"id": ITEM}, operationName="Detail")),
    "unknown operation name": ("POST", JSON, body(DETAIL, {"id": ITEM}, operationName="X")),
    "syntax error": ("POST", JSON, body("{ product(id: ")),
    "validation error": ("POST", JSON, body("{ product(id: \"taobao_1\") { nope } }")),
    "not acceptable": ("POST", {**JSON, "accept": "text/plain"}, body(DETAIL, {"id": ITEM})),
    "batch": ("POST", JSON, json.dumps([{"query": "{ __typename }"}]).encode()),
    "mutation": ("POST", JSON, body("mutation { __typename }")),
    "bad json": ("POST", JSON, b'{"query": '),
    "array variables": ("POST", JSON, body(DETAIL, [1])),
    "apq": ("POST", JSON, body(DETAIL, {"id": ITEM}, extensions={
        "persistedQuery": {"version": 1, "sha256Hash": "0" * 64}})),
    "form content type": ("POST", {"content-type": "text/plain"}, body(DETAIL, {"id": ITEM})),
    "get": ("GET", {}, b""),
    "introspection": ("POST", JSON, body("{ __schema { queryType { name } } }")),
    "too expensive": ("POST", JSON, body(
        "{ products(ids: [" + ",".join(f'"taobao_{n}"' for n in range(100, 201))
        + "]) { id title { original } } }")),
}


@asynccontextmanager
async def two_servers(env: dict[str, str]) -> AsyncIterator[tuple[httpx.AsyncClient,
                                                                  httpx.AsyncClient]]:
    async with AsyncExitStack() as stack:
        clients = []
        for lane in ("on", "off"):
            app, _ = sandboxed_app({**env, "PRODUCTGRAPH_FAST_LANE": lane})
            await stack.enter_async_context(app.router.lifespan_context(app))
            clients.append(await stack.enter_async_context(httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app), base_url=BASE_URL)))
        yield clients[0], clients[1]


def comparable(response: httpx.Response) -> tuple[int, list[tuple[str, str]], bytes]:
    """Status, headers and body with the server-made request ids blanked (and the rate
    limit's remaining tokens and reset, which refill with time)."""
    headers = sorted((k, "<id>" if k == "x-request-id" and _ID.fullmatch(v.encode()) else
                      "<n>" if k in ("ratelimit-remaining", "ratelimit-reset") else
                      _MAX_AGE.sub("max-age=<s>", v) if k == "cache-control" else v)
                     for k, v in response.headers.items())
    return response.status_code, headers, _UPSTREAM_ID.sub(
        b"<upstream>", _ID.sub(b"<id>", response.content))


async def send(client: httpx.AsyncClient, method: str, headers: dict[str, str],
               content: bytes) -> httpx.Response:
    if method == "GET":
        return await client.get("/graphql", params={"query": "{ __typename }"},
                                headers=headers)
    return await client.post("/graphql", content=content, headers=headers)


def view_runs(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The methods of the requests that reach strawberry's view (the full stack), from
    now on."""
    from graph.serving import ProductGraphQL

    runs: list[str] = []
    original = ProductGraphQL.run

    async def counted(self: ProductGraphQL, request: Any, **kwargs: Any) -> Any:
        runs.append(request.method)
        return await original(self, request, **kwargs)

    monkeypatch.setattr(ProductGraphQL, "run", counted)
    return runs


@pytest.mark.parametrize("env", [{}, {"PRODUCTGRAPH_RATE_LIMIT_PER_MINUTE": "1000",
                                      "PRODUCTGRAPH_API_KEYS": "k-one,k-two"}],
                         ids=["defaults", "keys and rate limit"])
async def test_the_lane_answers_what_the_full_stack_answers(env: dict[str, str]) -> None:
    key = {"x-api-key": "k-one"} if env else {}
    async with two_servers(env) as (lane, full):
        for name, (method, headers, content) in REQUESTS.items():
            answers = [comparable(await send(c, method, {**headers, **key}, content))
                       for c in (lane, full)]
            assert answers[0] == answers[1], name
        if env:  # refused before anything runs: the same refusal
            answers = [comparable(await send(c, "POST", {**JSON, "x-api-key": "wrong"},
                                             body(DETAIL, {"id": ITEM})))
                       for c in (lane, full)]
            assert answers[0] == answers[1]
            assert answers[0][0] == 401


async def test_stored_answers_and_their_304_are_the_full_stacks() -> None:
    async with two_servers({}) as (lane, full):
        first = [await c.post("/graphql", content=body(DETAIL, {"id": ITEM}), headers=JSON)
                 for c in (lane, full)]
        etag = first[0].headers["etag"]
        assert etag == first[1].headers["etag"]  # the same bytes
        for headers in ({**JSON, "if-none-match": etag}, {**JSON, "if-none-match": '"other"'}):
            answers = [comparable(await c.post("/graphql", content=body(DETAIL, {"id": ITEM}),
                                               headers=headers)) for c in (lane, full)]
            assert answers[0] == answers[1]
        assert answers[0][0] == 200
        not_modified = await lane.post("/graphql", content=body(DETAIL, {"id": ITEM}),
                                       headers={**JSON, "if-none-match": etag})
        assert not_modified.status_code == 304
        assert not_modified.content == b""


async def test_the_common_request_never_reaches_strawberrys_view(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """What the lane is for: a warm query costs no Starlette routing and no view."""
    runs = view_runs(monkeypatch)
    async with two_servers({}) as (lane, full):
        for client in (lane, full):
            response = await client.post("/graphql", content=body(DETAIL, {"id": ITEM}),
                                         headers=JSON)
            assert response.json()["data"]["product"]["id"] == ITEM
        assert runs == ["POST"]        # the full stack's request only
        await lane.post("/graphql", content=json.dumps([{"query": "{ __typename }"}]),
                        headers=JSON)
        assert runs == ["POST", "POST"]  # a batch is the view's


async def test_a_body_in_chunks_and_cors_requests_take_the_full_stack() -> None:
    env = {"PRODUCTGRAPH_CORS_ORIGINS": "https://shop.example"}
    async with two_servers(env) as (lane, full):
        for headers in ({**JSON, "origin": "https://shop.example"},
                        {**JSON, "origin": "https://evil.example"}):
            answers = [comparable(await c.post("/graphql", content=body(DETAIL, {"id": ITEM}),
                                               headers=headers)) for c in (lane, full)]
            assert answers[0] == answers[1]
        allowed = await lane.post("/graphql", content=body(DETAIL, {"id": ITEM}),
                                  headers={**JSON, "origin": "https://shop.example"})
        assert allowed.headers["access-control-allow-origin"] == "https://shop.example"

        async def chunks() -> AsyncIterator[bytes]:
            data = body(DETAIL, {"id": ITEM})
            yield data[:10]
            yield data[10:]

        chunked = await lane.post("/graphql", content=chunks(), headers=JSON)
        assert chunked.status_code == 200
        assert chunked.json()["data"]["product"]["id"] == ITEM


async def test_the_lane_steps_aside_once_a_tracer_is_configured_for_headers_it_took(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The lane keeps what a header list decides, but not whether spans are recorded: the
    same headers that it took go to the full stack (which records the spans) as soon as a
    tracer is configured, and to the lane again once it is gone."""
    import graph.fast_lane

    runs = view_runs(monkeypatch)
    tracing = [False]
    monkeypatch.setattr(graph.fast_lane, "tracing_active", lambda: tracing[0])
    headers = {**JSON, "cache-control": "no-cache"}
    async with two_servers({}) as (lane, _):
        for traced in (False, False, True, True, False):
            tracing[0] = traced
            response = await lane.post("/graphql", content=body(DETAIL, {"id": ITEM}),
                                       headers=headers)
            assert response.json()["data"]["product"]["id"] == ITEM
        assert runs == ["POST", "POST"]  # the two traced requests only

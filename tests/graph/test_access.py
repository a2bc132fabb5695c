"""Modes and access control: production hides the schema (no introspection, GraphiQL,
suggestions or GET), API keys (401), the per-key rate limit (429 with Retry-After, shared
through Redis), CORS, request ids, the access log, health and readiness — and no
configured secret ever shows in a response or a log line."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterator

import httpx
import pytest

from tests.conftest import serve_app
from tests.processes import free_port, productgraph, running, sandbox_env
from tests.redis_server import running_redis

SEED_000 = "taobao_680123456789"
KEY = "pk_live_7Hq2xVd93LmZ0bT5"
OTHER_KEY = "pk_live_Q8wE3rT6yU1iO4pA"
QUERY = f'{{ product(id: "{SEED_000}") {{ id title {{ original }} }} }}'


def codes(response: httpx.Response) -> list[str]:
    return [e["extensions"]["code"] for e in response.json()["errors"]]


# -- production mode -------------------------------------------------------------------

PRODUCTION = {"PRODUCTGRAPH_ENV": "production"}


async def test_production_refuses_introspection_and_the_federation_sdl() -> None:
    async with serve_app(PRODUCTION) as gql:
        for query in ("{ __schema { types { name } } }", '{ __type(name: "Product") { name } }',
                      "{ _service { sdl } }"):
            response = await gql.http.post("/graphql", json={"query": query})
            assert set(codes(response)) == {"GRAPHQL_VALIDATION_FAILED"}, query
            assert "introspection has been disabled" in response.text
            assert response.json()["data"] is None
        typename = await gql.http.post("/graphql", json={"query": "{ __typename }"})
        assert typename.json()["data"] == {"__typename": "Query"}
        assert sum(gql.sandbox.calls.values()) == 0


async def test_production_introspection_can_be_turned_back_on() -> None:
    env = {**PRODUCTION, "PRODUCTGRAPH_INTROSPECTION": "true"}
    async with serve_app(env) as gql:
        query = "{ __schema { queryType { name } } }"
        response = await gql.http.post("/graphql", json={"query": query})
        assert response.json()["data"] == {"__schema": {"queryType": {"name": "Query"}}}


async def test_production_has_no_graphiql_and_no_get() -> None:
    async with serve_app(PRODUCTION) as gql:
        page = await gql.http.get("/graphql", headers={"accept": "text/html"})
        assert page.status_code == 404
        assert "graphiql" not in page.text.lower()
        over_get = await gql.http.get("/graphql", params={"query": QUERY})
        assert over_get.status_code == 405
        assert codes(over_get) == ["METHOD_NOT_ALLOWED"]
        assert over_get.headers["allow"] == "POST"
        assert sum(gql.sandbox.calls.values()) == 0


# Misspellings a suggestion-based recovery tool (clairvoyance) sends to learn field names.
PROBES = [
    "{ prodct(id: \"x\") { id } }",
    "{ products(id: [\"x\"]) { id } }",
    f'{{ product(id: "{SEED_000}") {{ titl ttle slr sellr varints pric imags }} }}',
    f'{{ product(id: "{SEED_000}") {{ variants {{ skId stok pirce }} }} }}',
    f'{{ product(id: "{SEED_000}") {{ ... on Prodct {{ id }} }} }}',
    "query ($x: Prodcut) { __typename }",
]


async def test_production_suggestions_leak_no_field_names() -> None:
    async with serve_app(PRODUCTION) as gql:
        for probe in PROBES:
            response = await gql.http.post("/graphql", json={"query": probe})
            text = response.text
            assert response.json()["errors"], probe
            assert "Did you mean" not in text, text
            # Every name an error quotes was in the probe (the parent type aside: the
            # probe reached it by a valid field it already knew).
            quoted = set(re.findall(r"'([A-Za-z_]+)'", re.sub(r"on type '\w+'", "", text)))
            assert quoted <= set(re.findall(r"\w+", probe)), (quoted, text)
            for name in ("title", "seller", "variants", "price", "images", "skuId", "stock"):
                assert name not in text or name in probe, (name, text)
        assert sum(gql.sandbox.calls.values()) == 0


async def test_development_keeps_suggestions_and_graphiql() -> None:
    async with serve_app({}) as gql:
        response = await gql.http.post("/graphql", json={"query": PROBES[0]})
        assert "Did you mean 'product'" in response.text
        page = await gql.http.get("/graphql", headers={"accept": "text/html"})
        assert page.status_code == 200
        assert "/graphiql/static/graphiql.min.js" in page.text
        assert "unpkg.com" not in page.text and "https://" not in page.text


def test_production_hides_the_message_of_an_uncoded_exception() -> None:
    from graphql import GraphQLError

    from graph.serving import finish_error

    bug = GraphQLError("division by zero in /srv/productgraph/resolvers/products.py",
                       original_error=ZeroDivisionError("division by zero"))
    hidden = finish_error(bug, production=True)
    assert (hidden.message, hidden.extensions) == (
        "Internal server error", {"code": "INTERNAL_SERVER_ERROR"})
    shown = finish_error(bug, production=False)
    assert shown.message.startswith("division by zero")
    assert shown.extensions == {"code": "INTERNAL_SERVER_ERROR"}
    coded = GraphQLError("Product taobao_1 was not found. Did you mean taobao_2?",
                         extensions={"code": "NOT_FOUND"})
    assert finish_error(coded, production=True).message == "Product taobao_1 was not found."


# -- API keys --------------------------------------------------------------------------

KEYS = {"PRODUCTGRAPH_API_KEYS": f"{KEY}, {OTHER_KEY}"}


async def test_without_a_valid_key_it_is_401_and_nothing_runs() -> None:
    async with serve_app(KEYS) as gql:
        for headers in ({}, {"authorization": "Bearer nope"}, {"x-api-key": KEY + "x"},
                        {"authorization": f"Basic {KEY}"}):
            response = await gql.http.post("/graphql", json={"query": QUERY}, headers=headers)
            assert response.status_code == 401, headers
            assert codes(response) == ["UNAUTHENTICATED"]
            assert response.headers["www-authenticate"].startswith("Bearer")
        assert sum(gql.sandbox.calls.values()) == 0


async def test_either_key_works_as_bearer_or_x_api_key() -> None:
    async with serve_app(KEYS) as gql:
        for headers in ({"authorization": f"Bearer {KEY}"}, {"x-api-key": OTHER_KEY}):
            response = await gql.http.post("/graphql", json={"query": QUERY}, headers=headers)
            assert response.status_code == 200
            assert response.json()["data"]["product"]["id"] == SEED_000


async def test_health_readiness_and_metrics_need_no_key() -> None:
    async with serve_app(KEYS) as gql:
        assert (await gql.http.get("/healthz")).status_code == 200
        ready = await gql.http.get("/readyz")
        assert ready.status_code == 200
        body = ready.json()
        assert body["status"] == "ready"
        assert body["cache"]["ok"] is True
        assert body["channels"]["taobao"] == "closed"
        assert set(body["channels"]) >= {"taobao", "tmall", "1688", "weidian"}
        assert (await gql.http.get("/metrics")).status_code == 200


# -- rate limit ------------------------------------------------------------------------

async def test_over_the_rate_it_is_429_with_retry_after() -> None:
    env = {**KEYS, "PRODUCTGRAPH_RATE_LIMIT_PER_MINUTE": "3"}
    async with serve_app(env) as gql:
        auth = {"authorization": f"Bearer {KEY}"}
        seen = []
        for _ in range(3):
            ok = await gql.http.post("/graphql", json={"query": "{ __typename }"}, headers=auth)
            assert ok.status_code == 200
            seen.append(int(ok.headers["ratelimit-remaining"]))
            assert ok.headers["ratelimit-limit"] == "3"
        assert seen == [2, 1, 0]
        gql.sandbox.reset()
        over = await gql.http.post("/graphql", json={"query": QUERY}, headers=auth)
        assert over.status_code == 429
        assert codes(over) == ["RATE_LIMITED"]
        assert 1 <= int(over.headers["retry-after"]) <= 20   # one token every 20 s
        assert over.headers["ratelimit-remaining"] == "0"
        assert sum(gql.sandbox.calls.values()) == 0
        # Another key has its own bucket.
        other = await gql.http.post("/graphql", json={"query": "{ __typename }"},
                                    headers={"x-api-key": OTHER_KEY})
        assert other.status_code == 200


async def test_the_rate_limit_is_shared_through_redis() -> None:
    with running_redis() as url:
        env = {**KEYS, "PRODUCTGRAPH_RATE_LIMIT_PER_MINUTE": "4",
               "PRODUCTGRAPH_CACHE_URL": url}
        auth = {"x-api-key": KEY}
        async with serve_app(env) as first, serve_app(env) as second:
            statuses = []
            for instance in (first, second, first, second, first):
                response = await instance.http.post(
                    "/graphql", json={"query": "{ __typename }"}, headers=auth)
                statuses.append(response.status_code)
            assert statuses == [200, 200, 200, 200, 429]
            ready = await first.http.get("/readyz")
            assert ready.json()["cache"] == {"backend": "redis", "ok": True}


# -- CORS, request ids, logs -----------------------------------------------------------

async def test_cors_allows_only_the_listed_origins() -> None:
    env = {**KEYS, "PRODUCTGRAPH_CORS_ORIGINS": "https://shop.example"}
    async with serve_app(env) as gql:
        preflight = {"origin": "https://shop.example", "access-control-request-method": "POST",
                     "access-control-request-headers": "authorization,content-type"}
        allowed = await gql.http.options("/graphql", headers=preflight)
        assert allowed.status_code == 200
        assert allowed.headers["access-control-allow-origin"] == "https://shop.example"
        denied = await gql.http.options(
            "/graphql", headers={**preflight, "origin": "https://evil.example"})
        assert "access-control-allow-origin" not in denied.headers


async def test_request_id_is_kept_when_well_formed_and_replaced_when_not() -> None:
    async with serve_app({}) as gql:
        kept = await gql.http.post("/graphql", json={"query": "{ __typename }"},
                                   headers={"x-request-id": "req-123.abc"})
        assert kept.headers["x-request-id"] == "req-123.abc"
        replaced = await gql.http.post("/graphql", json={"query": "{ __typename }"},
                                       headers={"x-request-id": "bad id<script>" * 20})
        assert re.fullmatch(r"[0-9a-f]{32}", replaced.headers["x-request-id"])


@pytest.fixture(scope="module")
def gateway_url() -> Iterator[str]:
    """The sandbox gateways as their own process: the channels are configured with real
    credentials, as in a deployment, so the secrets really travel."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with running(productgraph("sandbox", "--port", str(port)),
                 ready_url=url + "/_sandbox/stats"):
        yield url


async def test_one_json_log_line_per_request_and_no_secret_anywhere(
        caplog: pytest.LogCaptureFixture, gateway_url: str) -> None:
    from sandbox import credentials as c

    caplog.set_level(logging.DEBUG)
    env = {**sandbox_env(gateway_url), **PRODUCTION, **KEYS,
           "PRODUCTGRAPH_RATE_LIMIT_PER_MINUTE": "4"}
    every_channel = (f'{{ a: product(id: "{SEED_000}") {{ id title {{ original }} }} '
                     'b: product(id: "1688_554456348334") { id } '
                     'c: product(id: "weidian_1872265599") { id } }')
    bodies: list[str] = []
    async with serve_app(env) as gql:
        for headers, query in (
            ({"authorization": f"Bearer {KEY}", "x-request-id": "r-1"}, every_channel),
            ({"x-api-key": OTHER_KEY}, "{ prodct { id } }"),
            ({"authorization": f"Bearer {KEY}"}, "{ __schema { types { name } } }"),
            ({"authorization": "Bearer " + KEY[:-1]}, QUERY),
            ({"authorization": f"Bearer {KEY}"}, QUERY),
            ({"authorization": f"Bearer {KEY}"}, QUERY),
            ({"authorization": f"Bearer {KEY}"}, QUERY),   # over the rate: 4 a minute
        ):
            response = await gql.http.post("/graphql", json={"query": query}, headers=headers)
            bodies.append(response.text + json.dumps(dict(response.headers)))
    access = [json.loads(r.getMessage()) for r in caplog.records
              if r.name == "productgraph.access"]
    assert [a["status"] for a in access] == [200, 200, 200, 401, 200, 200, 429]
    first = access[0]
    assert first["request_id"] == "r-1"
    assert first["operations"] == ["anonymous"]
    assert first["error_codes"] == []
    assert first["upstream_calls"] == 3
    assert {k.split(":")[0] for k in first["upstream"]} == {"taobao", "1688", "weidian"}
    assert first["cost"] == [{"requested": 8, "actual": 8}]
    assert re.fullmatch(r"[0-9a-f]{12}", first["key_id"])
    assert access[1]["error_codes"] == ["GRAPHQL_VALIDATION_FAILED"]
    assert access[1]["key_id"] != first["key_id"]
    assert access[3]["error_codes"] == ["UNAUTHENTICATED"]
    assert access[6]["error_codes"] == ["RATE_LIMITED"]
    everything = "\n".join([*bodies, *(r.getMessage() for r in caplog.records),
                            *(str(r.__dict__) for r in caplog.records), caplog.text])
    secrets = (KEY, OTHER_KEY, KEY[:-1], c.TOP_APP_SECRET, c.TOP_SESSION, c.AOP_APP_SECRET,
               c.AOP_ACCESS_TOKEN, c.WEIDIAN_ACCESS_TOKEN)
    for secret in secrets:
        assert secret not in everything, secret


# -- deadline --------------------------------------------------------------------------

async def test_a_request_past_its_deadline_is_504_request_timeout() -> None:
    async with serve_app({"PRODUCTGRAPH_REQUEST_TIMEOUT": "0.3"}) as gql:
        # A marketplace that hangs far past the client's own 60 s timeout: only the
        # deadline can answer this request.
        gql.sandbox.faults.latency_ms = 600_000
        response = await gql.http.post("/graphql", json={"query": QUERY},
                                       headers={"x-request-id": "slow-1"})
        assert response.status_code == 504
        assert codes(response) == ["REQUEST_TIMEOUT"]
        assert "0.3 s" in response.json()["errors"][0]["message"]
        assert response.headers["x-request-id"] == "slow-1"

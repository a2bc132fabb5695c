"""Persisted queries: Apollo's APQ protocol over POST and GET, shared through Redis, and
the safelist mode that runs only the operations of a manifest."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from graph.persisted import PersistedQueries
from tests.conftest import serve_app
from tests.redis_server import running_redis

SEED_000 = "taobao_680123456789"
QUERY = f'query Title {{ product(id: "{SEED_000}") {{ id title {{ original }} }} }}'


def apq(query: str) -> dict[str, object]:
    digest = hashlib.sha256(query.encode()).hexdigest()
    return {"persistedQuery": {"version": 1, "sha256Hash": digest}}


async def test_unknown_hash_is_not_found_then_registered_then_served_by_hash() -> None:
    async with serve_app({}) as gql:
        miss = await gql.http.post("/graphql", json={"extensions": apq(QUERY)})
        assert miss.status_code == 200
        assert miss.json()["errors"] == [{
            "message": "PersistedQueryNotFound",
            "extensions": {"code": "PERSISTED_QUERY_NOT_FOUND",
                           "requestId": miss.headers["x-request-id"]}}]
        assert "no-cache" in miss.headers["cache-control"]
        assert sum(gql.sandbox.calls.values()) == 0
        registered = await gql.http.post("/graphql",
                                         json={"query": QUERY, "extensions": apq(QUERY)})
        assert registered.json()["data"]["product"]["id"] == SEED_000
        by_hash = await gql.http.post("/graphql", json={"extensions": apq(QUERY)})
        assert by_hash.json()["data"] == registered.json()["data"]


async def test_apq_over_get_the_cdn_way() -> None:
    async with serve_app({}) as gql:
        params = {"extensions": json.dumps(apq(QUERY)), "operationName": "Title"}
        miss = await gql.http.get("/graphql", params=params, headers={"accept": "*/*"})
        assert miss.json()["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"
        await gql.http.get("/graphql", params={**params, "query": QUERY})
        hit = await gql.http.get("/graphql", params=params, headers={"accept": "*/*"})
        assert hit.json()["data"]["product"]["id"] == SEED_000


async def test_a_hash_that_is_not_the_querys_is_refused() -> None:
    async with serve_app({}) as gql:
        response = await gql.http.post("/graphql", json={"query": QUERY,
                                                         "extensions": apq(QUERY + " ")})
        assert response.status_code == 400
        assert response.json()["errors"][0]["extensions"]["code"] == \
            "PERSISTED_QUERY_HASH_MISMATCH"
        version = await gql.http.post("/graphql", json={"extensions": {"persistedQuery": {
            "version": 2, "sha256Hash": "0" * 64}}})
        assert version.status_code == 400
        assert sum(gql.sandbox.calls.values()) == 0


async def test_a_query_registered_through_one_instance_is_found_by_another() -> None:
    with running_redis() as url:
        env = {"PRODUCTGRAPH_CACHE_URL": url}
        async with serve_app(env) as first, serve_app(env) as second:
            await first.http.post("/graphql", json={"query": QUERY, "extensions": apq(QUERY)})
            hit = await second.http.post("/graphql", json={"extensions": apq(QUERY)})
            assert hit.json()["data"]["product"]["id"] == SEED_000


async def test_the_local_store_is_a_bounded_lru() -> None:
    store = PersistedQueries(capacity=2)
    queries = ["{ a }", "{ b }", "{ c }"]
    for query in queries[:2]:
        await store.resolve(query, apq(query))
    await store.resolve(None, apq(queries[0]))          # touch a: b is now the oldest
    await store.resolve(queries[2], apq(queries[2]))
    assert len(store) == 2
    assert await store.resolve(None, apq(queries[0])) == queries[0]
    try:
        await store.resolve(None, apq(queries[1]))
    except Exception as exc:
        assert getattr(exc, "code", None) == "PERSISTED_QUERY_NOT_FOUND"
    else:
        raise AssertionError("the least recently used query was kept")


def manifest(tmp_path: Path) -> Path:
    path = tmp_path / "persisted-query-manifest.json"
    path.write_text(json.dumps({
        "format": "apollo-persisted-query-manifest", "version": 1,
        "operations": [{"id": hashlib.sha256(QUERY.encode()).hexdigest(), "name": "Title",
                        "type": "query", "body": QUERY}]}))
    return path


async def test_safelist_runs_only_the_manifests_operations(tmp_path: Path) -> None:
    env = {"PRODUCTGRAPH_PERSISTED_QUERIES": "safelist",
           "PRODUCTGRAPH_PERSISTED_QUERIES_MANIFEST": str(manifest(tmp_path))}
    async with serve_app(env) as gql:
        by_id = await gql.http.post("/graphql", json={"extensions": apq(QUERY)})
        assert by_id.json()["data"]["product"]["id"] == SEED_000
        by_body = await gql.http.post("/graphql", json={"query": QUERY})
        assert by_body.json()["data"]["product"]["id"] == SEED_000
        gql.sandbox.reset()
        other = f'{{ product(id: "{SEED_000}") {{ id }} }}'
        for body in ({"query": other}, {"query": other, "extensions": apq(other)},
                     {"extensions": apq(other)}):
            refused = await gql.http.post("/graphql", json=body)
            assert refused.status_code == 400
            assert refused.json()["errors"][0]["extensions"]["code"] == \
                "PERSISTED_QUERY_NOT_IN_LIST"
        assert sum(gql.sandbox.calls.values()) == 0

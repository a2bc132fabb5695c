"""The response cache (graph/response_cache.py, resolvers/freshness.py): an identical query
is answered with the stored bytes and no upstream call, while its parts are fresh; ETag,
Cache-Control and If-None-Match; never an answer with errors, a mutation-like read
(shopProducts), or one request's answer to another's variables, language or API key."""

from __future__ import annotations

import hashlib
from typing import Any

import httpx

from channels.model import Part
from graph.response_cache import CachedResponse, ResponseCache, api_key_context, etag_matches
from tests.channels.fake_clock import FakeClock
from tests.conftest import GraphQLClient, serve_app
from tests.graph.test_products import SEED_000
from tests.graph.test_search_cache import SEARCH, search_calls
from tests.graph.test_shop_and_links import SHOP
from tests.graph.test_upstream_cost import metric, taobao_ids, total_calls

TITLE = "query ($id: ID!) { product(id: $id) { id title { original } } }"
TRANSLATED = """query ($id: ID!, $lang: String!) { product(id: $id) { id
    translation(language: $lang) { language title { translated } } } }"""


async def post(gql: GraphQLClient, query: str, variables: dict[str, Any] | None = None,
               **headers: str) -> httpx.Response:
    body: dict[str, Any] = {"query": query}
    if variables is not None:
        body["variables"] = variables
    return await gql.http.post("/graphql", json=body,
                               headers={k.replace("_", "-"): v for k, v in headers.items()})


async def results(gql: GraphQLClient) -> dict[str, float]:
    return {r: await metric(gql, "productgraph_response_cache_requests_total", result=r)
            for r in ("hit", "miss", "bypass", "not_modified", "uncacheable")}


def on_one_clock(gql: GraphQLClient) -> FakeClock:
    """The part cache, the page cache and the response cache on one fake clock."""
    clock = FakeClock()
    gql.app.state.fetcher.cache.clock = clock
    gql.app.state.response_cache.clock = clock
    return clock


async def test_a_hit_answers_the_same_bytes_without_an_upstream_call() -> None:
    async with serve_app() as gql:
        first = await post(gql, TITLE, {"id": SEED_000})
        assert first.status_code == 200 and "errors" not in first.json()
        calls = total_calls(gql)
        before = await results(gql)
        again = await post(gql, TITLE, {"id": SEED_000})
        assert again.content == first.content
        assert again.headers["content-type"] == first.headers["content-type"]
        assert again.headers["etag"] == first.headers["etag"]
        assert total_calls(gql) == calls
        after = await results(gql)
        assert after["hit"] == before["hit"] + 1
        # The operation key: the same operation over GET (another raw key) shares it.
        spelled = await gql.http.get("/graphql", params={
            "query": TITLE, "variables": f'{{"id":  "{SEED_000}"}}'})
        assert spelled.content == first.content
        assert (await results(gql))["hit"] == before["hit"] + 2
        assert total_calls(gql) == calls


async def test_the_etag_answers_304_from_the_first_answer_on() -> None:
    async with serve_app() as gql:
        clock = on_one_clock(gql)
        first = await post(gql, TITLE, {"id": SEED_000})
        etag = first.headers["etag"]
        assert etag.startswith('"') and etag.endswith('"') and not etag.startswith("W/")
        assert first.headers["cache-control"] == "public, max-age=60"   # CORE's TTL
        clock.advance(15)
        before = await results(gql)
        not_modified = await post(gql, TITLE, {"id": SEED_000}, if_none_match=etag)
        assert not_modified.status_code == 304
        assert not_modified.content == b""
        assert not_modified.headers["etag"] == etag
        assert not_modified.headers["cache-control"] == "public, max-age=45"
        assert (await results(gql))["not_modified"] == before["not_modified"] + 1
        other = await post(gql, TITLE, {"id": SEED_000}, if_none_match='"another"')
        assert other.status_code == 200 and other.content == first.content
        assert etag_matches(b'W/"x", ' + etag.encode(), etag.encode())


async def test_an_entry_expires_when_a_part_it_read_goes_stale() -> None:
    async with serve_app() as gql:
        clock = on_one_clock(gql)
        await post(gql, TITLE, {"id": SEED_000})
        clock.advance(59)
        calls = total_calls(gql)
        hit = await post(gql, TITLE, {"id": SEED_000})
        assert hit.headers["cache-control"] == "public, max-age=1"
        assert total_calls(gql) == calls
        clock.advance(2)                      # CORE is stale now: so is the answer
        stale = await post(gql, TITLE, {"id": SEED_000})
        assert stale.headers["cache-control"] == "no-store"   # served stale, refreshing
        assert "etag" not in stale.headers
        await gql.app.state.fetcher.drain()
        assert total_calls(gql) == calls + 1  # the part cache's one background refresh
        fresh = await post(gql, TITLE, {"id": SEED_000})
        assert fresh.headers["cache-control"] == "public, max-age=60"


async def test_an_answer_with_errors_is_never_cached() -> None:
    async with serve_app() as gql:
        gql.sandbox.faults.fail_rate = 1.0
        failed = await post(gql, TITLE, {"id": SEED_000})
        assert failed.json().get("errors")
        assert failed.headers["cache-control"] == "no-store" and "etag" not in failed.headers
        gql.sandbox.faults.fail_rate = 0.0
        calls = total_calls(gql)
        ok = await post(gql, TITLE, {"id": SEED_000})
        assert "errors" not in ok.json()
        assert total_calls(gql) == calls + 1              # executed, not replayed
        invalid = await post(gql, "{ product(id: 1) { nope } }")
        again = await post(gql, "{ product(id: 1) { nope } }")
        assert invalid.headers["cache-control"] == again.headers["cache-control"] == "no-store"


async def test_variables_and_languages_never_share_an_entry() -> None:
    a, b = taobao_ids(2)
    async with serve_app() as gql:
        first = await post(gql, TITLE, {"id": a})
        second = await post(gql, TITLE, {"id": b})
        assert first.json()["data"]["product"]["id"] == a
        assert second.json()["data"]["product"]["id"] == b
        english = await post(gql, TRANSLATED, {"id": a, "lang": "en"})
        before = await results(gql)
        japanese = await post(gql, TRANSLATED, {"id": a, "lang": "ja"})
        assert japanese.json()["data"]["product"]["translation"]["language"] == "ja"
        assert english.json()["data"]["product"]["translation"]["language"] == "en"
        assert (await results(gql))["hit"] == before["hit"]


async def test_api_keys_never_share_an_entry_and_no_key_shows_anywhere() -> None:
    keys = ("key-one-secret-value", "key-two-secret-value")
    async with serve_app({"PRODUCTGRAPH_API_KEYS": ",".join(keys)}) as gql:
        on_one_clock(gql)
        one = await post(gql, TITLE, {"id": SEED_000}, x_api_key=keys[0])
        assert one.headers["cache-control"] == "private, max-age=60"
        before = await results(gql)
        two = await post(gql, TITLE, {"id": SEED_000}, authorization=f"Bearer {keys[1]}")
        assert two.status_code == 200
        assert (await results(gql))["hit"] == before["hit"]          # its own entry
        again = await post(gql, TITLE, {"id": SEED_000}, authorization=f"Bearer {keys[0]}")
        assert (await results(gql))["hit"] == before["hit"] + 1      # the same key's
        assert again.content == one.content
        cache: ResponseCache = gql.app.state.response_cache
        stored = repr(list(cache._raw)) + repr(list(cache._entries))
        for response in (one, two, again):
            stored += repr(response.headers)
        for key in keys:
            assert key not in stored and key.encode().hex() not in stored
    # Without keys configured the context is empty: answers do not depend on who asks.
    assert api_key_context(False)(b"Bearer x", None) == b""
    identify = api_key_context(True)
    assert identify(b"Bearer k", None) == identify(None, b"k") != identify(None, b"j")
    assert identify(b"Bearer k", None) != hashlib.sha256(b"k").digest()


async def test_no_cache_executes_and_refreshes_no_store_stores_nothing() -> None:
    async with serve_app() as gql:
        first = await post(gql, TITLE, {"id": SEED_000})
        executed = await metric(gql, "productgraph_graphql_requests_total", outcome="ok")
        before = await results(gql)
        bypass = await post(gql, TITLE, {"id": SEED_000}, cache_control="no-cache")
        assert bypass.content == first.content and bypass.headers["etag"]
        assert await metric(gql, "productgraph_graphql_requests_total",
                            outcome="ok") == executed + 1
        pragma = await post(gql, TITLE, {"id": SEED_000}, pragma="no-cache")
        assert pragma.status_code == 200
        assert (await results(gql))["bypass"] == before["bypass"] + 2
        assert (await results(gql))["hit"] == before["hit"]
        # no-store: executed, and nothing kept.
        cache: ResponseCache = gql.app.state.response_cache
        cache.clear()
        await post(gql, TITLE, {"id": SEED_000}, cache_control="no-store")
        assert len(cache) == 0


def test_a_refreshed_entry_keeps_its_etag_only_while_its_bytes_are_the_same() -> None:
    clock = FakeClock()
    cache = ResponseCache(clock=clock)

    def store(body: bytes, content_type: bytes = b"application/json") -> bytes:
        entry = cache.store(b"key", body=body, status=200, content_type=content_type,
                            started=clock(), fresh_for=60, operation="q")
        assert entry is not None
        assert entry.etag == b'"' + hashlib.blake2b(
            content_type + b"\x00" + body, digest_size=16).hexdigest().encode() + b'"'
        assert (b"etag", entry.etag) in entry.headers
        assert (b"content-type", content_type) in entry.headers
        return entry.etag

    first = store(b'{"data":1}')
    clock.advance(10)
    assert store(b'{"data":1}') == first
    assert cache.get(b"key").fresh_until == clock() + 60  # type: ignore[union-attr]
    assert store(b'{"data":2}') != first
    assert store(b'{"data":2}', b"application/graphql-response+json") != store(b'{"data":2}')


def test_a_refreshed_entry_keeps_its_aliases_and_is_the_last_evicted() -> None:
    """A no-cache request refreshes its entry with the same bytes: the bodies that named
    it still find it, fresh from the refresh on, and it is now the most recently used."""
    clock = FakeClock()
    cache = ResponseCache(max_entries=2, clock=clock)
    raw = cache.raw_key(b"POST", b'{"query":"{a}"}', "application/json", b"")

    def store(key: bytes, body: bytes, raw: object = None) -> None:
        assert cache.store(key, body=body, status=200, content_type=b"application/json",
                           started=clock(), fresh_for=60, operation="q",
                           raw=raw) is not None  # type: ignore[arg-type]

    store(b"a", b'{"data":"a"}', raw)
    store(b"b", b'{"data":"b"}')
    clock.advance(50)
    store(b"a", b'{"data":"a"}')             # refreshed: the same answer
    store(b"c", b'{"data":"c"}')             # one too many: "b" goes, not "a"
    assert cache.get(b"b") is None and cache.get(b"c") is not None
    clock.advance(20)                        # past the first store's 60 s
    found = cache.lookup_raw(raw)
    assert found is not None and found.body == b'{"data":"a"}'
    assert found.fresh_until == clock() + 40


async def test_a_search_answer_is_fresh_for_what_is_left_of_its_page() -> None:
    async with serve_app({"PRODUCTGRAPH_CACHE_TTL_SEARCH": "30"}) as gql:
        clock = on_one_clock(gql)
        first = await post(gql, SEARCH, {"q": "T恤"})
        assert "errors" not in first.json()
        assert first.headers["cache-control"] == "public, max-age=30"
        clock.advance(10)
        calls = search_calls(gql)
        hit = await post(gql, SEARCH, {"q": "T恤"})
        assert hit.content == first.content
        assert hit.headers["cache-control"] == "public, max-age=20"
        assert search_calls(gql) == calls
        # Another spelling of the keyword reads the same page: its answer is as old.
        spelled = await post(gql, SEARCH, {"q": " t恤 "})
        assert spelled.headers["cache-control"] == "public, max-age=20"


async def test_shop_products_are_never_cached() -> None:
    async with serve_app() as gql:
        variables = {"channel": "TAOBAO", "first": 5}
        first = await post(gql, SHOP, variables)
        assert "errors" not in first.json(), first.json()
        calls = total_calls(gql)
        second = await post(gql, SHOP, variables)
        assert second.headers["cache-control"] == "no-store"
        assert total_calls(gql) > calls


async def test_the_byte_bound_evicts_the_least_recently_used() -> None:
    clock = FakeClock()
    # 600 bytes, with the entry's overhead (400) and its alias's (150 + 6): 8 fit.
    cache = ResponseCache(max_bytes=8 * 1156, max_entries=100, clock=clock)
    body = b"x" * 600

    def store(n: int) -> CachedResponse | None:
        raw = cache.raw_key(b"POST", b"body %d" % n, "application/json", b"")
        return cache.store(b"key %d" % n, body=body, status=200,
                           content_type=b"application/json", started=clock(),
                           fresh_for=60, operation="q", raw=raw)

    for n in range(8):
        assert store(n) is not None
    assert cache.get(b"key 0") is not None           # used: 1 is now the oldest
    store(8)
    assert cache.bytes <= cache.max_bytes
    assert cache.get(b"key 1") is None
    assert cache.lookup_raw(cache.raw_key(b"POST", b"body 1", "application/json", b"")) \
        is None
    assert cache.get(b"key 0") is not None and cache.get(b"key 8") is not None
    # One answer larger than an eighth of the bound is not stored at all.
    assert cache.store(b"big", body=b"y" * 2000, status=200, content_type=b"x",
                       started=clock(), fresh_for=60, operation="q") is None
    clock.advance(61)
    assert cache.get(b"key 8") is None                # expired


async def test_the_response_cache_can_be_switched_off() -> None:
    async with serve_app({"PRODUCTGRAPH_RESPONSE_CACHE": "off"}) as gql:
        assert gql.app.state.response_cache is None
        first = await post(gql, TITLE, {"id": SEED_000})
        assert "etag" not in first.headers and "cache-control" not in first.headers


async def test_a_stale_part_is_never_replayed_and_cached_parts_bound_the_answer() -> None:
    async with serve_app() as gql:
        clock = on_one_clock(gql)
        await post(gql, "query ($id: ID!) { product(id: $id) { id images { url } } }",
                   {"id": SEED_000})
        clock.advance(30)
        # Now one fresh-for-3600 part (MEDIA, read from the part cache) and one new CORE:
        both = await post(gql, "query ($id: ID!) { product(id: $id) { id images { url } "
                               "title { original } } }", {"id": SEED_000})
        ttl = gql.app.state.fetcher.cache.ttl_s
        assert both.headers["cache-control"] == f"public, max-age={int(ttl[Part.CORE])}"


async def test_a_persisted_query_shares_the_entry_of_its_text_and_batches_are_apart() -> None:
    async with serve_app() as gql:
        first = await post(gql, TITLE, {"id": SEED_000})
        digest = hashlib.sha256(TITLE.encode()).hexdigest()
        extensions = {"persistedQuery": {"version": 1, "sha256Hash": digest}}
        before = await results(gql)
        calls = total_calls(gql)
        # APQ: the hash with its text registers it (and is the same operation) …
        registered = await gql.http.post("/graphql", json={
            "query": TITLE, "variables": {"id": SEED_000}, "extensions": extensions})
        # … then the hash alone.
        persisted = await gql.http.post("/graphql", json={
            "variables": {"id": SEED_000}, "extensions": extensions})
        assert registered.content == persisted.content == first.content
        assert (await results(gql))["hit"] == before["hit"] + 2
        batch = await gql.http.post("/graphql", json=[
            {"query": TITLE, "variables": {"id": SEED_000}}])
        assert batch.status_code in (200, 400)
        assert batch.headers["cache-control"] == "no-store"
        assert total_calls(gql) == calls


async def test_each_media_type_has_its_own_entry_and_production_get_stays_off() -> None:
    response_json = "application/graphql-response+json"
    async with serve_app({"PRODUCTGRAPH_ENV": "production"}) as gql:
        plain = await post(gql, TITLE, {"id": SEED_000})
        typed = await post(gql, TITLE, {"id": SEED_000}, accept=response_json)
        again = await post(gql, TITLE, {"id": SEED_000}, accept=response_json)
        assert plain.headers["content-type"] == "application/json"
        assert typed.headers["content-type"] == again.headers["content-type"] == response_json
        assert typed.headers["etag"] == again.headers["etag"] != plain.headers["etag"]
        # GET is off in production: a stored answer never answers it.
        refused = await gql.http.get("/graphql", params={
            "query": TITLE, "variables": f'{{"id": "{SEED_000}"}}'})
        assert refused.status_code == 405

"""Search pages are cached like product parts (resolvers/page_cache.py): the same search
twice within its TTL costs one upstream call and shows as a hit in ``/metrics``; a page
whose fetch failed is never stored; shop listings are never cached."""

from __future__ import annotations

from tests.conftest import GraphQLClient, serve_app
from tests.graph.test_upstream_cost import metric

SEARCH = """query ($q: String) { search(channel: TAOBAO, query: $q, first: 10) {
    totalCount edges { node { id title { original } } } } }"""


def search_calls(gql: GraphQLClient) -> int:
    return sum(n for api, n in gql.sandbox.calls.items() if "search" in api)


async def test_the_same_search_twice_costs_one_upstream_call() -> None:
    async with serve_app() as gql:
        hits = await metric(gql, "productgraph_cache_requests_total", part="search",
                            result="hit")
        first = await gql.execute(SEARCH, {"q": "T恤"})
        assert "errors" not in first, first["errors"]
        assert search_calls(gql) == 1
        # The same search, spelled with other spacing and case: the same upstream page.
        again = await gql.execute(SEARCH, {"q": "  t恤 "})
        assert search_calls(gql) == 1
        assert again["data"]["search"]["edges"] == first["data"]["search"]["edges"]
        assert await metric(gql, "productgraph_cache_requests_total", part="search",
                            result="hit") == hits + 1


async def test_a_failed_search_page_is_not_cached() -> None:
    async with serve_app() as gql:
        gql.sandbox.faults.fail_rate = 1.0
        failed = await gql.execute(SEARCH, {"q": "手机"})
        assert failed.get("errors")
        gql.sandbox.faults.fail_rate = 0.0
        calls = search_calls(gql)
        ok = await gql.execute(SEARCH, {"q": "手机"})
        assert "errors" not in ok, ok["errors"]
        assert search_calls(gql) == calls + 1          # asked again, not served the failure

"""The plain execution path (graph/execution.py): the same answers and metrics as
strawberry's own path, which still runs whatever the plain path does not stand in for."""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

import pytest
from prometheus_client import REGISTRY
from strawberry.extensions import SchemaExtension

from graph.documents import PreparedDocumentExtension
from graph.execution import plain_path_applies
from graph.metrics import GraphQLMetrics
from graph.schema import ENTITIES, ProductGraphSchema, Query, create_schema
from tests.conftest import GraphQLClient, serve_app

SEED_000 = "taobao_680123456789"


def operations(outcome: str) -> float:
    return REGISTRY.get_sample_value("productgraph_graphql_requests_total",
                                     {"outcome": outcome}) or 0.0


async def test_every_outcome_is_counted(gql: GraphQLClient) -> None:
    before = {o: operations(o) for o in ("ok", "partial", "error")}
    ok = await gql.execute("{ __typename }")
    partial = await gql.execute("{ products(ids: [\"taobao_680123456789\", \"taobao_1\"]) "
                                "{ id } }")
    error = await gql.execute("{ product(id: \"taobao_1\") { nope } }")
    assert ok == {"data": {"__typename": "Query"}, "extensions": ok["extensions"]}
    assert partial["data"]["products"][0]["id"] == "taobao_680123456789"
    assert [e["extensions"]["code"] for e in partial["errors"]] == ["NOT_FOUND"]
    assert [e["extensions"]["code"] for e in error["errors"]] == ["GRAPHQL_VALIDATION_FAILED"]
    assert {o: operations(o) - before[o] for o in before} == {"ok": 1, "partial": 1, "error": 1}


async def test_resolver_errors_are_logged_as_strawberry_logs_them(
        caplog: pytest.LogCaptureFixture) -> None:
    schema = create_schema()
    assert schema.plain_path
    result = await schema.execute("{ products(ids: [\"nonsense\"]) { id } }",
                                  context_value=None)
    assert result.data is None or result.data == {"products": [None]}
    assert result.errors
    assert any(r.name == "strawberry.execution" for r in caplog.records)


class Recording(SchemaExtension):
    executed: ClassVar[list[str]] = []

    def on_execute(self) -> Iterator[None]:
        Recording.executed.append(self.execution_context.query or "")
        yield


async def test_an_extension_the_plain_path_does_not_know_still_runs() -> None:
    schema = ProductGraphSchema(query=Query, types=list(ENTITIES),
                                extensions=[GraphQLMetrics, PreparedDocumentExtension,
                                            Recording])
    schema.plain_path = plain_path_applies(schema)
    assert not schema.plain_path
    result = await schema.execute("{ __typename }")
    assert result.data == {"__typename": "Query"}
    assert Recording.executed == ["{ __typename }"]


async def test_fresh_memory_entries_answer_without_the_batch_and_the_rest_do_not() -> None:
    from channels.model import Channel, Part

    parts = frozenset({Part.CORE, Part.VARIANTS})
    async with serve_app() as gql:
        fetcher = gql.app.state.fetcher
        source_id = SEED_000.removeprefix("taobao_")
        assert fetcher.cached(Channel.TAOBAO, source_id, parts) is None        # cold
        fetched = (await fetcher.fetch(Channel.TAOBAO, {source_id: parts}))[source_id]
        await fetcher.drain()
        assert fetcher.cached(Channel.TAOBAO, source_id, parts) == fetched     # fresh
        assert fetcher.cached(Channel.TAOBAO, source_id, parts | {Part.MEDIA}) is None
        assert fetcher.cached(Channel.TAOBAO, "not-a-number", parts) is None
        now = fetcher.cache.clock()
        fetcher.cache.clock = lambda: now + fetcher.cache.ttl_s[Part.CORE] + 1
        assert fetcher.cached(Channel.TAOBAO, source_id, parts) is None        # stale
        gql.sandbox.reset()
        stale = await gql.execute("query ($id: ID!) { product(id: $id) { id } }",
                                  {"id": SEED_000})
        assert stale["data"]["product"]["id"] == SEED_000
        await fetcher.drain()
        assert fetcher.refreshes_started >= 1      # the stale part went the refresh way

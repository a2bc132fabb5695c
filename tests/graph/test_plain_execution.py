"""The plain execution path (graph/plain_execution.py): the same answers and metrics as
strawberry's own path, which still runs whatever the plain path does not stand in for."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import ClassVar

import pytest
from prometheus_client import REGISTRY
from strawberry.extensions import SchemaExtension

from channels.base import ChannelRegistry
from channels.model import Channel, Part
from graph.documents import PreparedDocumentExtension
from graph.metrics import GraphQLMetrics
from graph.plain_execution import plain_path_applies
from graph.schema import ENTITIES, ProductGraphSchema, Query, create_schema
from resolvers.context import Context
from resolvers.fetcher import ProductFetcher
from tests.conftest import GraphQLClient, serve_app
from tests.resolvers.fake_adapter import FakeAdapter

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


async def test_coded_resolver_errors_are_answers_and_unexpected_ones_are_logged_as_strawberry_does(
        caplog: pytest.LogCaptureFixture) -> None:
    """A coded error (here INVALID_ID) is an answer, not a failure to log; an exception no
    resolver expected (here an adapter that answers without the part it was asked for, so
    ``title`` finds no core) is logged by strawberry's execution logger."""
    schema = create_schema()
    assert schema.plain_path
    adapter = FakeAdapter()
    adapter.forget = frozenset({Part.CORE})
    fetcher = ProductFetcher(ChannelRegistry([adapter]))

    def logged() -> list[logging.LogRecord]:
        return [r for r in caplog.records if r.name == "strawberry.execution"]

    coded = await schema.execute('{ products(ids: ["nonsense"]) { id } }',
                                 context_value=Context(fetcher=fetcher, registry=fetcher.registry))
    assert coded.data == {"products": [None]}
    assert [(e.extensions or {}).get("code") for e in coded.errors or ()] == ["INVALID_ID"]
    assert logged() == []
    assert adapter.calls == []

    bug = await schema.execute('{ product(id: "taobao_7") { id title { original } } }',
                               context_value=Context(fetcher=fetcher, registry=fetcher.registry))
    [error] = bug.errors or ()
    assert error.path == ["product", "title"]
    assert (error.extensions or {}).get("code") is None
    assert isinstance(error.original_error, RuntimeError)
    [record] = logged()
    assert record.levelno == logging.ERROR
    assert "core of taobao_7 was not loaded" in caplog.text
    await fetcher.aclose()


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


async def test_the_operation_name_picks_what_runs_as_strawberry_would(
        gql: GraphQLClient) -> None:
    two = "query A { __typename } query B { product(id: \"taobao_1\") { id } }"
    named = await gql.post(two, operationName="A")
    assert named.json()["data"] == {"__typename": "Query"}
    assert named.json()["extensions"]["cost"] == {"requested": 1, "actual": 1}
    unnamed = (await gql.post(two)).json()
    assert unnamed["data"] is None
    assert unnamed["errors"][0]["message"] == \
        "Must provide operation name if query contains multiple operations."
    for name in ("C", ""):
        unknown = await gql.post(two, operationName=name)
        assert unknown.status_code == 400
        assert unknown.json()["errors"] == [{
            "message": f"Unknown operation named \"{name}\".",
            "extensions": {"code": "BAD_REQUEST",
                           "requestId": unknown.headers["x-request-id"]}}]

"""OpenTelemetry tracing, recorded by the real SDK (``TracerProvider`` with an
``InMemorySpanExporter``) while queries run through the app over the in-process sandbox.

OpenTelemetry lets a process set its global tracer provider once. This module sets an SDK
provider (unless one is already set) for its own tests and, when it is done, puts the
global back as it found it — the way OpenTelemetry's own test utilities
(``opentelemetry.test.globals_test``) reset it — so the rest of the suite runs on the no-op
default, as a server without tracing configured does. The last test here runs the app in
a process where ``opentelemetry`` cannot be imported at all.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from collections.abc import Iterator, Sequence

import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode
from opentelemetry.util._once import Once

import sandbox.credentials as credentials
from sandbox.catalog_1688 import OFFERS
from sandbox.catalog_top import TOP_ITEMS, is_tmall
from sandbox.catalog_weidian import ITEMS as WEIDIAN_ITEMS
from tests.conftest import GraphQLClient, serve_app

TAOBAO_IDS = [f"taobao_{n}" for n in sorted(TOP_ITEMS) if not is_tmall(n)]
TMALL_IDS = [f"tmall_{n}" for n in sorted(TOP_ITEMS) if is_tmall(n)]
ALIBABA_IDS = [f"1688_{n}" for n in sorted(OFFERS)]
WEIDIAN_IDS = [f"weidian_{n}" for n in sorted(WEIDIAN_ITEMS)]

PRODUCTS = "query Products($ids: [ID!]!) { products(ids: $ids) { id title { original } } }"
SECRETS = {name: value for name, value in vars(credentials).items()
           if isinstance(value, str) and any(w in name for w in ("SECRET", "SESSION", "TOKEN"))}


@pytest.fixture(scope="module")
def exporter() -> Iterator[InMemorySpanExporter]:
    provider = trace.get_tracer_provider()
    ours = not isinstance(provider, TracerProvider)
    if ours:
        trace.set_tracer_provider(TracerProvider())
        provider = trace.get_tracer_provider()
    assert isinstance(provider, TracerProvider), "another tracer provider is set globally"
    collected = InMemorySpanExporter()
    provider.add_span_processor(SimpleSpanProcessor(collected))
    yield collected
    collected.shutdown()
    if ours:   # back to "no provider set", which set_tracer_provider allows only once
        provider.shutdown()
        trace._TRACER_PROVIDER = None
        trace._TRACER_PROVIDER_SET_ONCE = Once()


@pytest.fixture
def spans(exporter: InMemorySpanExporter) -> InMemorySpanExporter:
    exporter.clear()
    return exporter


def upstream(finished: Sequence[ReadableSpan]) -> list[ReadableSpan]:
    return [s for s in finished if s.kind is SpanKind.CLIENT]


def one(finished: Sequence[ReadableSpan], kind: SpanKind) -> ReadableSpan:
    [span] = [s for s in finished if s.kind is kind]
    return span


def parent_id(span: ReadableSpan) -> int | None:
    return span.parent.span_id if span.parent else None


def span_id(span: ReadableSpan) -> int:
    assert span.context is not None
    return span.context.span_id


def trace_id(span: ReadableSpan) -> int:
    assert span.context is not None
    return span.context.trace_id


async def test_a_request_is_one_trace_a_server_span_an_operation_span_and_its_upstream_calls(
        gql: GraphQLClient, spans: InMemorySpanExporter) -> None:
    response = await gql.http.post(
        "/graphql", json={"query": 'query ProductDetail { product(id: "taobao_680123456789") '
                                   "{ id title { original } } }"},
        headers={"X-Request-Id": "trace-me-1"})
    assert response.json()["data"]["product"]["id"] == "taobao_680123456789"
    finished = spans.get_finished_spans()

    server = one(finished, SpanKind.SERVER)
    assert server.name == "POST /graphql"
    assert server.parent is None
    assert dict(server.attributes or {}) == {
        "http.request.method": "POST", "url.path": "/graphql",
        "productgraph.request_id": "trace-me-1", "http.response.status_code": 200}

    operation = one(finished, SpanKind.INTERNAL)
    assert operation.name == "query ProductDetail"
    assert parent_id(operation) == span_id(server)
    attributes = dict(operation.attributes or {})
    assert attributes["graphql.operation.name"] == "ProductDetail"
    assert attributes["graphql.operation.type"] == "query"
    assert attributes["productgraph.request_id"] == "trace-me-1"
    assert "productgraph.error_codes" not in attributes
    assert operation.status.status_code is StatusCode.UNSET

    [call] = upstream(finished)
    assert sum(gql.sandbox.calls.values()) == 1
    [api] = gql.sandbox.calls
    assert call.name == f"upstream taobao {api}"
    assert parent_id(call) == span_id(operation)
    assert dict(call.attributes or {}) == {
        "productgraph.channel": "taobao", "productgraph.upstream.api": api,
        "http.request.method": "POST", "http.response.status_code": 200,
        "productgraph.upstream.outcome": "ok"}
    assert call.status.status_code is StatusCode.UNSET
    assert {trace_id(s) for s in finished} == {trace_id(server)}


async def test_an_anonymous_operation_is_named_by_its_type(
        gql: GraphQLClient, spans: InMemorySpanExporter) -> None:
    await gql.execute('{ product(id: "taobao_680123456789") { id } }')
    operation = one(spans.get_finished_spans(), SpanKind.INTERNAL)
    assert operation.name == "query"
    assert "graphql.operation.name" not in dict(operation.attributes or {})


async def test_twenty_taobao_ids_are_one_batch_span_and_25_are_two(
        gql: GraphQLClient, spans: InMemorySpanExporter) -> None:
    gql.sandbox.reset()
    result = await gql.execute(PRODUCTS, {"ids": TAOBAO_IDS[:20]})
    assert "errors" not in result, result
    [batch] = upstream(spans.get_finished_spans())
    assert sum(gql.sandbox.calls.values()) == 1

    spans.clear()
    gql.sandbox.reset()
    result = await gql.execute(PRODUCTS, {"ids": TAOBAO_IDS[20:45]})   # none cached
    assert "errors" not in result, result
    calls = upstream(spans.get_finished_spans())
    assert len(calls) == sum(gql.sandbox.calls.values()) == 2  # TOP takes 20 ids per call
    assert {c.name for c in calls} == {batch.name}


async def test_a_mixed_channel_query_shows_the_top_batch_and_each_1688_and_weidian_item(
        gql: GraphQLClient, spans: InMemorySpanExporter) -> None:
    ids = TAOBAO_IDS[:3] + ALIBABA_IDS[:3] + WEIDIAN_IDS[:2]
    result = await gql.execute(PRODUCTS, {"ids": ids})
    assert "errors" not in result, result
    finished = spans.get_finished_spans()
    operation = one(finished, SpanKind.INTERNAL)
    calls = upstream(finished)
    per_channel = sorted((c.attributes or {})["productgraph.channel"] for c in calls)
    assert per_channel == ["1688", "1688", "1688", "taobao", "weidian", "weidian"]
    assert {c.name for c in calls if (c.attributes or {})["productgraph.channel"] != "taobao"} \
        == {"upstream 1688 alibaba.product.get", "upstream weidian vdian.item.get"}
    assert all(parent_id(c) == span_id(operation) for c in calls)
    assert {trace_id(s) for s in finished} == {trace_id(operation)}
    assert all((c.attributes or {})["productgraph.upstream.outcome"] == "ok" for c in calls)


async def test_failed_upstream_calls_are_error_spans_with_the_code_each_retry_its_own(
        gql: GraphQLClient, spans: InMemorySpanExporter) -> None:
    gql.sandbox.faults.fail_rate = 1.0
    result = await gql.execute('{ product(id: "taobao_680123456789") { id } }')
    assert result["errors"][0]["extensions"]["code"] == "UPSTREAM_ERROR"
    finished = spans.get_finished_spans()
    calls = upstream(finished)
    assert len(calls) == sum(gql.sandbox.calls.values()) > 1   # the retries, each a span
    for call in calls:
        assert call.status.status_code is StatusCode.ERROR
        assert call.status.description == "UPSTREAM_ERROR"
        attributes = dict(call.attributes or {})
        assert attributes["error.type"] == "UPSTREAM_ERROR"
        assert attributes["productgraph.upstream.outcome"] == "upstream_error"
        assert attributes["http.response.status_code"] >= 500
    operation = one(finished, SpanKind.INTERNAL)
    assert (operation.attributes or {})["productgraph.error_codes"] == ("UPSTREAM_ERROR",)
    assert operation.status.status_code is StatusCode.UNSET   # a field error is an answer


async def test_an_upstream_past_its_deadline_is_an_upstream_timeout_span(
        spans: InMemorySpanExporter) -> None:
    env = {"PRODUCTGRAPH_UPSTREAM_TIMEOUT": "0.2", "PRODUCTGRAPH_UPSTREAM_DEADLINE": "0.3"}
    async with serve_app(env) as gql:
        gql.sandbox.faults.timeout_rate = 1.0
        gql.sandbox.faults.hang_s = 1.0
        response = await gql.http.post("/graphql", json={
            "query": '{ product(id: "weidian_' + sorted(WEIDIAN_ITEMS)[0] + '") { id } }'})
    assert response.json()["errors"][0]["extensions"]["code"] == "UPSTREAM_TIMEOUT"
    calls = upstream(spans.get_finished_spans())
    assert calls
    for call in calls:
        assert call.status.status_code is StatusCode.ERROR
        assert (call.attributes or {})["error.type"] == "UPSTREAM_TIMEOUT"


async def test_the_caller_trace_is_continued_and_a_batch_of_operations_is_one_trace(
        spans: InMemorySpanExporter) -> None:
    caller_trace, caller_span = "4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7"
    async with serve_app({"PRODUCTGRAPH_MAX_OPERATIONS": "2"}) as gql:
        response = await gql.http.post(
            "/graphql",
            json=[{"query": 'query A { product(id: "taobao_680123456789") { id } }'},
                  {"query": f'query B {{ product(id: "{ALIBABA_IDS[0]}") {{ id }} }}'}],
            headers={"traceparent": f"00-{caller_trace}-{caller_span}-01"})
    assert response.status_code == 200 and len(response.json()) == 2
    finished = spans.get_finished_spans()
    server = one(finished, SpanKind.SERVER)
    assert parent_id(server) == int(caller_span, 16)
    assert {trace_id(s) for s in finished} == {int(caller_trace, 16)}
    operations = [s for s in finished if s.kind is SpanKind.INTERNAL]
    assert sorted(s.name for s in operations) == ["query A", "query B"]
    assert all(parent_id(s) == span_id(server) for s in operations)


async def test_probes_and_metrics_make_no_spans(
        gql: GraphQLClient, spans: InMemorySpanExporter) -> None:
    for path in ("/healthz", "/readyz", "/metrics"):
        assert (await gql.http.get(path)).status_code == 200
    assert spans.get_finished_spans() == ()


async def test_no_span_carries_a_secret_a_url_query_or_an_error_message(
        gql: GraphQLClient, spans: InMemorySpanExporter) -> None:
    ids = TAOBAO_IDS[:2] + TMALL_IDS[:2] + ALIBABA_IDS[:2] + WEIDIAN_IDS[:2]
    await gql.execute(PRODUCTS, {"ids": [*ids, "taobao_999999999999"]})
    gql.sandbox.faults.fail_rate = 1.0
    uncached = TAOBAO_IDS[2:3] + TMALL_IDS[2:3] + ALIBABA_IDS[2:3] + WEIDIAN_IDS[2:3]
    failed = await gql.execute(PRODUCTS, {"ids": uncached})
    finished = spans.get_finished_spans()
    channels = {(s.attributes or {}).get("productgraph.channel") for s in upstream(finished)}
    assert channels == {"taobao", "1688", "weidian"}   # Tmall's ids go to TOP with Taobao's
    assert {e["extensions"]["code"] for e in failed["errors"]} == {"UPSTREAM_ERROR"}
    assert len(failed["errors"]) == 4
    assert any(s.status.status_code is StatusCode.ERROR for s in finished)

    recorded = [s.to_json() for s in finished]
    everything = "\n".join(recorded)
    for name, secret in SECRETS.items():
        assert secret not in everything, name
    for marker in ("session=", "sign=", "access_token", "app_key", "?", "http://"):
        assert marker not in everything, marker
    for error in failed["errors"]:
        assert error["message"] not in everything
    assert all(not s.events for s in finished)


@pytest.mark.parametrize("importable", [False, True])
def test_the_server_answers_without_opentelemetry_or_without_a_tracer_provider(
        importable: bool) -> None:
    """In a fresh process: ``opentelemetry`` not importable, or importable with no
    provider set (OpenTelemetry's no-op default)."""
    script = textwrap.dedent("""
        import asyncio, sys
        if sys.argv[1] == "False":
            sys.modules["opentelemetry"] = None    # ``import opentelemetry`` fails
        import httpx
        from graph.app import create_app
        from graph.settings import Settings
        from sandbox.app import create_sandbox_app

        async def main():
            sandbox = create_sandbox_app()
            app = create_app(Settings.from_env({}),
                             sandbox_transport=httpx.ASGITransport(app=sandbox))
            async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                         base_url="http://productgraph.test") as http:
                response = await http.post("/graphql", json={
                    "query": 'query P { product(id: "taobao_680123456789") { id } }'})
            print(response.json()["data"]["product"]["id"], "opentelemetry" in sys.modules
                  and sys.modules["opentelemetry"] is not None)

        asyncio.run(main())
    """)
    done = subprocess.run([sys.executable, "-c", script, str(importable)],
                          capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["taobao_680123456789", str(importable)]

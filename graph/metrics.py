"""GraphQL request metrics and the ``GET /metrics`` endpoint (Prometheus text format).

Everything is on prometheus-client's default registry, so ``/metrics`` shows, besides the
two families below, the upstream families of ``channels.metrics``
(``productgraph_upstream_requests_total{channel,method,outcome}``,
``productgraph_upstream_latency_seconds{channel,method}`` …) and the cache's
``productgraph_cache_requests_total{part,result}`` (``resolvers.part_cache``).

    productgraph_graphql_requests_total{outcome}   ok | partial (data and errors) | error
    productgraph_graphql_latency_seconds           one operation, parse to result
    productgraph_response_cache_requests_total{result}
        hit           replayed from the response cache (graph/response_cache.py)
        not_modified  replayed as 304: If-None-Match named the entry's ETag
        miss          executed, and the answer stored
        bypass        executed because the request said Cache-Control: no-cache/no-store
        uncacheable   executed, and the answer may not be stored (errors, a mutation,
                      shopProducts, a stale part …)

A response cache hit executes nothing, so it is not counted in the two ``graphql``
families above: hits and not_modified are the requests answered without an operation.

Several uvicorn workers each keep their own registry, so one scrape sees one worker.
prometheus-client's multiprocess mode (``PROMETHEUS_MULTIPROC_DIR``, one mmap file per
process and metric, gauges need a merge mode, a collector that reads the directory) would
aggregate them; it is not set up here: run one worker per container, or scrape each worker
on its own port.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence

from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, generate_latest
from starlette.requests import Request
from starlette.responses import Response
from strawberry.extensions import SchemaExtension

from channels.loop_metrics import LoopCounter, LoopHistogram

GRAPHQL_REQUESTS = LoopCounter(
    "productgraph_graphql_requests",
    "GraphQL operations by outcome: ok, partial (data with errors), error (no data).",
    ["outcome"],
)
RESPONSE_CACHE_REQUESTS = LoopCounter(
    "productgraph_response_cache_requests",
    "Requests by what the response cache did: hit, not_modified (304), miss (executed and "
    "stored), bypass (the request said no-cache/no-store), uncacheable (executed, not "
    "storable).",
    ["result"],
)
GRAPHQL_LATENCY = LoopHistogram(
    "productgraph_graphql_latency_seconds",
    "Time to answer one GraphQL operation.",
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)


#: The outcome counters, looked up once.
_OUTCOMES = {outcome: GRAPHQL_REQUESTS.labels(outcome) for outcome in ("ok", "partial",
                                                                      "error")}


def observe_operation(seconds: float, errors: Sequence[object] | None,
                      data: object | None) -> None:
    """Count one operation by outcome and observe its latency."""
    GRAPHQL_LATENCY.observe(seconds)
    _OUTCOMES["ok" if not errors else "partial" if data else "error"].inc()


class GraphQLMetrics(SchemaExtension):
    """Counts every operation by outcome and observes its latency. (``graph.plain_execution``
    does the same itself on its plain path, where no extension runs.)"""

    def on_operation(self) -> Iterator[None]:
        started = time.perf_counter()
        try:
            yield
        finally:
            context = self.execution_context
            result = context.result
            errors = (result.errors if result is not None else None) or \
                context.pre_execution_errors
            observe_operation(time.perf_counter() - started, errors,
                              result.data if result is not None else None)


async def metrics_endpoint(request: Request) -> Response:
    """``GET /metrics``: the default registry in the Prometheus text format."""
    return Response(generate_latest(REGISTRY), media_type=CONTENT_TYPE_LATEST)

"""Prometheus metrics of the upstream calls, on the default registry (``/metrics`` serves it).

    productgraph_upstream_requests_total{channel,method,outcome}
        one per attempt that reached the upstream (outcome ``ok`` or the error code in lower
        case: ``upstream_error``, ``upstream_timeout``, ``rate_limited``, ``not_found`` …),
        plus one per call refused locally (``banned``, ``circuit_open``)
    productgraph_upstream_latency_seconds{channel,method}      attempt latency
    productgraph_upstream_retries_total{channel,method}        retries after a failure
    productgraph_upstream_budget_wait_seconds{channel}         time spent waiting for a slot
    productgraph_upstream_budget_refused_total{upstream,reason}  refused: no slot in time
                                                  (reason ``deadline`` or ``queue_full``)
    productgraph_upstream_redis_fallbacks_total{channel,purpose}  Redis failed; local used
    productgraph_upstream_circuit_open{channel}                1 while the breaker is open
"""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

UPSTREAM_REQUESTS = Counter(
    "productgraph_upstream_requests",
    "Upstream attempts and locally refused calls, by outcome.",
    ["channel", "method", "outcome"],
)
UPSTREAM_LATENCY = Histogram(
    "productgraph_upstream_latency_seconds",
    "Latency of one upstream attempt.",
    ["channel", "method"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
UPSTREAM_RETRIES = Counter(
    "productgraph_upstream_retries",
    "Retries of idempotent calls after a retryable failure.",
    ["channel", "method"],
)
BUDGET_WAIT = Histogram(
    "productgraph_upstream_budget_wait_seconds",
    "Time a call waited for a slot of the channel's QPS budget.",
    ["channel"],
    buckets=(0.0, 0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
REDIS_FALLBACKS = Counter(
    "productgraph_upstream_redis_fallbacks",
    "Times Redis could not be used and the per-process state was used instead.",
    ["channel", "purpose"],
)
CIRCUIT_OPEN = Gauge(
    "productgraph_upstream_circuit_open",
    "1 while the channel's circuit breaker is open or half-open, else 0.",
    ["channel"],
)
BUDGET_REFUSED = Counter(
    "productgraph_upstream_budget_refused",
    "Calls refused at once (RATE_LIMITED) because no budget slot could be had before the "
    "request's deadline, or the upstream's queue was full.",
    ["upstream", "reason"],
)

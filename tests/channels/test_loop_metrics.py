"""The hot path's counters and histogram (channels/loop_metrics.py) scrape exactly as the
prometheus-client metrics they replace: same names, help, labels, samples and buckets."""

from __future__ import annotations

import re

import pytest
from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest

from channels.loop_metrics import LoopCounter, LoopHistogram

BUCKETS = (0.005, 0.01, 0.025, 0.1, 1.0, 10.0)
#: Observations on, just past and beyond the bucket bounds.
OBSERVED = (0.0, 0.005, 0.0051, 0.01, 0.3, 1.0, 9.99, 10.0, 10.01, 250.0)


def scraped(registry: CollectorRegistry) -> str:
    """The text exposition with the ``_created`` timestamps' values blanked."""
    text = generate_latest(registry).decode()
    return re.sub(r"(_created(\{[^}]*\})?) \S+", r"\1 T", text)


def test_a_loop_counter_scrapes_as_a_prometheus_counter() -> None:
    theirs, ours = CollectorRegistry(), CollectorRegistry()
    reference = Counter("pg_lookups", "Lookups by part and result.", ["part", "result"],
                        registry=theirs)
    counter = LoopCounter("pg_lookups", "Lookups by part and result.", ["part", "result"],
                          registry=ours)
    for part, result, amount in (("core", "hit", 1), ("core", "hit", 1), ("media", "miss", 3),
                                 ("core", "stale", 0.5)):
        reference.labels(part, result).inc(amount)
        counter.labels(part, result).inc(amount)
    reference.labels("seller", "bypass")      # made, never counted: exposed at 0
    counter.labels("seller", "bypass")
    assert scraped(ours) == scraped(theirs)
    assert "pg_lookups_total{part=\"core\",result=\"hit\"} 2.0" in scraped(ours)
    assert counter.labels("media", "miss").value == 3


def test_a_loop_counter_refuses_what_a_counter_refuses() -> None:
    counter = LoopCounter("pg_refusals", "Refusals.", ["reason"], registry=None)
    with pytest.raises(ValueError):
        counter.labels("deadline").inc(-1)
    with pytest.raises(ValueError):
        counter.labels("deadline", "extra")


def test_a_loop_histogram_scrapes_as_a_prometheus_histogram() -> None:
    theirs, ours = CollectorRegistry(), CollectorRegistry()
    reference = Histogram("pg_latency_seconds", "Latency.", buckets=BUCKETS, registry=theirs)
    histogram = LoopHistogram("pg_latency_seconds", "Latency.", buckets=BUCKETS,
                              registry=ours)
    for amount in OBSERVED:
        reference.observe(amount)
        histogram.observe(amount)
    assert scraped(ours) == scraped(theirs)
    # On the bound counts in that bucket (le: less than or equal), as the format says.
    assert 'pg_latency_seconds_bucket{le="0.005"} 2.0' in scraped(ours)
    assert 'pg_latency_seconds_bucket{le="+Inf"} 10.0' in scraped(ours)

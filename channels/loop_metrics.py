"""Counters and a histogram for the hot path, read by Prometheus at scrape time.

prometheus-client's ``Counter.inc`` checks the metric, takes a lock and adds (0.33 µs);
its ``Histogram.observe`` does that twice (0.65 µs). A request the response cache cannot
answer counts six to eight times — the part cache's hits, the response cache's result, the
operation's outcome and latency — which was ~2.5 µs of it (bench/README.md). These count
into plain attributes instead, and a collector on the default registry turns them into the
same families at scrape time: the same names, labels, help, ``_total`` and ``_created``
samples and histogram buckets as the prometheus-client metrics they replace.

They are counted without a lock, so they are for counts made on the event loop's thread
(the part cache, the response cache, the operation), where nothing interleaves with an
increment; anything counted from other threads keeps prometheus-client's metrics.
"""

from __future__ import annotations

import bisect
import time
from collections.abc import Iterator, Sequence

from prometheus_client import REGISTRY, CollectorRegistry
from prometheus_client import metrics as prometheus_metrics
from prometheus_client.core import CounterMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.registry import Collector
from prometheus_client.samples import Sample
from prometheus_client.utils import floatToGoString


class Count:
    """One labelled child of a ``LoopCounter``: ``inc`` adds to ``value``."""

    __slots__ = ("created", "value")

    def __init__(self) -> None:
        self.value = 0.0
        self.created = time.time()

    def inc(self, amount: float = 1.0) -> None:
        if amount < 0:
            raise ValueError("Counters can only be incremented by non-negative amounts.")
        self.value += amount


class LoopCounter(Collector):
    """A labelled counter (``labels(...).inc()``), exposed as prometheus-client exposes a
    ``Counter`` of the same name: ``<name>_total`` and ``<name>_created`` per child made."""

    def __init__(self, name: str, documentation: str, labelnames: Sequence[str],
                 registry: CollectorRegistry | None = REGISTRY) -> None:
        self.name = name.removesuffix("_total")
        self.documentation = documentation
        self.labelnames = tuple(labelnames)
        self._children: dict[tuple[str, ...], Count] = {}
        if registry is not None:
            registry.register(self)

    def labels(self, *values: str) -> Count:
        """The child of these label values (made on first use, as prometheus-client)."""
        if len(values) != len(self.labelnames):
            raise ValueError(f"{self.name} takes {len(self.labelnames)} label values")
        key = tuple(str(value) for value in values)
        child = self._children.get(key)
        if child is None:
            child = self._children[key] = Count()
        return child

    def describe(self) -> Iterator[Metric]:
        yield CounterMetricFamily(self.name, self.documentation, labels=self.labelnames)

    def collect(self) -> Iterator[Metric]:
        family = CounterMetricFamily(self.name, self.documentation, labels=self.labelnames)
        created = _created_series()
        for key, child in list(self._children.items()):
            family.add_metric(key, child.value, created=child.created if created else None)
        yield family


class LoopHistogram(Collector):
    """An unlabelled histogram (``observe``), exposed as prometheus-client exposes a
    ``Histogram`` with these buckets: cumulative ``_bucket``, ``_count``, ``_sum`` and
    ``_created``."""

    def __init__(self, name: str, documentation: str, buckets: Sequence[float],
                 registry: CollectorRegistry | None = REGISTRY) -> None:
        self.name = name
        self.documentation = documentation
        bounds = sorted(float(b) for b in buckets)
        if bounds and bounds[-1] != float("inf"):
            bounds.append(float("inf"))
        self._bounds = bounds
        self._finite = bounds[:-1]
        #: The ``le`` label of each bucket, as prometheus-client writes it ("+Inf", "0.5").
        self._les = [floatToGoString(b) for b in bounds]  # type: ignore[no-untyped-call]
        self._counts = [0] * len(bounds)
        self._sum = 0.0
        self._created = time.time()
        if registry is not None:
            registry.register(self)

    def observe(self, amount: float) -> None:
        self._sum += amount
        self._counts[bisect.bisect_left(self._finite, amount)] += 1

    def describe(self) -> Iterator[Metric]:
        yield HistogramMetricFamily(self.name, self.documentation)

    def collect(self) -> Iterator[Metric]:
        family = HistogramMetricFamily(self.name, self.documentation)
        cumulative, buckets = 0, []
        for le, count in zip(self._les, list(self._counts), strict=True):
            cumulative += count
            buckets.append((le, float(cumulative)))
        family.add_metric([], buckets, self._sum)
        if _created_series():
            family.samples.append(Sample(f"{self.name}_created", {}, self._created))
        yield family


def _created_series() -> bool:
    """Whether ``_created`` samples are exposed: as prometheus-client decides for its own
    metrics (``PROMETHEUS_DISABLE_CREATED_SERIES``, ``disable_created_metrics()``)."""
    return bool(getattr(prometheus_metrics, "_use_created", True))

"""Invocation metrics of endpoints (namespace AWS/SageMaker, dimensions EndpointName + VariantName).

The request path adds to a per-second accumulator under a lock (a few dict updates); a thread
flushes the finished seconds as statistic sets into the CloudWatch store every second, so
GetMetricStatistics / GetMetricData read them like SageMaker's own metrics."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Protocol

log = logging.getLogger("sagecraft.hosting.metrics")

NAMESPACE = "AWS/SageMaker"
FLUSH_SECONDS = 1.0
UNITS = {"ModelLatency": "Microseconds", "OverheadLatency": "Microseconds", "ModelSetupTime": "Microseconds"}

Series = dict[tuple[str, tuple[tuple[str, str], ...]], list[tuple[int, float, float, float, float]]]


class MetricsSink(Protocol):
    def record_statistics(self, namespace: str, series: Mapping, *, account_id: str, region: str,
                          units: Mapping[str, str] | None = None) -> None: ...


@dataclass
class _Stat:
    count: float = 0.0
    total: float = 0.0
    low: float = float("inf")
    high: float = float("-inf")

    def add(self, value: float) -> None:
        self.count += 1
        self.total += value
        self.low = min(self.low, value)
        self.high = max(self.high, value)


@dataclass
class _Second:
    """One (endpoint, variant) second: counts and latency statistic sets."""

    instances: int = 1
    invocations: int = 0
    errors_4xx: int = 0
    errors_5xx: int = 0
    latencies: dict[str, _Stat] = field(default_factory=dict)


class InvocationMetrics:
    def __init__(self, sink: MetricsSink | None, flush_seconds: float = FLUSH_SECONDS) -> None:
        self.sink = sink
        self.flush_seconds = flush_seconds
        self._seconds: dict[tuple[str, str, str, str, int], _Second] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="hosting-metrics", daemon=True)

    def start(self) -> None:
        if self.sink is not None:
            self._thread.start()

    def invocation(self, account_id: str, region: str, endpoint: str, variant: str, instances: int, status: int,
                   model_us: float | None, overhead_us: float | None) -> None:
        """One answered InvokeEndpoint (``status`` the HTTP status the client got)."""
        if self.sink is None:
            return
        with self._lock:
            second = self._slot(account_id, region, endpoint, variant, instances)
            if 400 <= status < 500:
                second.errors_4xx += 1
            elif status >= 500:
                second.errors_5xx += 1
            else:
                second.invocations += 1
            if model_us is not None:
                second.latencies.setdefault("ModelLatency", _Stat()).add(model_us)
            if overhead_us is not None:
                second.latencies.setdefault("OverheadLatency", _Stat()).add(overhead_us)

    def latency(self, account_id: str, region: str, endpoint: str, variant: str, name: str, micros: float) -> None:
        """A latency outside invocations, e.g. ModelSetupTime of a cold start or a model load."""
        if self.sink is None:
            return
        with self._lock:
            self._slot(account_id, region, endpoint, variant, 1).latencies.setdefault(name, _Stat()).add(micros)

    def gauge(self, account_id: str, region: str, endpoint: str, name: str, value: float) -> None:
        """An endpoint-level sample (dimension EndpointName only), e.g. ApproximateBacklogSize, stored now."""
        if self.sink is None:
            return
        series = {(name, (("EndpointName", endpoint),)): [(int(time.time()) * 1000, 1.0, value, value, value)]}
        self.sink.record_statistics(NAMESPACE, series, account_id=account_id, region=region)

    def _slot(self, account_id: str, region: str, endpoint: str, variant: str, instances: int) -> _Second:
        key = (account_id, region, endpoint, variant, int(time.time()))
        second = self._seconds.get(key)
        if second is None:
            second = self._seconds[key] = _Second()
        second.instances = max(1, instances)
        return second

    def close(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(10)
        self.flush(everything=True)

    def _run(self) -> None:
        while not self._stop.wait(self.flush_seconds):
            try:
                self.flush()
            except Exception:
                log.exception("could not store invocation metrics")

    def flush(self, everything: bool = False) -> None:
        now = int(time.time())
        with self._lock:
            done = {k: v for k, v in self._seconds.items() if everything or k[4] < now}
            for key in done:
                del self._seconds[key]
        by_scope: dict[tuple[str, str], Series] = {}
        for (account_id, region, endpoint, variant, second), values in done.items():
            series = by_scope.setdefault((account_id, region), {})
            dims = (("EndpointName", endpoint), ("VariantName", variant))
            when = second * 1000
            answered = values.invocations + values.errors_4xx + values.errors_5xx
            counts = {"Invocations": answered, "InvocationsPerInstance": answered / values.instances,
                      "Invocation4XXErrors": values.errors_4xx, "Invocation5XXErrors": values.errors_5xx}
            for name, value in counts.items():
                series.setdefault((name, dims), []).append((when, 1.0, float(value), float(value), float(value)))
            for name, stat in values.latencies.items():
                series.setdefault((name, dims), []).append((when, stat.count, stat.total, stat.low, stat.high))
        for (account_id, region), series in by_scope.items():
            assert self.sink is not None
            self.sink.record_statistics(NAMESPACE, series, account_id=account_id, region=region, units=UNITS)

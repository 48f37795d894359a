"""Rules of the invocation path that need no server: load shedding per instance, the per-second
metric accumulation and what it flushes."""

from __future__ import annotations

import pytest

from sagecraft.services.hosting import runtime_provider
from sagecraft.services.hosting.metrics import NAMESPACE, InvocationMetrics
from sagecraft.services.hosting.routes import InstanceRoute, VariantRoute
from sagecraft.services.hosting.runtime_provider import RuntimeProvider, ServiceUnavailable


def _variant(*ports: int) -> VariantRoute:
    return VariantRoute("AllTraffic", 1.0, tuple(InstanceRoute((p,), ("c",), "s", "/tmp") for p in ports), (None,))


def test_instances_with_too_much_in_flight_are_skipped_then_shed(monkeypatch):
    monkeypatch.setattr(runtime_provider, "MAX_IN_FLIGHT", 2)
    provider = RuntimeProvider(service=None, reconciler=None)  # type: ignore[arg-type]
    variant = _variant(1001, 1002)
    provider._in_flight = {1001: 2, 1002: 1}
    assert {provider._pick_instance(variant).ports[0] for _ in range(4)} == {1002}
    provider._in_flight[1002] = 2
    with pytest.raises(ServiceUnavailable) as excinfo:
        provider._pick_instance(variant)
    assert excinfo.value.code == "ServiceUnavailable" and "overloaded" in excinfo.value.message


class _Sink:
    def __init__(self) -> None:
        self.calls: list[tuple] = []

    def record_statistics(self, namespace, series, *, account_id, region, units=None):
        self.calls.append((namespace, dict(series), account_id, region, units))


def test_metrics_accumulate_per_second_and_flush_statistic_sets():
    sink = _Sink()
    metrics = InvocationMetrics(sink)
    for model_us in (100.0, 300.0):
        metrics.invocation("1", "r", "ep", "v", 2, 200, model_us, 50.0)
    metrics.invocation("1", "r", "ep", "v", 2, 424, None, 20.0)
    metrics.invocation("1", "r", "ep", "v", 2, 503, None, 20.0)
    metrics.flush(everything=True)
    [(namespace, series, account, region, units)] = sink.calls
    assert (namespace, account, region) == (NAMESPACE, "1", "r")
    dims = (("EndpointName", "ep"), ("VariantName", "v"))
    values = {name: points for (name, d), points in series.items() if d == dims}
    assert values["Invocations"][0][2] == 4
    assert values["InvocationsPerInstance"][0][2] == 2
    assert values["Invocation4XXErrors"][0][2] == 1 and values["Invocation5XXErrors"][0][2] == 1
    _, count, total, low, high = values["ModelLatency"][0]
    assert (count, total, low, high) == (2, 400.0, 100.0, 300.0)
    assert values["OverheadLatency"][0][1] == 4
    assert units["ModelLatency"] == "Microseconds"
    metrics.flush(everything=True)
    assert len(sink.calls) == 1, "a flushed second is not written again"

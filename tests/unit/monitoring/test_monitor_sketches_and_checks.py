"""The analyzer's statistics and data-quality checks, in-process on small data."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from sagecraft.executors.algorithms.model_monitor import checks, constraints, sketches
from sagecraft.executors.algorithms.model_monitor.profile import Profiler


def _profile(frame: pd.DataFrame, expected: dict | None = None) -> Profiler:
    profiler = Profiler(expected)
    profiler.add(pa.Table.from_pandas(frame, preserve_index=False))
    return profiler


@pytest.mark.parametrize("count", [0, 1, 7, 5000, 60000])
def test_sketch_levels_are_the_retained_items_with_their_weights(count):
    sketch = sketches.build(np.random.default_rng(count).normal(size=count))
    expected = sorted((float(item), float(weight)) for item, weight in sketch)
    found = sketches.sample(sketch)
    assert sorted(zip(found.items.tolist(), found.weights.tolist(), strict=True)) == expected
    assert found.total == count
    assert sketches.WeightedSample.from_json(sketches.to_json(sketch)).total == count


def test_cdf_distance_is_the_two_sample_ks_statistic_on_small_samples():
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=800), rng.normal(0.5, 1, size=900)
    every = np.union1d(a, b)
    exact = np.max(np.abs(np.searchsorted(np.sort(a), every, "right") / len(a)
                          - np.searchsorted(np.sort(b), every, "right") / len(b)))
    distance = sketches.cdf_distance(sketches.sample(sketches.build(a)), sketches.sample(sketches.build(b)))
    assert distance == pytest.approx(exact)  # below k items a KLL sketch is exact
    assert sketches.cdf_distance(sketches.sample(sketches.build(a)), sketches.sample(sketches.build(a))) == 0.0


def test_statistics_match_pandas_and_types_are_inferred():
    rng = np.random.default_rng(1)
    frame = pd.DataFrame({"count": rng.integers(0, 9, 200), "x": rng.normal(3, 2, 200),
                          "colour": rng.choice(["red", "blue", "green"], 200)})
    frame.loc[:19, "x"] = np.nan
    stats = {f["name"]: f for f in _profile(frame).statistics()["features"]}
    assert {n: f["inferred_type"] for n, f in stats.items()} == {"count": "Integral", "x": "Fractional",
                                                                 "colour": "String"}
    x = stats["x"]["numerical_statistics"]
    assert x["common"] == {"num_present": 180, "num_missing": 20}
    assert x["mean"] == pytest.approx(frame["x"].mean()) and x["std_dev"] == pytest.approx(frame["x"].std())
    assert (x["min"], x["max"]) == (frame["x"].min(), frame["x"].max())
    assert sum(b["count"] for b in x["distribution"]["kll"]["buckets"]) == 180
    colour = stats["colour"]["string_statistics"]
    assert {b["value"]: b["count"] for b in colour["distribution"]["categorical"]["buckets"]} == \
        frame["colour"].value_counts().to_dict()


def test_text_columns_are_typed_by_their_values():
    table = pa.table({"ints": pa.array(["1", "2", None, " "]), "floats": pa.array(["1.5", "2", "3e2", None]),
                      "words": pa.array(["1", "two", "3", "4"])})
    profiler = Profiler()
    profiler.add(table)
    found = {f["name"]: f for f in profiler.statistics()["features"]}
    assert [found[n]["inferred_type"] for n in ("ints", "floats", "words")] == ["Integral", "Fractional", "String"]
    assert found["ints"]["numerical_statistics"]["common"] == {"num_present": 2, "num_missing": 2}


def _baseline(frame: pd.DataFrame, method: str | None = None) -> tuple[dict, dict]:
    stats = _profile(frame).statistics()
    return stats, constraints.suggest(stats, method)


def _violations(baseline: tuple[dict, dict], frame: pd.DataFrame) -> list[tuple[str, str]]:
    stats, rules = baseline
    current = _profile(frame, {f["name"]: f["inferred_type"] for f in rules["features"]})
    result = checks.evaluate(current.features, current.item_count, rules, stats)
    return sorted((v["feature_name"], v["constraint_check_type"]) for v in result.violations)


def _data(rows: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame({"a": rng.normal(0, 1, rows), "b": rng.normal(5, 2, rows), "n": rng.integers(0, 50, rows),
                         "kind": rng.choice(["x", "y"], rows, p=[0.7, 0.3])})


def test_same_distribution_has_no_violation_and_shifts_are_found():
    baseline = _baseline(_data(3000, 1))
    assert _violations(baseline, _data(800, 2)) == []
    shifted = _data(800, 3)
    shifted["a"] += 3.0
    shifted.loc[shifted.index[:240], "b"] = np.nan
    shifted["kind"] = np.random.default_rng(4).choice(["x", "y"], 800, p=[0.3, 0.7])
    assert _violations(baseline, shifted) == [("a", "baseline_drift_check"), ("b", "completeness_check"),
                                              ("kind", "baseline_drift_check")]


def test_columns_types_and_domains():
    baseline = _baseline(_data(1000, 1))
    current = _data(300, 2).drop(columns=["b"]).assign(extra=1.0)
    current["n"] = current["n"] + 0.5  # no longer integers
    current.loc[current.index[:30], "kind"] = "z"  # outside the baseline's domain
    found = _violations(baseline, current)
    assert ("b", "missing_column_check") in found and ("extra", "extra_column_check") in found
    assert ("n", "data_type_check") in found and ("kind", "categorical_values_check") in found


def test_chi_squared_and_disabled_evaluation():
    frame = _data(2000, 1)
    stats, rules = _baseline(frame, "ChiSquared")
    assert rules["monitoring_config"]["distribution_constraints"]["categorical_drift_method"] == "ChiSquared"
    moved = _data(500, 2)
    moved["kind"] = np.random.default_rng(5).choice(["x", "y"], 500, p=[0.5, 0.5])
    assert ("kind", "baseline_drift_check") in _violations((stats, rules), moved)
    rules["monitoring_config"]["evaluate_constraints"] = "Disabled"
    assert _violations((stats, rules), moved) == []


def test_simple_method_and_per_feature_overrides():
    stats, rules = _baseline(_data(3000, 1))
    nudged = _data(3000, 2)
    nudged["a"] += 0.2  # a KS distance near 0.08
    assert _violations((stats, rules), nudged) == []
    rules["monitoring_config"]["distribution_constraints"]["comparison_method"] = "Simple"
    for feature in rules["features"]:
        if feature["name"] == "a":
            feature["monitoringConfigOverrides"] = {"comparison_threshold": 0.05}
    assert _violations((stats, rules), nudged) == [("a", "baseline_drift_check")]


def test_data_quality_metrics_name_each_feature():
    from sagecraft.executors.algorithms.model_monitor import publish

    stats, rules = _baseline(_data(500, 1))
    current = _profile(_data(200, 2), {f["name"]: f["inferred_type"] for f in rules["features"]})
    result = checks.evaluate(current.features, current.item_count, rules, stats)
    values = publish.data_quality_metrics(current.statistics(), result.drift)
    assert values["feature_non_null_a"] == 200 and values["feature_null_a"] == 0
    assert set(result.drift) == {"a", "b", "n", "kind"}
    assert {f"feature_baseline_drift_{name}" for name in result.drift} <= set(values)
    b_mean = current.statistics()["features"][1]["numerical_statistics"]["mean"]
    assert values["feature_mean_b"] == pytest.approx(b_mean)


def test_non_finite_metrics_are_not_published(monkeypatch):
    """CloudWatch refuses NaN: a statistic of an all-missing feature is left out, the others are sent."""
    import boto3

    from sagecraft.executors.algorithms.model_monitor import publish

    sent: list[dict] = []

    class Client:
        def put_metric_data(self, Namespace, MetricData):
            sent.extend(MetricData)

    monkeypatch.setattr(boto3, "client", lambda *args, **kwargs: Client())
    monkeypatch.setenv("sagemaker_endpoint_name", "ep")
    monkeypatch.setenv("sagemaker_monitoring_schedule_name", "schedule")
    count = publish.publish("aws/sagemaker/Endpoints/data-metrics",
                            {"feature_mean_a": 1.5, "feature_mean_b": float("nan"), "feature_max_c": float("inf")})
    assert count == 1 and [point["MetricName"] for point in sent] == ["feature_mean_a"]

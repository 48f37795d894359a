"""The data-quality checks of a monitoring run: current statistics against the baseline's
constraints (constraints.json) and statistics (statistics.json).

- data_type_check: the share of present values of the baseline's type is below
  ``datatype_check_threshold`` (default 1.0).
- completeness_check: the share of present values is below the baseline's completeness.
- baseline_drift_check, numbers: the largest distance between the baseline's and the current CDF
  (the two-sample Kolmogorov-Smirnov statistic over the KLL sketches) exceeds
  ``comparison_threshold`` (Simple); Robust also requires the distance to exceed the KS critical
  value at 99 % confidence for the two sample sizes plus the sketches' rank error.
- baseline_drift_check, strings: LInfinity, the largest difference of a category's share, exceeds
  ``categorical_comparison_threshold``; ChiSquared, the chi-squared test of the current counts
  against the baseline's shares has a p-value below that threshold.
- missing_column_check / extra_column_check: a baseline feature is absent / a new column appears.
- categorical_values_check: the share of values inside the baseline's domain is below
  ``domain_content_threshold``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from sagecraft.executors.algorithms.model_monitor import constraints as rules
from sagecraft.executors.algorithms.model_monitor import sketches
from sagecraft.executors.algorithms.model_monitor.profile import NUMERIC, STRING, FeatureProfile

EPSILON = 1e-9


@dataclass
class CheckResult:
    violations: list[dict[str, Any]] = field(default_factory=list)
    drift: dict[str, float] = field(default_factory=dict)  # feature → distance (metrics)

    def add(self, feature: str, check: str, description: str) -> None:
        self.violations.append({"feature_name": feature, "constraint_check_type": check,
                                "description": description})


def _percent(value: float) -> str:
    return f"{round(value * 100, 2)}%"


def evaluate(current: dict[str, FeatureProfile], item_count: int, baseline_constraints: dict[str, Any],
             baseline_statistics: dict[str, Any] | None) -> CheckResult:
    result = CheckResult()
    config = rules.settings(baseline_constraints)
    if config.get("evaluate_constraints", "Enabled") != "Enabled":
        return result
    expected = {f["name"]: f for f in baseline_constraints.get("features") or []}
    baseline = {f["name"]: f for f in (baseline_statistics or {}).get("features") or []}
    missing = [name for name in expected if name not in current]
    for name in missing:
        result.add(name, "missing_column_check",
                   f"There are missing columns in current dataset. Number of columns in current dataset: "
                   f"{len(current)}, Number of columns in baseline constraints: {len(expected)}")
    for name in current:
        if name not in expected:
            result.add(name, "extra_column_check",
                       f"There are extra columns in current dataset. Number of columns in current dataset: "
                       f"{len(current)}, Number of columns in baseline constraints: {len(expected)}")
    for name, constraint in expected.items():
        profile = current.get(name)
        if profile is None:
            continue
        settings = rules.settings(baseline_constraints, constraint)
        _check_feature(result, profile, item_count, constraint, settings, baseline.get(name))
    return result


def _check_feature(result: CheckResult, profile: FeatureProfile, item_count: int, constraint: dict[str, Any],
                   settings: dict[str, Any], baseline: dict[str, Any] | None) -> None:
    name, kind = profile.name, constraint.get("inferred_type")
    if profile.present and kind in NUMERIC:
        share = profile.conforming(kind) / profile.present
        threshold = float(settings["datatype_check_threshold"])
        if share < threshold - EPSILON:
            result.add(name, "data_type_check",
                       f"Data type match requirement is not met. Expected data type: {kind}, Expected match: "
                       f"{_percent(threshold)}. Observed: Only {_percent(share)} of data is {kind}.")
    if "completeness" in constraint and item_count:
        completeness = profile.present / item_count
        if completeness < float(constraint["completeness"]) - EPSILON:
            result.add(name, "completeness_check",
                       f"Data completeness requirement is not met. Expected completeness: "
                       f"{_percent(float(constraint['completeness']))}, Observed completeness: "
                       f"{_percent(completeness)}.")
    domain = (constraint.get("string_constraints") or {}).get("domains")
    if domain and profile.present and kind == STRING:
        inside = sum(count for value, count in profile.categories.items() if value in set(domain))
        share, threshold = inside / profile.present, float(settings["domain_content_threshold"])
        if share < threshold - EPSILON:
            result.add(name, "categorical_values_check",
                       f"Categorical values requirement is not met: {_percent(share)} of the values are in the "
                       f"baseline domain, expected at least {_percent(threshold)}.")
    distribution = settings["distribution_constraints"]
    if baseline is None or distribution.get("perform_comparison", "Enabled") != "Enabled":
        return
    if kind in NUMERIC:
        _numeric_drift(result, profile, baseline, distribution)
    elif kind == STRING:
        _categorical_drift(result, profile, baseline, distribution)


def _numeric_drift(result: CheckResult, profile: FeatureProfile, baseline: dict[str, Any],
                   distribution: dict[str, Any]) -> None:
    sketch = (baseline.get("numerical_statistics") or {}).get("distribution", {}).get("kll", {}).get("sketch")
    if not sketch or profile.sketch is None:
        return
    reference = sketches.WeightedSample.from_json(sketch)
    current = sketches.sample(profile.sketch)  # type: ignore[arg-type]
    distance = sketches.cdf_distance(reference, current)
    result.drift[profile.name] = distance
    threshold = float(distribution["comparison_threshold"])
    if distribution["comparison_method"] == "Robust":
        limit = sketches.robust_threshold(threshold, reference.total, current.total)
    else:
        limit = threshold
    if distance > limit:
        result.add(profile.name, "baseline_drift_check",
                   f"Baseline drift distance: {distance} exceeds threshold: {threshold}")


def _categorical_drift(result: CheckResult, profile: FeatureProfile, baseline: dict[str, Any],
                       distribution: dict[str, Any]) -> None:
    buckets = (baseline.get("string_statistics") or {}).get("distribution", {}).get("categorical", {}) \
        .get("buckets") or []
    reference = {b["value"]: float(b["count"]) for b in buckets}
    total_ref, total_cur = sum(reference.values()), float(sum(profile.categories.values()))
    if not total_ref or not total_cur:
        return
    values = sorted(set(reference) | set(profile.categories))
    expected = np.array([reference.get(v, 0.0) / total_ref for v in values])
    observed = np.array([profile.categories.get(v, 0) for v in values], dtype=np.float64)
    threshold = float(distribution["categorical_comparison_threshold"])
    if distribution["categorical_drift_method"] == "ChiSquared":
        from scipy.stats import chi2  # only this method needs scipy

        # a category the baseline never saw gets a pseudo-count, so its share is tiny but not zero
        shares = np.where(expected > 0, expected, 0.5 / total_ref)
        shares = shares / shares.sum()
        statistic = float(np.sum((observed - total_cur * shares) ** 2 / (total_cur * shares)))
        p_value = float(chi2.sf(statistic, max(len(values) - 1, 1)))
        result.drift[profile.name] = statistic
        if p_value < threshold:
            result.add(profile.name, "baseline_drift_check",
                       f"Baseline drift chi-squared p-value: {p_value} is below threshold: {threshold}")
        return
    distance = float(np.max(np.abs(expected - observed / total_cur)))
    result.drift[profile.name] = distance
    if distance > threshold:
        result.add(profile.name, "baseline_drift_check",
                   f"Baseline drift distance: {distance} exceeds threshold: {threshold}")

"""constraints.json: the constraints a baseline suggests, and the defaults of its monitoring_config.

A suggested constraint is what the baseline showed: each feature's inferred type and completeness,
``is_non_negative`` for numbers whose minimum is >= 0, and the domain (the values seen) of a string
feature with few distinct values. monitoring_config carries the check settings with SageMaker's
defaults (distribution comparison Robust at 0.1, categorical drift LInfinity at 0.1)."""

from __future__ import annotations

from typing import Any

from sagecraft.executors.algorithms.errors import UserError

MAX_DOMAIN_VALUES = 20  # a string feature with more distinct values gets no domain constraint
COMPARISON_METHODS = ("Robust", "Simple")
CATEGORICAL_DRIFT_METHODS = ("LInfinity", "ChiSquared")


def default_monitoring_config(categorical_drift_method: str | None = None) -> dict[str, Any]:
    method = categorical_drift_method or "LInfinity"
    if method not in CATEGORICAL_DRIFT_METHODS:
        raise UserError(f"categorical_drift_method must be LInfinity or ChiSquared, not {method!r}.")
    return {
        "evaluate_constraints": "Enabled",
        "emit_metrics": "Enabled",
        "datatype_check_threshold": 1.0,
        "domain_content_threshold": 1.0,
        "distribution_constraints": {
            "perform_comparison": "Enabled",
            "comparison_threshold": 0.1,
            "comparison_method": "Robust",
            "categorical_comparison_threshold": 0.1,
            "categorical_drift_method": method,
        },
    }


def suggest(statistics: dict[str, Any], categorical_drift_method: str | None = None) -> dict[str, Any]:
    item_count = statistics["dataset"]["item_count"] or 0
    features = []
    for feature in statistics["features"]:
        stats = feature.get("numerical_statistics") or feature.get("string_statistics") or {}
        present = stats.get("common", {}).get("num_present", 0)
        entry: dict[str, Any] = {"name": feature["name"], "inferred_type": feature["inferred_type"],
                                 "completeness": round(present / item_count, 6) if item_count else 0.0}
        if "numerical_statistics" in feature and "min" in stats:
            entry["num_constraints"] = {"is_non_negative": stats["min"] >= 0}
        elif "string_statistics" in feature:
            buckets = stats.get("distribution", {}).get("categorical", {}).get("buckets", [])
            if 0 < len(buckets) <= MAX_DOMAIN_VALUES:
                entry["string_constraints"] = {"domains": [b["value"] for b in buckets]}
        features.append(entry)
    return {"version": 0.0, "features": features,
            "monitoring_config": default_monitoring_config(categorical_drift_method)}


def settings(constraints: dict[str, Any], feature: dict[str, Any] | None = None) -> dict[str, Any]:
    """The effective check settings: monitoring_config with SageMaker's defaults, then the feature's
    monitoringConfigOverrides (a per-feature comparison threshold, say)."""
    base = default_monitoring_config()
    config = constraints.get("monitoring_config") or {}
    merged = {**base, **{k: v for k, v in config.items() if k != "distribution_constraints"}}
    distribution = {**base["distribution_constraints"], **(config.get("distribution_constraints") or {})}
    overrides = (feature or {}).get("monitoringConfigOverrides") or {}
    distribution.update({k: v for k, v in overrides.items() if k in distribution})
    merged.update({k: v for k, v in overrides.items() if k in merged and k != "distribution_constraints"})
    merged["distribution_constraints"] = distribution
    if distribution["comparison_method"] not in COMPARISON_METHODS:
        raise UserError(f"comparison_method must be Robust or Simple, not {distribution['comparison_method']!r}.")
    if distribution["categorical_drift_method"] not in CATEGORICAL_DRIFT_METHODS:
        raise UserError("categorical_drift_method must be LInfinity or ChiSquared, not "
                        f"{distribution['categorical_drift_method']!r}.")
    return merged

"""The pre-training bias report of a dataset (analysis.json's pre_training_bias_metrics) and the bias
drift check of one report against a baseline report (constraint_violations.json).

A facet or label column is categorical when several values are given, or when it holds text, or
whole numbers with at most two distinct values or few of them (under 5 % of its rows); otherwise
it is continuous and its one threshold t splits it into the interval (t, max]: rows inside it are
the facet's sensitive group, or the positive labels. A categorical facet without values is
reported one value against the rest."""

from __future__ import annotations

import logging
import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sagecraft.executors.algorithms.clarify.config import AnalysisConfig, Column, Facet
from sagecraft.executors.algorithms.clarify.metrics import DESCRIPTIONS, PRE_TRAINING, MetricUndefined
from sagecraft.executors.algorithms.errors import UserError

UNIQUENESS_THRESHOLD = 0.05  # distinct values per row above which an integer column is continuous
log = logging.getLogger("clarify")


def _typed(series: pd.Series) -> pd.Series:
    """A text column as numbers when every present value is one."""
    numbers = pd.to_numeric(series, errors="coerce")
    return numbers if numbers.notna().sum() == series.notna().sum() else series


def read_csv_dataset(folder: Path, headers: list[str] | None) -> pd.DataFrame:
    files = sorted(p for p in folder.rglob("*") if p.is_file() and not p.name.startswith(".") and p.stat().st_size)
    frames = []
    for path in files:
        frame = pd.read_csv(path, header=None, dtype=str, skipinitialspace=True)
        if frame.empty:
            continue
        first = [str(v).strip() for v in frame.iloc[0]]
        if headers is None:  # the file's first row names its columns
            frame = frame.iloc[1:].set_axis(first, axis=1)
        else:
            if first == headers:
                frame = frame.iloc[1:]
            if frame.shape[1] != len(headers):
                raise UserError(
                    f"The dataset file {path.name} has {frame.shape[1]} columns but the analysis "
                    f"configuration's headers name {len(headers)}."
                )
            frame = frame.set_axis(headers, axis=1)
        frames.append(frame)
    if not frames:
        raise UserError(f"No data to analyze: the dataset input {folder} holds no records.")
    data = pd.concat(frames, ignore_index=True)
    return data.apply(_typed)


def column_name(data: pd.DataFrame, column: Column, what: str) -> str:
    if isinstance(column, int) and not isinstance(column, bool):
        if not 0 <= column < data.shape[1]:
            raise UserError(f"The {what} index {column} is out of range: the dataset has {data.shape[1]} columns.")
        return str(data.columns[column])
    if str(column) not in data.columns:
        raise UserError(
            f"The {what} column '{column}' is not present in the dataset (columns: "
            f"{', '.join(map(str, data.columns))})."
        )
    return str(column)


def is_continuous(series: pd.Series, values: list[Any]) -> bool:
    if len(values) > 1 or not pd.api.types.is_numeric_dtype(series):
        return False
    if pd.api.types.is_float_dtype(series) and not (series.dropna() % 1 == 0).all():
        return True
    if series.nunique() <= 2:  # a binary column (0/1) is categorical however few rows it has
        return False
    return series.nunique() / max(series.count(), 1) >= UNIQUENESS_THRESHOLD


def _text(value: Any) -> str:
    if isinstance(value, float | np.floating) and float(value).is_integer():
        return str(int(value))
    return str(value).strip()


def _categorical_mask(series: pd.Series, values: list[Any]) -> np.ndarray:
    wanted = {_text(v) for v in values}
    return series.map(_text).isin(wanted).to_numpy(dtype=bool)


def _threshold_mask(series: pd.Series, values: list[Any], what: str) -> tuple[np.ndarray, str]:
    if not values:
        raise UserError(f"The {what} '{series.name}' is continuous: give one numeric threshold for it.")
    try:
        threshold = float(values[0]) if not isinstance(values[0], int | float) else values[0]
    except (TypeError, ValueError):
        raise UserError(
            f"The {what} '{series.name}' is continuous: its value must be one numeric threshold, not {values[0]!r}."
        ) from None
    breaks = pd.IntervalIndex.from_breaks(sorted({threshold, series.max()}))
    return (series > threshold).to_numpy(dtype=bool), ",".join(map(str, breaks))


def positive_labels(series: pd.Series, values: list[Any]) -> tuple[np.ndarray, str]:
    if is_continuous(series, values):
        return _threshold_mask(series, values, "label")
    positive = _categorical_mask(series, values)
    if not positive.any():
        log.warning("no row of the label column '%s' has the values %s", series.name, values)
    return positive, ",".join(map(str, values))


def facet_groups(series: pd.Series, facet: Facet) -> list[tuple[str, np.ndarray]]:
    """(value_or_threshold, sensitive-group mask) for each group the facet is reported for."""
    if is_continuous(series, facet.values):
        mask, interval = _threshold_mask(series, facet.values, "facet")
        return [(interval, mask)]
    if facet.values:
        return [(",".join(map(str, facet.values)), _categorical_mask(series, facet.values))]
    return [(str(value), _categorical_mask(series, [value])) for value in series.unique()]


def _metric(name: str, facet: np.ndarray, positive: np.ndarray, group: np.ndarray | None) -> dict[str, Any]:
    entry: dict[str, Any] = {"name": name, "description": DESCRIPTIONS[name]}
    try:
        value = PRE_TRAINING[name](facet, positive, group)
    except MetricUndefined as error:
        log.warning("%s: %s", name, error)
        return entry | {"value": None, "error": str(error)}
    entry["value"] = value if math.isfinite(value) else ("Infinity" if value > 0 else "-Infinity")
    return entry


def pre_training_report(data: pd.DataFrame, config: AnalysisConfig) -> dict[str, Any]:
    label = column_name(data, config.label, "label")
    facets = [(column_name(data, f.name_or_index, "facet"), f) for f in config.facets]
    group_name = (
        column_name(data, config.group_variable, "group variable") if config.group_variable is not None else None
    )
    needed = [label, *(name for name, _ in facets), *([group_name] if group_name else [])]
    complete = data.dropna(subset=needed)
    if len(complete) < len(data):
        log.info("dropped %d rows missing the label, a facet or the group variable", len(data) - len(complete))
    if complete.empty:
        raise UserError("No data to analyze: no row has the label and the facets.")
    positive, label_value = positive_labels(complete[label], config.label_values)
    group = complete[group_name].to_numpy() if group_name else None
    report: dict[str, Any] = {"label": label, "label_value_or_threshold": label_value, "facets": {}}
    for name, facet in facets:
        report["facets"][name] = [
            {"value_or_threshold": value, "metrics": [_metric(m, mask, positive, group) for m in config.metrics]}
            for value, mask in facet_groups(complete[name], facet)
        ]
    return report


def drift_violations(analysis: dict[str, Any], baseline: dict[str, Any]) -> list[dict[str, Any]]:
    """A violation for each metric further from 0 than the baseline's value of it (Model Monitor's
    bias drift check): e.g. DPL -0.3 against a baseline of 0.2."""
    reference = baseline.get("pre_training_bias_metrics")
    if not isinstance(reference, dict):
        raise UserError(
            "The baseline constraints hold no pre_training_bias_metrics: supply the analysis.json "
            "of a pre-training bias analysis."
        )
    limits = {
        (facet, group.get("value_or_threshold"), metric.get("name")): metric.get("value")
        for facet, groups in (reference.get("facets") or {}).items()
        for group in groups
        for metric in group.get("metrics") or []
    }
    found = []
    for facet, groups in analysis["pre_training_bias_metrics"]["facets"].items():
        for group in groups:
            for metric in group["metrics"]:
                limit = limits.get((facet, group["value_or_threshold"], metric["name"]))
                value = metric.get("value")
                if not isinstance(limit, int | float) or not isinstance(value, int | float):
                    continue
                if abs(value) - abs(limit) > 1e-12:
                    found.append(
                        {
                            "facet": facet,
                            "facet_value": group["value_or_threshold"],
                            "metric_name": metric["name"],
                            "constraint_check_type": "bias_drift_check",
                            "description": f"Value {value} does not meet the constraint requirement",
                        }
                    )
    return found

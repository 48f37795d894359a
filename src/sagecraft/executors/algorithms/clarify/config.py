"""analysis_config.json: what a Clarify processing job analyzes (see the SageMaker developer guide,
"Analysis configuration files"). Sagecraft runs the pre-training bias analysis of a CSV dataset;
the other analyses are refused with a ClientError naming them."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sagecraft.executors.algorithms.clarify.metrics import PRE_TRAINING
from sagecraft.executors.algorithms.errors import UserError

SUPPORTED_DATASET_TYPES = ("text/csv",)
# Analyses Clarify runs that Sagecraft does not (yet): each needs a model or explainer.
UNSUPPORTED_METHODS = ("post_training_bias", "shap", "pdp", "asymmetric_shapley_value")
# Data layouts Sagecraft does not read yet: facets in a dataset of their own, a dataset by URI.
UNSUPPORTED_FIELDS = ("facet_dataset_uri", "joinsource_name_or_index", "dataset_uri", "predicted_label_dataset_uri")

Column = str | int  # a header name or a 0-based column index


@dataclass(frozen=True)
class Facet:
    name_or_index: Column
    values: list[Any] = field(default_factory=list)  # value_or_threshold; empty: each value against the rest


@dataclass(frozen=True)
class AnalysisConfig:
    dataset_type: str
    headers: list[str] | None
    label: Column
    label_values: list[Any]
    facets: list[Facet]
    group_variable: Column | None
    metrics: list[str]  # pre-training metric names, sorted
    report: dict[str, Any] | None


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list | tuple) else [value]


def _metric_names(selected: Any) -> list[str]:
    if selected in (None, "all") or selected == ["all"]:
        return sorted(PRE_TRAINING)
    names = [n.strip() for n in selected.split(",")] if isinstance(selected, str) else list(selected)
    unknown = [n for n in names if n not in PRE_TRAINING]
    if unknown:
        raise UserError(
            f"Invalid pre_training_bias methods {unknown}: the pre-training bias metrics are "
            f'{", ".join(sorted(PRE_TRAINING))} (or "all").'
        )
    return sorted(set(names))


def parse(raw: dict[str, Any]) -> AnalysisConfig:
    dataset_type = raw.get("dataset_type") or ""
    if dataset_type not in SUPPORTED_DATASET_TYPES:
        raise UserError(
            f"dataset_type '{dataset_type}' is not supported by Sagecraft yet: its Clarify analyzer reads "
            f"{', '.join(SUPPORTED_DATASET_TYPES)} datasets."
        )
    unsupported_fields = [f for f in UNSUPPORTED_FIELDS if raw.get(f) is not None]
    if unsupported_fields:
        raise UserError(
            f"The analysis configuration fields {unsupported_fields} are not supported by Sagecraft "
            "yet: give the whole dataset as the processing job's 'dataset' input."
        )
    methods = raw.get("methods") or {}
    unsupported = [m for m in UNSUPPORTED_METHODS if m in methods]
    if unsupported:
        raise UserError(
            f"The Clarify analysis methods {unsupported} are not supported by Sagecraft yet: it runs "
            "pre_training_bias only."
        )
    if "pre_training_bias" not in methods:
        raise UserError("The analysis configuration names no method to run: add methods.pre_training_bias.")
    if raw.get("label") is None:
        raise UserError("A bias analysis needs the label: set 'label' in the analysis configuration.")
    label_values = _as_list(raw.get("label_values_or_threshold"))
    if not label_values:
        raise UserError(
            "Positive label values or thresholds are empty for Label column: set 'label_values_or_threshold'."
        )
    facets = []
    for item in _as_list(raw.get("facet")):
        if not isinstance(item, dict) or item.get("name_or_index") is None:
            raise UserError(f"Invalid facet {json.dumps(item)}: a facet needs name_or_index.")
        facets.append(Facet(item["name_or_index"], _as_list(item.get("value_or_threshold"))))
    if not facets:
        raise UserError("A bias analysis needs at least one facet: set 'facet' in the analysis configuration.")
    headers = raw.get("headers")
    return AnalysisConfig(
        dataset_type=dataset_type,
        headers=[str(h) for h in headers] if headers else None,
        label=raw["label"],
        label_values=label_values,
        facets=facets,
        group_variable=raw.get("group_variable"),
        metrics=_metric_names((methods.get("pre_training_bias") or {}).get("methods")),
        report=methods.get("report"),
    )


def load(path: Path) -> AnalysisConfig:
    if path.is_dir():
        candidates = (
            [path / "analysis_config.json"]
            if (path / "analysis_config.json").is_file()
            else sorted(p for p in path.rglob("*.json") if p.is_file())
        )
        if not candidates:
            raise UserError(
                f"No analysis configuration found in {path}: the processing job needs the "
                "'analysis_config' input holding analysis_config.json."
            )
        path = candidates[0]
    try:
        raw = json.loads(path.read_text())
    except FileNotFoundError:
        raise UserError(f"The analysis configuration {path} does not exist.") from None
    except ValueError as error:
        raise UserError(f"The analysis configuration {path} is not valid JSON: {error}") from None
    if not isinstance(raw, dict):
        raise UserError("The analysis configuration must be a JSON object.")
    return parse(raw)

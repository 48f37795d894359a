"""The Clarify analyzer run as a processing job runs it: analysis_config.json and a CSV dataset
under <ml-root>/processing/input, analysis.json (and, given a baseline, constraint_violations.json)
under <ml-root>/processing/output, a ClientError in output/failure when it cannot run."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from sagecraft.executors.algorithms.clarify import analyzer

HEADERS = ["age", "gender", "region", "approved"]
ROWS = [
    (25, "M", "north", 1),
    (31, "M", "north", 1),
    (47, "M", "north", 0),
    (52, "M", "south", 1),
    (38, "M", "south", 1),
    (61, "M", "south", 0),
    (29, "F", "north", 1),
    (44, "F", "north", 0),
    (56, "F", "south", 0),
    (35, "F", "south", 0),
]


def _job(root: Path, config: dict[str, Any], rows=ROWS, header: bool = False) -> Path:
    (root / "processing/input/config").mkdir(parents=True)
    (root / "processing/input/data").mkdir(parents=True)
    (root / "processing/input/config/analysis_config.json").write_text(json.dumps(config))
    lines = ([",".join(HEADERS)] if header else []) + [",".join(map(str, row)) for row in rows]
    (root / "processing/input/data/train.csv").write_text("\n".join(lines) + "\n")
    return root


def _config(**overrides: Any) -> dict[str, Any]:
    return {
        "dataset_type": "text/csv",
        "headers": HEADERS,
        "label": "approved",
        "label_values_or_threshold": [1],
        "facet": [{"name_or_index": "gender", "value_or_threshold": ["F"]}],
        "group_variable": "region",
        "methods": {"pre_training_bias": {"methods": "all"}, "report": {"name": "report", "title": "Report"}},
        **overrides,
    }


def _analysis(root: Path) -> dict[str, Any]:
    return json.loads((root / "processing/output/analysis.json").read_text())


def test_a_categorical_facet_gets_every_pre_training_metric(tmp_path):
    root = _job(tmp_path, _config())
    assert analyzer.main(["--ml-root", str(root)]) == 0
    result = _analysis(root)["pre_training_bias_metrics"]
    assert (result["label"], result["label_value_or_threshold"]) == ("approved", "1")
    [gender] = result["facets"]["gender"]
    assert gender["value_or_threshold"] == "F"
    values = {m["name"]: m["value"] for m in gender["metrics"]}
    assert list(values) == ["CDDL", "CI", "DPL", "JS", "KL", "KS", "LP", "TVD"]
    assert values["CI"] == pytest.approx(0.2) and values["DPL"] == pytest.approx(4 / 6 - 1 / 4)
    assert values["CDDL"] == pytest.approx(5 / 12) and values["TVD"] == pytest.approx(5 / 12)
    assert gender["metrics"][1]["description"] == "Class Imbalance (CI)"
    assert not (root / "processing/output/constraint_violations.json").exists()


def test_a_numeric_threshold_facet_a_header_row_and_selected_methods(tmp_path):
    config = _config(
        headers=None,
        facet=[{"name_or_index": 0, "value_or_threshold": [40]}],
        group_variable=None,
        methods={"pre_training_bias": {"methods": ["DPL", "CI", "CDDL"]}},
    )
    root = _job(tmp_path, config, header=True)
    assert analyzer.main(["--ml-root", str(root)]) == 0
    [older] = _analysis(root)["pre_training_bias_metrics"]["facets"]["age"]
    assert older["value_or_threshold"] == "(40, 61]"
    by_name = {m["name"]: m for m in older["metrics"]}
    # Older than 40: ages 47, 52, 61, 44, 56 with 1 approval of 5; the rest 4 of 5.
    assert by_name["CI"]["value"] == pytest.approx(0.0) and by_name["DPL"]["value"] == pytest.approx(4 / 5 - 1 / 5)
    assert by_name["CDDL"] == {
        "name": "CDDL",
        "description": "Conditional Demographic Disparity in Labels (CDDL)",
        "value": None,
        "error": "Group variable is empty or not provided",
    }


def test_a_facet_without_values_is_reported_value_by_value(tmp_path):
    root = _job(tmp_path, _config(facet=[{"name_or_index": "gender"}], methods={"pre_training_bias": {}}))
    assert analyzer.main(["--ml-root", str(root)]) == 0
    groups = _analysis(root)["pre_training_bias_metrics"]["facets"]["gender"]
    ci = {g["value_or_threshold"]: next(m["value"] for m in g["metrics"] if m["name"] == "CI") for g in groups}
    assert ci == {"M": pytest.approx(-0.2), "F": pytest.approx(0.2)}


def test_the_drift_check_flags_metrics_further_from_zero_than_the_baseline(tmp_path, monkeypatch):
    baseline = tmp_path / "baseline.json"
    facets = {
        "gender": [
            {
                "value_or_threshold": "F",
                "metrics": [
                    {"name": "CI", "value": -0.5},
                    {"name": "DPL", "value": 0.1},
                    {"name": "KL", "value": None},
                ],
            }
        ]
    }
    baseline.write_text(json.dumps({"version": "1.0", "pre_training_bias_metrics": {"facets": facets}}))
    monkeypatch.setenv("baseline_constraints", str(baseline))
    root = _job(tmp_path / "ml", _config())
    assert analyzer.main(["--ml-root", str(root)]) == 0
    report = json.loads((root / "processing/output/constraint_violations.json").read_text())
    assert report["version"] == "1.0"
    [violation] = report["violations"]  # |CI| 0.2 <= 0.5 holds; DPL 0.417 is further from 0 than 0.1
    assert violation == {
        "facet": "gender",
        "facet_value": "F",
        "metric_name": "DPL",
        "constraint_check_type": "bias_drift_check",
        "description": f"Value {4 / 6 - 1 / 4} does not meet the constraint requirement",
    }


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"methods": {"post_training_bias": {"methods": "all"}}}, "not supported by Sagecraft yet"),
        ({"dataset_type": "application/x-image"}, "dataset_type 'application/x-image' is not supported"),
        ({"methods": {"pre_training_bias": {"methods": ["CI", "XYZ"]}}}, "Invalid pre_training_bias methods"),
        ({"facet": [{"name_or_index": "colour", "value_or_threshold": ["F"]}]}, "facet column 'colour' is not"),
        ({"label_values_or_threshold": []}, "Positive label values or thresholds are empty"),
    ],
)
def test_what_cannot_run_fails_the_job_with_a_client_error(tmp_path, overrides, message):
    root = _job(tmp_path, _config(**overrides))
    assert analyzer.main(["--ml-root", str(root)]) == 1
    failure = (root / "output/failure").read_text()
    assert failure.startswith("ClientError: ") and message in failure
    assert not (root / "processing/output/analysis.json").exists()

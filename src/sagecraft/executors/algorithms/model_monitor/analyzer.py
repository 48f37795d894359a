"""Sagecraft's model monitor analyzer: what the ``sagemaker-model-monitor-analyzer`` image runs.

    python -m sagecraft.executors.algorithms.model_monitor [--ml-root DIR]

It reads its task from the environment, as SageMaker's analyzer does (see docs/monitoring.md):
``dataset_source`` and ``dataset_format`` (csv with or without header, json / JSON Lines, parquet,
or ``sagemakerCaptureJson`` for endpoint data capture), ``output_path``, ``analysis_type``
(DATA_QUALITY by default, or MODEL_QUALITY with ``problem_type`` and the ``inference_attribute`` /
``probability_attribute`` / ``probability_threshold_attribute`` / ``ground_truth_attribute``),
``baseline_statistics`` and ``baseline_constraints`` (files: without constraints the run is a
baselining job that suggests them), ``start_time`` / ``end_time`` (the analysis window over the
capture's inferenceTime), ``ground_truth_source``, ``record_preprocessor_script``,
``post_analytics_processor_script``, ``categorical_drift_method`` and ``publish_cloudwatch_metrics``.

It writes statistics.json and either constraints.json (baselining) or constraint_violations.json
(monitoring; with ``sagecraft_calculate_baseline=Enabled``, as a pipeline's QualityCheck step
sets, both) to output_path. A failure writes output/failure (``ClientError: …``) and exits 1.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import logging
import os
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

from sagecraft.executors.algorithms.errors import UserError, run_reporting_failure
from sagecraft.executors.algorithms.model_monitor import capture, checks, model_quality, publish
from sagecraft.executors.algorithms.model_monitor import constraints as rules
from sagecraft.executors.algorithms.model_monitor.datasets import parse_format, read_tables, table_from_rows
from sagecraft.executors.algorithms.model_monitor.profile import Profiler
from sagecraft.executors.algorithms.model_monitor.quality_inputs import (
    Attributes,
    from_capture,
    from_tables,
    read_ground_truth,
)
from sagecraft.executors.algorithms.xgboost_builtin import ml_root

log = logging.getLogger("model_monitor")


def _env(name: str) -> str | None:
    value = os.environ.get(name)
    return value if value not in (None, "") else None


def _load_json(path: str, what: str) -> Any:
    target = Path(path)
    if target.is_dir():  # a folder holding the one file
        files = sorted(p for p in target.iterdir() if p.is_file())
        if not files:
            raise UserError(f"The {what} folder {path} is empty.")
        target = files[0]
    try:
        return json.loads(target.read_text())
    except FileNotFoundError:
        raise UserError(f"The {what} file {path} does not exist.") from None
    except json.JSONDecodeError as error:
        raise UserError(f"The {what} file {path} is not valid JSON: {error}") from None


def _script(path: str | None, what: str) -> ModuleType | None:
    if not path:
        return None
    spec = importlib.util.spec_from_file_location(f"sagecraft_monitor_{what}", path)
    if spec is None or spec.loader is None or not Path(path).is_file():
        raise UserError(f"The {what} script {path} does not exist.")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _write(output: Path, name: str, content: dict[str, Any]) -> None:
    (output / name).write_text(json.dumps(content, indent=2))
    log.info("wrote %s", output / name)


def _preprocessor(module: ModuleType | None) -> Any:
    if module is None:
        return None
    handler = getattr(module, "preprocess_handler", None)
    if handler is None:
        raise UserError("The record preprocessor script defines no preprocess_handler(inference_record).")
    return lambda record: handler(record, log) if handler.__code__.co_argcount >= 2 else handler(record)


def run() -> None:
    dataset_format = parse_format(_env("dataset_format"))
    source = Path(_env("dataset_source") or "/opt/ml/processing/input")
    output = Path(_env("output_path") or "/opt/ml/processing/output")
    output.mkdir(parents=True, exist_ok=True)
    analysis = (_env("analysis_type") or "DATA_QUALITY").upper()
    baseline_constraints = _load_json(_env("baseline_constraints"), "baseline constraints") \
        if _env("baseline_constraints") else None
    baseline_statistics = _load_json(_env("baseline_statistics"), "baseline statistics") \
        if _env("baseline_statistics") else None
    preprocess = _preprocessor(_script(_env("record_preprocessor_script"), "record_preprocessor"))
    start, end = capture.parse_time(_env("start_time")), capture.parse_time(_env("end_time"))
    captured = "sagemakerCaptureJson" in dataset_format
    publishing = (_env("publish_cloudwatch_metrics") or "Disabled") == "Enabled"
    # A pipeline's QualityCheck step checks against a baseline and calculates a new one in one run.
    calculating = (_env("sagecraft_calculate_baseline") or "Disabled") == "Enabled"
    if analysis == "MODEL_QUALITY":
        problem = model_quality.problem_key(_env("problem_type"))
        threshold = _env("probability_threshold_attribute")
        attributes = Attributes(_env("inference_attribute"), _env("probability_attribute"),
                                float(threshold) if threshold else None, _env("ground_truth_attribute"))
        if captured:
            ground_truth = read_ground_truth(Path(_env("ground_truth_source") or "/opt/ml/processing/groundtruth"))
            triples = from_capture(capture.read_records(source, start, end), ground_truth, attributes)
        else:
            triples = from_tables(read_tables(source, dataset_format), attributes)
        stats = model_quality.statistics(problem, triples.truth, triples.predicted, triples.scores)
        _write(output, "statistics.json", stats)
        if baseline_constraints is None:
            _write(output, "constraints.json", model_quality.suggest(problem, stats))
        else:
            if calculating:
                _write(output, "constraints.json", model_quality.suggest(problem, stats))
            found, scalars = model_quality.violations(problem, stats, baseline_constraints)
            _write(output, "constraint_violations.json", {"violations": found})
            if publishing:
                publish.publish(publish.MODEL_NAMESPACE, scalars)
    elif analysis == "DATA_QUALITY":
        baseline_features = [f["name"] for f in (baseline_statistics or baseline_constraints or {}).get("features", [])]
        expected = {f["name"]: f["inferred_type"] for f in (baseline_constraints or baseline_statistics or {})
                    .get("features", [])}
        profiler = Profiler(expected)
        if captured:
            position = str(dataset_format.get("csv", {}).get("output_columns_position", "START"))
            rows = capture.named_rows(capture.read_records(source, start, end), baseline_features, position,
                                      preprocess)
            if rows:
                profiler.add(table_from_rows(rows))
        else:
            for table in read_tables(source, dataset_format):
                profiler.add(table)
        if not profiler.item_count:
            raise UserError("No data to analyze: the dataset has no records"
                            + (" in the analysis window." if start or end else "."))
        stats = profiler.statistics()
        _write(output, "statistics.json", stats)
        if baseline_constraints is None:
            _write(output, "constraints.json", rules.suggest(stats, _env("categorical_drift_method")))
        else:
            if calculating:
                _write(output, "constraints.json", rules.suggest(stats, _env("categorical_drift_method")))
            result = checks.evaluate(profiler.features, profiler.item_count, baseline_constraints,
                                     baseline_statistics)
            _write(output, "constraint_violations.json", {"violations": result.violations})
            if publishing and rules.settings(baseline_constraints).get("emit_metrics", "Enabled") == "Enabled":
                publish.publish(publish.DATA_NAMESPACE, publish.data_quality_metrics(stats, result.drift))
    else:
        raise UserError(f"analysis_type must be DATA_QUALITY or MODEL_QUALITY, not {analysis!r}: Sagecraft's "
                        "analyzer does not run MODEL_BIAS or MODEL_EXPLAINABILITY analyses yet.")
    post = _script(_env("post_analytics_processor_script"), "post_analytics_processor")
    if post is not None and hasattr(post, "postprocess_handler"):
        post.postprocess_handler()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m sagecraft.executors.algorithms.model_monitor")
    parser.add_argument("--ml-root", help="the folder that is /opt/ml (default: as the built-in XGBoost finds it)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s",
                        stream=sys.stdout)
    root = ml_root(args.ml_root)
    return run_reporting_failure(root, run)


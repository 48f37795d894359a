"""Sagecraft's Clarify analyzer: what the ``sagemaker-clarify-processing`` image runs.

    python -m sagecraft.executors.algorithms.clarify [--ml-root DIR]

It honours the Clarify processing container's contract: the analysis configuration in
<ml-root>/processing/input/config (the ``analysis_config`` input), the dataset in
<ml-root>/processing/input/data (the ``dataset`` input), the results in
<ml-root>/processing/output: analysis.json with the pre_training_bias_metrics. Given
``baseline_constraints`` (the path of a baseline's analysis.json, as a pipeline's ClarifyCheck step
passes it) it also writes constraint_violations.json, the bias drift check. A failure writes
<ml-root>/output/failure (``ClientError: …``) and exits 1.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from pathlib import Path
from typing import Any

from sagecraft.executors.algorithms.clarify import bias, config
from sagecraft.executors.algorithms.errors import UserError, run_reporting_failure
from sagecraft.executors.algorithms.xgboost_builtin import ml_root

log = logging.getLogger("clarify")
BASELINE_ENV = "baseline_constraints"


def _baseline(path: str) -> dict[str, Any]:
    target = Path(path)
    if target.is_dir():  # the folder the baseline input was copied to
        files = sorted(p for p in target.rglob("*.json") if p.is_file())
        if not files:
            raise UserError(f"The baseline constraints folder {path} holds no JSON file.")
        target = files[0]
    try:
        return json.loads(target.read_text())
    except FileNotFoundError:
        raise UserError(f"The baseline constraints file {path} does not exist.") from None
    except ValueError as error:
        raise UserError(f"The baseline constraints file {path} is not valid JSON: {error}") from None


def _write(output: Path, name: str, content: dict[str, Any]) -> None:
    (output / name).write_text(json.dumps(content, indent=2))
    log.info("wrote %s", output / name)


def run(root: Path) -> None:
    processing = root / "processing"
    analysis_config = config.load(processing / "input" / "config")
    output = processing / "output"
    output.mkdir(parents=True, exist_ok=True)
    data = bias.read_csv_dataset(processing / "input" / "data", analysis_config.headers)
    log.info("analyzing %d rows: pre-training bias metrics %s", len(data), ", ".join(analysis_config.metrics))
    analysis = {"version": "1.0", "pre_training_bias_metrics": bias.pre_training_report(data, analysis_config)}
    _write(output, "analysis.json", analysis)
    if analysis_config.report is not None:
        log.warning(
            "report: Sagecraft does not render Clarify's PDF/HTML/notebook report yet; analysis.json holds the results"
        )
    baseline_path = os.environ.get(BASELINE_ENV)
    if baseline_path:
        violations = bias.drift_violations(analysis, _baseline(baseline_path))
        _write(output, "constraint_violations.json", {"version": "1.0", "violations": violations})
        log.info("bias drift check: %d violation(s) of the baseline constraints", len(violations))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m sagecraft.executors.algorithms.clarify")
    parser.add_argument("--ml-root", help="the folder that is /opt/ml (default: as the built-in XGBoost finds it)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s", stream=sys.stdout)
    root = ml_root(args.ml_root)
    return run_reporting_failure(root, lambda: run(root))


"""The built-in XGBoost algorithm: what a `sagemaker-xgboost` image runs without an entry point.

    python -m sagecraft.executors.algorithms.xgboost_builtin [--ml-root DIR]

Inside a job's sandbox /opt/ml is the instance folder; without one (the executor's isolation
"none", or a test) the root comes from ``--ml-root``, else ``$SAGEMAKER_BASE_DIR``, else the parent
of ``$SM_INPUT_DIR`` (which the executor rewrites to the instance folder), else /opt/ml.

Reads input/config/hyperparameters.json and inputdataconfig.json and the train, validation (and
test) channels; prints one line per round in xgboost's format, ``[12]\\ttrain-logloss:0.10000\\t
validation-auc:0.98000`` (CloudWatch shows the TAB as ``#011``, which the built-in metric regexes
expect); stops early on the validation channel when ``early_stopping_rounds`` is set, keeping the
best iteration; saves ``model/xgboost-model``. A failure writes ``output/failure`` (``ClientError:``
or ``AlgorithmError:`` and the reason) and exits 1.

The model file is xgboost's JSON model format (``Booster.save_raw("json")``) under the name
``xgboost-model``: ``xgboost.Booster().load_model(path)`` loads it (xgboost >= 1.0 reads JSON models,
telling the format from the content), as can ``load_model(bytearray(data))``. Real containers wrote
xgboost's legacy binary format (1.x) or a pickle (0.90); neither is portable across xgboost
versions, JSON is, and no pickle is ever needed to serve it.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import traceback
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from sagecraft.executors.algorithms.errors import AlgorithmError, AlgorithmFailure, UserError
from sagecraft.executors.algorithms.xgboost_data import Dataset, align_columns, read_channel
from sagecraft.executors.algorithms.xgboost_hyperparameters import TrainingConfig, training_config

MODEL_NAME = "xgboost-model"
CHANNELS = ("train", "validation", "test")  # evaluated in this order; early stopping watches validation
# xgboost errors that mean the data or hyperparameters are wrong (the container reports them as the user's).
CUSTOMER_ERRORS = (
    "label must be in [0,1]", "label must be in [0, num_class)", "feature_names mismatch",
    "Check failed: preds.size() == info.labels_.size()", "the dataset only contains pos or neg samples",
    "base_score must be in (0,1)", "label must be nonnegative", "should be greater equal to",
    "Invalid Input", "Number of columns does not match", "Label contains NaN",
)
log = logging.getLogger("sagecraft.xgboost")


@dataclass(frozen=True)
class Layout:
    """The /opt/ml folders, on this side of the sandbox."""

    root: Path

    @property
    def config_dir(self) -> Path:
        return self.root / "input" / "config"

    @property
    def model_dir(self) -> Path:
        return self.root / "model"

    @property
    def failure_file(self) -> Path:
        return self.root / "output" / "failure"

    def channel_dir(self, name: str) -> Path:
        return self.root / "input" / "data" / name

    def resolve(self, container_path: str) -> Path:
        """A path a config file gives under /opt/ml, as seen from here."""
        path = PurePosixPath(container_path)
        try:
            return self.root.joinpath(*path.relative_to("/opt/ml").parts)
        except ValueError:
            return Path(container_path)


def ml_root(explicit: str | None = None) -> Path:
    if explicit:
        return Path(explicit)
    if os.environ.get("SAGEMAKER_BASE_DIR"):
        return Path(os.environ["SAGEMAKER_BASE_DIR"])
    if os.environ.get("SM_INPUT_DIR"):
        return Path(os.environ["SM_INPUT_DIR"]).parent
    return Path("/opt/ml")


def _read_json(path: Path, what: str) -> Any:
    try:
        return json.loads(path.read_text())
    except FileNotFoundError:
        raise AlgorithmError(f"{what} is missing: {path}") from None
    except ValueError as error:
        raise AlgorithmError(f"{what} is not valid JSON ({path}): {error}") from None


def load_datasets(layout: Layout, data_config: dict[str, Any], config: TrainingConfig) -> dict[str, Dataset]:
    if "train" not in data_config:
        raise UserError("Missing required channel: train. The built-in XGBoost algorithm trains on the 'train' "
                        "channel (and evaluates on 'validation').")
    for name in data_config:
        if name not in CHANNELS:
            log.warning("Channel %r is not used by the built-in XGBoost algorithm", name)
    datasets: dict[str, Dataset] = {}
    for name in CHANNELS:
        if name not in data_config:
            continue
        path = layout.channel_dir(name)
        dataset = read_channel(path, (data_config[name] or {}).get("ContentType"), csv_weights=config.csv_weights)
        if dataset is None:
            channel = "training" if name == "train" else name
            raise UserError(f"No data in {channel} channel path /opt/ml/input/data/{name}")
        datasets[name] = dataset
    align_columns(list(datasets.values()))
    width = datasets["train"].columns
    for name, dataset in datasets.items():
        if dataset.columns != width:
            raise UserError(f"The {name} data has {dataset.columns} feature columns and the train data {width}: "
                            "every channel needs the same features, in the same order.")
    return datasets


def _dmatrix(xgb: Any, dataset: Dataset, ranking: bool) -> Any:
    extra = {"qid": dataset.qid} if ranking and dataset.qid is not None else {}
    return xgb.DMatrix(dataset.features, label=dataset.labels, weight=dataset.weights, **extra)


def train(layout: Layout) -> None:
    config = training_config(_read_json(layout.config_dir / "hyperparameters.json", "hyperparameters.json"))
    for note in config.notes:
        log.info("%s", note)
    data_config = _read_json(layout.config_dir / "inputdataconfig.json", "inputdataconfig.json")
    datasets = load_datasets(layout, data_config, config)

    import xgboost as xgb  # after validation: a bad hyperparameter fails without paying for the import

    from sagecraft.executors.algorithms.xgboost_callbacks import callbacks_for, latest_checkpoint
    from sagecraft.executors.algorithms.xgboost_metrics import custom_metric

    train_rows = datasets["train"]
    log.info("Train matrix has %d rows and %d columns", train_rows.rows, train_rows.columns)
    if "validation" in datasets:
        log.info("Validation matrix has %d rows", datasets["validation"].rows)
    ranking = config.objective.startswith("rank:")
    matrices = {name: _dmatrix(xgb, dataset, ranking) for name, dataset in datasets.items()}
    evals = [(matrices[name], name) for name in CHANNELS if name in matrices]

    checkpoint_dir = _checkpoint_dir(layout)
    resume, done = latest_checkpoint(checkpoint_dir) if checkpoint_dir else (None, 0)
    if resume is not None:
        log.info("Resuming from checkpoint %s (%d rounds done)", resume.name, done)
    callbacks = callbacks_for(config, early_stopping="validation" in matrices, checkpoint_dir=checkpoint_dir)
    try:
        booster = xgb.train(config.params, matrices["train"], num_boost_round=max(config.num_round - done, 0),
                            evals=evals, custom_metric=custom_metric(config.custom_metrics, config.objective),
                            callbacks=callbacks, xgb_model=str(resume) if resume else None, verbose_eval=False)
    except xgb.core.XGBoostError as error:
        message = str(error).strip()
        if any(phrase in message for phrase in CUSTOMER_ERRORS):
            raise UserError(message) from None
        raise AlgorithmError(f"XGB train call failed with exception:\n {message}") from None
    _save(booster, layout.model_dir)


def _checkpoint_dir(layout: Layout) -> Path | None:
    """Checkpoints are kept only for jobs with a CheckpointConfig (checkpointconfig.json), as SageMaker does."""
    path = layout.config_dir / "checkpointconfig.json"
    if not path.exists():
        return None
    config = _read_json(path, "checkpointconfig.json")
    return layout.resolve(str(config.get("LocalPath") or "/opt/ml/checkpoints"))


def _save(booster: Any, model_dir: Path) -> None:
    model_dir.mkdir(parents=True, exist_ok=True)
    temporary = model_dir / f".{MODEL_NAME}.tmp"
    temporary.write_bytes(bytes(booster.save_raw(raw_format="json")))
    temporary.replace(model_dir / MODEL_NAME)
    log.info("Saved the model (%d rounds) to %s", booster.num_boosted_rounds(), "/opt/ml/model/" + MODEL_NAME)


def _configure_logging() -> None:
    """INFO to stdout, in order with the round lines; errors to stderr too (the job's stderr tail)."""
    formatter = logging.Formatter("[%(asctime)s:%(levelname)s] %(message)s", "%Y-%m-%d:%H:%M:%S")
    out = logging.StreamHandler(sys.stdout)
    out.setFormatter(formatter)
    out.addFilter(lambda record: record.levelno < logging.ERROR)
    err = logging.StreamHandler(sys.stderr)
    err.setFormatter(formatter)
    err.setLevel(logging.ERROR)
    log.handlers[:] = [out, err]
    log.setLevel(logging.INFO)
    log.propagate = False


def write_failure(layout: Layout, failure: AlgorithmFailure) -> None:
    try:
        layout.failure_file.parent.mkdir(parents=True, exist_ok=True)
        layout.failure_file.write_text(failure.failure_reason)
    except OSError as error:  # the reason still reaches stderr
        log.error("could not write %s: %s", layout.failure_file, error)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m sagecraft.executors.algorithms.xgboost_builtin")
    parser.add_argument("--ml-root", help="the folder that is /opt/ml (default: see the module's doc)")
    args = parser.parse_args(argv)
    _configure_logging()
    layout = Layout(ml_root(args.ml_root))
    try:
        train(layout)
    except AlgorithmFailure as failure:
        log.error("%s", failure.failure_reason)
        write_failure(layout, failure)
        return 1
    except Exception:  # a bug of ours: report it as the container reports its framework errors
        failure = AlgorithmError(f"framework error: \n{traceback.format_exc()}")
        log.error("%s", failure.failure_reason)
        write_failure(layout, failure)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

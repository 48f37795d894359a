"""Evaluating the trained model as a data scientist would after ``fit()``: download model.tar.gz,
load the booster with xgboost, score the validation split and the held-out test split, and keep
the classification metrics (also written next to the data as ``evaluation.json``)."""

from __future__ import annotations

import io
import json
import tarfile

from rich.table import Table

from sagecraft.quickstart.context import PREFIX, QuickstartRun

METRICS = {"accuracy": "Accuracy", "precision": "Precision", "recall": "Recall", "f1": "F1", "roc_auc": "ROC AUC"}
MODEL_FILE = "xgboost-model"
THRESHOLD = 0.5  # a probability above it predicts class 1 (benign)


def evaluate(run: QuickstartRun) -> str:
    from sagemaker.s3 import S3Downloader, S3Uploader

    booster = _load_booster(run)
    for split in ("validation", "test"):
        text = "".join(
            S3Downloader.read_file(uri, sagemaker_session=run.sagemaker)
            for uri in sorted(S3Downloader.list(run.split_uris[split], sagemaker_session=run.sagemaker))
        )
        run.metrics[split] = score(booster, text)
    report = {"model": run.model_uri, "training_job": run.training_job, "threshold": THRESHOLD, "metrics": run.metrics}
    uri = S3Uploader.upload_string_as_file_body(
        json.dumps(report, indent=2),
        f"s3://{run.bucket}/{PREFIX}/evaluation/evaluation.json",
        sagemaker_session=run.sagemaker,
    )
    run.facts["Evaluation"] = uri
    test = run.metrics["test"]
    return (
        f"model.tar.gz loaded in xgboost; on {test['rows']:.0f} held-out test rows accuracy "
        f"{test['accuracy']:.3f}, F1 {test['f1']:.3f}, ROC AUC {test['roc_auc']:.3f} → {uri}"
    )


def _load_booster(run: QuickstartRun):
    import xgboost
    from sagemaker.s3 import S3Downloader

    body = S3Downloader.read_bytes(run.model_uri, sagemaker_session=run.sagemaker)
    with tarfile.open(fileobj=io.BytesIO(body)) as archive:
        try:
            member = archive.extractfile(MODEL_FILE)
        except KeyError:
            raise RuntimeError(f"{run.model_uri} holds no {MODEL_FILE}: {archive.getnames()}") from None
        model = member.read() if member is not None else b""
    booster = xgboost.Booster()
    booster.load_model(bytearray(model))  # from memory: xgboost tells JSON from UBJSON by the bytes
    return booster


def score(booster, csv_text: str) -> dict[str, float]:
    """Metrics of ``booster`` on rows laid out as the job wrote them: label first, no header."""
    import numpy as np
    import xgboost
    from sklearn import metrics

    rows = np.loadtxt(io.StringIO(csv_text), delimiter=",", ndmin=2)
    labels, features = rows[:, 0].astype(int), rows[:, 1:]
    probabilities = booster.predict(xgboost.DMatrix(features))
    predicted = (probabilities > THRESHOLD).astype(int)
    return {
        "rows": float(len(labels)),
        "accuracy": float(metrics.accuracy_score(labels, predicted)),
        "precision": float(metrics.precision_score(labels, predicted, zero_division=0)),
        "recall": float(metrics.recall_score(labels, predicted, zero_division=0)),
        "f1": float(metrics.f1_score(labels, predicted, zero_division=0)),
        "roc_auc": float(metrics.roc_auc_score(labels, probabilities)),
    }


def metrics_table(run: QuickstartRun) -> Table:
    table = Table(title="Model metrics (class 1 = benign, threshold 0.5)", title_justify="left")
    table.add_column("Metric")
    for split, values in run.metrics.items():
        label = "Test (held out)" if split == "test" else split.capitalize()
        table.add_column(f"{label}, {values['rows']:.0f} rows", justify="right")
    for key, label in METRICS.items():
        table.add_row(label, *(f"{values[key]:.3f}" for values in run.metrics.values()))
    return table

"""The quickstart pipeline's evaluation job: load the tuning job's best model (model.tar.gz under
/opt/ml/processing/model), score the held-out test split (label first, no header, under
/opt/ml/processing/test) and write evaluation.json, which the pipeline reads as a PropertyFile."""

import glob
import json
import os
import tarfile

import numpy as np
import xgboost
from sklearn import metrics

MODEL = "/opt/ml/processing/model"
TEST = "/opt/ml/processing/test"
OUTPUT = "/opt/ml/processing/evaluation"
THRESHOLD = 0.5

archives = glob.glob(os.path.join(MODEL, "**", "model.tar.gz"), recursive=True)
if not archives:
    raise SystemExit(f"no model.tar.gz under {MODEL}")
with tarfile.open(archives[0]) as archive:
    archive.extractall(MODEL, filter="data")
booster = xgboost.Booster()
booster.load_model(os.path.join(MODEL, "xgboost-model"))

files = sorted(glob.glob(os.path.join(TEST, "**", "*.csv"), recursive=True))
rows = np.vstack([np.loadtxt(path, delimiter=",", ndmin=2) for path in files])
labels, features = rows[:, 0].astype(int), rows[:, 1:]
probabilities = booster.predict(xgboost.DMatrix(features))
predicted = (probabilities > THRESHOLD).astype(int)
report = {
    "binary_classification_metrics": {
        "auc": {"value": float(metrics.roc_auc_score(labels, probabilities))},
        "accuracy": {"value": float(metrics.accuracy_score(labels, predicted))},
        "f1": {"value": float(metrics.f1_score(labels, predicted, zero_division=0))},
    },
    "rows": len(labels),
}
os.makedirs(OUTPUT, exist_ok=True)
with open(os.path.join(OUTPUT, "evaluation.json"), "w") as file:
    json.dump(report, file, indent=2)
print(
    "evaluation: "
    + ", ".join(f"{k} {v['value']:.4f}" for k, v in report["binary_classification_metrics"].items())
    + f" on {len(labels)} held-out rows"
)

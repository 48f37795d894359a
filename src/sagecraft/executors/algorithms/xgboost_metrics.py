"""Evaluation metrics the built-in XGBoost algorithm computes itself (xgboost has no such
eval_metric): accuracy, f1, precision, recall and friends on predicted classes, mse and r2 on values.

xgboost hands a custom metric the transformed predictions of its built-in objectives (probabilities
for binary:logistic, one column per class for multi:softprob, classes for multi:softmax).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np


def _classes(preds: np.ndarray, objective: str) -> np.ndarray:
    if preds.ndim == 2:
        return np.argmax(preds, axis=1)
    if objective == "multi:softmax":
        return np.rint(preds).astype(int)
    threshold = 0.0 if objective == "binary:logitraw" else 0.5
    return (preds > threshold).astype(int)


def _scorers() -> dict[str, tuple[bool, Callable[[np.ndarray, np.ndarray], float]]]:
    """name -> (needs classes, score(labels, predictions))."""
    from sklearn import metrics as m  # only the training process pays for scikit-learn

    return {
        "accuracy": (True, m.accuracy_score),
        "balanced_accuracy": (True, m.balanced_accuracy_score),
        "f1": (True, lambda y, p: m.f1_score(y, p, average="macro", zero_division=0)),
        "f1_binary": (True, lambda y, p: m.f1_score(y, p, average="binary", zero_division=0)),
        "f1_macro": (True, lambda y, p: m.f1_score(y, p, average="macro", zero_division=0)),
        "precision": (True, lambda y, p: m.precision_score(y, p, zero_division=0)),
        "precision_macro": (True, lambda y, p: m.precision_score(y, p, average="macro", zero_division=0)),
        "precision_micro": (True, lambda y, p: m.precision_score(y, p, average="micro", zero_division=0)),
        "recall": (True, lambda y, p: m.recall_score(y, p, zero_division=0)),
        "recall_macro": (True, lambda y, p: m.recall_score(y, p, average="macro", zero_division=0)),
        "recall_micro": (True, lambda y, p: m.recall_score(y, p, average="micro", zero_division=0)),
        "mse": (False, m.mean_squared_error),
        "r2": (False, m.r2_score),
    }


def custom_metric(names: Sequence[str], objective: str) -> Callable[[np.ndarray, Any], list[tuple[str, float]]] | None:
    """The ``custom_metric`` for xgboost.train computing ``names`` (None when there are none)."""
    if not names:
        return None
    scorers = _scorers()
    chosen = [(name, *scorers[name]) for name in names]

    def evaluate(preds: np.ndarray, dmatrix: Any) -> list[tuple[str, float]]:
        labels = dmatrix.get_label()
        classes = _classes(preds, objective) if any(c for _, c, _ in chosen) else None
        out = []
        for name, needs_classes, score in chosen:
            if needs_classes:
                out.append((name, float(score(labels.astype(int), classes))))
            else:
                out.append((name, float(score(labels, preds))))
        return out

    return evaluate

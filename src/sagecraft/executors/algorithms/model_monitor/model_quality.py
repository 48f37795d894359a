"""Model quality: metrics of predictions against ground truth, the constraints a baseline suggests,
and the violations of a monitoring run, in SageMaker's file formats.

statistics.json: ``{"version": 0.0, "dataset": {"item_count": N, "evaluation_time": …},
"<problem>_metrics": {"<metric>": {"value": v, "standard_deviation": s}, …}}`` with ``<problem>``
binary_classification, multiclass_classification or regression. The metric values are
scikit-learn's; a standard deviation is the spread over bootstrap resamples (fixed seed).
constraints.json: ``"<problem>_constraints": {"<metric>": {"threshold": v, "comparison_operator": op}}``,
the baseline's own values as thresholds. constraint_violations.json: a violation per metric whose
value compared with its threshold by its operator holds."""

from __future__ import annotations

import datetime as dt
import math
import operator
from collections.abc import Callable
from typing import Any

import numpy as np

from sagecraft.executors.algorithms.errors import UserError

PROBLEMS = {"BinaryClassification": "binary_classification", "MulticlassClassification": "multiclass_classification",
            "Regression": "regression"}
OPERATORS: dict[str, Callable[[float, float], bool]] = {
    "GreaterThanThreshold": operator.gt, "LessThanThreshold": operator.lt,
    "GreaterThanOrEqualToThreshold": operator.ge, "LessThanOrEqualToThreshold": operator.le,
}
LOWER_IS_BETTER = {"false_positive_rate", "false_negative_rate", "mae", "mse", "rmse"}
SUGGESTED = {
    "binary_classification": ("recall", "precision", "accuracy", "true_positive_rate", "true_negative_rate",
                              "false_positive_rate", "false_negative_rate", "auc", "f0_5", "f1", "f2"),
    "multiclass_classification": ("accuracy", "weighted_recall", "weighted_precision", "weighted_f0_5",
                                  "weighted_f1", "weighted_f2"),
    "regression": ("mae", "mse", "rmse", "r2"),
}
BOOTSTRAP_SAMPLES = 20


def problem_key(problem_type: str | None) -> str:
    if problem_type not in PROBLEMS:
        raise UserError(f"problem_type must be one of {', '.join(PROBLEMS)}, not {problem_type!r}.")
    return PROBLEMS[problem_type]


def normalize_labels(values: list[Any]) -> np.ndarray:
    """Labels as numbers where they are numbers or booleans (so "1", "1.0" and 1 agree), else text."""
    out: list[Any] = []
    numeric = True
    for value in values:
        text = str(value).strip().lower()
        if text in ("true", "false"):
            out.append(1.0 if text == "true" else 0.0)
            continue
        try:
            out.append(float(text))
        except ValueError:
            numeric = False
            out.append(str(value).strip())
    return np.array(out if not numeric else [float(v) for v in out], dtype=np.float64 if numeric else object)


def _f_beta(precision: float, recall: float, beta: float) -> float:
    denominator = beta * beta * precision + recall
    return (1 + beta * beta) * precision * recall / denominator if denominator else 0.0


def binary_metrics(truth: np.ndarray, predicted: np.ndarray, scores: np.ndarray | None) -> dict[str, Any]:
    from sklearn import metrics as sk

    labels = sorted(set(truth.tolist()) | set(predicted.tolist()), key=str)
    positive = 1.0 if 1.0 in labels else labels[-1]
    actual, guess = truth == positive, predicted == positive
    tp, fp = int(np.sum(actual & guess)), int(np.sum(~actual & guess))
    fn, tn = int(np.sum(actual & ~guess)), int(np.sum(~actual & ~guess))
    precision = sk.precision_score(actual, guess, zero_division=0)
    recall = sk.recall_score(actual, guess, zero_division=0)
    share = float(actual.mean()) if len(actual) else 0.0
    values: dict[str, Any] = {
        "recall": recall, "precision": precision, "accuracy": sk.accuracy_score(actual, guess),
        "recall_best_constant_classifier": 1.0 if share else 0.0,
        "precision_best_constant_classifier": share,
        "accuracy_best_constant_classifier": max(share, 1 - share),
        "true_positive_rate": tp / (tp + fn) if tp + fn else 0.0,
        "true_negative_rate": tn / (tn + fp) if tn + fp else 0.0,
        "false_positive_rate": fp / (fp + tn) if fp + tn else 0.0,
        "false_negative_rate": fn / (fn + tp) if fn + tp else 0.0,
        "f0_5": _f_beta(precision, recall, 0.5), "f1": sk.f1_score(actual, guess, zero_division=0),
        "f2": _f_beta(precision, recall, 2.0),
        "f0_5_best_constant_classifier": _f_beta(share, 1.0, 0.5) if share else 0.0,
        "f1_best_constant_classifier": _f_beta(share, 1.0, 1.0) if share else 0.0,
        "f2_best_constant_classifier": _f_beta(share, 1.0, 2.0) if share else 0.0,
    }
    if scores is not None and 0 < actual.sum() < len(actual):
        values["auc"] = sk.roc_auc_score(actual, scores)
    return values


def _binary_curves(truth: np.ndarray, predicted: np.ndarray, scores: np.ndarray | None) -> dict[str, Any]:
    from sklearn import metrics as sk

    labels = sorted(set(truth.tolist()) | set(predicted.tolist()), key=str)
    positive = 1.0 if 1.0 in labels else labels[-1]
    out: dict[str, Any] = {"confusion_matrix": confusion_matrix(truth, predicted, ["0", "1"] if set(labels) <=
                                                                 {0.0, 1.0} else None)}
    actual = truth == positive
    if scores is not None and 0 < actual.sum() < len(actual):
        fpr, tpr, _ = sk.roc_curve(actual, scores)
        precisions, recalls, _ = sk.precision_recall_curve(actual, scores)
        out["receiver_operating_characteristic_curve"] = {"false_positive_rates": fpr.tolist(),
                                                          "true_positive_rates": tpr.tolist()}
        out["precision_recall_curve"] = {"precisions": precisions.tolist(), "recalls": recalls.tolist()}
    return out


def confusion_matrix(truth: np.ndarray, predicted: np.ndarray, names: list[str] | None = None) -> dict[str, Any]:
    """{actual label: {predicted label: count}} over every label seen."""
    keys = names or sorted({_label_key(v) for v in [*truth.tolist(), *predicted.tolist()]})
    matrix = {a: dict.fromkeys(keys, 0) for a in keys}
    for actual, guess in zip(truth.tolist(), predicted.tolist(), strict=True):
        row = matrix.setdefault(_label_key(actual), {})
        row[_label_key(guess)] = row.get(_label_key(guess), 0) + 1
    return matrix


def _label_key(value: Any) -> str:
    return str(int(value)) if isinstance(value, float) and value.is_integer() else str(value)


def multiclass_metrics(truth: np.ndarray, predicted: np.ndarray, scores: np.ndarray | None) -> dict[str, Any]:
    from sklearn import metrics as sk

    keys_t, keys_p = [_label_key(v) for v in truth.tolist()], [_label_key(v) for v in predicted.tolist()]
    values: dict[str, Any] = {"accuracy": sk.accuracy_score(keys_t, keys_p)}
    for beta, name in ((1.0, "f1"), (0.5, "f0_5"), (2.0, "f2")):
        values[f"weighted_{name}"] = sk.fbeta_score(keys_t, keys_p, beta=beta, average="weighted", zero_division=0)
    values["weighted_recall"] = sk.recall_score(keys_t, keys_p, average="weighted", zero_division=0)
    values["weighted_precision"] = sk.precision_score(keys_t, keys_p, average="weighted", zero_division=0)
    majority = max(set(keys_t), key=keys_t.count) if keys_t else ""
    values["accuracy_best_constant_classifier"] = keys_t.count(majority) / len(keys_t) if keys_t else 0.0
    return values


def regression_metrics(truth: np.ndarray, predicted: np.ndarray, scores: np.ndarray | None) -> dict[str, Any]:
    from sklearn import metrics as sk

    truth, predicted = truth.astype(np.float64), predicted.astype(np.float64)
    mse = sk.mean_squared_error(truth, predicted)
    return {"mae": sk.mean_absolute_error(truth, predicted), "mse": mse, "rmse": math.sqrt(mse),
            "r2": sk.r2_score(truth, predicted) if len(truth) > 1 else 0.0}


COMPUTE = {"binary_classification": binary_metrics, "multiclass_classification": multiclass_metrics,
           "regression": regression_metrics}


def statistics(problem: str, truth: np.ndarray, predicted: np.ndarray, scores: np.ndarray | None) -> dict[str, Any]:
    if not len(truth):
        raise UserError("No records with both a prediction and a ground truth label to evaluate.")
    if problem == "regression" and (truth.dtype == object or predicted.dtype == object):
        raise UserError("Regression needs numeric predictions and ground truth labels.")
    compute = COMPUTE[problem]
    values = compute(truth, predicted, scores)
    rng = np.random.default_rng(0)
    resampled: dict[str, list[float]] = {name: [] for name in values}
    for _ in range(BOOTSTRAP_SAMPLES if len(truth) > 1 else 0):
        pick = rng.integers(0, len(truth), len(truth))
        sample = compute(truth[pick], predicted[pick], scores[pick] if scores is not None else None)
        for name, value in sample.items():
            resampled.setdefault(name, []).append(float(value))
    block: dict[str, Any] = {
        name: {"value": float(value), "standard_deviation": float(np.std(resampled.get(name) or [0.0]))}
        for name, value in values.items()
    }
    if problem == "binary_classification":
        block.update(_binary_curves(truth, predicted, scores))
    elif problem == "multiclass_classification":
        block["confusion_matrix"] = confusion_matrix(truth, predicted)
    evaluated = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return {"version": 0.0, "dataset": {"item_count": len(truth), "evaluation_time": evaluated},
            f"{problem}_metrics": block}


def suggest(problem: str, stats: dict[str, Any]) -> dict[str, Any]:
    metrics = stats[f"{problem}_metrics"]
    constraints = {
        name: {"threshold": metrics[name]["value"],
               "comparison_operator": "GreaterThanThreshold" if name in LOWER_IS_BETTER else "LessThanThreshold"}
        for name in SUGGESTED[problem] if name in metrics
    }
    return {"version": 0.0, f"{problem}_constraints": constraints}


def violations(problem: str, stats: dict[str, Any], constraints: dict[str, Any]) -> tuple[list[dict], dict]:
    """The violations and the scalar metric values (what CloudWatch gets)."""
    metrics = stats[f"{problem}_metrics"]
    scalars = {name: block["value"] for name, block in metrics.items() if isinstance(block, dict) and "value" in block}
    found = []
    for name, rule in (constraints.get(f"{problem}_constraints") or {}).items():
        op = rule.get("comparison_operator")
        if op not in OPERATORS:
            raise UserError(f"Unknown comparison_operator {op!r} for metric {name} in the baseline constraints.")
        if name not in scalars:
            continue
        value, threshold = scalars[name], float(rule["threshold"])
        if OPERATORS[op](value, threshold):
            found.append({"constraint_check_type": op, "metric_name": name,
                          "description": f"Metric {name} with {value} was {op} '{threshold}'"})
    return found, scalars

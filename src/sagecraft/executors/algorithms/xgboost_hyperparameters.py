"""The built-in XGBoost algorithm's hyperparameters: names, types, ranges and rules as the
SageMaker XGBoost container documents and validates them (its messages too), turned into the
arguments of ``xgboost.train``. Pure: no xgboost import.

https://docs.aws.amazon.com/sagemaker/latest/dg/xgboost_hyperparameters.html
"""

from __future__ import annotations

import ast
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sagecraft.executors.algorithms.errors import UserError

MAXIMIZE_METRICS = (
    "accuracy", "auc", "aucpr", "balanced_accuracy", "f1", "f1_binary", "f1_macro", "map", "ndcg", "precision",
    "r2", "recall", "precision_macro", "precision_micro", "recall_macro", "recall_micro",
)
MINIMIZE_METRICS = (
    "aft-nloglik", "cox-nloglik", "error", "gamma-deviance", "gamma-nloglik", "interval-regression-accuracy",
    "logloss", "mae", "mape", "merror", "mlogloss", "mphe", "mse", "poisson-nloglik", "rmse", "rmsle",
    "tweedie-nloglik",
)
# Computed by the algorithm (scikit-learn), not by xgboost: see xgboost_metrics.py.
CUSTOM_METRICS = (
    "accuracy", "balanced_accuracy", "f1", "f1_binary", "f1_macro", "mse", "precision", "precision_macro",
    "precision_micro", "r2", "recall", "recall_macro", "recall_micro",
)
OBJECTIVES = (
    "aft_loss_distribution", "binary:logistic", "binary:logitraw", "binary:hinge", "count:poisson",
    "multi:softmax", "multi:softprob", "rank:pairwise", "rank:ndcg", "rank:map", "reg:linear", "reg:squarederror",
    "reg:logistic", "reg:gamma", "reg:pseudohubererror", "reg:squaredlogerror", "reg:absoluteerror", "reg:tweedie",
    "survival:aft", "survival:cox",
)
UPDATERS = ("grow_colmaker", "distcol", "grow_histmaker", "grow_skmaker", "sync", "refresh", "prune",
            "grow_quantile_histmaker", "shotgun", "coord_descent")
ALIASES = {"learning_rate": "eta", "min_split_loss": "gamma", "reg_lambda": "lambda", "reg_alpha": "alpha"}
DEFAULT_OBJECTIVE = "reg:squarederror"
# Settings of the algorithm itself, never passed to xgboost.train as parameters.
ALGORITHM_SETTINGS = ("num_round", "early_stopping_rounds", "csv_weights", "eval_metric", "_tuning_objective_metric",
                      "_kfold", "_num_cv_round", "save_model_on_termination", "use_dask_gpu_training")
# Accepted for compatibility, no longer meaningful in the xgboost we run (it would warn "not used").
RETIRED = ("predictor", "dsplit", "lambda_bias", "sketch_eps", "deterministic_histogram", "prob_buffer_row")


@dataclass(frozen=True)
class Interval:
    low: float | None = None
    high: float | None = None
    low_open: bool = False
    high_open: bool = False

    def __contains__(self, value: float) -> bool:
        if self.low is not None and (value <= self.low if self.low_open else value < self.low):
            return False
        return not (self.high is not None and (value >= self.high if self.high_open else value > self.high))

    def __str__(self) -> str:  # the container's notation: [1, +inf), (0, 1]
        low = "(-inf" if self.low is None else f"{'(' if self.low_open else '['}{_num(self.low)}"
        high = "+inf)" if self.high is None else f"{_num(self.high)}{')' if self.high_open else ']'}"
        return f"{low}, {high}"


def _num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


@dataclass(frozen=True)
class Param:
    name: str
    kind: str  # int | float | choice | list | tuple | nested
    range: Interval | tuple[Any, ...] | None = None
    required: bool = False


def _int(name: str, *args: Any, **kw: Any) -> Param:
    return Param(name, "int", Interval(*args, **kw))


def _float(name: str, *args: Any, **kw: Any) -> Param:
    return Param(name, "float", Interval(*args, **kw))


def _choice(name: str, *values: str) -> Param:
    return Param(name, "choice", values)


PARAMS = {p.name: p for p in (
    Param("num_round", "int", Interval(1), required=True),
    _int("csv_weights", 0, 1), _int("early_stopping_rounds", 1), _choice("booster", "gbtree", "gblinear", "dart"),
    _int("verbosity", 0, 3), _int("nthread", 1), _float("eta", 0, 1), _float("gamma", 0), _int("max_depth", 0),
    _float("min_child_weight", 0), _float("max_delta_step", 0), _float("subsample", 0, 1, low_open=True),
    _float("colsample_bytree", 0, 1, low_open=True), _float("colsample_bylevel", 0, 1, low_open=True),
    _float("colsample_bynode", 0, 1, low_open=True), _float("lambda", 0), _float("alpha", 0),
    _choice("tree_method", "auto", "exact", "approx", "hist", "gpu_hist"),
    _float("sketch_eps", 0, 1, low_open=True, high_open=True), _float("scale_pos_weight", 0, low_open=True),
    Param("updater", "list", UPDATERS), _choice("dsplit", "row", "col"), _int("refresh_leaf", 0, 1),
    _choice("process_type", "default", "update"), _choice("grow_policy", "depthwise", "lossguide"),
    _int("max_leaves", 0), _int("max_bin", 0), _choice("predictor", "auto", "cpu_predictor", "gpu_predictor"),
    Param("monotone_constraints", "tuple", (-1, 0, 1)), Param("interaction_constraints", "nested", Interval(0)),
    _choice("sample_type", "uniform", "weighted"), _choice("normalize_type", "tree", "forest"),
    _float("rate_drop", 0, 1), _int("one_drop", 0, 1), _float("skip_drop", 0, 1), _float("lambda_bias", 0, 1),
    _float("tweedie_variance_power", 1, 2, low_open=True, high_open=True), Param("objective", "choice", OBJECTIVES),
    _int("num_class", 2), _float("base_score", 0), _int("_kfold", 2), _int("_num_cv_round", 1),
    Param("_tuning_objective_metric", "choice", tuple(f"{c}:{m}" for c in ("train", "validation")
                                                      for m in MAXIMIZE_METRICS + MINIMIZE_METRICS)),
    Param("eval_metric", "list", MAXIMIZE_METRICS + MINIMIZE_METRICS),
    _int("seed", -(2**31), 2**31 - 1, low_open=True, high_open=True), _int("num_parallel_tree", 1),
    _choice("save_model_on_termination", "true", "false"),
    _choice("aft_loss_distribution", "normal", "logistic", "extreme"), _float("aft_loss_distribution_scale", 0),
    _choice("deterministic_histogram", "true", "false"), _choice("sampling_method", "uniform", "gradient_based"),
    _int("prob_buffer_row", 1, low_open=True), _choice("use_dask_gpu_training", "true", "false"),
)}


@dataclass
class TrainingConfig:
    """What ``xgboost.train`` needs, from validated hyperparameters."""

    num_round: int
    params: dict[str, Any]  # xgboost parameters, eval_metric included
    custom_metrics: list[str] = field(default_factory=list)
    early_stopping_rounds: int | None = None
    early_stopping_metric: str | None = None  # None: xgboost's last evaluation metric
    csv_weights: bool = False
    notes: list[str] = field(default_factory=list)  # adjustments worth a log line

    @property
    def objective(self) -> str:
        return str(self.params.get("objective", DEFAULT_OBJECTIVE))

    @property
    def maximize(self) -> bool | None:
        """Direction of the early-stopping metric (None lets xgboost decide for its own metrics)."""
        metric = self.early_stopping_metric
        if metric is None:
            return None
        return metric.split("@")[0] in MAXIMIZE_METRICS


def _unquote(value: Any) -> Any:
    """Values arrive as strings; tolerate a JSON-encoded string ('"binary:logistic"')."""
    if isinstance(value, str) and len(value) >= 2 and value[0] == value[-1] == '"':
        try:
            decoded = json.loads(value)
        except ValueError:
            return value
        return decoded if isinstance(decoded, str) else value
    return value


def _parse(param: Param, value: Any) -> Any:
    text = str(value).strip()
    try:
        if param.kind == "int":
            return int(text)
        if param.kind == "float":
            return float(text)
        if param.kind == "list":
            return [item.strip() for item in text.split(",")]
        if param.kind in ("tuple", "nested"):
            parsed = ast.literal_eval(text)
            if param.kind == "tuple" and not isinstance(parsed, tuple | list):
                raise ValueError(text)
            if param.kind == "nested" and not (isinstance(parsed, list) and all(isinstance(x, list) for x in parsed)):
                raise ValueError(text)
            return tuple(parsed) if param.kind == "tuple" else parsed
    except (ValueError, SyntaxError, TypeError):
        raise UserError(f"Hyperparameter {param.name}: could not parse value (caused by ValueError)") from None
    return text


def _check_range(param: Param, value: Any) -> None:
    if param.kind in ("int", "float"):
        if value not in param.range:  # type: ignore[operator]
            raise UserError(f"Hyperparameter {param.name}: {value} is not in {param.range}")
    elif param.kind == "choice":
        if value not in param.range:  # type: ignore[operator]
            raise UserError(f"Hyperparameter {param.name}: {value} is not in {list(param.range or ())}")
    elif param.kind == "list" and param.name == "eval_metric":
        for metric in value:
            _check_eval_metric(metric)
    elif param.kind == "list" or param.kind == "tuple":
        if any(item not in param.range for item in value):  # type: ignore[operator]
            raise UserError(f"Hyperparameter {param.name}: value {value} not in range {list(param.range or ())}")
    elif param.kind == "nested" and any(item not in param.range for inner in value for item in inner):  # type: ignore[operator]
        raise UserError(f"Hyperparameter {param.name}: value {value} not in range {param.range}")


def _check_eval_metric(metric: str) -> None:
    if "@" in metric:
        name, _, threshold = metric.partition("@")
        if name.strip() not in ("error", "ndcg", "map"):
            raise UserError(f"Metric '{metric}' is not supported. Parameter 'eval_metric' with customized threshold "
                            "should be one of these options: 'error', 'ndcg', 'map'.")
        try:
            float(threshold.strip().rstrip("-"))
        except ValueError:
            raise UserError(f"Threshold value 't' in '{name.strip()}@t' expects float input.") from None
        return
    if metric not in MAXIMIZE_METRICS + MINIMIZE_METRICS:
        raise UserError(f"Hyperparameter eval_metric: value {metric} not in range "
                        f"{list(MAXIMIZE_METRICS + MINIMIZE_METRICS)}")


def validate(raw: Mapping[str, Any]) -> dict[str, Any]:
    """hyperparameters.json (strings) -> typed values, or UserError with the container's message."""
    values: dict[str, Any] = {}
    for key, value in raw.items():
        if key.startswith("sagemaker_"):
            continue  # the platform's settings, not the algorithm's
        values[ALIASES.get(key, key)] = _unquote(value)
    for name, param in PARAMS.items():
        if param.required and name not in values:
            raise UserError(f"Missing required hyperparameter: {name}")
    typed: dict[str, Any] = {}
    for name, value in values.items():
        param = PARAMS.get(name)
        if param is None:
            raise UserError(f"Extraneous hyperparameter found: {name}")
        typed[name] = _parse(param, value)
    for name, value in typed.items():
        _check_range(PARAMS[name], value)
    _check_dependencies(typed)
    return typed


def _check_dependencies(hp: Mapping[str, Any]) -> None:
    objective, num_class = hp.get("objective"), hp.get("num_class")
    if objective in ("multi:softmax", "multi:softprob") and num_class is None:
        raise UserError("Require input for parameter 'num_class' for multi-classification")
    if objective is None and num_class is not None:
        raise UserError("Do not need to setup parameter 'num_class' for learning task other than "
                        "multi-classification.")
    metrics = hp.get("eval_metric") or []
    effective = objective or DEFAULT_OBJECTIVE
    if "auc" in metrics and not effective.startswith(("binary:", "rank:")):
        raise UserError("Metric 'auc' can only be applied for classification and ranking problems.")
    if "aft-nloglik" in metrics and effective != "survival:aft":
        raise UserError("Metric 'aft-nloglik' can only be applied for 'survival:aft' objective.")
    tree_method = hp.get("tree_method")
    if "monotone_constraints" in hp and tree_method not in ("exact", "hist"):
        raise UserError("monotone_constraints can be used only when the tree_method parameter is set to either "
                        "'exact' or 'hist'.")
    if "interaction_constraints" in hp and tree_method not in ("exact", "hist", "approx"):
        raise UserError("interaction_constraints can be used only when the tree_method parameter is set to either "
                        "'exact', 'hist' or 'approx'.")
    updaters = hp.get("updater")
    if updaters:
        if hp.get("booster") == "gblinear" and not (len(updaters) == 1 and updaters[0] in ("shotgun", "coord_descent")):
            raise UserError("Linear updater should be one of these options: 'shotgun', 'coord_descent'.")
        if hp.get("process_type") == "update" and not all(u in ("refresh", "prune") for u in updaters):
            raise UserError("process_type 'update' can only be used with updater 'refresh' and 'prune'")


def training_config(raw: Mapping[str, Any]) -> TrainingConfig:
    """Validate and split hyperparameters into the algorithm's settings and xgboost's parameters."""
    hp = validate(raw)
    notes: list[str] = []
    params = {k: v for k, v in hp.items() if k not in ALGORITHM_SETTINGS and k not in RETIRED}
    if params.get("objective") == "reg:linear":
        params["objective"] = "reg:squarederror"  # renamed in xgboost 1.0, removed since
        notes.append("objective reg:linear is reg:squarederror in this xgboost")
    if params.get("tree_method") == "gpu_hist":
        params["tree_method"] = "hist"
        notes.append("tree_method gpu_hist runs as hist: Sagecraft trains on the CPU")
    if "updater" in params:
        params["updater"] = ",".join(params["updater"])
    if "monotone_constraints" in params:
        params["monotone_constraints"] = "(" + ",".join(str(int(c)) for c in params["monotone_constraints"]) + ")"
    if "interaction_constraints" in params:
        params["interaction_constraints"] = json.dumps(params["interaction_constraints"])
    dropped = sorted(k for k in hp if k in RETIRED)
    if dropped:
        notes.append(f"ignored (not used by this xgboost): {', '.join(dropped)}")

    metrics: list[str] = list(hp.get("eval_metric") or [])
    tuning = hp.get("_tuning_objective_metric")
    tuning_metric = tuning.split(":", 1)[1] if tuning else None
    if tuning_metric:  # the container evaluates the tuning objective too, in sorted order
        metrics = sorted(set(metrics) | {tuning_metric})
    custom = [m for m in metrics if m in CUSTOM_METRICS]
    native = [m for m in metrics if m not in CUSTOM_METRICS]
    if native:
        params["eval_metric"] = native
    early_metric = tuning_metric or (metrics[-1] if metrics else None)
    return TrainingConfig(num_round=hp["num_round"], params=params, custom_metrics=custom,
                          early_stopping_rounds=hp.get("early_stopping_rounds"), early_stopping_metric=early_metric,
                          csv_weights=hp.get("csv_weights", 0) == 1, notes=notes)

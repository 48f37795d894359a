"""The built-in XGBoost algorithm's hyperparameter validation (the container's rules and messages)."""

from __future__ import annotations

import pytest

from sagecraft.executors.algorithms.errors import UserError
from sagecraft.executors.algorithms.xgboost_hyperparameters import Interval, training_config, validate


def test_values_are_typed_and_aliases_resolved():
    hp = validate({"num_round": "100", "learning_rate": "0.2", "reg_lambda": "2", "max_depth": "6",
                   "objective": "binary:logistic", "eval_metric": "logloss, auc", "sagemaker_region": '"us-east-1"'})
    assert hp == {"num_round": 100, "eta": 0.2, "lambda": 2.0, "max_depth": 6, "objective": "binary:logistic",
                  "eval_metric": ["logloss", "auc"]}


@pytest.mark.parametrize("raw, message", [
    ({}, "Missing required hyperparameter: num_round"),
    ({"num_round": "10", "silent": "0"}, "Extraneous hyperparameter found: silent"),
    ({"num_round": "10.5"}, "Hyperparameter num_round: could not parse value"),
    ({"num_round": "0"}, "Hyperparameter num_round: 0 is not in [1, +inf)"),
    ({"num_round": "10", "eta": "1.5"}, "Hyperparameter eta: 1.5 is not in [0, 1]"),
    ({"num_round": "10", "subsample": "0"}, "Hyperparameter subsample: 0.0 is not in (0, 1]"),
    ({"num_round": "10", "max_depth": "-1"}, "Hyperparameter max_depth: -1 is not in [0, +inf)"),
    ({"num_round": "10", "scale_pos_weight": "0"}, "Hyperparameter scale_pos_weight: 0.0 is not in (0, +inf)"),
    ({"num_round": "10", "objective": "binary:nope"}, "Hyperparameter objective: binary:nope is not in"),
    ({"num_round": "10", "tree_method": "fast"}, "Hyperparameter tree_method: fast is not in"),
    ({"num_round": "10", "objective": "multi:softmax"},
     "Require input for parameter 'num_class' for multi-classification"),
    ({"num_round": "10", "num_class": "3"}, "Do not need to setup parameter 'num_class'"),
    ({"num_round": "10", "eval_metric": "rmse,bogus"}, "Hyperparameter eval_metric: value bogus not in range"),
    ({"num_round": "10", "eval_metric": "auc"}, "Metric 'auc' can only be applied for classification"),
    ({"num_round": "10", "eval_metric": "rmse@0.5"}, "with customized threshold should be one of"),
    ({"num_round": "10", "eval_metric": "error@high"}, "Threshold value 't' in 'error@t' expects float input."),
    ({"num_round": "10", "monotone_constraints": "(1,-1)"}, "monotone_constraints can be used only when"),
    ({"num_round": "10", "monotone_constraints": "(1,2)", "tree_method": "hist"},
     "Hyperparameter monotone_constraints: value (1, 2) not in range"),
    ({"num_round": "10", "early_stopping_rounds": "0"}, "Hyperparameter early_stopping_rounds: 0 is not in [1"),
    ({"num_round": "10", "seed": str(2**31)}, "Hyperparameter seed:"),
])
def test_invalid_values_name_the_problem(raw, message):
    with pytest.raises(UserError, match=None) as info:
        validate(raw)
    assert message in str(info.value)
    assert info.value.failure_reason.startswith("ClientError: ")


def test_thresholded_and_tuning_metrics_are_accepted():
    config = training_config({"num_round": "5", "objective": "binary:logistic", "eval_metric": "error@0.7,accuracy",
                              "_tuning_objective_metric": "validation:auc", "early_stopping_rounds": "3"})
    assert config.params["eval_metric"] == ["auc", "error@0.7"]  # sorted union, as the container does
    assert config.custom_metrics == ["accuracy"]
    assert config.early_stopping_metric == "auc" and config.maximize is True


def test_training_config_splits_settings_from_xgboost_parameters():
    config = training_config({"num_round": "50", "objective": "reg:linear", "tree_method": "gpu_hist",
                              "predictor": "cpu_predictor", "csv_weights": "1", "early_stopping_rounds": "5",
                              "eval_metric": "rmse,mae", "updater": "grow_colmaker,prune"})
    assert config.num_round == 50 and config.csv_weights and config.early_stopping_rounds == 5
    assert config.params == {"objective": "reg:squarederror", "tree_method": "hist", "eval_metric": ["rmse", "mae"],
                             "updater": "grow_colmaker,prune"}
    assert config.early_stopping_metric == "mae" and config.maximize is False
    assert len(config.notes) == 3


def test_without_eval_metric_xgboost_picks_the_early_stopping_metric():
    config = training_config({"num_round": "5", "early_stopping_rounds": "2"})
    assert config.early_stopping_metric is None and config.maximize is None and "eval_metric" not in config.params


def test_constraints_are_passed_in_xgboost_syntax():
    config = training_config({"num_round": "5", "tree_method": "hist", "monotone_constraints": "(1,0,-1)",
                              "interaction_constraints": "[[0, 1], [2]]"})
    assert config.params["monotone_constraints"] == "(1,0,-1)"
    assert config.params["interaction_constraints"] == "[[0, 1], [2]]"


def test_interval_notation():
    assert str(Interval(1)) == "[1, +inf)"
    assert str(Interval(0, 1, low_open=True)) == "(0, 1]"
    assert 0.5 in Interval(0, 1, low_open=True) and 0 not in Interval(0, 1, low_open=True)

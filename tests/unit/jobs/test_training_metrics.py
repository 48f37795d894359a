"""Built-in metric definitions and the log-line metric collector (services/jobs/metrics.py)."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from sagecraft.services.jobs.metrics import (
    MAX_DEFINITIONS,
    MetricCollector,
    builtin_metric_definitions,
    record_points,
    validate_metric_definitions,
)

XGB = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1"
# As DescribeTrainingJob shows it for the built-in XGBoost images.
AUC_REGEX = r".*\[[0-9]+\].*#011validation-auc:([-+]?[0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?).*"
T0 = 1_767_225_600_000  # epoch ms


@pytest.mark.parametrize("image", [XGB, "246618743249.dkr.ecr.us-west-2.amazonaws.com/sagemaker-xgboost:1.3-1",
                                   "811284229777.dkr.ecr.us-east-1.amazonaws.com/xgboost:1",
                                   "sagemaker-xgboost:1.5-1"])
def test_xgboost_images_get_the_builtin_definitions(image):
    definitions = builtin_metric_definitions(image)
    by_name = {d["Name"]: d["Regex"] for d in definitions}
    assert by_name["validation:auc"] == AUC_REGEX
    for channel in ("train", "validation"):
        for metric in ("rmse", "mae", "logloss", "error", "auc", "aucpr", "merror", "mlogloss", "ndcg", "map"):
            assert f"{channel}:{metric}" in by_name
    assert len(definitions) <= MAX_DEFINITIONS and len(by_name) == len(definitions)
    validate_metric_definitions(definitions)


@pytest.mark.parametrize("image", [
    "python:3.10", "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-scikit-learn:1.2-1",
    "123.dkr.ecr.us-east-1.amazonaws.com/my-xgboost:1"])
def test_other_images_have_none(image):
    assert builtin_metric_definitions(image) == []


def test_the_regexes_match_the_cloudwatch_form_and_real_tabs_alike():
    collector = MetricCollector(builtin_metric_definitions(XGB))
    escaped = collector.feed("[12]#011train-logloss:0.1#011validation-auc:0.98", T0)
    tabbed = collector.feed("[13]\ttrain-logloss:0.05\tvalidation-auc:0.985\tvalidation-aucpr:1e-2", T0 + 1000)
    assert {(p.name, p.value) for p in escaped} == {("train:logloss", 0.1), ("validation:auc", 0.98)}
    assert {(p.name, p.value) for p in tabbed} == {("train:logloss", 0.05), ("validation:auc", 0.985),
                                                   ("validation:aucpr", 0.01)}


@pytest.mark.parametrize("line", [
    "Stopping. Best iteration: 18 (validation auc: 0.99)",      # no round marker, no tab
    "[2026-01-01:00:00:00:INFO] validation-auc:0.5",            # a log line without a tab before the metric
    "[3]\tvalidation-error:0.1",                                 # error is not merror, nor the reverse
])
def test_lines_that_are_not_rounds_do_not_count(line):
    names = {p.name for p in MetricCollector(builtin_metric_definitions(XGB)).feed(line, T0)}
    assert "validation:auc" not in names and "validation:merror" not in names


def test_final_metric_data_list_keeps_the_last_value_per_metric():
    collector = MetricCollector([{"Name": "loss", "Regex": r"loss=([0-9.]+)"},
                                 {"Name": "acc", "Regex": r"acc=([0-9.]+)"},
                                 {"Name": "never", "Regex": r"never=(\d+)"}])
    collector.feed_lines([(T0, "loss=0.9"), (T0 + 1000, "loss=0.5 acc=0.7"), (T0 + 2000, "loss=nan"),
                          (T0 + 3000, "loss=0.25")])
    final = collector.final_metric_data_list()

    def at(ms: int) -> dt.datetime:
        return dt.datetime.fromtimestamp(ms / 1000, dt.timezone.utc)

    assert final == [{"MetricName": "loss", "Value": 0.25, "Timestamp": at(T0 + 3000)},
                     {"MetricName": "acc", "Value": 0.7, "Timestamp": at(T0 + 1000)}]
    assert collector.final_metric_data_list(json_safe=True)[0]["Timestamp"] == (T0 + 3000) / 1000
    assert [p.value for p in collector.drain()] == [0.9, 0.5, 0.7, 0.25]
    assert collector.drain() == []


def test_nan_is_not_a_metric_value():
    collector = MetricCollector([{"Name": "x", "Regex": r"x=(\S+)"}])
    assert collector.feed("x=nan", T0) == [] and collector.feed("x=inf", T0) == []


def test_restore_resumes_after_a_restart():
    collector = MetricCollector([{"Name": "loss", "Regex": r"loss=([0-9.]+)"}])
    collector.feed("loss=0.4", T0)
    stored = collector.final_metric_data_list(json_safe=True)
    again = MetricCollector([{"Name": "loss", "Regex": r"loss=([0-9.]+)"}])
    again.restore(stored)
    assert again.final_metric_data_list() == collector.final_metric_data_list()


@pytest.mark.parametrize("definitions, message", [
    ([{"Name": "x", "Regex": "(unclosed"}], "not a valid regular expression"),
    ([{"Name": "x", "Regex": "no group"}], "capture the metric value"),
    ([{"Name": "", "Regex": "(x)"}], "needs a Name and a Regex"),
])
def test_unusable_definitions_are_refused(definitions, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        MetricCollector(definitions)


def test_record_points_publishes_per_metric_under_the_training_namespace():
    calls = []

    class Recorder:
        def record(self, namespace, name, dimensions, points, *, account_id, region):
            calls.append((namespace, name, dimensions, list(points), account_id, region))

    collector = MetricCollector(builtin_metric_definitions(XGB))
    collector.feed("[0]\ttrain-rmse:2\tvalidation-rmse:3", T0)
    collector.feed("[1]\ttrain-rmse:1\tvalidation-rmse:2", T0 + 1000)
    record_points(Recorder(), collector.drain(), job_name="job-1", account_id="000000000000", region="us-east-1")
    assert {c[1]: [v for _, v in c[3]] for c in calls} == {"train:rmse": [2.0, 1.0], "validation:rmse": [3.0, 2.0]}
    assert {(c[0], tuple(c[2].items())) for c in calls} == {
        ("/aws/sagemaker/TrainingJobs", (("TrainingJobName", "job-1"),))}

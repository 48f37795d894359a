"""sagemaker-metrics BatchPutMetrics/BatchGetMetrics, the summaries trial components report, and
Search over ExperimentTrialComponent, Experiment and ExperimentTrial."""

from __future__ import annotations

import math
import statistics
import time
import uuid

import pytest


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


@pytest.fixture(scope="module")
def metrics(server):
    return server.client("sagemaker-metrics")


@pytest.fixture(scope="module")
def tracked(sm, metrics) -> dict:
    """An experiment with two trials; three components with parameters and logged metrics."""
    experiment, trials = unique("exp"), [unique("trial"), unique("trial")]
    sm.create_experiment(ExperimentName=experiment, Tags=[{"Key": "owner", "Value": "search-test"}])
    for trial in trials:
        sm.create_trial(TrialName=trial, ExperimentName=experiment)
    components = []
    now = int(time.time())
    for index, (lr, losses) in enumerate([(0.1, [0.9, 0.5, 0.3]), (0.01, [0.8, 0.7]), (0.5, [1.2])]):
        name = unique(f"run{index}")
        sm.create_trial_component(
            TrialComponentName=name,
            DisplayName=f"Run-{index}-{uuid.uuid4().hex[:6]}",
            Parameters={"lr": {"NumberValue": lr}, "opt": {"StringValue": f"opt{index}"}},
            Tags=[{"Key": "rank", "Value": str(index)}],
        )
        sm.associate_trial_component(TrialComponentName=name, TrialName=trials[min(index, 1)])
        answer = metrics.batch_put_metrics(
            TrialComponentName=name,
            MetricData=[
                {"MetricName": "loss", "Value": value, "Timestamp": now + step, "Step": step}
                for step, value in enumerate(losses)
            ],
        )
        assert answer["Errors"] == []
        components.append({"name": name, "losses": losses, "lr": lr})
    return {"experiment": experiment, "trials": trials, "components": components}


def _search(sm, resource: str = "ExperimentTrialComponent", **params) -> list[dict]:
    out, token = [], None
    while True:
        page = sm.search(Resource=resource, **params, **({"NextToken": token} if token else {}))
        out += page["Results"]
        token = page.get("NextToken")
        if not token:
            return out


def test_summaries_in_describe(sm, tracked):
    first = tracked["components"][0]
    described = sm.describe_trial_component(TrialComponentName=first["name"])
    (summary,) = described["Metrics"]
    losses = first["losses"]
    assert summary["MetricName"] == "loss" and summary["Count"] == 3
    assert (summary["Min"], summary["Max"], summary["Last"]) == (0.3, 0.9, 0.3)
    assert math.isclose(summary["Avg"], statistics.mean(losses))
    assert math.isclose(summary["StdDev"], statistics.stdev(losses))
    assert summary["SourceArn"] == described["TrialComponentArn"]


def test_batch_put_metrics_adds_to_summaries_and_needs_a_component(sm, metrics, tracked):
    name = tracked["components"][2]["name"]
    answer = metrics.batch_put_metrics(
        TrialComponentName=name, MetricData=[{"MetricName": "acc", "Value": 0.5, "Timestamp": time.time()}]
    )
    assert answer["Errors"] == []
    described = sm.describe_trial_component(TrialComponentName=name)
    assert {m["MetricName"]: m["Count"] for m in described["Metrics"]} == {"acc": 1, "loss": 1}
    missing = unique("nope")
    with pytest.raises(metrics.exceptions.ClientError) as caught:
        metrics.batch_put_metrics(
            TrialComponentName=missing, MetricData=[{"MetricName": "x", "Value": 1.0, "Timestamp": time.time()}]
        )
    assert caught.value.response["Error"]["Code"] == "ResourceNotFound"
    assert missing in caught.value.response["Error"]["Message"]


def test_batch_get_metrics_per_step(sm, metrics, tracked):
    first = tracked["components"][0]
    arn = sm.describe_trial_component(TrialComponentName=first["name"])["TrialComponentArn"]
    (result,) = metrics.batch_get_metrics(
        MetricQueries=[
            {
                "MetricName": "loss",
                "ResourceArn": arn,
                "MetricStat": "Last",
                "Period": "IterationNumber",
                "XAxisType": "IterationNumber",
            }
        ]
    )["MetricQueryResults"]
    assert result["Status"] == "Complete"
    assert result["XAxisValues"] == [0, 1, 2] and result["MetricValues"] == first["losses"]


def test_search_by_parents_name_and_tags(sm, tracked):
    experiment, (trial_a, trial_b) = tracked["experiment"], tracked["trials"]
    names = [c["name"] for c in tracked["components"]]
    in_experiment = _search(
        sm,
        SearchExpression={"Filters": [{"Name": "Parents.ExperimentName", "Operator": "Equals", "Value": experiment}]},
    )
    assert sorted(r["TrialComponent"]["TrialComponentName"] for r in in_experiment) == sorted(names)
    record = next(r["TrialComponent"] for r in in_experiment if r["TrialComponent"]["TrialComponentName"] == names[0])
    assert record["Parents"] == [{"TrialName": trial_a, "ExperimentName": experiment}]
    assert record["Parameters"]["lr"] == {"NumberValue": 0.1}
    assert {"Key": "rank", "Value": "0"} in record["Tags"]
    assert record["Metrics"][0]["MetricName"] == "loss"
    in_b = _search(
        sm,
        SearchExpression={
            "Filters": [
                {"Name": "Parents.TrialName", "Operator": "Equals", "Value": trial_b},
                {"Name": "TrialComponentName", "Operator": "Equals", "Value": names[2]},
            ]
        },
        MaxResults=1,
    )
    assert [r["TrialComponent"]["TrialComponentName"] for r in in_b] == [names[2]]
    by_tag = _search(
        sm,
        SearchExpression={
            "Filters": [
                {"Name": "Tags.rank", "Operator": "In", "Value": "1,2"},
                {"Name": "Parents.ExperimentName", "Operator": "Equals", "Value": experiment},
            ]
        },
    )
    assert sorted(r["TrialComponent"]["TrialComponentName"] for r in by_tag) == sorted(names[1:])


def test_search_nested_or_and_sort(sm, tracked):
    experiment, (trial_a, _trial_b) = tracked["experiment"], tracked["trials"]
    names = [c["name"] for c in tracked["components"]]
    nested = _search(
        sm,
        SearchExpression={
            "NestedFilters": [
                {
                    "NestedPropertyName": "Parents",
                    "Filters": [
                        {"Name": "Parents.TrialName", "Operator": "Equals", "Value": trial_a},
                        {"Name": "Parents.ExperimentName", "Operator": "Equals", "Value": experiment},
                    ],
                }
            ]
        },
    )
    assert [r["TrialComponent"]["TrialComponentName"] for r in nested] == [names[0]]
    either = _search(
        sm,
        SearchExpression={
            "Operator": "Or",
            "SubExpressions": [
                {"Filters": [{"Name": "TrialComponentName", "Operator": "Equals", "Value": names[0]}]},
                {"Filters": [{"Name": "DisplayName", "Operator": "Contains", "Value": names[1][-8:]}]},
                {"Filters": [{"Name": "TrialComponentName", "Operator": "Equals", "Value": names[1]}]},
            ],
        },
    )
    assert sorted(r["TrialComponent"]["TrialComponentName"] for r in either) == sorted(names[:2])
    ordered = _search(
        sm,
        SearchExpression={"Filters": [{"Name": "Parents.ExperimentName", "Operator": "Equals", "Value": experiment}]},
        SortBy="CreationTime",
        SortOrder="Ascending",
        MaxResults=2,
    )
    assert [r["TrialComponent"]["TrialComponentName"] for r in ordered] == names


def test_search_experiments_and_trials(sm, tracked):
    experiment, (trial_a, _trial_b) = tracked["experiment"], tracked["trials"]
    found = _search(
        sm,
        "Experiment",
        SearchExpression={
            "Filters": [
                {"Name": "Tags.owner", "Operator": "Equals", "Value": "search-test"},
                {"Name": "ExperimentName", "Operator": "Equals", "Value": experiment},
            ]
        },
    )
    assert [r["Experiment"]["ExperimentName"] for r in found] == [experiment]
    trials = _search(
        sm,
        "ExperimentTrial",
        SearchExpression={"Filters": [{"Name": "TrialName", "Operator": "Equals", "Value": trial_a}]},
    )
    (record,) = [r["Trial"] for r in trials]
    assert record["ExperimentName"] == experiment
    assert [s["TrialComponentName"] for s in record["TrialComponentSummaries"]] == [tracked["components"][0]["name"]]


def test_search_on_metric_statistics_and_parameters(sm, tracked):
    experiment = tracked["experiment"]
    names = [c["name"] for c in tracked["components"]]
    in_experiment = {"Name": "Parents.ExperimentName", "Operator": "Equals", "Value": experiment}
    low_loss = _search(
        sm,
        SearchExpression={
            "Filters": [in_experiment, {"Name": "Metrics.loss.Min", "Operator": "LessThan", "Value": "0.5"}]
        },
    )
    assert [r["TrialComponent"]["TrialComponentName"] for r in low_loss] == [names[0]]
    big_lr = _search(
        sm,
        SearchExpression={
            "Filters": [in_experiment, {"Name": "Parameters.lr", "Operator": "GreaterThanOrEqualTo", "Value": "0.1"}]
        },
        SortBy="Parameters.lr",
        SortOrder="Descending",
    )
    assert [r["TrialComponent"]["TrialComponentName"] for r in big_lr] == [names[2], names[0]]
    by_text = _search(
        sm,
        SearchExpression={
            "Filters": [in_experiment, {"Name": "Parameters.opt", "Operator": "Equals", "Value": "opt1"}]
        },
    )
    assert [r["TrialComponent"]["TrialComponentName"] for r in by_text] == [names[1]]

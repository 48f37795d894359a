"""SearchExpression semantics on trial component records: SageMaker's paths and operators."""

from __future__ import annotations

import datetime as dt

import pytest

from sagecraft.core.errors import ValidationException
from sagecraft.services.experiments.search_expression import matches, sort_key, values_at

RECORD = {
    "TrialComponentName": "exp-run",
    "DisplayName": "My Run",
    "CreationTime": dt.datetime(2026, 1, 2, tzinfo=dt.timezone.utc),
    "Parents": [{"TrialName": "t1", "ExperimentName": "e1"}, {"TrialName": "t2", "ExperimentName": "e2"}],
    "Metrics": [{"MetricName": "loss", "Max": 0.9, "Min": 0.3}, {"MetricName": "acc", "Last": 0.8}],
    "Parameters": {"lr": {"NumberValue": 0.1}, "opt": {"StringValue": "adam"}},
    "InputArtifacts": {"data": {"Value": "s3://b/data.csv", "MediaType": "text/csv"}},
    "Tags": [{"Key": "team", "Value": "ml"}],
}


def where(*filters, **expression) -> bool:
    return matches(RECORD, {"Filters": list(filters), **expression})


def test_paths_reach_keyed_lists_maps_and_fan_out():
    assert values_at(RECORD, "Parents.TrialName") == ["t1", "t2"]
    assert values_at(RECORD, "Metrics.loss.Max") == [0.9]
    assert values_at(RECORD, "Metrics.acc.Max") == []
    assert values_at(RECORD, "Parameters.lr") == [0.1]
    assert values_at(RECORD, "InputArtifacts.data.Value") == ["s3://b/data.csv"]
    assert values_at(RECORD, "Tags.team") == ["ml"]
    assert values_at(RECORD, "Tags.other") == []


@pytest.mark.parametrize(
    ("name", "operator", "value", "expected"),
    [
        ("Parents.TrialName", "Equals", "t2", True),
        ("Parents.TrialName", "Equals", "t3", False),
        ("Parents.TrialName", "NotEquals", "t1", False),
        ("TrialComponentName", "NotEquals", "other", True),
        ("Metrics.loss.Min", "LessThan", "0.5", True),
        ("Metrics.loss.Max", "GreaterThanOrEqualTo", "0.9", True),
        ("Metrics.loss.Max", "GreaterThan", "0.9", False),
        ("Parameters.lr", "LessThanOrEqualTo", "0.1", True),
        ("Parameters.opt", "In", "sgd, adam", True),
        ("DisplayName", "Contains", "my r", True),
        ("CreationTime", "GreaterThan", "2026-01-01T00:00:00Z", True),
        ("CreationTime", "LessThan", "1767225600", False),  # 2026-01-01 in epoch seconds
    ],
)
def test_operators(name, operator, value, expected):
    assert where({"Name": name, "Operator": operator, "Value": value}) is expected


def test_exists_and_missing_values():
    assert where({"Name": "Tags.team", "Operator": "Exists"})
    assert where({"Name": "Metrics.f1.Max", "Operator": "NotExists"})
    assert not where({"Name": "Metrics.f1.Max", "Operator": "GreaterThan", "Value": "0"})
    with pytest.raises(ValidationException):
        where({"Name": "Parameters.lr", "Operator": "Equals"})
    with pytest.raises(ValidationException):
        where({"Name": "Parameters.lr", "Operator": "Equals", "Value": "fast"})


def test_nested_filters_hold_for_one_element():
    def nested(trial: str, experiment: str) -> bool:
        return matches(
            RECORD,
            {
                "NestedFilters": [
                    {
                        "NestedPropertyName": "Parents",
                        "Filters": [
                            {"Name": "Parents.TrialName", "Operator": "Equals", "Value": trial},
                            {"Name": "Parents.ExperimentName", "Operator": "Equals", "Value": experiment},
                        ],
                    }
                ]
            },
        )

    assert nested("t1", "e1") and nested("t2", "e2")
    assert not nested("t1", "e2")  # each holds for some parent, never for the same one
    with pytest.raises(ValidationException):
        matches(
            RECORD,
            {
                "NestedFilters": [
                    {
                        "NestedPropertyName": "Parents",
                        "Filters": [{"Name": "TrialName", "Operator": "Equals", "Value": "t1"}],
                    }
                ]
            },
        )


def test_sub_expressions_and_or():
    yes = {"Filters": [{"Name": "Tags.team", "Operator": "Equals", "Value": "ml"}]}
    no = {"Filters": [{"Name": "Tags.team", "Operator": "Equals", "Value": "ops"}]}
    assert matches(RECORD, {"SubExpressions": [yes, no], "Operator": "Or"})
    assert not matches(RECORD, {"SubExpressions": [yes, no]})
    assert matches(RECORD, None) and matches(RECORD, {})


def test_sort_keys_put_missing_values_after_present_ones():
    other = {**RECORD, "Parameters": {}}
    assert sort_key(RECORD, "Parameters.lr") < sort_key(other, "Parameters.lr")
    assert sort_key(RECORD, "CreationTime") == (0, RECORD["CreationTime"].timestamp(), "")

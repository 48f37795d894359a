"""Search expressions evaluated on plain records: operators, paths, tags, nesting, sorting."""

from __future__ import annotations

import datetime as dt

import pytest

from sagecraft.core.errors import ValidationException
from sagecraft.services.search.expression import expression_matches, filter_matches, sort_key

RECORD = {
    "ModelPackageGroupName": "churn", "ModelPackageVersion": 3, "ModelApprovalStatus": "Approved",
    "CreationTime": dt.datetime(2026, 11, 27, 12, tzinfo=dt.timezone.utc),
    "Tags": [{"Key": "stage", "Value": "prod"}],
    "CustomerMetadataProperties": {"auc": "0.93"},
    "InferenceSpecification": {"Containers": [{"Image": "a:1"}, {"Image": "b:2"}]},
}


@pytest.mark.parametrize(("name", "operator", "value", "expected"), [
    ("ModelPackageGroupName", "Equals", "churn", True),
    ("ModelPackageGroupName", "Equals", "Churn", False),
    ("ModelPackageGroupName", "NotEquals", "churn", False),
    ("ModelPackageGroupName", "Contains", "HUR", True),
    ("ModelPackageVersion", "GreaterThan", "2", True),
    ("ModelPackageVersion", "LessThanOrEqualTo", "2", False),
    ("CreationTime", "GreaterThanOrEqualTo", "2026-11-27T12:00:00Z", True),
    ("CreationTime", "LessThan", "1700000000", False),
    ("Tags.stage", "Equals", "prod", True),
    ("Tags.owner", "Exists", None, False),
    ("Tags.owner", "NotExists", None, True),
    ("CustomerMetadataProperties.auc", "In", "0.9,0.93", True),
    ("InferenceSpecification.Containers.Image", "Equals", "b:2", True),
    ("InferenceSpecification.Containers.Image", "NotEquals", "b:2", False),
])
def test_filters(name, operator, value, expected):
    assert filter_matches(RECORD, {"Name": name, "Operator": operator, "Value": value}) is expected


def test_expressions_join_filters_nested_filters_and_sub_expressions():
    approved = {"Name": "ModelApprovalStatus", "Operator": "Equals", "Value": "Approved"}
    other = {"Name": "ModelPackageGroupName", "Operator": "Equals", "Value": "other"}
    assert expression_matches(RECORD, {"Filters": [approved, other], "Operator": "Or"})
    assert not expression_matches(RECORD, {"Filters": [approved, other]})
    nested = {"NestedPropertyName": "InferenceSpecification.Containers",
              "Filters": [{"Name": "Image", "Operator": "Equals", "Value": "a:1"}]}
    assert expression_matches(RECORD, {"NestedFilters": [nested], "SubExpressions": [{"Filters": [approved]}]})
    assert expression_matches(RECORD, None)


def test_bad_operator_and_missing_value_are_validation_errors():
    with pytest.raises(ValidationException):
        filter_matches(RECORD, {"Name": "ModelPackageGroupName", "Operator": "Like", "Value": "x"})
    with pytest.raises(ValidationException):
        filter_matches(RECORD, {"Name": "ModelPackageGroupName", "Operator": "Equals"})


def test_sort_keys_put_missing_properties_last():
    records = [{"V": 2}, {}, {"V": 10}]
    assert sorted(records, key=lambda r: sort_key(r, "V")) == [{"V": 2}, {"V": 10}, {}]

"""QualityCheck steps: the definition's check members, the baseline chosen for the drift check, the
job request the analyzer receives, and the step's outcome from the violation report."""

from __future__ import annotations

import json
from typing import Any

import pytest

from sagecraft.core.errors import AwsError, ValidationException
from sagecraft.services.pipelines import definition, quality

OUTPUT = "s3://bucket/quality/run-1"
ARGUMENTS = {
    "ProcessingOutputConfig": {
        "Outputs": [
            {
                "OutputName": "quality_check_output",
                "S3Output": {"S3Uri": OUTPUT, "LocalPath": "/opt/ml/processing/output"},
            }
        ]
    },
    "Environment": {"dataset_format": '{"csv": {"header": true}}'},
    "ProcessingInputs": [],
}


class Registry:
    """ListModelPackages / DescribeModelPackage of one group holding at most one Approved package."""

    def __init__(self, baselines: dict[str, Any] | None) -> None:
        self.baselines = baselines
        self.calls: list[tuple[str, dict]] = []

    def call(self, account_id: str, region: str, operation: str, params: dict[str, Any]) -> dict[str, Any]:
        self.calls.append((operation, params))
        if operation == "ListModelPackages":
            found = self.baselines is not None and params.get("ModelApprovalStatus") == "Approved"
            return {"ModelPackageSummaryList": [{"ModelPackageArn": "arn:pkg/g/1"}] if found else []}
        assert operation == "DescribeModelPackage"
        return {"ModelPackageArn": params["ModelPackageName"], "DriftCheckBaselines": self.baselines}


def _check(**members: Any) -> dict[str, Any]:
    return {"CheckType": "DATA_QUALITY", **members}


def test_the_definition_keeps_the_check_members_and_its_properties():
    step = {
        "Name": "Check",
        "Type": "QualityCheck",
        "Arguments": {},
        "CheckType": "DATA_QUALITY",
        "SkipCheck": {"Get": "Parameters.Skip"},
        "RegisterNewBaseline": True,
        "ModelPackageGroupName": None,
    }
    use = {
        "Name": "Use",
        "Type": "Processing",
        "Arguments": {"X": {"Get": "Steps.Check.BaselineUsedForDriftCheckConstraints"}},
    }
    text = json.dumps(
        {"Version": "2020-12-01", "Parameters": [{"Name": "Skip", "Type": "Boolean"}], "Steps": [step, use]}
    )
    parsed = definition.parse(text)
    assert parsed.steps["Check"].check == {
        "CheckType": "DATA_QUALITY",
        "SkipCheck": {"Get": "Parameters.Skip"},
        "RegisterNewBaseline": True,
    }
    assert parsed.steps["Use"].needs == {"Check"}
    with pytest.raises(ValidationException, match="a QualityCheck step's properties are"):
        definition.parse(text.replace("BaselineUsedForDriftCheckConstraints", "ProcessingJobArn"))
    with pytest.raises(ValidationException, match="parameter 'Other'"):
        definition.parse(text.replace("Parameters.Skip", "Parameters.Other"))


def test_a_check_without_any_baseline_fails_unless_skipped():
    with pytest.raises(AwsError, match="no baseline constraints to check against"):
        quality.prepare(Registry(None), "1", "us-east-1", "Check", ARGUMENTS, _check(ModelPackageGroupName="g"))
    request, state = quality.prepare(
        Registry(None), "1", "us-east-1", "Check", ARGUMENTS, _check(SkipCheck=True, RegisterNewBaseline="true")
    )
    assert request == ARGUMENTS  # a pure baselining job
    assert state["skip"] and state["register"] and state["output"] == OUTPUT
    status, metadata, properties, reason = quality.conclude(state, "arn:job", lambda uri: b"")
    assert (status, reason) == ("Succeeded", None)
    assert properties == {
        "CalculatedBaselineStatistics": f"{OUTPUT}/statistics.json",
        "CalculatedBaselineConstraints": f"{OUTPUT}/constraints.json",
        "BaselineUsedForDriftCheckStatistics": f"{OUTPUT}/statistics.json",
        "BaselineUsedForDriftCheckConstraints": f"{OUTPUT}/constraints.json",
    }
    assert metadata["QualityCheck"]["CheckJobArn"] == "arn:job" and "ViolationReport" not in metadata["QualityCheck"]


def test_the_check_uses_the_latest_approved_baseline_and_fails_on_violations():
    registry = Registry(
        {
            "ModelDataQuality": {
                "Statistics": {"S3Uri": "s3://b/old/statistics.json"},
                "Constraints": {"S3Uri": "s3://b/old/constraints.json"},
            }
        }
    )
    request, state = quality.prepare(registry, "1", "us-east-1", "Check", ARGUMENTS, _check(ModelPackageGroupName="g"))
    assert registry.calls[0][1]["ModelApprovalStatus"] == "Approved"
    inputs = {i["InputName"]: i["S3Input"]["S3Uri"] for i in request["ProcessingInputs"]}
    assert inputs == {
        "baseline_constraints": "s3://b/old/constraints.json",
        "baseline_statistics": "s3://b/old/statistics.json",
    }
    environment = request["Environment"]
    assert environment["baseline_constraints"] == "/opt/ml/processing/baseline/baseline_constraints"
    assert environment[quality.CALCULATE_BASELINE_ENV] == "Enabled"
    assert ARGUMENTS["ProcessingInputs"] == []  # the step's own arguments are left alone
    report = {"violations": [{"feature_name": "x", "constraint_check_type": "baseline_drift_check"}]}
    status, metadata, properties, reason = quality.conclude(state, "arn:job", lambda uri: json.dumps(report).encode())
    assert status == "Failed" and reason.startswith("ClientError: Quality check failed: 1 violation(s)")
    assert "x: baseline_drift_check" in reason
    assert metadata["QualityCheck"]["ViolationReport"] == f"{OUTPUT}/constraint_violations.json"
    assert properties["BaselineUsedForDriftCheckConstraints"] == "s3://b/old/constraints.json"
    lenient = {**state, "fail_on_violation": False}
    assert quality.conclude(lenient, "arn:job", lambda uri: json.dumps(report).encode())[0] == "Succeeded"
    clean = quality.conclude(state, "arn:job", lambda uri: b'{"violations": []}')
    assert clean[0] == "Succeeded"


def test_supplied_baselines_win_over_the_model_package_group():
    registry = Registry({"ModelDataQuality": {"Constraints": {"S3Uri": "s3://b/old/constraints.json"}}})
    request, state = quality.prepare(
        registry,
        "1",
        "us-east-1",
        "Check",
        ARGUMENTS,
        _check(ModelPackageGroupName="g", SuppliedBaselineConstraints="s3://b/c.json"),
    )
    assert registry.calls == []
    assert [i["S3Input"]["S3Uri"] for i in request["ProcessingInputs"]] == ["s3://b/c.json"]
    unreadable = quality.conclude(state, None, lambda uri: (_ for _ in ()).throw(ValidationException("gone")))
    assert unreadable[0] == "Failed" and "Cannot read the violation report" in unreadable[3]

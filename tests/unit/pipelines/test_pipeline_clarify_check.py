"""ClarifyCheck steps: the definition's check members (DATA_BIAS only), the baseline chosen for the
bias drift check, the job request the Clarify analyzer receives, and the step's outcome."""

from __future__ import annotations

import json
from typing import Any

import pytest

from sagecraft.core.errors import AwsError, ValidationException
from sagecraft.services.pipelines import clarify, definition

OUTPUT = "s3://bucket/clarify/run-1"
ARGUMENTS = {
    "ProcessingOutputConfig": {
        "Outputs": [
            {"OutputName": "analysis_result", "S3Output": {"S3Uri": OUTPUT, "LocalPath": "/opt/ml/processing/output"}}
        ]
    },
    "ProcessingInputs": [{"InputName": "analysis_config"}, {"InputName": "dataset"}],
}
PACKAGE_CONSTRAINTS = "s3://b/old/analysis.json"


class Registry:
    """ListModelPackages / DescribeModelPackage of one group holding at most one Approved package."""

    def __init__(self, baselines: dict[str, Any] | None) -> None:
        self.baselines = baselines
        self.calls: list[str] = []

    def call(self, account_id: str, region: str, operation: str, params: dict[str, Any]) -> dict[str, Any]:
        self.calls.append(operation)
        if operation == "ListModelPackages":
            found = self.baselines is not None and params.get("ModelApprovalStatus") == "Approved"
            return {"ModelPackageSummaryList": [{"ModelPackageArn": "arn:pkg/g/1"}] if found else []}
        return {"ModelPackageArn": params["ModelPackageName"], "DriftCheckBaselines": self.baselines}


def _step(check_type: str = "DATA_BIAS") -> dict[str, Any]:
    return {
        "Name": "Bias",
        "Type": "ClarifyCheck",
        "Arguments": {},
        "CheckType": check_type,
        "SkipCheck": False,
        "RegisterNewBaseline": {"Get": "Parameters.Register"},
        "SuppliedBaselineConstraints": None,
        "ModelPackageGroupName": "g",
    }


def _definition(*steps: dict[str, Any]) -> str:
    return json.dumps(
        {"Version": "2020-12-01", "Parameters": [{"Name": "Register", "Type": "Boolean"}], "Steps": list(steps)}
    )


def test_the_definition_keeps_the_check_members_and_refuses_model_checks():
    use = {
        "Name": "Use",
        "Type": "Processing",
        "Arguments": {"X": {"Get": "Steps.Bias.BaselineUsedForDriftCheckConstraints"}},
    }
    parsed = definition.parse(_definition(_step(), use))
    assert parsed.steps["Bias"].check == {
        "CheckType": "DATA_BIAS",
        "SkipCheck": False,
        "RegisterNewBaseline": {"Get": "Parameters.Register"},
        "ModelPackageGroupName": "g",
    }
    assert parsed.steps["Use"].needs == {"Bias"}
    wrong = {**use, "Arguments": {"X": {"Get": "Steps.Bias.CalculatedBaselineStatistics"}}}
    with pytest.raises(ValidationException, match="a ClarifyCheck step's properties are"):
        definition.parse(_definition(_step(), wrong))
    for check_type in ("MODEL_BIAS", "MODEL_EXPLAINABILITY"):
        with pytest.raises(ValidationException, match=f"CheckType '{check_type}' is not supported by Sagecraft yet"):
            definition.parse(_definition(_step(check_type)))


def test_a_first_baseline_is_calculated_with_skip_check():
    with pytest.raises(AwsError, match="no baseline constraints to check against"):
        clarify.prepare(
            Registry(None),
            "1",
            "us-east-1",
            "Bias",
            ARGUMENTS,
            {"CheckType": "DATA_BIAS", "ModelPackageGroupName": "g"},
        )
    check = {"CheckType": "DATA_BIAS", "SkipCheck": True, "RegisterNewBaseline": "true"}
    request, state = clarify.prepare(Registry(None), "1", "us-east-1", "Bias", ARGUMENTS, check)
    assert request == ARGUMENTS
    status, metadata, properties, reason = clarify.conclude(state, "arn:job", lambda uri: b"")
    assert (status, reason) == ("Succeeded", None)
    assert properties == {
        "CalculatedBaselineConstraints": f"{OUTPUT}/analysis.json",
        "BaselineUsedForDriftCheckConstraints": f"{OUTPUT}/analysis.json",
    }
    entry = metadata["ClarifyCheck"]
    assert entry["CheckType"] == "DATA_BIAS" and entry["SkipCheck"] and entry["CheckJobArn"] == "arn:job"
    assert "ViolationReport" not in entry


def test_the_check_uses_the_approved_bias_baseline_and_fails_on_violations():
    registry = Registry({"Bias": {"PreTrainingConstraints": {"S3Uri": PACKAGE_CONSTRAINTS}}})
    check = {"CheckType": "DATA_BIAS", "ModelPackageGroupName": "g"}
    request, state = clarify.prepare(registry, "1", "us-east-1", "Bias", ARGUMENTS, check)
    assert registry.calls == ["ListModelPackages", "DescribeModelPackage"]
    added = request["ProcessingInputs"][-1]
    assert added["InputName"] == "baseline_constraints" and added["S3Input"]["S3Uri"] == PACKAGE_CONSTRAINTS
    assert request["Environment"] == {"baseline_constraints": "/opt/ml/processing/baseline/baseline_constraints"}
    assert len(ARGUMENTS["ProcessingInputs"]) == 2  # the step's own arguments are left alone
    report = {
        "violations": [
            {"facet": "gender", "facet_value": "F", "metric_name": "DPL", "constraint_check_type": "bias_drift_check"}
        ]
    }
    status, metadata, properties, reason = clarify.conclude(state, "arn:job", lambda uri: json.dumps(report).encode())
    assert status == "Failed" and reason.startswith("ClientError: Clarify check failed: 1 violation(s)")
    assert "gender=F: DPL" in reason and f"{OUTPUT}/constraint_violations.json" in reason
    assert metadata["ClarifyCheck"]["ViolationReport"] == f"{OUTPUT}/constraint_violations.json"
    assert properties["BaselineUsedForDriftCheckConstraints"] == PACKAGE_CONSTRAINTS
    assert (
        clarify.conclude({**state, "fail_on_violation": False}, None, lambda uri: json.dumps(report).encode())[0]
        == "Succeeded"
    )
    assert clarify.conclude(state, None, lambda uri: b'{"violations": []}')[0] == "Succeeded"


def test_supplied_constraints_win_over_the_model_package_group():
    registry = Registry({"Bias": {"PreTrainingConstraints": {"S3Uri": PACKAGE_CONSTRAINTS}}})
    check = {
        "CheckType": "DATA_BIAS",
        "ModelPackageGroupName": "g",
        "SuppliedBaselineConstraints": "s3://b/c.json",
        "RegisterNewBaseline": True,
    }
    request, state = clarify.prepare(registry, "1", "us-east-1", "Bias", ARGUMENTS, check)
    assert registry.calls == [] and request["ProcessingInputs"][-1]["S3Input"]["S3Uri"] == "s3://b/c.json"
    _, _, properties, _ = clarify.conclude(state, None, lambda uri: b'{"violations": []}')
    assert properties["BaselineUsedForDriftCheckConstraints"] == f"{OUTPUT}/analysis.json"  # registered anew

"""QualityCheck steps: a baselining job of the model monitor analyzer, plus the drift check.

The step's Arguments are the analyzer's processing job as the SDK builds it (the same request as
``suggest_baseline``). It always calculates a new baseline (statistics.json, constraints.json in its
output). Unless ``SkipCheck``, it also checks the data against the baseline used for the drift
check: the supplied statistics/constraints, or else those in the ``DriftCheckBaselines`` of the
latest Approved model package of ``ModelPackageGroupName``. The engine adds those files as
inputs and points the analyzer at them, so one job writes constraint_violations.json beside the
new baseline. Violations fail the step when ``FailOnViolation`` (the default).

``RegisterNewBaseline`` decides what the step's BaselineUsedForDriftCheck* properties name: the
baseline just calculated, or the previous one (SageMaker's baseline lifecycle)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from sagecraft.core.errors import AwsError, ValidationException
from sagecraft.services.pipelines.ports import SageMakerApi

BASELINE_ROOT = "/opt/ml/processing/baseline"
# Tells Sagecraft's analyzer to write constraints.json even while it checks against a baseline.
CALCULATE_BASELINE_ENV = "sagecraft_calculate_baseline"
# The DriftCheckBaselines member holding each check type's baseline.
DRIFT_MEMBER = {"DATA_QUALITY": "ModelDataQuality", "MODEL_QUALITY": "ModelQuality"}


def flag(value: Any, default: bool) -> bool:
    if value is None:
        return default
    if isinstance(value, str):
        return value.strip().lower() == "true"
    return bool(value)


def output_uri(arguments: dict[str, Any], step_type: str = "QualityCheck") -> str:
    outputs = (arguments.get("ProcessingOutputConfig") or {}).get("Outputs") or []
    if not outputs:
        raise ValidationException(f"A {step_type} step's processing job needs an output for its results.")
    return str(outputs[0]["S3Output"]["S3Uri"]).rstrip("/")


def approved_drift_baselines(api: SageMakerApi, account_id: str, region: str, group: str) -> dict[str, Any]:
    """The DriftCheckBaselines of the latest Approved model package of ``group`` ({} without one)."""
    listed = api.call(
        account_id,
        region,
        "ListModelPackages",
        {
            "ModelPackageGroupName": group,
            "ModelApprovalStatus": "Approved",
            "SortBy": "CreationTime",
            "SortOrder": "Descending",
            "MaxResults": 1,
        },
    )
    summaries = listed.get("ModelPackageSummaryList") or []
    if not summaries:
        return {}
    latest = {"ModelPackageName": summaries[0]["ModelPackageArn"]}
    return api.call(account_id, region, "DescribeModelPackage", latest).get("DriftCheckBaselines") or {}


def previous_baseline(
    api: SageMakerApi, account_id: str, region: str, group: str, check_type: str
) -> tuple[str | None, str | None]:
    """(statistics, constraints) URIs of the latest Approved model package of ``group``."""
    baseline = approved_drift_baselines(api, account_id, region, group).get(DRIFT_MEMBER[check_type]) or {}
    return (baseline.get("Statistics") or {}).get("S3Uri"), (baseline.get("Constraints") or {}).get("S3Uri")


def baseline_input(name: str, uri: str) -> dict[str, Any]:
    """The processing input that brings a baseline file to BASELINE_ROOT/<name> in the job."""
    source = {"S3Uri": uri, "LocalPath": f"{BASELINE_ROOT}/{name}", "S3DataType": "S3Prefix"}
    return {"InputName": name, "S3Input": source | {"S3InputMode": "File", "S3DataDistributionType": "FullyReplicated"}}


def prepare(
    api: SageMakerApi, account_id: str, region: str, step_name: str, arguments: dict[str, Any], check: dict[str, Any]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The processing request to run and what ``conclude`` needs; raises AwsError when the step
    must check but has no baseline to check against."""
    check_type = check["CheckType"]
    skip = flag(check.get("SkipCheck"), False)
    statistics, constraints = check.get("SuppliedBaselineStatistics"), check.get("SuppliedBaselineConstraints")
    group = check.get("ModelPackageGroupName")
    if not statistics and not constraints and group:
        statistics, constraints = previous_baseline(api, account_id, region, group, check_type)
    if not skip and not constraints:
        raise ValidationException(
            f"ClientError: QualityCheck step '{step_name}' has no baseline constraints to check against: supply "
            "them (supplied_baseline_constraints), approve a model package with DriftCheckBaselines in "
            "model_package_group_name, or skip the check (skip_check=True) to calculate a first baseline."
        )
    output = output_uri(arguments)
    request = json.loads(json.dumps(arguments))
    if not skip:
        environment = request.setdefault("Environment", {})
        inputs = request.setdefault("ProcessingInputs", [])
        for name, uri in (("baseline_constraints", constraints), ("baseline_statistics", statistics)):
            if uri:
                inputs.append(baseline_input(name, uri))
                environment[name] = f"{BASELINE_ROOT}/{name}"
        environment[CALCULATE_BASELINE_ENV] = "Enabled"
    state = {
        "check_type": check_type,
        "skip": skip,
        "register": flag(check.get("RegisterNewBaseline"), False),
        "fail_on_violation": flag(check.get("FailOnViolation"), True),
        "group": group,
        "output": output,
        "statistics": statistics,
        "constraints": constraints,
    }
    return request, state


def metadata(state: dict[str, Any], arn: str | None) -> dict[str, Any]:
    entry = {
        "CheckType": state["check_type"],
        "SkipCheck": state["skip"],
        "RegisterNewBaseline": state["register"],
        "CheckJobArn": arn,
        **({"ModelPackageGroupName": state["group"]} if state.get("group") else {}),
    }
    return {"QualityCheck": entry}


def conclude(
    state: dict[str, Any], arn: str | None, read: Callable[[str], bytes]
) -> tuple[str, dict[str, Any], dict[str, Any], str | None]:
    """(status, metadata, properties, failure reason) of a QualityCheck step whose job completed."""
    output = state["output"]
    properties: dict[str, Any] = {
        "CalculatedBaselineStatistics": f"{output}/statistics.json",
        "CalculatedBaselineConstraints": f"{output}/constraints.json",
    }
    if state["register"]:
        used = properties["CalculatedBaselineStatistics"], properties["CalculatedBaselineConstraints"]
    else:
        used = state.get("statistics"), state.get("constraints")
    for key, uri in zip(
        ("BaselineUsedForDriftCheckStatistics", "BaselineUsedForDriftCheckConstraints"), used, strict=True
    ):
        if uri:
            properties[key] = uri
    entry = metadata(state, arn)["QualityCheck"] | properties
    if state["skip"]:
        return "Succeeded", {"QualityCheck": entry}, properties, None
    report = f"{output}/constraint_violations.json"
    entry["ViolationReport"] = report
    try:
        violations = json.loads(read(report)).get("violations") or []
    except (AwsError, ValueError) as error:
        reason = f"ClientError: Cannot read the violation report {report}: {getattr(error, 'message', error)}"
        return "Failed", {"QualityCheck": entry}, properties, reason
    if violations and state["fail_on_violation"]:
        checks = sorted(
            {f"{v.get('feature_name') or v.get('metric_name')}: {v.get('constraint_check_type')}" for v in violations}
        )
        reason = (
            f"ClientError: Quality check failed: {len(violations)} violation(s) of the baseline constraints "
            f"({'; '.join(checks[:5])}{'; …' if len(checks) > 5 else ''}). See the violation report {report}."
        )
        return "Failed", {"QualityCheck": entry}, properties, reason
    return "Succeeded", {"QualityCheck": entry}, properties, None

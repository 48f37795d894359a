"""ClarifyCheck steps (a DataBiasCheckConfig): a pre-training bias analysis by the Clarify analyzer,
plus the bias drift check.

The step's Arguments are the Clarify processing job as the SDK builds it (the request of
``run_pre_training_bias``). The job always calculates a new baseline: the analysis.json in its
output. Unless ``SkipCheck``, the analysis is checked against the baseline constraints used for
the drift check: ``SuppliedBaselineConstraints``, or else the ``DriftCheckBaselines.Bias.
PreTrainingConstraints`` of the latest Approved model package of ``ModelPackageGroupName``. The
engine adds that file as an input and names it in the ``baseline_constraints`` environment
variable, so the same job writes constraint_violations.json (a metric further from 0 than the
baseline's is a violation). Violations fail the step when ``FailOnViolation`` (the default).
``RegisterNewBaseline`` decides what BaselineUsedForDriftCheckConstraints names: the analysis just
calculated, or the previous baseline. Model bias and explainability checks are refused when the
pipeline is created (definition.py)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from sagecraft.core.errors import AwsError, ValidationException
from sagecraft.services.pipelines import quality
from sagecraft.services.pipelines.ports import SageMakerApi

STEP_TYPE = "ClarifyCheck"
BASELINE_NAME = "baseline_constraints"  # the input and the analyzer's environment variable


def previous_constraints(api: SageMakerApi, account_id: str, region: str, group: str) -> str | None:
    """The pre-training bias constraints of the latest Approved model package of ``group``."""
    bias = quality.approved_drift_baselines(api, account_id, region, group).get("Bias") or {}
    return (bias.get("PreTrainingConstraints") or {}).get("S3Uri")


def prepare(
    api: SageMakerApi, account_id: str, region: str, step_name: str, arguments: dict[str, Any], check: dict[str, Any]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The processing request to run and what ``conclude`` needs; raises AwsError when the step
    must check but has no baseline to check against."""
    skip = quality.flag(check.get("SkipCheck"), False)
    constraints, group = check.get("SuppliedBaselineConstraints"), check.get("ModelPackageGroupName")
    if not constraints and group:
        constraints = previous_constraints(api, account_id, region, group)
    if not skip and not constraints:
        raise ValidationException(
            f"ClientError: ClarifyCheck step '{step_name}' has no baseline constraints to check against: supply "
            "them (supplied_baseline_constraints), approve a model package with DriftCheckBaselines bias "
            "pre-training constraints in model_package_group_name, or skip the check (skip_check=True) to "
            "calculate a first baseline."
        )
    request = json.loads(json.dumps(arguments))
    if not skip:
        request.setdefault("ProcessingInputs", []).append(quality.baseline_input(BASELINE_NAME, constraints))
        request.setdefault("Environment", {})[BASELINE_NAME] = f"{quality.BASELINE_ROOT}/{BASELINE_NAME}"
    state = {
        "step_type": STEP_TYPE,
        "check_type": check["CheckType"],
        "skip": skip,
        "register": quality.flag(check.get("RegisterNewBaseline"), False),
        "fail_on_violation": quality.flag(check.get("FailOnViolation"), True),
        "group": group,
        "output": quality.output_uri(arguments, STEP_TYPE),
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
    return {STEP_TYPE: entry}


def _summary(violations: list[dict[str, Any]]) -> str:
    checks = sorted({f"{v.get('facet')}={v.get('facet_value')}: {v.get('metric_name')}" for v in violations})
    return "; ".join(checks[:5]) + ("; …" if len(checks) > 5 else "")


def conclude(
    state: dict[str, Any], arn: str | None, read: Callable[[str], bytes]
) -> tuple[str, dict[str, Any], dict[str, Any], str | None]:
    """(status, metadata, properties, failure reason) of a ClarifyCheck step whose job completed."""
    output = state["output"]
    properties: dict[str, Any] = {"CalculatedBaselineConstraints": f"{output}/analysis.json"}
    used = properties["CalculatedBaselineConstraints"] if state["register"] else state.get("constraints")
    if used:
        properties["BaselineUsedForDriftCheckConstraints"] = used
    entry = metadata(state, arn)[STEP_TYPE] | properties
    if state["skip"]:
        return "Succeeded", {STEP_TYPE: entry}, properties, None
    report = f"{output}/constraint_violations.json"
    entry["ViolationReport"] = report
    try:
        violations = json.loads(read(report)).get("violations") or []
    except (AwsError, ValueError) as error:
        reason = f"ClientError: Cannot read the violation report {report}: {getattr(error, 'message', error)}"
        return "Failed", {STEP_TYPE: entry}, properties, reason
    if violations and state["fail_on_violation"]:
        reason = (
            f"ClientError: Clarify check failed: {len(violations)} violation(s) of the baseline constraints "
            f"({_summary(violations)}). See the violation report {report}."
        )
        return "Failed", {STEP_TYPE: entry}, properties, reason
    return "Succeeded", {STEP_TYPE: entry}, properties, None

"""Pipeline definitions: parsing, the checks Create/Update make, parameters, expressions, policies."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from sagecraft.core.errors import AwsError, ValidationException
from sagecraft.services.pipelines import definition, expressions, policies
from sagecraft.services.pipelines.steps import job_name

EXAMPLE = Path("/work/shared/reference/sdk-v2/pipeline_definition_example.json")


def _definition(steps: list[dict], parameters: list[dict] | None = None) -> str:
    return json.dumps({"Version": "2020-12-01", "Parameters": parameters or [], "Steps": steps})


def _processing(name: str, **arguments) -> dict:
    return {"Name": name, "Type": "Processing", "Arguments": arguments}


@pytest.mark.skipif(not EXAMPLE.exists(), reason="the SDK's example definition is not available")
def test_the_sdk_example_parses_with_its_dependencies_and_branches():
    parsed = definition.parse(EXAMPLE.read_text())
    assert list(parsed.steps) == ["Preprocess", "Train", "Evaluate", "CheckAUC", "RegisterModel-RegisterModel",
                                  "CreateModel-CreateModel", "AucTooLow"]
    assert parsed.steps["Train"].needs == {"Preprocess"}
    assert parsed.steps["Evaluate"].needs == {"Preprocess", "Train"}
    assert parsed.steps["CheckAUC"].needs == {"Evaluate"}
    assert parsed.steps["RegisterModel-RegisterModel"].gate == ("CheckAUC", True)
    assert parsed.steps["AucTooLow"].gate == ("CheckAUC", False)
    assert parsed.steps["Preprocess"].cache_enabled


@pytest.mark.parametrize(("text", "message"), [
    ("{not json", "Unable to parse pipeline definition"),
    (_definition([_processing("A", X={"Get": "Steps.Nope.ProcessingJobArn"})]), "step 'Nope', which does not exist"),
    (_definition([_processing("A", X={"Get": "Parameters.Missing"})]), "parameter 'Missing'"),
    (_definition([_processing("A"), _processing("B", X={"Get": "Steps.A.NoSuchThing"})]),
     "'NoSuchThing' is not a member of DescribeProcessingJobResponse"),
    (_definition([_processing("A", X={"Get": "Steps.B.ProcessingJobArn"}),
                  _processing("B", X={"Get": "Steps.A.ProcessingJobArn"})]), "cycle: A -> B -> A"),
    (_definition([{**_processing("A"), "DependsOn": ["Z"]}]), "depends on step 'Z'"),
    (_definition([{"Name": "L", "Type": "Lambda", "Arguments": {}}]), "not supported by Sagecraft yet"),
    (_definition([_processing("A"), _processing("A")]), "used more than once"),
    (_definition([_processing("A"), _processing("B", X={"Get": "Steps.A.PropertyFiles.Report"})]),
     "no such property file"),
    (_definition([{**_processing("A"), "RetryPolicies": [{"ExceptionType": ["Step.OOPS"], "MaxAttempts": 1}]}]),
     "RetryPolicies ExceptionType must be among"),
    (_definition([{**_processing("A"), "CacheConfig": {"Enabled": True, "ExpireAfter": "one hour"}}]),
     "not an ISO 8601 duration"),
])
def test_definitions_that_cannot_run_are_rejected_naming_the_problem(text, message):
    with pytest.raises(ValidationException) as raised:
        definition.parse(text)
    assert message in raised.value.message


def test_start_parameters_arrive_as_text_and_take_their_type():
    parsed = definition.parse(_definition([_processing("A")], [
        {"Name": "Count", "Type": "Integer", "DefaultValue": 1}, {"Name": "Threshold", "Type": "Float"},
        {"Name": "Flag", "Type": "Boolean", "DefaultValue": False}, {"Name": "Text", "Type": "String",
                                                                     "DefaultValue": "x"}]))
    values = definition.resolve_parameters(parsed, [{"Name": "Threshold", "Value": "0.6"},
                                                    {"Name": "Flag", "Value": "true"}])
    assert values == {"Count": 1, "Threshold": 0.6, "Flag": True, "Text": "x"}
    with pytest.raises(ValidationException, match="no default value"):
        definition.resolve_parameters(parsed, [])
    with pytest.raises(ValidationException, match="cannot take the value 'abc'"):
        definition.resolve_parameters(parsed, [{"Name": "Threshold", "Value": "abc"}])
    with pytest.raises(ValidationException, match="'Other' is not defined"):
        definition.resolve_parameters(parsed, [{"Name": "Threshold", "Value": "1"}, {"Name": "Other", "Value": "1"}])


def _resolver(symbolic: bool = False) -> expressions.Resolver:
    described = {"ProcessingOutputConfig": {"Outputs": [
        {"OutputName": "a", "S3Output": {"S3Uri": "s3://b/a"}}, {"OutputName": "x", "S3Output": {"S3Uri": "s3://b/x"}}]}}
    files = {("Eval", "Report"): {"metrics": {"auc": {"value": 0.91}}, "list": [3, 4]}}
    return expressions.Resolver({"Threshold": 0.7, "Name": "n"}, {"PipelineExecutionId": "abc123"},
                                lambda step: described, lambda ref: files[(ref.step, ref.name)],
                                lambda uri: b"{}", symbolic=symbolic)


def test_expressions_index_lists_by_name_and_join_and_json_get():
    resolver = _resolver()
    value = resolver.resolve({"Std:Join": {"On": "/", "Values": [
        {"Get": "Steps.P.ProcessingOutputConfig.Outputs['x'].S3Output.S3Uri"},
        {"Get": "Execution.PipelineExecutionId"}, {"Get": "Parameters.Threshold"}]}})
    assert value == "s3://b/x/abc123/0.7"
    json_get = {"Std:JsonGet": {"PropertyFile": {"Get": "Steps.Eval.PropertyFiles.Report"},
                                "Path": "metrics.auc.value"}}
    assert resolver.resolve(json_get) == 0.91
    assert resolver.resolve({"Std:JsonGet": {"PropertyFile": {"Get": "Steps.Eval.PropertyFiles.Report"},
                                             "Path": "list[1]"}}) == 4
    symbolic = _resolver(symbolic=True).resolve({"Get": "Execution.PipelineExecutionId"})
    assert symbolic == "{Execution.PipelineExecutionId}"
    with pytest.raises(expressions.ExpressionError, match="no item named 'zz'"):
        resolver.resolve({"Get": "Steps.P.ProcessingOutputConfig.Outputs['zz'].S3Output.S3Uri"})


@pytest.mark.parametrize(("condition", "expected"), [
    ({"Type": "GreaterThanOrEqualTo", "LeftValue": 0.91, "RightValue": {"Get": "Parameters.Threshold"}}, True),
    ({"Type": "LessThan", "LeftValue": 0.5, "RightValue": {"Get": "Parameters.Threshold"}}, True),
    ({"Type": "GreaterThan", "LeftValue": 0.7, "RightValue": {"Get": "Parameters.Threshold"}}, False),
    ({"Type": "Equals", "LeftValue": {"Get": "Parameters.Name"}, "RightValue": "n"}, True),
    ({"Type": "In", "QueryValue": {"Get": "Parameters.Name"}, "Values": ["a", "n"]}, True),
    ({"Type": "Not", "Expression": {"Type": "Equals", "LeftValue": 1, "RightValue": 1}}, False),
    ({"Type": "Or", "Conditions": [{"Type": "Equals", "LeftValue": 1, "RightValue": 2},
                                   {"Type": "LessThanOrEqualTo", "LeftValue": 2, "RightValue": 2}]}, True),
])
def test_conditions(condition, expected):
    assert expressions.evaluate(condition, _resolver()) is expected


def test_retry_policies_match_exception_types_and_back_off():
    start = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)
    job_policy = [{"ExceptionType": ["SageMaker.JOB_INTERNAL_ERROR"], "IntervalSeconds": 2, "BackoffRate": 3,
                   "MaxAttempts": 2}]
    internal = policies.job_failure_type("InternalServerError: the instance is gone")
    assert internal == "SageMaker.JOB_INTERNAL_ERROR"
    assert policies.retry_delay(job_policy, internal, 1, start, start) == 2
    assert policies.retry_delay(job_policy, internal, 2, start, start) == 6
    assert policies.retry_delay(job_policy, internal, 3, start, start) is None  # two retries made
    assert policies.retry_delay(job_policy, policies.job_failure_type("AlgorithmError: exit 1"), 1, start,
                                start) is None
    step_policy = [{"ExceptionType": ["Step.SERVICE_FAULT"], "IntervalSeconds": 1, "BackoffRate": 2,
                    "ExpireAfterMin": 1}]
    fault = policies.call_failure_type(AwsError("boom", code="InternalFailure", status=500))
    assert policies.retry_delay(step_policy, fault, 1, start, start) == 1
    assert policies.retry_delay(step_policy, fault, 1, start, start + dt.timedelta(minutes=2)) is None
    assert policies.call_failure_type(ValidationException("bad")) is None


def test_cache_expiry_durations():
    assert policies.expire_after("PT1H") == dt.timedelta(hours=1)
    assert policies.expire_after("P30D") == dt.timedelta(days=30)
    assert policies.expire_after("PT90S") == dt.timedelta(seconds=90)
    assert policies.expire_after("soon") is None


def test_generated_job_names_respect_the_limits():
    name = job_name("abcdefghijkl", "Preprocess_Data", 63)
    assert name.startswith("pipelines-abcdefghijkl-Preprocess-Data-") and len(name) <= 63
    long = job_name("abcdefghijkl", "A" * 80, 63)
    assert len(long) <= 63 and long.startswith("pipelines-abcdefghijkl-AAA")
    assert len(job_name("abcdefghijkl", "Tune", 32)) <= 32

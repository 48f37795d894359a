"""Tags on tuning job ARNs (AddTags / ListTags / DeleteTags), and CompleteOnConvergence."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError
from tuning_support import children, tuning_request, unique, wait_tuning


def test_tags_on_a_tuning_job(sm, bucket, source):
    name = unique("tn-tags")
    request = tuning_request(name, bucket, source, max_jobs=1, parallel=1)
    request["Tags"] = [{"Key": "team", "Value": "ml"}]
    arn = sm.create_hyper_parameter_tuning_job(**request)["HyperParameterTuningJobArn"]
    assert sm.list_tags(ResourceArn=arn)["Tags"] == [{"Key": "team", "Value": "ml"}]
    sm.add_tags(ResourceArn=arn, Tags=[{"Key": "stage", "Value": "dev"}, {"Key": "team", "Value": "ds"}])
    assert sm.list_tags(ResourceArn=arn)["Tags"] == [{"Key": "team", "Value": "ds"}, {"Key": "stage", "Value": "dev"}]
    sm.delete_tags(ResourceArn=arn, TagKeys=["team"])
    assert sm.list_tags(ResourceArn=arn)["Tags"] == [{"Key": "stage", "Value": "dev"}]
    with pytest.raises(ClientError) as reserved:
        sm.add_tags(ResourceArn=arn, Tags=[{"Key": "aws:x", "Value": "y"}])
    assert reserved.value.response["Error"]["Code"] == "ValidationException"
    assert sm.list_tags(ResourceArn=arn)["Tags"] == [{"Key": "stage", "Value": "dev"}]
    wait_tuning(sm, name)
    trial = children(sm, name)[0]  # a training job's tags still go to the jobs capability
    sm.add_tags(ResourceArn=trial["TrainingJobArn"], Tags=[{"Key": "k", "Value": "v"}])
    assert {"Key": "k", "Value": "v"} in sm.list_tags(ResourceArn=trial["TrainingJobArn"])["Tags"]
    assert {"Key": "k", "Value": "v"} not in sm.list_tags(ResourceArn=arn)["Tags"]


def test_tags_of_a_missing_tuning_job(sm):
    arn = f"arn:aws:sagemaker:us-east-1:000000000000:hyper-parameter-tuning-job/{unique('tn-missing')}"
    for call in (lambda: sm.list_tags(ResourceArn=arn),
                 lambda: sm.add_tags(ResourceArn=arn, Tags=[{"Key": "a", "Value": "b"}]),
                 lambda: sm.delete_tags(ResourceArn=arn, TagKeys=["a"])):
        with pytest.raises(ClientError) as raised:
            call()
        assert raised.value.response["Error"]["Code"] == "ValidationException"


@pytest.mark.slow
def test_a_tuning_job_completes_on_convergence(sm, bucket, source):
    name = unique("tn-converge")
    # the objective hardly varies over this range: no trial improves the best by more than 1%
    ranges = {"ContinuousParameterRanges": [{"Name": "xval", "MinValue": "0.3", "MaxValue": "0.31"}]}
    request = tuning_request(name, bucket, source, ranges=ranges, max_jobs=40, parallel=2, RandomSeed=5,
                             TuningJobCompletionCriteria={"ConvergenceDetected": {"CompleteOnConvergence": "Enabled"}})
    request["TrainingJobDefinition"]["StaticHyperParameters"].update(num="1", mode="b")
    sm.create_hyper_parameter_tuning_job(**request)
    done = wait_tuning(sm, name, timeout=300)
    assert done["HyperParameterTuningJobStatus"] == "Completed", done.get("FailureReason")
    assert 10 <= len(children(sm, name)) < 40
    details = done["TuningJobCompletionDetails"]
    assert details["ConvergenceDetectedTime"] <= done["HyperParameterTuningEndTime"]
    without = sm.describe_hyper_parameter_tuning_job(HyperParameterTuningJobName=name)
    assert without["HyperParameterTuningJobConfig"]["TuningJobCompletionCriteria"] == {
        "ConvergenceDetected": {"CompleteOnConvergence": "Enabled"}}

"""Requests SageMaker refuses (or Sagecraft cannot run yet) are refused and change nothing."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError
from tuning_support import tuning_request, unique, wait_tuning

CONTINUOUS = {"ContinuousParameterRanges": [{"Name": "xval", "MinValue": "0.1", "MaxValue": "0.9"}]}


def _continuous(**item) -> dict:
    return {"ContinuousParameterRanges": [{"Name": "xval", "MinValue": "0.1", "MaxValue": "0.9", **item}]}


def _too_many_grid_values() -> dict:
    values = [str(i) for i in range(30)]
    return {"CategoricalParameterRanges": [{"Name": f"p{k}", "Values": values} for k in range(3)]}


@pytest.mark.parametrize("change, message", [
    (lambda r: r["HyperParameterTuningJobConfig"].update(ParameterRanges=_continuous(MinValue="0.9")), "MinValue"),
    (lambda r: r["HyperParameterTuningJobConfig"].update(ParameterRanges={"IntegerParameterRanges": [
        {"Name": "num", "MinValue": "0", "MaxValue": "5", "ScalingType": "Logarithmic"}]}), "Logarithmic"),
    (lambda r: r["HyperParameterTuningJobConfig"].update(
        ParameterRanges=_continuous(MaxValue="1.5", ScalingType="ReverseLogarithmic")), "ReverseLogarithmic"),
    (lambda r: r["HyperParameterTuningJobConfig"].update(Strategy="Grid", ParameterRanges=CONTINUOUS), "categorical"),
    (lambda r: r["HyperParameterTuningJobConfig"].update(Strategy="Grid", ParameterRanges=_too_many_grid_values()),
     "combinations"),
    (lambda r: r["HyperParameterTuningJobConfig"].update(Strategy="Hyperband", TrainingJobEarlyStoppingType="Auto"),
     "TrainingJobEarlyStoppingType"),
    (lambda r: r.update(WarmStartConfig={"ParentHyperParameterTuningJobs": [{"HyperParameterTuningJobName": "p"}],
                                         "WarmStartType": "TransferLearning"}), "does not exist"),
    (lambda r: r["HyperParameterTuningJobConfig"]["HyperParameterTuningJobObjective"].update(MetricName="auc"),
     "objective metric"),
    (lambda r: r["TrainingJobDefinition"]["StaticHyperParameters"].update(xval="0.5"), "both static and tuned"),
    (lambda r: r["TrainingJobDefinition"]["OutputDataConfig"].update(S3OutputPath="s3://no-such-bucket-xyz/o"),
     "no-such-bucket-xyz"),
])
def test_invalid_requests_are_refused_and_change_nothing(sm, bucket, source, change, message):
    name = unique("tn-bad")
    request = tuning_request(name, bucket, source)
    change(request)
    with pytest.raises(ClientError) as raised:
        sm.create_hyper_parameter_tuning_job(**request)
    assert raised.value.response["Error"]["Code"] == "ValidationException"
    assert message in raised.value.response["Error"]["Message"]
    assert sm.list_hyper_parameter_tuning_jobs(NameContains=name)["HyperParameterTuningJobSummaries"] == []
    assert sm.list_training_jobs(NameContains=name)["TrainingJobSummaries"] == []
    with pytest.raises(ClientError) as missing:
        sm.describe_hyper_parameter_tuning_job(HyperParameterTuningJobName=name)
    assert missing.value.response["Error"]["Code"] == "ResourceNotFound"


def test_limits_beyond_the_account_quotas_are_refused(sm, bucket, source):
    name = unique("tn-quota")
    with pytest.raises(ClientError) as raised:
        sm.create_hyper_parameter_tuning_job(**tuning_request(name, bucket, source, max_jobs=501))
    assert raised.value.response["Error"]["Code"] == "ResourceLimitExceeded"
    assert sm.list_hyper_parameter_tuning_jobs(NameContains=name)["HyperParameterTuningJobSummaries"] == []


@pytest.mark.parametrize("call", ["stop_hyper_parameter_tuning_job",
                                  "list_training_jobs_for_hyper_parameter_tuning_job"])
def test_a_missing_tuning_job_is_not_found(sm, call):
    with pytest.raises(ClientError) as raised:
        getattr(sm, call)(HyperParameterTuningJobName=unique("tn-missing"))
    assert raised.value.response["Error"]["Code"] == "ResourceNotFound"


def test_names_are_unique_and_stopping_a_finished_job_is_refused(sm, bucket, source):
    name = unique("tn-dup")
    request = tuning_request(name, bucket, source, max_jobs=1, parallel=1)
    sm.create_hyper_parameter_tuning_job(**request)
    with pytest.raises(ClientError) as raised:
        sm.create_hyper_parameter_tuning_job(**request)
    assert raised.value.response["Error"]["Code"] == "ResourceInUse"
    wait_tuning(sm, name)
    with pytest.raises(ClientError) as refused:
        sm.stop_hyper_parameter_tuning_job(HyperParameterTuningJobName=name)
    assert refused.value.response["Error"]["Code"] == "ValidationException"


def test_listing_sorts_filters_and_pages(sm, bucket, source):
    prefix = unique("tn-list")
    names = [f"{prefix}-{i}" for i in range(3)]
    for name in names:
        sm.create_hyper_parameter_tuning_job(**tuning_request(name, bucket, source, max_jobs=1, parallel=1))
    first = sm.list_hyper_parameter_tuning_jobs(NameContains=prefix, MaxResults=2, SortBy="Name",
                                                SortOrder="Descending")
    second = sm.list_hyper_parameter_tuning_jobs(NameContains=prefix, MaxResults=2, SortBy="Name",
                                                 SortOrder="Descending", NextToken=first["NextToken"])
    listed = [s["HyperParameterTuningJobName"] for s in
              first["HyperParameterTuningJobSummaries"] + second["HyperParameterTuningJobSummaries"]]
    assert listed == sorted(names, reverse=True) and "NextToken" not in second
    assert sm.list_hyper_parameter_tuning_jobs(NameContains=prefix, StatusEquals="Failed")[
        "HyperParameterTuningJobSummaries"] == []

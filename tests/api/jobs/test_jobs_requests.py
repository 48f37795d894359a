"""Requests SageMaker refuses are refused before anything is stored or run; names are unique;
missing jobs and finished ones answer as SageMaker does; lists filter, sort and paginate; tags."""

from __future__ import annotations

import datetime as dt

import pytest
from botocore.exceptions import ClientError
from jobs_support import (
    PYTHON_IMAGE,
    processing_request,
    s3_input,
    s3_output,
    training_request,
    unique,
    upload_script,
    upload_source,
    wait_until,
)


def error_of(call, **kwargs) -> tuple[str, str]:
    with pytest.raises(ClientError) as caught:
        call(**kwargs)
    return caught.value.response["Error"]["Code"], caught.value.response["Error"]["Message"]


def assert_nothing_stored(sm, name: str) -> None:
    assert sm.list_training_jobs(NameContains=name)["TrainingJobSummaries"] == []
    assert sm.list_processing_jobs(NameContains=name)["ProcessingJobSummaries"] == []


def test_invalid_training_requests_change_nothing(sm, s3, bucket):
    source = upload_source(s3, bucket, "print('never runs')")
    name = unique("invalid")
    cases = {
        "unknown image": training_request(name, bucket, source, AlgorithmSpecification={
            "TrainingImage": "registry.example.com/team/unknown:1", "TrainingInputMode": "File"}),
        "missing bucket": training_request(name, bucket, source,
                                           OutputDataConfig={"S3OutputPath": "s3://no-such-bucket-here/out"}),
        "bad S3 URI": training_request(name, bucket, source, channels={"train": "s3:///nothing"}),
        "duplicate channel": training_request(name, bucket, source, channels={"train": f"s3://{bucket}/d"})
        | {"InputDataConfig": [training_request(name, bucket, source, channels={"train": f"s3://{bucket}/d"})[
            "InputDataConfig"][0]] * 2},
        "no entry point": training_request(name, bucket, source, hyperparameters={"sagemaker_program": '""'},
                                           AlgorithmSpecification={"TrainingImage": PYTHON_IMAGE,
                                                                   "TrainingInputMode": "File"}),
        "other account's role": training_request(name, bucket, source, RoleArn="arn:aws:iam::123456789012:role/R"),
        "spot without max wait": training_request(name, bucket, source, EnableManagedSpotTraining=True),
    }
    for case, request in cases.items():
        code, message = error_of(sm.create_training_job, **request)
        assert code == "ValidationException", (case, message)
    assert "runtimes.yaml" in error_of(sm.create_training_job, **cases["unknown image"])[1]
    assert_nothing_stored(sm, name)


def test_invalid_processing_requests_change_nothing(sm, s3, bucket):
    code_uri = upload_script(s3, bucket, "print('never runs')")
    name = unique("invalid-processing")
    outside = processing_request(name, code_uri, inputs=[s3_input("data", f"s3://{bucket}/d", "/tmp/data")])
    code, message = error_of(sm.create_processing_job, **outside)
    assert code == "ValidationException" and "/opt/ml/processing" in message
    cases = [
        processing_request(name, code_uri, outputs=[s3_output("out", "/opt/ml/model", f"s3://{bucket}/o")]),
        processing_request(name, code_uri, inputs=[s3_input("data", "s3://missing-bucket-xyz/d",
                                                            "/opt/ml/processing/data")]),
        processing_request(name, code_uri, inputs=[s3_input("code", f"s3://{bucket}/d", "/opt/ml/processing/d")]),
        processing_request(name, code_uri, AppSpecification={"ImageUri": "unknown/image:1",
                                                             "ContainerEntrypoint": ["python3", "x.py"]}),
        processing_request(name, code_uri, AppSpecification={"ImageUri": PYTHON_IMAGE}),
    ]
    for request in cases:
        assert error_of(sm.create_processing_job, **request)[0] == "ValidationException"
    assert_nothing_stored(sm, name)


def test_names_are_unique_and_missing_jobs_are_not_found(sm, s3, bucket):
    source = upload_source(s3, bucket, "print('ok')")
    name = unique("unique")
    sm.create_training_job(**training_request(name, bucket, source))
    code, message = error_of(sm.create_training_job, **training_request(name.upper(), bucket, source))
    assert code == "ResourceInUse" and "already exists" in message
    assert error_of(sm.describe_training_job, TrainingJobName=unique("missing")) == (
        "ValidationException", "Requested resource not found.")
    missing = unique("missing")
    assert error_of(sm.describe_processing_job, ProcessingJobName=missing) == (
        "ValidationException", f"Could not find requested job with name {missing}")
    assert error_of(sm.stop_training_job, TrainingJobName=unique("missing"))[0] == "ValidationException"

    job = wait_until(sm, name)
    assert job["TrainingJobStatus"] == "Completed"
    code, message = error_of(sm.stop_training_job, TrainingJobName=name)
    assert (code, message) == ("ValidationException",
                               "The request was rejected because the training job is in status Completed.")


def test_list_filters_sorts_and_pages(sm, s3, bucket):
    code_uri = upload_script(s3, bucket, "print('listed')")
    stem = unique("listing")
    names = [f"{stem}-{i}" for i in range(5)]
    before = dt.datetime.now(dt.timezone.utc) - dt.timedelta(seconds=1)
    for name in names:
        sm.create_processing_job(**processing_request(name, code_uri))
    for name in names:
        description = wait_until(sm, name, "processing")
        assert description["ProcessingJobStatus"] == "Completed", description.get("FailureReason")

    def listed(**kwargs) -> list[str]:
        return [s["ProcessingJobName"] for s in sm.list_processing_jobs(NameContains=stem, **kwargs)
                ["ProcessingJobSummaries"]]

    assert listed(MaxResults=100) == names[::-1]  # newest first by default
    assert listed(SortBy="Name", SortOrder="Ascending") == names
    assert listed(StatusEquals="Completed", SortBy="CreationTime", SortOrder="Ascending") == names
    assert listed(StatusEquals="Failed") == []
    assert listed(CreationTimeAfter=before, SortOrder="Ascending") == names
    assert listed(CreationTimeBefore=before) == []
    assert listed(LastModifiedTimeAfter=dt.datetime.now(dt.timezone.utc) + dt.timedelta(hours=1)) == []
    assert [s["ProcessingJobName"] for s in sm.list_processing_jobs(NameContains=stem.upper())
            ["ProcessingJobSummaries"]] == names[::-1]

    pages, token = [], None
    while True:
        kwargs = {"NextToken": token} if token else {}
        page = sm.list_processing_jobs(NameContains=stem, SortBy="Name", SortOrder="Descending", MaxResults=2,
                                       **kwargs)
        pages.append([s["ProcessingJobName"] for s in page["ProcessingJobSummaries"]])
        token = page.get("NextToken")
        if not token:
            break
    assert pages == [names[4:2:-1], names[2:0:-1], names[:1]]
    paginated = sm.get_paginator("list_processing_jobs").paginate(NameContains=stem, PaginationConfig={"PageSize": 3})
    assert sorted(s["ProcessingJobName"] for p in paginated for s in p["ProcessingJobSummaries"]) == names


def test_tags_on_job_arns(sm, s3, bucket):
    source = upload_source(s3, bucket, "print('tagged')")
    name = unique("tags")
    arn = sm.create_training_job(**training_request(name, bucket, source,
                                                    Tags=[{"Key": "team", "Value": "ml"}]))["TrainingJobArn"]
    assert sm.list_tags(ResourceArn=arn)["Tags"] == [{"Key": "team", "Value": "ml"}]
    added = sm.add_tags(ResourceArn=arn, Tags=[{"Key": "stage", "Value": "dev"}, {"Key": "team", "Value": "ai"}])
    assert added["Tags"] == [{"Key": "team", "Value": "ai"}, {"Key": "stage", "Value": "dev"}]
    sm.delete_tags(ResourceArn=arn, TagKeys=["team"])
    assert sm.list_tags(ResourceArn=arn)["Tags"] == [{"Key": "stage", "Value": "dev"}]
    code, _ = error_of(sm.list_tags, ResourceArn=arn.replace(name, unique("absent")))
    assert code == "ValidationException"
    # Training jobs keep their tags once finished.
    wait_until(sm, name)
    assert sm.list_tags(ResourceArn=arn)["Tags"] == [{"Key": "stage", "Value": "dev"}]

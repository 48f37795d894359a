"""The transform job control plane: validation, errors as SageMaker words them, listing, Stop."""

from __future__ import annotations

import time

import pytest
from botocore.exceptions import ClientError
from transform_support import SKLEARN_IMAGE, create_model, csv_rows, start, tar_bytes, unique, wait


def error_of(call) -> tuple[str, str]:
    with pytest.raises(ClientError) as caught:
        call()
    return caught.value.response["Error"]["Code"], caught.value.response["Error"]["Message"]


def test_a_missing_model_is_refused(sm, bucket):
    code, message = error_of(lambda: start(sm, "no-such-model", f"s3://{bucket}/in/", f"s3://{bucket}/out/"))
    assert code == "ValidationException"
    assert message.startswith("Could not find model") and "no-such-model" in message


def test_describe_and_stop_of_a_missing_job(sm):
    assert error_of(lambda: sm.describe_transform_job(TransformJobName="nope-nope")) == (
        "ValidationException",
        "Could not find requested job with name nope-nope",
    )
    assert error_of(lambda: sm.stop_transform_job(TransformJobName="nope-nope"))[0] == "ValidationException"


def test_unsupported_options_are_refused_before_anything_runs(sm, bucket, builtin_model):
    code, message = error_of(
        lambda: start(
            sm, builtin_model, f"s3://{bucket}/in/", f"s3://{bucket}/out/", transform_input={"SplitType": "RecordIO"}
        )
    )
    assert (code, "not supported by Sagecraft yet" in message) == ("ValidationException", True)
    code, message = error_of(
        lambda: start(
            sm,
            builtin_model,
            f"s3://{bucket}/in/",
            f"s3://{bucket}/out/",
            DataProcessing={"InputFilter": "$..features"},
        )
    )
    assert code == "ValidationException" and "JSONPath" in message
    code, message = error_of(lambda: start(sm, builtin_model, "s3://no-such-bucket-xyz/in/", f"s3://{bucket}/out/"))
    assert code == "ValidationException" and "no-such-bucket-xyz" in message


def test_bad_rows_fail_the_job_with_the_models_message(sm, s3, bucket, builtin_model):
    s3.put_object(Bucket=bucket, Key="in/bad/rows.csv", Body=b"1,2,3\n4,5,6\n")
    name = start(sm, builtin_model, f"s3://{bucket}/in/bad/", f"s3://{bucket}/out/bad/")
    described = wait(sm, name)
    assert described["TransformJobStatus"] == "Failed"
    assert "Feature size of csv inference data 3 is not consistent" in described["FailureReason"]
    assert "TransformEndTime" in described
    assert s3.list_objects_v2(Bucket=bucket, Prefix="out/bad/").get("KeyCount", 0) == 0


def test_a_record_larger_than_max_payload_fails(sm, s3, bucket, builtin_model):
    s3.put_object(Bucket=bucket, Key="in/big/rows.csv", Body=b"1," * 600_000 + b"1\n")
    name = start(sm, builtin_model, f"s3://{bucket}/in/big/", f"s3://{bucket}/out/big/", MaxPayloadInMB=1)
    described = wait(sm, name)
    assert described["TransformJobStatus"] == "Failed"
    assert "Too much data for max payload size" in described["FailureReason"]


def test_duplicate_names_list_filters_and_pagination(sm, s3, bucket, trained, builtin_model):
    _, rows = trained
    s3.put_object(Bucket=bucket, Key="in/list/rows.csv", Body=csv_rows(rows[:5]).encode())
    prefix = unique("listed")
    names = []
    for index in range(3):
        name = f"{prefix}-{index}"
        sm.create_transform_job(
            TransformJobName=name,
            ModelName=builtin_model,
            TransformInput={
                "DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": f"s3://{bucket}/in/list/"}},
                "ContentType": "text/csv",
                "SplitType": "Line",
            },
            TransformOutput={"S3OutputPath": f"s3://{bucket}/out/{name}"},
            TransformResources={"InstanceType": "ml.m5.large", "InstanceCount": 1},
        )
        names.append(name)
    code, message = error_of(
        lambda: sm.create_transform_job(
            TransformJobName=names[0].upper(),
            ModelName=builtin_model,
            TransformInput={"DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": f"s3://{bucket}/in/"}}},
            TransformOutput={"S3OutputPath": f"s3://{bucket}/out/"},
            TransformResources={"InstanceType": "ml.m5.large", "InstanceCount": 1},
        )
    )
    assert code == "ResourceInUse" and "already exists" in message
    for name in names:
        assert wait(sm, name)["TransformJobStatus"] == "Completed"
    first = sm.list_transform_jobs(NameContains=prefix, MaxResults=2, SortBy="Name", SortOrder="Ascending")
    assert [s["TransformJobName"] for s in first["TransformJobSummaries"]] == names[:2]
    rest = sm.list_transform_jobs(
        NameContains=prefix, MaxResults=2, SortBy="Name", SortOrder="Ascending", NextToken=first["NextToken"]
    )
    assert [s["TransformJobName"] for s in rest["TransformJobSummaries"]] == names[2:]
    assert "NextToken" not in rest
    newest = sm.list_transform_jobs(NameContains=prefix)["TransformJobSummaries"]
    assert [s["TransformJobName"] for s in newest] == names[::-1]
    assert sm.list_transform_jobs(NameContains=prefix, StatusEquals="Failed")["TransformJobSummaries"] == []
    summary = newest[0]
    assert summary["TransformJobStatus"] == "Completed" and "TransformEndTime" in summary


SLOW_SCRIPT = b"""import time

def model_fn(model_dir):
    return None

def predict_fn(data, model):
    time.sleep(60)
    return data
"""


def test_stop_ends_a_running_job(sm, s3, bucket):
    s3.put_object(Bucket=bucket, Key="slow/model.tar.gz", Body=tar_bytes({"code/inference.py": SLOW_SCRIPT}))
    model = create_model(
        sm,
        f"s3://{bucket}/slow/model.tar.gz",
        SKLEARN_IMAGE,
        {"SAGEMAKER_PROGRAM": "inference.py", "SAGEMAKER_SUBMIT_DIRECTORY": "/opt/ml/model/code"},
    )
    s3.put_object(Bucket=bucket, Key="in/slow/rows.csv", Body=b"1,2\n")
    name = start(sm, model, f"s3://{bucket}/in/slow/", f"s3://{bucket}/out/slow/")
    deadline = time.monotonic() + 30
    while "TransformStartTime" not in sm.describe_transform_job(TransformJobName=name) and time.monotonic() < deadline:
        time.sleep(0.1)
    sm.stop_transform_job(TransformJobName=name)
    assert sm.describe_transform_job(TransformJobName=name)["TransformJobStatus"] in ("Stopping", "Stopped")
    described = wait(sm, name, timeout=30)
    assert described["TransformJobStatus"] == "Stopped"
    code, message = error_of(lambda: sm.stop_transform_job(TransformJobName=name))
    assert code == "ValidationException" and "Stopped" in message

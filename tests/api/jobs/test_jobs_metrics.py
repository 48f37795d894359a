"""Training metrics: MetricDefinitions applied to the log → FinalMetricDataList and CloudWatch
datapoints (what TrainingJobAnalytics reads); built-in images get SageMaker's definitions."""

from __future__ import annotations

import datetime as dt

from jobs_support import XGBOOST_IMAGE, training_request, unique, upload_source, wait_until

BUILTIN_XGBOOST = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1"


def test_metric_definitions_of_a_script_become_metrics(server, sm, s3, bucket):
    source = upload_source(s3, bucket, """
        for epoch in range(3):
            print(f"epoch={epoch}\\tloss={1.0 / (epoch + 1):.4f}")
    """)
    name = unique("metrics")
    spec = {"TrainingImage": XGBOOST_IMAGE, "TrainingInputMode": "File",
            "MetricDefinitions": [{"Name": "train:loss", "Regex": r"loss=([0-9\.]+)"}]}
    sm.create_training_job(**training_request(name, bucket, source, AlgorithmSpecification=spec))
    job = wait_until(sm, name)
    assert job["TrainingJobStatus"] == "Completed", job.get("FailureReason")
    (metric,) = job["FinalMetricDataList"]
    assert (metric["MetricName"], metric["Value"]) == ("train:loss", 0.3333)
    cloudwatch = server.client("cloudwatch")
    points = cloudwatch.get_metric_statistics(
        Namespace="/aws/sagemaker/TrainingJobs", MetricName="train:loss",
        Dimensions=[{"Name": "TrainingJobName", "Value": name}],
        StartTime=job["CreationTime"] - dt.timedelta(minutes=1),
        EndTime=job["TrainingEndTime"] + dt.timedelta(minutes=1),
        Period=60, Statistics=["Minimum", "Maximum"])["Datapoints"]
    assert min(p["Minimum"] for p in points) == 0.3333 and max(p["Maximum"] for p in points) == 1.0


def test_a_metric_regex_without_a_group_is_refused(sm, s3, bucket):
    source = upload_source(s3, bucket, "print('x')")
    spec = {"TrainingImage": XGBOOST_IMAGE, "TrainingInputMode": "File",
            "MetricDefinitions": [{"Name": "loss", "Regex": "loss=[0-9]+"}]}
    try:
        sm.create_training_job(**training_request(unique("bad-regex"), bucket, source, AlgorithmSpecification=spec))
    except sm.exceptions.ClientError as error:
        assert error.response["Error"]["Code"] == "ValidationException"
    else:
        raise AssertionError("a regex without a capture group was accepted")


def test_the_builtin_xgboost_gets_sagemakers_metric_definitions(sm, s3, bucket):
    rows = "\n".join(f"{int(x > 5)},{x},{x % 3}" for x in range(12)) + "\n"
    for channel in ("train", "validation"):
        s3.put_object(Bucket=bucket, Key=f"builtin/{channel}/data.csv", Body=rows.encode())
    name = unique("builtin")
    request = training_request(
        name, bucket, "unused", channels={c: f"s3://{bucket}/builtin/{c}/" for c in ("train", "validation")},
        AlgorithmSpecification={"TrainingImage": BUILTIN_XGBOOST, "TrainingInputMode": "File"},
        HyperParameters={"objective": "binary:logistic", "num_round": "5", "eval_metric": "auc"})
    for channel in request["InputDataConfig"]:
        channel["ContentType"] = "text/csv"
    sm.create_training_job(**request)
    job = wait_until(sm, name)
    assert job["TrainingJobStatus"] == "Completed", job.get("FailureReason")
    names = [d["Name"] for d in job["AlgorithmSpecification"]["MetricDefinitions"]]
    assert "validation:auc" in names and "train:logloss" in names
    assert "validation:auc" in [m["MetricName"] for m in job["FinalMetricDataList"]]

"""Helpers of the Model Monitor API tests: an XGBoost endpoint that captures its traffic, a
baselining job of the analyzer, and polling of executions."""

from __future__ import annotations

import io
import json
import tarfile
import time
import uuid

import numpy as np

XGBOOST_IMAGE = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1"
ANALYZER_IMAGE = "156813124566.dkr.ecr.us-east-1.amazonaws.com/sagemaker-model-monitor-analyzer"
ROLE = "arn:aws:iam::000000000000:role/SageMakerRole"
FEATURES = ["f0", "f1", "f2", "f3"]
MEANS, SCALES = np.array([10.0, -2.0, 0.0, 5.0]), np.array([2.0, 1.0, 3.0, 0.5])
TERMINAL = ("Completed", "CompletedWithViolations", "Failed", "Stopped")


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def sample(rows: int, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).normal(MEANS, SCALES, size=(rows, len(FEATURES)))


def deploy_capturing(sm, s3, bucket: str, folder) -> str:
    """An endpoint of a small XGBoost model with 100 % data capture under s3://bucket/capture."""
    import xgboost

    data = sample(400, 1)
    labels = (data[:, 0] > MEANS[0]).astype(int)
    booster = xgboost.train({"objective": "binary:logistic", "max_depth": 2}, xgboost.DMatrix(data, labels),
                            num_boost_round=5)
    booster.save_model(str(folder / "model.json"))
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        content = (folder / "model.json").read_bytes()
        info = tarfile.TarInfo("xgboost-model")
        info.size = len(content)
        tar.addfile(info, io.BytesIO(content))
    s3.put_object(Bucket=bucket, Key="model/model.tar.gz", Body=buffer.getvalue())
    name = unique("mon")
    sm.create_model(ModelName=name, ExecutionRoleArn=ROLE, PrimaryContainer={
        "Image": XGBOOST_IMAGE, "ModelDataUrl": f"s3://{bucket}/model/model.tar.gz"})
    sm.create_endpoint_config(EndpointConfigName=name, ProductionVariants=[{
        "VariantName": "AllTraffic", "ModelName": name, "InitialInstanceCount": 1, "InstanceType": "ml.m5.xlarge"}],
        DataCaptureConfig={"EnableCapture": True, "InitialSamplingPercentage": 100,
                           "DestinationS3Uri": f"s3://{bucket}/capture",
                           "CaptureOptions": [{"CaptureMode": "Input"}, {"CaptureMode": "Output"}],
                           "CaptureContentTypeHeader": {"CsvContentTypes": ["text/csv"]}})
    sm.create_endpoint(EndpointName=name, EndpointConfigName=name)
    deadline = time.monotonic() + 120
    while sm.describe_endpoint(EndpointName=name)["EndpointStatus"] == "Creating":
        assert time.monotonic() < deadline, "endpoint still Creating"
        time.sleep(0.2)
    assert sm.describe_endpoint(EndpointName=name)["EndpointStatus"] == "InService"
    return name


def csv_line(row) -> str:
    return ",".join("" if v != v else repr(float(v)) for v in row)


def invoke_all(runtime, endpoint: str, rows: np.ndarray) -> None:
    for row in rows:
        runtime.invoke_endpoint(EndpointName=endpoint, ContentType="text/csv", Body=csv_line(row))


def wait_captured(s3, bucket: str, endpoint: str, count: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while True:
        lines = 0
        for item in s3.list_objects_v2(Bucket=bucket, Prefix=f"capture/{endpoint}/").get("Contents", []):
            lines += len(s3.get_object(Bucket=bucket, Key=item["Key"])["Body"].read().splitlines())
        if lines >= count:
            return
        assert time.monotonic() < deadline, f"only {lines} of {count} records captured"
        time.sleep(0.3)


def wait_processing(sm, name: str, timeout: float = 180) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        described = sm.describe_processing_job(ProcessingJobName=name)
        if described["ProcessingJobStatus"] in ("Completed", "Failed", "Stopped"):
            return described
        assert time.monotonic() < deadline, f"processing job {name} still running"
        time.sleep(0.3)


def baseline(sm, s3, bucket: str, frame_csv: str, prefix: str, environment: dict | None = None) -> str:
    """Run the analyzer as a baselining processing job on a CSV (with a header); its output URI."""
    s3.put_object(Bucket=bucket, Key=f"{prefix}/data/train.csv", Body=frame_csv.encode())
    name = unique("baseline")
    sm.create_processing_job(
        ProcessingJobName=name, RoleArn=ROLE,
        AppSpecification={"ImageUri": ANALYZER_IMAGE},
        ProcessingInputs=[{"InputName": "baseline_dataset_input", "S3Input": {
            "S3Uri": f"s3://{bucket}/{prefix}/data", "LocalPath": "/opt/ml/processing/input/baseline_dataset_input",
            "S3DataType": "S3Prefix", "S3InputMode": "File"}}],
        ProcessingOutputConfig={"Outputs": [{"OutputName": "monitoring_output", "S3Output": {
            "S3Uri": f"s3://{bucket}/{prefix}/baseline", "LocalPath": "/opt/ml/processing/output",
            "S3UploadMode": "EndOfJob"}}]},
        ProcessingResources={"ClusterConfig": {"InstanceCount": 1, "InstanceType": "ml.m5.xlarge",
                                               "VolumeSizeInGB": 20}},
        Environment={"dataset_format": json.dumps({"csv": {"header": True, "output_columns_position": "START"}}),
                     "dataset_source": "/opt/ml/processing/input/baseline_dataset_input",
                     "output_path": "/opt/ml/processing/output", "publish_cloudwatch_metrics": "Disabled",
                     **(environment or {})})
    described = wait_processing(sm, name)
    assert described["ProcessingJobStatus"] == "Completed", described.get("FailureReason")
    return f"s3://{bucket}/{prefix}/baseline"


def read_json(s3, uri: str) -> dict:
    bucket, key = uri[len("s3://"):].split("/", 1)
    return json.loads(s3.get_object(Bucket=bucket, Key=key)["Body"].read())


def wait_execution(sm, schedule: str, job_arn: str, timeout: float = 180) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        found = sm.list_monitoring_executions(MonitoringScheduleName=schedule)["MonitoringExecutionSummaries"]
        mine = [e for e in found if e.get("ProcessingJobArn") == job_arn]
        if mine and mine[0]["MonitoringExecutionStatus"] in TERMINAL:
            return mine[0]
        assert time.monotonic() < deadline, f"execution of {schedule} still running"
        time.sleep(0.3)

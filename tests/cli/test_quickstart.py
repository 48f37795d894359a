"""``sagecraft quickstart`` runs its steps against an embedded server — the bundled data through
S3 and the SDK, the seed's processing job, Feature Store, XGBoost script-mode training, an
evaluation, a capture endpoint, a tuning pipeline whose registered version an approval deploys, a
batch transform and Model Monitor — and leaves a home whose data, jobs and logs a later server serves."""

from __future__ import annotations

import io
import json
import re
import tarfile

import boto3
import numpy as np
import pytest
import xgboost

from sagecraft.quickstart.context import DATASET
from tests.support.cli import exports, sagecraft
from tests.support.server import free_port

BUCKET = "sagemaker-us-east-1-000000000000"
DATASET_URI = f"s3://{BUCKET}/quickstart/raw/breast_cancer.csv"
SPLIT_ROWS = {"train": 341, "validation": 114, "test": 114}  # 60/20/20 of 569, stratified
FLOORS = {"Accuracy": 0.9, "Precision": 0.9, "Recall": 0.9, "F1": 0.9, "ROC AUC": 0.95}


def printed(pattern: str, text: str) -> re.Match:
    match = re.search(pattern, text, re.MULTILINE)
    assert match, f"{pattern!r} not in the output:\n{text}"
    return match


def printed_metrics(text: str) -> dict[str, tuple[float, float]]:
    """The metrics table: metric → (validation, test)."""
    rows = re.findall(r"^│ (Accuracy|Precision|Recall|F1|ROC AUC)\s*│\s*([\d.]+) │\s*([\d.]+) │$", text, re.MULTILINE)
    return {name: (float(validation), float(test)) for name, validation, test in rows}


def split_rows(s3, uri: str) -> np.ndarray:
    bucket, key = uri.removeprefix("s3://").split("/", 1)
    return np.loadtxt(io.BytesIO(s3.get_object(Bucket=bucket, Key=key)["Body"].read()), delimiter=",", ndmin=2)


@pytest.mark.slow
def test_quickstart(tmp_path):
    home = tmp_path / "quickstart-home"
    # Some fifteen jobs on a shared 2-core machine: a generous bound. The working directory is the
    # test's (the SDK's dataset builder puts its temporary files there).
    result = sagecraft("quickstart", "--home", home, timeout=1800, cwd=tmp_path)
    out = result.stderr
    assert result.returncode == 0, result.stdout + out
    for said in (
        "Start the server",
        "default bucket",
        "through the S3 API",
        "through the SageMaker SDK",
        "processing job",
        "Train XGBoost in script mode",
        "held-out split",
        DATASET_URI,
        str(home),
        "sagecraft up --home",
        "sagecraft jobs ls --home",
    ):
        assert said in out, said
    # The deploy step: the endpoint's answers score like the offline evaluation; one capture record per request.
    served = printed(r"Endpoint metrics:\s+accuracy ([\d.]+)\s+precision [\d.]+\s+recall [\d.]+\s+f1 ([\d.]+)$", out)
    captured = printed(r"Data capture:\s+s3://\S+/data-capture/\S+/AllTraffic/ \((\d+) records\)$", out)
    assert int(captured[1]) == 6 and float(served[1]) > FLOORS["Accuracy"] and float(served[2]) > FLOORS["F1"]
    group = printed(r"Feature group:\s+(\S+) \((\d+) records", out)
    assert int(group[2]) == SPLIT_ROWS["train"]
    assert printed(r"Feature-store training set:\s+\S+ \((\d+) rows\)$", out)[1] == str(SPLIT_ROWS["train"])
    execution_arn = printed(r"Pipeline execution:\s+(\S+) \(Succeeded", out)[1]
    trials = printed(r"Tuning job:\s+\S+: (\d+) trials completed, best \S+ validation:auc ([\d.]+)", out)
    assert int(trials[1]) == 4 and float(trials[2]) > FLOORS["ROC AUC"]
    package_arn = printed(r"Registered version:\s+(\S+) \(test AUC ([\d.]+)", out)[1]
    approved = printed(r"Approved endpoint:\s+\S+ \(model \S+\): accuracy ([\d.]+)", out)
    assert float(approved[1]) > FLOORS["Accuracy"]
    transformed = printed(r"Batch transform:\s+\S+ → (s3://\S+): accuracy ([\d.]+)", out)
    assert float(transformed[2]) > FLOORS["Accuracy"]
    assert printed(r"Monitoring schedule:\s+\S+: (\S+)$", out)[1] == "CompletedWithViolations"
    violations = printed(r"Violations:\s+(.+)$", out)[1]
    for feature, check in (
        ("mean_radius", "baseline_drift_check"),
        ("worst_area", "baseline_drift_check"),
        ("mean_texture", "completeness_check"),
    ):
        assert f"{feature} {check}" in violations, violations
    assert printed(r"Endpoints deleted:\s+(.+)$", out)[1].count(",") == 1  # the capture and the approved endpoint
    assert "Traceback" not in out and "INFO" not in out and "Warning" not in out
    assert not (home / "server.json").exists()  # the embedded server stopped with the command

    metrics = printed_metrics(out)
    assert set(metrics) == set(FLOORS), out
    for name, floor in FLOORS.items():
        assert all(floor < value <= 1 for value in metrics[name]), (name, metrics[name])
    processing_job = printed(r"Processing job:\s+(\S+)$", out)[1]
    training_job = printed(r"Training job:\s+(\S+)$", out)[1]
    processed = printed(r"Processed data:\s+(s3://\S+)/\{train,validation,test\}/$", out)[1]
    model_uri = printed(r"Model:\s+(s3://\S+)$", out)[1]
    assert processed == f"s3://{BUCKET}/{processing_job}/output/processed-data"  # the SDK's default output
    assert model_uri == f"s3://{BUCKET}/{training_job}/output/model.tar.gz"
    assert f"sagecraft jobs logs {training_job} --home" in out

    up = sagecraft("up", "--home", home, "--port", free_port())
    try:
        assert up.returncode == 0, up.stderr
        variables = exports(up.stdout)
        aws = boto3.Session(
            aws_access_key_id=variables["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=variables["AWS_SECRET_ACCESS_KEY"],
            region_name="us-east-1",
        )
        s3, sm, runtime = (
            aws.client(name, endpoint_url=variables["AWS_ENDPOINT_URL"])
            for name in ("s3", "sagemaker", "sagemaker-featurestore-runtime")
        )
        body = s3.get_object(Bucket=BUCKET, Key="quickstart/raw/breast_cancer.csv")
        assert body["Body"].read() == DATASET.read_bytes()

        # The processing job's splits: label first, no header, the scaler fitted on train only.
        splits = {name: split_rows(s3, f"{processed}/{name}/{name}.csv") for name in SPLIT_ROWS}
        assert {name: len(rows) for name, rows in splits.items()} == SPLIT_ROWS
        for rows in splits.values():
            assert rows.shape[1] == 31 and set(np.unique(rows[:, 0])) == {0.0, 1.0}
        assert np.allclose(splits["train"][:, 1:].mean(axis=0), 0, atol=1e-6)
        assert not np.allclose(splits["test"][:, 1:].mean(axis=0), 0, atol=1e-3)  # scaled with train's statistics

        # The model in S3 loads in xgboost and scores the held-out split as printed.
        archive = s3.get_object(Bucket=BUCKET, Key=model_uri.split("/", 3)[3])["Body"].read()
        with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
            booster = xgboost.Booster()
            booster.load_model(bytearray(tar.extractfile("xgboost-model").read()))
        test = splits["test"]
        accuracy = float(((booster.predict(xgboost.DMatrix(test[:, 1:])) > 0.5) == test[:, 0]).mean())
        assert accuracy == pytest.approx(metrics["Accuracy"][1], abs=0.0005)
        report = json.loads(s3.get_object(Bucket=BUCKET, Key="quickstart/evaluation/evaluation.json")["Body"].read())
        assert report["model"] == model_uri
        assert report["metrics"]["test"]["f1"] == pytest.approx(metrics["F1"][1], abs=0.0005)

        # What the later steps left: records in both stores, the pipeline's run, the approved version,
        # the transform's output, no endpoint.
        record = runtime.get_record(FeatureGroupName=group[1], RecordIdentifierValueAsString="train-0000")["Record"]
        assert {f["FeatureName"]: f["ValueAsString"] for f in record}["target"] == str(int(splits["train"][0, 0]))
        offline = sm.describe_feature_group(FeatureGroupName=group[1])["OfflineStoreConfig"]["S3StorageConfig"]
        bucket, prefix = offline["ResolvedOutputS3Uri"].removeprefix("s3://").split("/", 1)
        assert any(o["Key"].endswith(".parquet") for o in s3.list_objects_v2(Bucket=bucket, Prefix=prefix)["Contents"])
        assert (
            sm.describe_pipeline_execution(PipelineExecutionArn=execution_arn)["PipelineExecutionStatus"] == "Succeeded"
        )
        package = sm.describe_model_package(ModelPackageName=package_arn)
        assert package["ModelApprovalStatus"] == "Approved"
        scores = split_rows(s3, transformed[1])
        assert len(scores) == SPLIT_ROWS["test"] and ((scores[:, 0] > 0.5) == splits["test"][:, 0]).mean() == (
            pytest.approx(float(transformed[2]), abs=0.0005)
        )
        assert sm.list_endpoints(NameContains="quickstart")["Endpoints"] == []

        # Both jobs, their logs in CloudWatch Logs, through the jobs CLI.
        listed = sagecraft("jobs", "ls", "--home", home)
        assert listed.returncode == 0, listed.stderr
        for job in (processing_job, training_job):
            assert re.search(rf"{job}\s.*Completed", listed.stdout), listed.stdout
        logs = sagecraft("jobs", "logs", training_job, "--home", home)
        assert logs.returncode == 0 and "validation-auc" in logs.stdout, logs.stdout + logs.stderr
        logs = sagecraft("jobs", "logs", processing_job, "--home", home)
        assert "scaler fitted on the training split only" in logs.stdout, logs.stdout + logs.stderr
    finally:
        sagecraft("down", "--home", home)


def test_bundled_files_are_package_data():
    from sagecraft.quickstart.context import PREPROCESSING_SCRIPT, SCRIPTS, TRAINING_SOURCE

    header, *rows = DATASET.read_text().splitlines()
    assert header.split(",")[-1] == "target" and len(header.split(",")) == 31
    assert len(rows) == 569
    assert PREPROCESSING_SCRIPT.is_file() and (SCRIPTS / "evaluate.py").is_file()  # the pipeline's evaluation job
    assert sorted(path.name for path in TRAINING_SOURCE.iterdir()) == ["train.py"]  # source_dir: nothing else

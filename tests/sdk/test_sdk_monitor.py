"""Model Monitor through the official SageMaker SDK v2: DefaultModelMonitor.suggest_baseline on a CSV
with a header, its statistics and constraints compared with pandas on the same data."""

from __future__ import annotations

import textwrap

import pytest

from tests.sdk.test_sdk_jobs import run_sdk
from tests.support.cli import exports, sagecraft

ROLE = "arn:aws:iam::000000000000:role/SageMakerRole"

BASELINE_SCRIPT = textwrap.dedent(f'''
    import json, os, tempfile
    import numpy as np
    import pandas as pd
    import sagemaker
    from sagemaker.model_monitor import DefaultModelMonitor
    from sagemaker.model_monitor.dataset_format import DatasetFormat

    session = sagemaker.Session()
    bucket = session.default_bucket()
    rng = np.random.default_rng(3)
    frame = pd.DataFrame({{"label": rng.integers(0, 2, 300), "a": rng.normal(5, 2, 300),
                          "b": rng.exponential(1.5, 300), "colour": rng.choice(["red", "green"], 300)}})
    frame.loc[rng.random(300) < 0.2, "b"] = np.nan
    folder = tempfile.mkdtemp()
    frame.to_csv(os.path.join(folder, "train.csv"), index=False)
    uri = session.upload_data(os.path.join(folder, "train.csv"), bucket=bucket,
                              key_prefix=os.environ["PREFIX"] + "/baseline-data")
    monitor = DefaultModelMonitor(role={ROLE!r}, instance_count=1, instance_type="ml.m5.xlarge",
                                  volume_size_in_gb=20, max_runtime_in_seconds=1800)
    monitor.suggest_baseline(baseline_dataset=uri, dataset_format=DatasetFormat.csv(header=True),
                             output_s3_uri=f"s3://{{bucket}}/{{os.environ['PREFIX']}}/baseline", wait=True,
                             logs=False)
    statistics = monitor.baseline_statistics().body_dict
    constraints = monitor.suggested_constraints().body_dict
    expected = {{c: {{"mean": float(frame[c].mean()), "std": float(frame[c].std()), "min": float(frame[c].min()),
                     "max": float(frame[c].max()),
                     "missing": int(frame[c].isna().sum())}} for c in ("label", "a", "b")}}
    status = monitor.latest_baselining_job.describe()["ProcessingJobStatus"]
    print("\\nRESULT " + json.dumps({{"statistics": statistics, "constraints": constraints, "expected": expected,
                                   "status": status}}))
''')


@pytest.mark.slow
def test_suggest_baseline_matches_pandas(server, tmp_path):
    result = sagecraft("env", "--home", server.home)
    assert result.returncode == 0, result.stderr
    outcome, _ = run_sdk(BASELINE_SCRIPT, tmp_path, exports(result.stdout), {})
    assert outcome["status"] == "Completed"
    statistics = outcome["statistics"]
    assert statistics["dataset"]["item_count"] == 300
    features = {f["name"]: f for f in statistics["features"]}
    assert {n: f["inferred_type"] for n, f in features.items()} == {
        "label": "Integral", "a": "Fractional", "b": "Fractional", "colour": "String"}
    for name, expected in outcome["expected"].items():
        numbers = features[name]["numerical_statistics"]
        assert numbers["mean"] == pytest.approx(expected["mean"], rel=1e-9)
        assert numbers["std_dev"] == pytest.approx(expected["std"], rel=1e-9)
        assert numbers["min"] == pytest.approx(expected["min"]) and numbers["max"] == pytest.approx(expected["max"])
        assert numbers["common"]["num_missing"] == expected["missing"]
        assert numbers["common"]["num_present"] == 300 - expected["missing"]
        kll = numbers["distribution"]["kll"]
        assert sum(b["count"] for b in kll["buckets"]) == 300 - expected["missing"]
        assert kll["sketch"]["parameters"] == {"c": 0.64, "k": 2048.0}
        assert sum(len(level) for level in kll["sketch"]["data"]) == 300 - expected["missing"]
    colour = features["colour"]["string_statistics"]
    assert colour["distinct_count"] == 2
    assert sum(b["count"] for b in colour["distribution"]["categorical"]["buckets"]) == 300
    constraints = {f["name"]: f for f in outcome["constraints"]["features"]}
    assert constraints["b"]["completeness"] == pytest.approx(1 - outcome["expected"]["b"]["missing"] / 300)
    assert constraints["a"]["completeness"] == 1.0
    assert sorted(constraints["colour"]["string_constraints"]["domains"]) == ["green", "red"]
    distribution = outcome["constraints"]["monitoring_config"]["distribution_constraints"]
    assert distribution["comparison_method"] == "Robust" and distribution["comparison_threshold"] == 0.1


SCHEDULES_SCRIPT = textwrap.dedent('''
    import datetime as dt, io, json, os, tarfile, tempfile, time, uuid
    import boto3, numpy as np, pandas as pd, sagemaker, xgboost
    from sklearn import metrics
    from sagemaker.model import Model
    from sagemaker.model_monitor import (CronExpressionGenerator, DataCaptureConfig, DefaultModelMonitor,
                                         EndpointInput, ModelQualityMonitor)
    from sagemaker.model_monitor.dataset_format import DatasetFormat
    from sagemaker.predictor import Predictor
    from sagemaker.serializers import CSVSerializer
    from sagecraft.cli.monitor import start_execution

    ROLE = "arn:aws:iam::000000000000:role/SageMakerRole"
    session = sagemaker.Session()
    bucket, prefix = session.default_bucket(), os.environ["PREFIX"]
    sm, s3 = session.sagemaker_client, session.boto_session.client("s3")
    means, scales = np.array([10.0, -2.0, 0.0, 5.0]), np.array([2.0, 1.0, 3.0, 0.5])
    rng = np.random.default_rng(7)
    def rows(n):
        return rng.normal(means, scales, size=(n, 4))

    train = rows(500)
    labels = (train[:, 0] + 2 * train[:, 1] > means[0] + 2 * means[1]).astype(int)
    booster = xgboost.train({"objective": "binary:logistic", "max_depth": 3}, xgboost.DMatrix(train, labels), 20)
    folder = tempfile.mkdtemp()
    booster.save_model(os.path.join(folder, "xgboost-model"))
    with tarfile.open(os.path.join(folder, "model.tar.gz"), "w:gz") as tar:
        tar.add(os.path.join(folder, "xgboost-model"), arcname="xgboost-model")
    model_data = session.upload_data(os.path.join(folder, "model.tar.gz"), bucket=bucket, key_prefix=prefix + "/model")
    endpoint = "mon-" + uuid.uuid4().hex[:10]
    model = Model(image_uri=sagemaker.image_uris.retrieve("xgboost", session.boto_region_name, "1.7-1"),
                  model_data=model_data, role=ROLE, sagemaker_session=session)
    model.deploy(initial_instance_count=1, instance_type="ml.m5.xlarge", endpoint_name=endpoint, wait=False,
                 data_capture_config=DataCaptureConfig(enable_capture=True, sampling_percentage=100,
                                                       destination_s3_uri=f"s3://{bucket}/{prefix}/capture"))
    while sm.describe_endpoint(EndpointName=endpoint)["EndpointStatus"] == "Creating":
        time.sleep(0.2)
    predictor = Predictor(endpoint, sagemaker_session=session, serializer=CSVSerializer())
    credentials = session.boto_session.get_credentials()

    def run_now(schedule, monitor):
        started = start_execution(os.environ["AWS_ENDPOINT_URL"], credentials, session.boto_region_name, schedule)
        while True:
            found = sm.list_monitoring_executions(MonitoringScheduleName=schedule)["MonitoringExecutionSummaries"]
            mine = [e for e in found if e.get("ProcessingJobArn") == started.get("ProcessingJobArn")]
            if mine and mine[0]["MonitoringExecutionStatus"] not in ("Pending", "InProgress"):
                return mine[0]
            time.sleep(0.5)

    def captured(count):
        while True:
            keys = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket, Prefix=f"{prefix}/capture/{endpoint}/")
                    .get("Contents", [])]
            if sum(len(s3.get_object(Bucket=bucket, Key=k)["Body"].read().splitlines()) for k in keys) >= count:
                return
            time.sleep(0.3)

    # -- data quality --------------------------------------------------------------------------------
    frame = pd.DataFrame(rows(600), columns=["f0", "f1", "f2", "f3"])
    frame.to_csv(os.path.join(folder, "baseline.csv"), index=False)
    baseline_uri = session.upload_data(os.path.join(folder, "baseline.csv"), bucket=bucket, key_prefix=prefix + "/dq")
    monitor = DefaultModelMonitor(role=ROLE, instance_count=1, instance_type="ml.m5.xlarge", volume_size_in_gb=20,
                                  max_runtime_in_seconds=1800, sagemaker_session=session)
    monitor.suggest_baseline(baseline_dataset=baseline_uri, dataset_format=DatasetFormat.csv(header=True),
                             output_s3_uri=f"s3://{bucket}/{prefix}/dq-baseline", wait=True, logs=False)
    dq_schedule = "dq-" + endpoint
    monitor.create_monitoring_schedule(monitor_schedule_name=dq_schedule, endpoint_input=endpoint,
                                       output_s3_uri=f"s3://{bucket}/{prefix}/dq-reports",
                                       statistics=monitor.baseline_statistics(),
                                       constraints=monitor.suggested_constraints(),
                                       schedule_cron_expression=CronExpressionGenerator.hourly(),
                                       enable_cloudwatch_metrics=True)
    schedule_status = monitor.describe_schedule()["MonitoringScheduleStatus"]
    for row in rows(150):
        predictor.predict(row.reshape(1, -1))
    captured(150)
    calm = run_now(dq_schedule, monitor)
    calm_violations = monitor.latest_monitoring_constraint_violations().body_dict["violations"]
    shifted = rows(350)
    shifted[:, 0] += 3 * scales[0]
    shifted[:, 1] -= 3 * scales[1]
    gaps = rng.random(350) < 0.3
    for row, gap in zip(shifted, gaps):
        text = ",".join("" if (gap and i == 2) else repr(float(v)) for i, v in enumerate(row))
        predictor.predict(text)
    captured(500)
    drifted = run_now(dq_schedule, monitor)
    violations = monitor.latest_monitoring_constraint_violations().body_dict["violations"]
    drift_metrics = boto3.client("cloudwatch").list_metrics(Namespace="aws/sagemaker/Endpoints/data-metrics",
                                                             MetricName="feature_baseline_drift_f0")["Metrics"]

    # -- model quality -------------------------------------------------------------------------------
    quality = pd.DataFrame({"probability": rng.random(400)})
    quality["prediction"] = (quality["probability"] >= 0.5).astype(int)
    quality["label"] = quality["prediction"]  # the model was perfect on its validation set
    quality.to_csv(os.path.join(folder, "quality.csv"), index=False)
    quality_uri = session.upload_data(os.path.join(folder, "quality.csv"), bucket=bucket, key_prefix=prefix + "/mq")
    mq = ModelQualityMonitor(role=ROLE, instance_count=1, instance_type="ml.m5.xlarge", volume_size_in_gb=20,
                             max_runtime_in_seconds=1800, sagemaker_session=session)
    mq.suggest_baseline(baseline_dataset=quality_uri, dataset_format=DatasetFormat.csv(header=True),
                        problem_type="BinaryClassification", inference_attribute="prediction",
                        probability_attribute="probability", ground_truth_attribute="label",
                        output_s3_uri=f"s3://{bucket}/{prefix}/mq-baseline", wait=True, logs=False)
    baseline_accuracy = mq.baseline_statistics().body_dict["binary_classification_metrics"]["accuracy"]["value"]
    truth_uri = f"s3://{bucket}/{prefix}/ground-truth"
    mq_schedule = "mq-" + endpoint
    mq.create_monitoring_schedule(
        monitor_schedule_name=mq_schedule,
        endpoint_input=EndpointInput(endpoint_name=endpoint, destination="/opt/ml/processing/input_data",
                                     probability_attribute="0", probability_threshold_attribute=0.5),
        ground_truth_input=truth_uri, problem_type="BinaryClassification",
        output_s3_uri=f"s3://{bucket}/{prefix}/mq-reports", constraints=mq.suggested_constraints(),
        schedule_cron_expression=CronExpressionGenerator.hourly(), enable_cloudwatch_metrics=True)
    pairs, truth_lines = [], []
    for index, row in enumerate(rows(120)):
        inference_id = f"inference-{index}"
        score = float(predictor.predict(row.reshape(1, -1), inference_id=inference_id).decode().strip())
        label = int(row[0] + 2 * row[1] > means[0] + 2 * means[1])
        if index % 4 == 0:
            label = 1 - label  # a quarter of the ground truth disagrees: the model degraded
        pairs.append((label, int(score >= 0.5)))
        truth_lines.append(json.dumps({"groundTruthData": {"data": str(label), "encoding": "CSV"},
                                       "eventMetadata": {"eventId": inference_id}, "eventVersion": "0"}))
    captured(620)
    now = dt.datetime.now(dt.timezone.utc)
    s3.put_object(Bucket=bucket, Key=f"{prefix}/ground-truth/{now:%Y/%m/%d/%H}/labels.jsonl",
                  Body="\\n".join(truth_lines).encode())
    quality_run = run_now(mq_schedule, mq)
    mq_statistics = mq.latest_monitoring_statistics().body_dict["binary_classification_metrics"]
    mq_violations = mq.latest_monitoring_constraint_violations().body_dict["violations"]
    truth, guess = [p[0] for p in pairs], [p[1] for p in pairs]
    expected = {"accuracy": metrics.accuracy_score(truth, guess), "precision": metrics.precision_score(truth, guess),
                "recall": metrics.recall_score(truth, guess), "f1": metrics.f1_score(truth, guess)}
    monitor.delete_monitoring_schedule()
    mq.delete_monitoring_schedule()
    predictor.delete_endpoint()
    print("\\nRESULT " + json.dumps({
        "schedule_status": schedule_status, "calm": calm["MonitoringExecutionStatus"],
        "calm_violations": calm_violations, "drifted": drifted["MonitoringExecutionStatus"],
        "violations": violations, "drift_metrics": drift_metrics, "baseline_accuracy": baseline_accuracy,
        "quality_run": quality_run["MonitoringExecutionStatus"], "quality_failure": quality_run.get("FailureReason"),
        "mq_statistics": {k: v["value"] for k, v in mq_statistics.items() if isinstance(v, dict) and "value" in v},
        "mq_violations": mq_violations, "expected": expected}, default=str))
''')


@pytest.mark.slow
def test_monitoring_schedules_through_the_sdk(server, tmp_path):
    result = sagecraft("env", "--home", server.home)
    assert result.returncode == 0, result.stderr
    outcome, _ = run_sdk(SCHEDULES_SCRIPT, tmp_path, exports(result.stdout), {})
    assert outcome["schedule_status"] in ("Pending", "Scheduled")
    assert outcome["calm"] == "Completed" and outcome["calm_violations"] == []
    assert outcome["drifted"] == "CompletedWithViolations"
    assert sorted((v["feature_name"], v["constraint_check_type"]) for v in outcome["violations"]) == [
        ("f0", "baseline_drift_check"), ("f1", "baseline_drift_check"), ("f2", "completeness_check")]
    dimensions = {d["Name"]: d["Value"] for d in outcome["drift_metrics"][0]["Dimensions"]}
    assert set(dimensions) == {"Endpoint", "MonitoringSchedule"}
    assert outcome["baseline_accuracy"] == 1.0
    assert outcome["quality_run"] == "CompletedWithViolations", outcome["quality_failure"]
    for name, value in outcome["expected"].items():
        assert outcome["mq_statistics"][name] == pytest.approx(value, abs=1e-12)
    assert "accuracy" in {v["metric_name"] for v in outcome["mq_violations"]}

"""QualityCheck steps through the official SDK v2: a DataQualityCheckConfig step that calculates and
registers a first baseline (skip_check + register_new_baseline), whose DriftCheckBaselines reach the
model package; then the same pipeline checking shifted data against that approved baseline (the
step fails with the violations) and unshifted data (it passes and names the previous baseline)."""

from __future__ import annotations

import textwrap

import pytest

from tests.sdk.test_sdk_pipelines import run_sdk, sdk_env  # noqa: F401 (a fixture)

pytestmark = pytest.mark.slow

ROLE = "arn:aws:iam::000000000000:role/SageMakerRole"

SCRIPT = textwrap.dedent(f"""
    import io, json, os, tarfile, tempfile, time
    import boto3
    import numpy as np
    import pandas as pd
    import sagemaker
    from sagemaker.drift_check_baselines import DriftCheckBaselines
    from sagemaker.model_metrics import MetricsSource
    from sagemaker.model_monitor.dataset_format import DatasetFormat
    from sagemaker.workflow.check_job_config import CheckJobConfig
    from sagemaker.workflow.execution_variables import ExecutionVariables
    from sagemaker.workflow.functions import Join
    from sagemaker.workflow.parameters import ParameterBoolean, ParameterString
    from sagemaker.workflow.pipeline import Pipeline
    from sagemaker.workflow.pipeline_context import PipelineSession
    from sagemaker.workflow.quality_check_step import (DataQualityCheckConfig, ModelQualityCheckConfig,
                                                       QualityCheckStep)
    from sagemaker.model import Model
    from sagemaker.workflow.model_step import ModelStep

    role = {ROLE!r}
    session = PipelineSession()
    bucket = session.default_bucket()
    prefix = os.environ["PREFIX"]
    client = boto3.client("sagemaker")
    s3 = boto3.client("s3")
    rng = np.random.default_rng(7)

    def upload(frame, name):
        s3.put_object(Bucket=bucket, Key=f"{{prefix}}/{{name}}/data.csv", Body=frame.to_csv(index=False).encode())
        return f"s3://{{bucket}}/{{prefix}}/{{name}}"

    base = pd.DataFrame({{"x": rng.normal(0, 1, 400), "colour": rng.choice(["red", "blue"], 400)}})
    same = pd.DataFrame({{"x": rng.normal(0, 1, 400), "colour": rng.choice(["red", "blue"], 400)}})
    shifted = pd.DataFrame({{"x": rng.normal(6, 1, 400), "colour": rng.choice(["green"], 400)}})
    uris = {{"base": upload(base, "base"), "same": upload(same, "same"), "shifted": upload(shifted, "shifted")}}
    archive = io.BytesIO()
    with tarfile.open(fileobj=archive, mode="w:gz") as tar:
        info = tarfile.TarInfo("model.txt"); info.size = 1; tar.addfile(info, io.BytesIO(b"m"))
    s3.put_object(Bucket=bucket, Key=f"{{prefix}}/model.tar.gz", Body=archive.getvalue())
    group = f"quality-{{prefix}}"[:60].replace("_", "-")
    client.create_model_package_group(ModelPackageGroupName=group)

    data = ParameterString("Data", default_value=uris["base"])
    skip = ParameterBoolean("SkipCheck", default_value=False)
    register_new = ParameterBoolean("RegisterNewBaseline", default_value=False)
    check = QualityCheckStep(
        name="DataQuality",
        check_job_config=CheckJobConfig(role=role, instance_count=1, instance_type="ml.m5.xlarge",
                                        volume_size_in_gb=20, sagemaker_session=session),
        quality_check_config=DataQualityCheckConfig(
            baseline_dataset=data, dataset_format=DatasetFormat.csv(header=True),
            output_s3_uri=Join(on="/", values=[f"s3://{{bucket}}/{{prefix}}/quality",
                                               ExecutionVariables.PIPELINE_EXECUTION_ID])),
        skip_check=skip, register_new_baseline=register_new, model_package_group_name=group)
    baselines = DriftCheckBaselines(
        model_data_statistics=MetricsSource(content_type="application/json",
                                            s3_uri=check.properties.BaselineUsedForDriftCheckStatistics),
        model_data_constraints=MetricsSource(content_type="application/json",
                                             s3_uri=check.properties.BaselineUsedForDriftCheckConstraints))
    model = Model(image_uri=sagemaker.image_uris.retrieve("xgboost", session.boto_region_name, "1.5-1"),
                  model_data=f"s3://{{bucket}}/{{prefix}}/model.tar.gz", role=role, sagemaker_session=session)
    register = ModelStep(name="Register", depends_on=[check], step_args=model.register(
        content_types=["text/csv"], response_types=["text/csv"], inference_instances=["ml.m5.large"],
        transform_instances=["ml.m5.large"], model_package_group_name=group, approval_status="Approved",
        drift_check_baselines=baselines))
    pipeline = Pipeline(name=f"quality-{{prefix}}"[:60].replace("_", "-"), parameters=[data, skip, register_new],
                        steps=[check, register], sagemaker_session=session)
    pipeline.upsert(role_arn=role)

    def run(**parameters):
        execution = pipeline.start(parameters=parameters)
        while True:
            described = execution.describe()
            if described["PipelineExecutionStatus"] not in ("Executing", "Stopping"):
                break
            time.sleep(0.5)
        steps = client.list_pipeline_execution_steps(PipelineExecutionArn=execution.arn)["PipelineExecutionSteps"]
        return {{"id": execution.arn.rsplit("/", 1)[-1], "status": described["PipelineExecutionStatus"],
                "reason": described.get("FailureReason"),
                "steps": {{s["StepName"]: {{"status": s["StepStatus"], "reason": s.get("FailureReason"),
                                           "metadata": s.get("Metadata", {{}})}} for s in steps}}}}

    def latest_package():
        summary = client.list_model_packages(ModelPackageGroupName=group, SortBy="CreationTime",
                                             SortOrder="Descending")["ModelPackageSummaryList"][0]
        return client.describe_model_package(ModelPackageName=summary["ModelPackageArn"])

    results = {{"first": run(Data=uris["base"], SkipCheck=True, RegisterNewBaseline=True)}}
    first_package = latest_package()
    results["first_baselines"] = first_package.get("DriftCheckBaselines")
    results["packages_after_first"] = len(client.list_model_packages(
        ModelPackageGroupName=group)["ModelPackageSummaryList"])
    results["shifted"] = run(Data=uris["shifted"])
    results["packages_after_shifted"] = len(client.list_model_packages(
        ModelPackageGroupName=group)["ModelPackageSummaryList"])
    results["same"] = run(Data=uris["same"])
    results["same_baselines"] = latest_package().get("DriftCheckBaselines")
    report = results["shifted"]["steps"]["DataQuality"]["metadata"]["QualityCheck"]["ViolationReport"]
    report_bucket, report_key = report[len("s3://"):].split("/", 1)
    results["violations"] = json.loads(s3.get_object(Bucket=report_bucket, Key=report_key)["Body"].read())
    results["prefix"] = f"s3://{{bucket}}/{{prefix}}/quality"

    # Model quality: 75 % accuracy checked against supplied constraints that require 90 %.
    scores = rng.random(200)
    predicted = (scores >= 0.5).astype(int)
    truth = np.where(np.arange(200) % 4 == 0, 1 - predicted, predicted)
    quality_uri = upload(pd.DataFrame({{"probability": scores, "prediction": predicted, "label": truth}}), "labelled")
    s3.put_object(Bucket=bucket, Key=f"{{prefix}}/mq-baseline/constraints.json", Body=json.dumps({{
        "version": 0.0, "binary_classification_constraints": {{
            "accuracy": {{"threshold": 0.9, "comparison_operator": "LessThanThreshold"}}}}}}).encode())
    model_check = QualityCheckStep(
        name="ModelQuality",
        check_job_config=CheckJobConfig(role=role, instance_count=1, instance_type="ml.m5.xlarge",
                                        volume_size_in_gb=20, sagemaker_session=session),
        quality_check_config=ModelQualityCheckConfig(
            baseline_dataset=quality_uri, dataset_format=DatasetFormat.csv(header=True),
            problem_type="BinaryClassification", inference_attribute="prediction",
            probability_attribute="probability", ground_truth_attribute="label",
            output_s3_uri=f"s3://{{bucket}}/{{prefix}}/mq-check"),
        skip_check=False, register_new_baseline=False,
        supplied_baseline_constraints=f"s3://{{bucket}}/{{prefix}}/mq-baseline/constraints.json")
    pipeline = Pipeline(name=f"mq-{{prefix}}"[:60].replace("_", "-"), steps=[model_check], sagemaker_session=session)
    pipeline.upsert(role_arn=role)
    results["model_quality"] = run()
    calculated = results["model_quality"]["steps"]["ModelQuality"]["metadata"]["QualityCheck"].get(
        "CalculatedBaselineStatistics", "s3://none/none")
    stats_bucket, stats_key = calculated[len("s3://"):].split("/", 1)
    try:
        statistics = json.loads(s3.get_object(Bucket=stats_bucket, Key=stats_key)["Body"].read())
        results["model_accuracy"] = statistics["binary_classification_metrics"]["accuracy"]["value"]
    except Exception as error:  # shown by the assertions
        results["model_accuracy"] = repr(error)
    print("RESULT " + json.dumps(results))
""")


def test_a_data_quality_check_registers_then_enforces_its_baseline(sdk_env, tmp_path):  # noqa: F811
    result = run_sdk(SCRIPT, tmp_path, sdk_env, {})
    first = result["first"]
    quality = f"{result['prefix']}/{first['id']}"
    assert first["status"] == "Succeeded", first
    meta = first["steps"]["DataQuality"]["metadata"]["QualityCheck"]
    assert meta["CheckType"] == "DATA_QUALITY" and meta["SkipCheck"] is True and meta["RegisterNewBaseline"] is True
    assert meta["CalculatedBaselineStatistics"] == f"{quality}/statistics.json"
    assert meta["CalculatedBaselineConstraints"] == f"{quality}/constraints.json"
    assert meta["BaselineUsedForDriftCheckConstraints"] == f"{quality}/constraints.json"
    assert ":processing-job/pipelines-" in meta["CheckJobArn"] and "ViolationReport" not in meta
    # RegisterModel stored the step's new baseline as the package's drift check baseline.
    assert result["first_baselines"] == {
        "ModelDataQuality": {
            "Statistics": {"ContentType": "application/json", "S3Uri": f"{quality}/statistics.json"},
            "Constraints": {"ContentType": "application/json", "S3Uri": f"{quality}/constraints.json"},
        }
    }

    shifted = result["shifted"]
    assert shifted["status"] == "Failed"
    step = shifted["steps"]["DataQuality"]
    assert step["status"] == "Failed" and step["reason"].startswith("ClientError: Quality check failed")
    assert shifted["reason"].startswith("Step failure: DataQuality failed: ClientError: Quality check failed")
    assert "Register-RegisterModel" not in shifted["steps"]
    assert result["packages_after_shifted"] == result["packages_after_first"]
    checks = {(v["feature_name"], v["constraint_check_type"]) for v in result["violations"]["violations"]}
    assert ("x", "baseline_drift_check") in checks and ("colour", "categorical_values_check") in checks
    # The check ran against the approved package's baseline (the first run's files), not a new one.
    used = step["metadata"]["QualityCheck"]
    assert used["BaselineUsedForDriftCheckConstraints"] == f"{quality}/constraints.json"
    assert used["ModelPackageGroupName"] and used["SkipCheck"] is False

    same = result["same"]
    assert same["status"] == "Succeeded", same
    assert same["steps"]["DataQuality"]["metadata"]["QualityCheck"]["ViolationReport"].endswith(
        "/constraint_violations.json"
    )
    assert result["same_baselines"] == result["first_baselines"]  # register_new_baseline=False kept the old one

    model_quality = result["model_quality"]
    step = model_quality["steps"]["ModelQuality"]
    assert model_quality["status"] == "Failed" and step["status"] == "Failed", model_quality
    assert "Quality check failed: 1 violation(s)" in step["reason"] and "accuracy: LessThanThreshold" in step["reason"]
    assert result["model_accuracy"] == 0.75, (result["model_accuracy"], model_quality)
    meta = step["metadata"]["QualityCheck"]
    assert meta["CheckType"] == "MODEL_QUALITY" and meta["BaselineUsedForDriftCheckConstraints"].endswith(
        "/mq-baseline/constraints.json"
    )

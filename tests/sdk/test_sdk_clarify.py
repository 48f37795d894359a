"""Clarify through the official SDK v2: SageMakerClarifyProcessor.run_pre_training_bias on a CSV
dataset (metrics checked against pandas), a failing analysis, and a pipeline whose ClarifyCheckStep
(DataBiasCheckConfig) calculates and registers a first bias baseline, then fails on a more biased
dataset checked against the approved baseline."""

from __future__ import annotations

import textwrap

import pytest

from tests.sdk.test_sdk_pipelines import run_sdk, sdk_env  # noqa: F401 (a fixture)

pytestmark = pytest.mark.slow

ROLE = "arn:aws:iam::000000000000:role/SageMakerRole"

COMMON = textwrap.dedent(f"""
    import json, os, time
    import boto3
    import numpy as np
    import pandas as pd
    import sagemaker
    from sagemaker import clarify

    role = {ROLE!r}
    prefix = os.environ["PREFIX"]
    s3 = boto3.client("s3")
    rng = np.random.default_rng(11)

    def dataset(n, female_rate, male_rate):
        gender = rng.choice(["F", "M"], n, p=[0.4, 0.6])
        approved = (rng.random(n) < np.where(gender == "F", female_rate, male_rate)).astype(int)
        return pd.DataFrame({{"approved": approved, "gender": gender, "age": rng.integers(18, 70, n),
                             "region": rng.choice(["north", "south"], n)}})

    def upload(bucket, frame, name):
        s3.put_object(Bucket=bucket, Key=f"{{prefix}}/{{name}}/data.csv",
                      Body=frame.to_csv(index=False, header=False).encode())
        return f"s3://{{bucket}}/{{prefix}}/{{name}}"

    def read(uri):
        bucket, key = uri[len("s3://"):].split("/", 1)
        return json.loads(s3.get_object(Bucket=bucket, Key=key)["Body"].read())
""")

PROCESSOR = COMMON + textwrap.dedent("""
    session = sagemaker.Session()
    bucket = session.default_bucket()
    frame = dataset(300, 0.3, 0.6)
    data = upload(bucket, frame, "bias-data")
    processor = clarify.SageMakerClarifyProcessor(role=role, instance_count=1, instance_type="ml.m5.xlarge",
                                                  sagemaker_session=session)

    def config(output):
        return clarify.DataConfig(s3_data_input_path=data, s3_output_path=f"s3://{bucket}/{prefix}/{output}",
                                  label="approved", headers=list(frame.columns), dataset_type="text/csv")

    processor.run_pre_training_bias(config("gender"), clarify.BiasConfig(
        label_values_or_threshold=[1], facet_name="gender", facet_values_or_threshold=["F"], group_name="region"))
    results = {"status": processor.latest_job.describe()["ProcessingJobStatus"],
               "gender": read(f"s3://{bucket}/{prefix}/gender/analysis.json")}
    processor.run_pre_training_bias(config("age"), clarify.BiasConfig(
        label_values_or_threshold=[1], facet_name="age", facet_values_or_threshold=[40]),
        methods=["CI", "DPL"], logs=False)
    results["age"] = read(f"s3://{bucket}/{prefix}/age/analysis.json")
    female, older = frame.gender == "F", frame.age > 40
    results["expected"] = {
        "gender_CI": ((~female).sum() - female.sum()) / len(frame),
        "gender_DPL": frame.approved[~female].mean() - frame.approved[female].mean(),
        "age_CI": ((~older).sum() - older.sum()) / len(frame),
        "age_DPL": frame.approved[~older].mean() - frame.approved[older].mean(),
        "age_interval": f"(40, {frame.age.max()}]",
    }
    try:
        processor.run_pre_training_bias(config("missing"), clarify.BiasConfig(
            label_values_or_threshold=[1], facet_name="colour", facet_values_or_threshold=["red"]), logs=False)
        results["failure"] = None
    except Exception:  # UnexpectedStatusException: the job failed
        results["failure"] = processor.latest_job.describe().get("FailureReason")
    print("\\nRESULT " + json.dumps(results))  # after the SDK's progress dots
""")

PIPELINE = COMMON + textwrap.dedent("""
    from sagemaker.drift_check_baselines import DriftCheckBaselines
    from sagemaker.model import Model
    from sagemaker.model_metrics import MetricsSource
    from sagemaker.workflow.check_job_config import CheckJobConfig
    from sagemaker.workflow.clarify_check_step import ClarifyCheckStep, DataBiasCheckConfig
    from sagemaker.workflow.execution_variables import ExecutionVariables
    from sagemaker.workflow.functions import Join
    from sagemaker.workflow.model_step import ModelStep
    from sagemaker.workflow.parameters import ParameterBoolean, ParameterString
    from sagemaker.workflow.pipeline import Pipeline
    from sagemaker.workflow.pipeline_context import PipelineSession
    import io, tarfile

    session = PipelineSession()
    bucket = session.default_bucket()
    client = boto3.client("sagemaker")
    fair, biased = dataset(400, 0.5, 0.55), dataset(400, 0.1, 0.8)
    uris = {"fair": upload(bucket, fair, "fair"), "biased": upload(bucket, biased, "biased")}
    archive = io.BytesIO()
    with tarfile.open(fileobj=archive, mode="w:gz") as tar:
        info = tarfile.TarInfo("model.txt"); info.size = 1; tar.addfile(info, io.BytesIO(b"m"))
    s3.put_object(Bucket=bucket, Key=f"{prefix}/model.tar.gz", Body=archive.getvalue())
    group = f"bias-{prefix}"[:60].replace("_", "-")
    client.create_model_package_group(ModelPackageGroupName=group)

    data = ParameterString("Data", default_value=uris["fair"])
    skip = ParameterBoolean("SkipCheck", default_value=False)
    register_new = ParameterBoolean("RegisterNewBaseline", default_value=False)
    check = ClarifyCheckStep(
        name="DataBias",
        clarify_check_config=DataBiasCheckConfig(
            data_config=clarify.DataConfig(
                s3_data_input_path=data, label="approved", headers=list(fair.columns), dataset_type="text/csv",
                s3_analysis_config_output_path=f"s3://{bucket}/{prefix}/bias-config",
                s3_output_path=Join(on="/", values=[f"s3://{bucket}/{prefix}/bias",
                                                    ExecutionVariables.PIPELINE_EXECUTION_ID])),
            data_bias_config=clarify.BiasConfig(label_values_or_threshold=[1], facet_name="gender",
                                                facet_values_or_threshold=["F"]),
            methods=["CI", "DPL", "KL"]),
        check_job_config=CheckJobConfig(role=role, instance_count=1, instance_type="ml.m5.xlarge",
                                        sagemaker_session=session),
        skip_check=skip, register_new_baseline=register_new, model_package_group_name=group)
    baselines = DriftCheckBaselines(bias_pre_training_constraints=MetricsSource(
        content_type="application/json", s3_uri=check.properties.BaselineUsedForDriftCheckConstraints))
    model = Model(image_uri=sagemaker.image_uris.retrieve("xgboost", session.boto_region_name, "1.5-1"),
                  model_data=f"s3://{bucket}/{prefix}/model.tar.gz", role=role, sagemaker_session=session)
    register = ModelStep(name="Register", depends_on=[check], step_args=model.register(
        content_types=["text/csv"], response_types=["text/csv"], inference_instances=["ml.m5.large"],
        transform_instances=["ml.m5.large"], model_package_group_name=group, approval_status="Approved",
        drift_check_baselines=baselines))
    pipeline = Pipeline(name=f"bias-{prefix}"[:60].replace("_", "-"), parameters=[data, skip, register_new],
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
        return {"id": execution.arn.rsplit("/", 1)[-1], "status": described["PipelineExecutionStatus"],
                "reason": described.get("FailureReason"),
                "steps": {s["StepName"]: {"status": s["StepStatus"], "reason": s.get("FailureReason"),
                                          "metadata": s.get("Metadata", {})} for s in steps}}

    def packages():
        return client.list_model_packages(ModelPackageGroupName=group)["ModelPackageSummaryList"]

    results = {"first": run(Data=uris["fair"], SkipCheck=True, RegisterNewBaseline=True)}
    latest = client.describe_model_package(ModelPackageName=packages()[0]["ModelPackageArn"])
    results["first_baselines"] = latest.get("DriftCheckBaselines")
    results["baseline"] = read(results["first"]["steps"]["DataBias"]["metadata"]["ClarifyCheck"][
        "CalculatedBaselineConstraints"])
    results["packages_after_first"] = len(packages())
    results["biased"] = run(Data=uris["biased"])
    results["packages_after_biased"] = len(packages())
    report = results["biased"]["steps"]["DataBias"]["metadata"]["ClarifyCheck"]["ViolationReport"]
    results["violations"] = read(report)
    results["prefix"] = f"s3://{bucket}/{prefix}/bias"
    print("\\nRESULT " + json.dumps(results))  # after the SDK's progress dots
""")


def _metrics(analysis: dict, facet: str) -> tuple[str, dict]:
    [group] = analysis["pre_training_bias_metrics"]["facets"][facet]
    return group["value_or_threshold"], {m["name"]: m.get("value") for m in group["metrics"]}


def test_run_pre_training_bias_writes_clarify_s_analysis(sdk_env, tmp_path):  # noqa: F811
    result = run_sdk(PROCESSOR, tmp_path, sdk_env, {})
    expected = result["expected"]
    assert result["status"] == "Completed"
    assert result["gender"]["pre_training_bias_metrics"]["label"] == "approved"
    value, gender = _metrics(result["gender"], "gender")
    assert value == "F" and set(gender) == {"CDDL", "CI", "DPL", "JS", "KL", "KS", "LP", "TVD"}
    assert gender["CI"] == pytest.approx(expected["gender_CI"])
    assert gender["DPL"] == pytest.approx(expected["gender_DPL"])
    assert gender["CDDL"] is not None  # the group variable was given
    interval, age = _metrics(result["age"], "age")
    assert interval == expected["age_interval"] and set(age) == {"CI", "DPL"}
    assert age["CI"] == pytest.approx(expected["age_CI"]) and age["DPL"] == pytest.approx(expected["age_DPL"])
    assert result["failure"].startswith("ClientError: The facet column 'colour' is not present in the dataset")


def test_a_clarify_check_registers_a_baseline_then_fails_on_a_biased_dataset(sdk_env, tmp_path):  # noqa: F811
    result = run_sdk(PIPELINE, tmp_path, sdk_env, {})
    first = result["first"]
    assert first["status"] == "Succeeded", first
    analysis = f"{result['prefix']}/{first['id']}/analysis.json"
    meta = first["steps"]["DataBias"]["metadata"]["ClarifyCheck"]
    assert meta["CheckType"] == "DATA_BIAS" and meta["SkipCheck"] is True and meta["RegisterNewBaseline"] is True
    assert meta["CalculatedBaselineConstraints"] == analysis == meta["BaselineUsedForDriftCheckConstraints"]
    assert ":processing-job/pipelines-" in meta["CheckJobArn"] and "ViolationReport" not in meta
    assert result["first_baselines"] == {
        "Bias": {"PreTrainingConstraints": {"ContentType": "application/json", "S3Uri": analysis}}
    }
    assert set(_metrics(result["baseline"], "gender")[1]) == {"CI", "DPL", "KL"}

    biased = result["biased"]
    step = biased["steps"]["DataBias"]
    assert biased["status"] == "Failed" and step["status"] == "Failed", biased
    assert step["reason"].startswith("ClientError: Clarify check failed") and "gender=F: DPL" in step["reason"]
    assert biased["reason"].startswith("Step failure: DataBias failed: ClientError: Clarify check failed")
    assert "Register-RegisterModel" not in biased["steps"]
    assert result["packages_after_biased"] == result["packages_after_first"]
    used = step["metadata"]["ClarifyCheck"]
    assert used["BaselineUsedForDriftCheckConstraints"] == analysis  # the approved package's baseline
    checked = {
        (v["facet"], v["facet_value"], v["metric_name"], v["constraint_check_type"])
        for v in result["violations"]["violations"]
    }
    assert ("gender", "F", "DPL", "bias_drift_check") in checked

"""SageMaker Pipelines through the official SDK v2: the seed's two-step pipeline exactly as written
(only the session comes from ``sagecraft env``), and an evaluation pipeline with a ParameterFloat
threshold, a PropertyFile read by JsonGet, a ConditionStep, a RegisterModel ModelStep and a FailStep."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest

from tests.support.cli import exports, sagecraft

pytestmark = pytest.mark.slow

ROLE = "arn:aws:iam::000000000000:role/SageMakerRole"

PREPROCESSING = textwrap.dedent('''
    import glob, os
    import pandas as pd
    frame = pd.concat(pd.read_csv(path) for path in glob.glob("/opt/ml/processing/input/*.csv"))
    frame = frame[["target"] + [c for c in frame.columns if c != "target"]]  # label first, as XGBoost reads CSV
    os.makedirs("/opt/ml/processing/output", exist_ok=True)
    frame.to_csv("/opt/ml/processing/output/train.csv", header=False, index=False)
''')

TRAIN = textwrap.dedent('''
    import os
    import pandas as pd
    import xgboost as xgb
    folder = os.environ["SM_CHANNEL_TRAIN"]
    frame = pd.concat(pd.read_csv(os.path.join(folder, f), header=None) for f in sorted(os.listdir(folder)))
    data = xgb.DMatrix(frame.iloc[:, 1:].values, label=frame.iloc[:, 0].values)
    booster = xgb.train({"objective": "binary:logistic", "max_depth": 2}, data, num_boost_round=5)
    booster.save_model(os.path.join(os.environ["SM_MODEL_DIR"], "xgboost-model"))
''')

SEED_PIPELINE = textwrap.dedent(f'''
    import json, os, tempfile, time
    import sagemaker
    from sagemaker.processing import ProcessingInput, ProcessingOutput, ScriptProcessor
    from sagemaker.workflow.pipeline import Pipeline
    from sagemaker.workflow.steps import ProcessingStep, TrainingStep
    from sagemaker.xgboost import XGBoost
    from sklearn.datasets import load_breast_cancer

    role = {ROLE!r}
    session = sagemaker.Session()
    bucket = session.default_bucket()
    folder = tempfile.mkdtemp()
    load_breast_cancer(as_frame=True).frame.to_csv(os.path.join(folder, "data.csv"), index=False)
    raw = session.upload_data(os.path.join(folder, "data.csv"), bucket=bucket, key_prefix=os.environ["PREFIX"] + "/raw")

    processor = ScriptProcessor(command=['python3'], image_uri='python:3.8-slim', role=role,
                                instance_count=1, instance_type='ml.m5.xlarge')
    xgb = XGBoost(entry_point='train.py', role=role, instance_count=1, instance_type='ml.m5.xlarge',
                  framework_version='1.3-1', hyperparameters={{'objective': 'binary:logistic', 'num_round': 5}})

    processing_step = ProcessingStep(name='PreprocessData', processor=processor, code='preprocessing.py',
        inputs=[ProcessingInput(source=raw, destination='/opt/ml/processing/input')],
        outputs=[ProcessingOutput(output_name='processed-data', source='/opt/ml/processing/output')])
    training_step = TrainingStep(name='TrainModel', estimator=xgb, inputs={{'train':
        processing_step.properties.ProcessingOutputConfig.Outputs['processed-data'].S3Output.S3Uri}})
    pipeline = Pipeline(name='MLPipeline', steps=[processing_step, training_step])

    pipeline.upsert(role_arn=role)
    pipeline.upsert(role_arn=role)  # the second upsert updates the pipeline (CreatePipeline says "already exists")
    execution = pipeline.start()
    for _ in range(600):
        status = execution.describe()["PipelineExecutionStatus"]
        if status not in ("Executing", "Stopping"):
            break
        time.sleep(0.2)
    steps = execution.list_steps()
    client = session.sagemaker_client
    jobs = {{}}
    for step in steps:
        metadata = step["Metadata"]
        if "ProcessingJob" in metadata:
            jobs["processing"] = client.describe_processing_job(
                ProcessingJobName=metadata["ProcessingJob"]["Arn"].split("/")[-1])
        if "TrainingJob" in metadata:
            jobs["training"] = client.describe_training_job(
                TrainingJobName=metadata["TrainingJob"]["Arn"].split("/")[-1])
    print("RESULT " + json.dumps({{
        "status": status, "steps": [[s["StepName"], s["StepStatus"], s["Metadata"]] for s in steps],
        "processing_output": jobs["processing"]["ProcessingOutputConfig"]["Outputs"][0]["S3Output"]["S3Uri"],
        "training_input": jobs["training"]["InputDataConfig"][0]["DataSource"]["S3DataSource"]["S3Uri"],
        "model": jobs["training"]["ModelArtifacts"]["S3ModelArtifacts"],
    }}))
''')

EVALUATE = textwrap.dedent('''
    import json, os
    from sklearn.datasets import load_breast_cancer
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import roc_auc_score
    from sklearn.model_selection import train_test_split
    x, y = load_breast_cancer(return_X_y=True)
    x_train, x_test, y_train, y_test = train_test_split(x, y, test_size=0.3, random_state=0)
    model = LogisticRegression(max_iter=5000).fit(x_train, y_train)
    auc = roc_auc_score(y_test, model.predict_proba(x_test)[:, 1])
    os.makedirs("/opt/ml/processing/evaluation", exist_ok=True)
    json.dump({"metrics": {"auc": {"value": auc}}}, open("/opt/ml/processing/evaluation/evaluation.json", "w"))
''')

EVALUATION_PIPELINE = textwrap.dedent(f'''
    import io, json, os, tarfile, time
    import boto3
    from sagemaker.model import Model
    from sagemaker.processing import ProcessingOutput, ScriptProcessor
    from sagemaker.workflow.condition_step import ConditionStep
    from sagemaker.workflow.conditions import ConditionGreaterThanOrEqualTo
    from sagemaker.workflow.fail_step import FailStep
    from sagemaker.workflow.functions import Join, JsonGet
    from sagemaker.workflow.model_step import ModelStep
    from sagemaker.workflow.parameters import ParameterFloat
    from sagemaker.workflow.pipeline import Pipeline
    from sagemaker.workflow.pipeline_context import PipelineSession
    from sagemaker.workflow.properties import PropertyFile
    from sagemaker.workflow.steps import ProcessingStep

    role = {ROLE!r}
    session = PipelineSession()
    bucket, prefix = session.default_bucket(), os.environ["PREFIX"]
    client = session.sagemaker_client
    group = prefix.replace("_", "-")[-60:].strip("-") + "-models"
    client.create_model_package_group(ModelPackageGroupName=group)
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        info = tarfile.TarInfo("xgboost-model"); data = b"model"; info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    boto3.client("s3").put_object(Bucket=bucket, Key=prefix + "/model.tar.gz", Body=buffer.getvalue())

    threshold = ParameterFloat(name="AucThreshold", default_value=0.7)
    processor = ScriptProcessor(command=["python3"], image_uri="python:3.8-slim", role=role, instance_count=1,
                                instance_type="ml.m5.xlarge", sagemaker_session=session)
    report = PropertyFile(name="EvaluationReport", output_name="evaluation", path="evaluation.json")
    evaluate = ProcessingStep(name="Evaluate", step_args=processor.run(
        code="evaluate.py", outputs=[ProcessingOutput(output_name="evaluation",
                                                      source="/opt/ml/processing/evaluation")]),
        property_files=[report])
    model = Model(image_uri="683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1",
                  model_data=f"s3://{{bucket}}/{{prefix}}/model.tar.gz", role=role, sagemaker_session=session)
    register = ModelStep(name="RegisterModel", step_args=model.register(
        content_types=["text/csv"], response_types=["text/csv"], inference_instances=["ml.m5.large"],
        transform_instances=["ml.m5.large"], model_package_group_name=group,
        approval_status="PendingManualApproval"))
    fail = FailStep(name="AucTooLow", error_message=Join(on=" ", values=["AUC below", threshold]))
    check = ConditionStep(name="CheckAUC", conditions=[ConditionGreaterThanOrEqualTo(
        left=JsonGet(step_name=evaluate.name, property_file=report, json_path="metrics.auc.value"),
        right=threshold)], if_steps=[register], else_steps=[fail])
    pipeline = Pipeline(name=group + "-pipeline", parameters=[threshold], steps=[evaluate, check],
                        sagemaker_session=session)
    pipeline.upsert(role_arn=role)

    results = {{}}
    for value in (0.5, 1.01):
        execution = pipeline.start(parameters={{"AucThreshold": value}})
        for _ in range(600):
            described = execution.describe()
            if described["PipelineExecutionStatus"] not in ("Executing", "Stopping"):
                break
            time.sleep(0.2)
        steps = execution.list_steps()
        results[str(value)] = {{"status": described["PipelineExecutionStatus"],
                               "reason": described.get("FailureReason"),
                               "steps": {{s["StepName"]: [s["StepStatus"], s["Metadata"]] for s in steps}}}}
    listed = client.list_model_packages(ModelPackageGroupName=group)["ModelPackageSummaryList"]
    results["packages"] = [p["ModelApprovalStatus"] for p in listed]
    print("RESULT " + json.dumps(results))
''')


@pytest.fixture(scope="module")
def sdk_env(server) -> dict[str, str]:
    result = sagecraft("env", "--home", server.home)
    assert result.returncode == 0, result.stderr
    return exports(result.stdout)


def run_sdk(script: str, tmp_path, env: dict[str, str], files: dict[str, str]) -> dict:
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    (tmp_path / "script.py").write_text(script)
    (tmp_path / "user-home").mkdir()
    environment = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path / "user-home"), "PREFIX": tmp_path.name, **env}
    done = subprocess.run([sys.executable, "script.py"], cwd=tmp_path, env=environment, capture_output=True,
                          text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-4000:]
    (line,) = [x for x in done.stdout.splitlines() if x.startswith("RESULT ")]
    return json.loads(line[len("RESULT "):])


def test_the_seed_two_step_pipeline(sdk_env, tmp_path):
    result = run_sdk(SEED_PIPELINE, tmp_path, sdk_env, {"preprocessing.py": PREPROCESSING, "train.py": TRAIN})
    assert result["status"] == "Succeeded", result
    assert [(name, status) for name, status, _ in result["steps"]] == [
        ("TrainModel", "Succeeded"), ("PreprocessData", "Succeeded")]  # the most recent first
    metadata = {name: meta for name, _, meta in result["steps"]}
    assert ":training-job/pipelines-" in metadata["TrainModel"]["TrainingJob"]["Arn"]
    assert ":processing-job/pipelines-" in metadata["PreprocessData"]["ProcessingJob"]["Arn"]
    assert result["training_input"] == result["processing_output"]  # training consumed the processing output
    assert result["model"].endswith("/output/model.tar.gz")


def test_an_evaluation_pipeline_takes_each_branch(sdk_env, tmp_path):
    result = run_sdk(EVALUATION_PIPELINE, tmp_path, sdk_env, {"evaluate.py": EVALUATE})
    passed, failed = result["0.5"], result["1.01"]
    assert passed["status"] == "Succeeded", passed
    assert set(passed["steps"]) == {"Evaluate", "CheckAUC", "RegisterModel-RegisterModel"}
    assert passed["steps"]["CheckAUC"][1] == {"Condition": {"Outcome": "True"}}
    assert ":model-package/" in passed["steps"]["RegisterModel-RegisterModel"][1]["RegisterModel"]["Arn"]
    assert failed["status"] == "Failed" and failed["reason"] == "AUC below 1.01"
    assert set(failed["steps"]) == {"Evaluate", "CheckAUC", "AucTooLow"}
    assert failed["steps"]["AucTooLow"][0] == "Failed"
    assert result["packages"] == ["PendingManualApproval"]  # only the if-branch registered a version

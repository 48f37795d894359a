"""training_spec / processing_spec: what the jobs service hands the executor."""

from __future__ import annotations

import json

from sagecraft.executors.base import JobKind
from sagecraft.executors.runtimes import Runtime
from sagecraft.executors.workloads import processing_spec, training_spec

RUNTIME = Runtime(name="t", image_uri="683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.3-1",
                  python="/env/bin/python", env={"PYTHONUNBUFFERED": "TRUE"},
                  training_module="sagemaker_xgboost_container.training:main")
HPS = {"num_round": "100", "sagemaker_program": '"train.py"', "sagemaker_region": '"us-east-1"'}
CHANNELS = [{"ChannelName": "train", "ContentType": "text/csv",
             "DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": "s3://b/train",
                                             "S3DataDistributionType": "FullyReplicated"}}}]


class StubEnvs:
    def __init__(self) -> None:
        self.calls = []

    def for_requirements(self, base_python, requirements, log=None):
        self.calls.append((base_python, requirements.name))
        return "/cache/abc/bin/python"


def test_training_spec(tmp_path):
    spec = training_spec(
        job_name="job", instance_dir=tmp_path / "algo-2", runtime=RUNTIME, hyperparameters=HPS,
        input_data_config=CHANNELS, instance_type="ml.m5.4xlarge", instance_count=2, instance_index=1,
        environment={"MY_VAR": "1", "OMP_NUM_THREADS": "1", "SM_MODEL_DIR": "/elsewhere"},
        service_environment={"AWS_ENDPOINT_URL": "http://127.0.0.1:8642"}, max_runtime_seconds=3600,
        network_isolation=True, job_arn="arn:aws:sagemaker:us-east-1:000000000000:training-job/job")
    assert spec.kind is JobKind.TRAINING and spec.current_host == "algo-2" and spec.hosts == ("algo-1", "algo-2")
    assert spec.argv == ("/env/bin/python", "train.py", "--num_round", "100")
    assert spec.working_dir == "/opt/ml/code" and spec.network_isolation and spec.max_runtime_seconds == 3600
    env = spec.environment
    assert env["MY_VAR"] == "1" and env["OMP_NUM_THREADS"] == "1"  # the request's Environment beats ours
    assert env["SM_MODEL_DIR"] == "/opt/ml/model"  # … but not the toolkit's
    assert env["AWS_ENDPOINT_URL"] == "http://127.0.0.1:8642" and env["PYTHONUNBUFFERED"] == "TRUE"
    assert env["PATH"].startswith("/env/bin:") and env["SM_CURRENT_HOST"] == "algo-2"
    assert env["TRAINING_JOB_ARN"].endswith("training-job/job")
    assert int(env["SM_NUM_CPUS"]) <= 16
    assert json.loads((tmp_path / "algo-2" / "input" / "config" / "resourceconfig.json").read_text())[
        "current_host"] == "algo-2"
    assert (tmp_path / "algo-2" / "input" / "data" / "train").is_dir()


def test_requirements_switch_the_interpreter_to_a_cached_env(tmp_path):
    (tmp_path / "code").mkdir()
    (tmp_path / "code" / "requirements.txt").write_text("six\n")
    envs = StubEnvs()
    spec = training_spec(job_name="job", instance_dir=tmp_path, runtime=RUNTIME, hyperparameters=HPS,
                         input_data_config=[], instance_type="ml.m5.large", python_envs=envs)
    assert envs.calls == [("/env/bin/python", "requirements.txt")]
    assert spec.argv[0] == "/cache/abc/bin/python" and spec.environment["PATH"].startswith("/cache/abc/bin:")


def test_processing_spec(tmp_path):
    job = {
        "ProcessingJobName": "p", "RoleArn": "arn:aws:iam::000000000000:role/r",
        "ProcessingResources": {"ClusterConfig": {"InstanceType": "ml.m5.xlarge", "InstanceCount": 1,
                                                  "VolumeSizeInGB": 30}},
        "AppSpecification": {"ImageUri": "python:3.8-slim",
                             "ContainerEntrypoint": ["python3", "/opt/ml/processing/input/code/pre.py"],
                             "ContainerArguments": ["--split", "0.2"]},
        "ProcessingInputs": [{"InputName": "code", "S3Input": {"LocalPath": "/opt/ml/processing/input/code"}}],
        "ProcessingOutputConfig": {"Outputs": [{"OutputName": "o", "S3Output": {
            "LocalPath": "/opt/ml/processing/output"}}]},
        "Environment": {"STAGE": "dev"}, "StoppingCondition": {"MaxRuntimeInSeconds": 600},
        "NetworkConfig": {"EnableNetworkIsolation": True},
    }
    spec = processing_spec(job_name="p", instance_dir=tmp_path, runtime=RUNTIME, job=job,
                           job_arn="arn:aws:sagemaker:us-east-1:000000000000:processing-job/p")
    assert spec.kind is JobKind.PROCESSING and spec.instance_type == "ml.m5.xlarge"
    assert spec.argv == ("/env/bin/python", "/opt/ml/processing/input/code/pre.py", "--split", "0.2")
    assert spec.environment["STAGE"] == "dev" and "SM_MODEL_DIR" not in spec.environment
    assert spec.max_runtime_seconds == 600 and spec.network_isolation
    written = json.loads((tmp_path / "config" / "processingjobconfig.json").read_text())
    assert written["ProcessingJobArn"].endswith("processing-job/p") and written["Environment"] == {"STAGE": "dev"}
    assert (tmp_path / "processing" / "output").is_dir()

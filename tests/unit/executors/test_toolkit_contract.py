"""The /opt/ml files and SM_* environment, as the sagemaker-training toolkit names and formats them."""

from __future__ import annotations

import json

import pytest

from sagecraft.executors import toolkit

SDK_HPS = {  # what the SDK sends for XGBoost(entry_point="train.py", hyperparameters={...})
    "objective": "binary:logistic",
    "num_round": "100",
    "eta": "0.2",
    "sagemaker_program": '"train.py"',
    "sagemaker_submit_directory": '"s3://bucket/job/source/sourcedir.tar.gz"',
    "sagemaker_region": '"us-east-1"',
    "sagemaker_job_name": '"sagemaker-xgboost-2024-01-01-00-00-00-000"',
    "sagemaker_container_log_level": "20",
}
CHANNELS = [toolkit.Channel("train", "text/csv"), toolkit.Channel("validation", "text/csv")]


def env(**overrides):
    args = dict(job_name="job-1", hyperparameters=SDK_HPS, channels=CHANNELS, current_host="algo-1",
                hosts=["algo-1", "algo-2"], instance_type="ml.m5.xlarge", num_cpus=2,
                framework_module="sagemaker_xgboost_container.training:main")
    return toolkit.training_environment(**{**args, **overrides})


def test_hyperparameters_are_json_decoded_where_they_parse():
    decoded = toolkit.decode_hyperparameters({"a": "1", "b": '"x"', "c": "binary:logistic", "d": "[1, 2]",
                                              "e": "true"})
    assert decoded == {"a": 1, "b": "x", "c": "binary:logistic", "d": [1, 2], "e": True}


def test_sagemaker_hyperparameters_are_split_from_the_users():
    framework, user = toolkit.split_hyperparameters(toolkit.decode_hyperparameters(
        {**SDK_HPS, "sagemaker_estimator_class_name": '"XGBoost"', "_tuning_objective_metric": '"auc"'}))
    assert user == {"objective": "binary:logistic", "num_round": 100, "eta": 0.2}
    assert framework["sagemaker_program"] == "train.py"
    assert "_tuning_objective_metric" in framework and "sagemaker_estimator_class_name" in framework


def test_cmd_args_are_sorted_pairs_with_short_flags_for_one_letter_names():
    args = toolkit.to_cmd_args({"num_round": 100, "eta": 0.2, "k": "v", "flag": True, "m": {"b": 2, "a": 1}})
    assert args == ["--eta", "0.2", "--flag", "True", "-k", "v", "-m", "a=1,b=2", "--num_round", "100"]


def test_env_values_are_strings_as_is_else_compact_sorted_json():
    assert toolkit.to_env_vars({"a": "text", "b": 2, "c": None, "d": {"z": 1, "a": [1, 2]}, "e": False}) == {
        "SM_A": "text", "SM_B": "2", "SM_C": "", "SM_D": '{"a":[1,2],"z":1}', "SM_E": "false"}


def test_training_environment_has_the_toolkit_variables():
    e = env()
    assert e["SM_MODEL_DIR"] == "/opt/ml/model"
    assert e["SM_CHANNELS"] == '["train","validation"]'
    assert e["SM_CHANNEL_TRAIN"] == "/opt/ml/input/data/train"
    assert e["SM_CHANNEL_VALIDATION"] == "/opt/ml/input/data/validation"
    assert json.loads(e["SM_HPS"]) == {"objective": "binary:logistic", "num_round": 100, "eta": 0.2}
    assert e["SM_HP_NUM_ROUND"] == "100" and e["SM_HP_OBJECTIVE"] == "binary:logistic" and e["SM_HP_ETA"] == "0.2"
    assert e["SM_HOSTS"] == '["algo-1","algo-2"]' and e["SM_CURRENT_HOST"] == "algo-1"
    assert e["SM_NUM_CPUS"] == "2" and e["SM_NUM_GPUS"] == "0"
    assert e["SM_OUTPUT_DATA_DIR"] == "/opt/ml/output/data" and e["SM_OUTPUT_DIR"] == "/opt/ml/output"
    assert e["SM_INPUT_DIR"] == "/opt/ml/input" and e["SM_INPUT_CONFIG_DIR"] == "/opt/ml/input/config"
    assert e["SM_OUTPUT_INTERMEDIATE_DIR"] == "/opt/ml/output/intermediate"
    assert e["SM_USER_ARGS"] == '["--eta","0.2","--num_round","100","--objective","binary:logistic"]'
    assert e["SM_MODULE_NAME"] == "train" and e["SM_USER_ENTRY_POINT"] == "train.py"
    assert e["SM_MODULE_DIR"] == "s3://bucket/job/source/sourcedir.tar.gz"
    assert e["SM_LOG_LEVEL"] == "20"
    assert e["SM_FRAMEWORK_MODULE"] == "sagemaker_xgboost_container.training:main"
    assert e["SM_FRAMEWORK_PARAMS"] == "{}"
    assert e["SM_CURRENT_INSTANCE_TYPE"] == "ml.m5.xlarge"
    assert e["SM_CURRENT_INSTANCE_GROUP"] == "homogeneousCluster"
    assert e["SM_NETWORK_INTERFACE_NAME"] == "lo"
    assert e["SM_IS_HETERO"] == "false"
    assert json.loads(e["SM_INPUT_DATA_CONFIG"])["train"] == {
        "ContentType": "text/csv", "TrainingInputMode": "File", "S3DistributionType": "FullyReplicated",
        "RecordWrapperType": "None"}
    assert json.loads(e["SM_RESOURCE_CONFIG"])["hosts"] == ["algo-1", "algo-2"]
    assert e["TRAINING_JOB_NAME"] == "job-1" and e["CURRENT_HOST"] == "algo-1"
    assert e["SAGEMAKER_REGION"] == "us-east-1" and e["PYTHONPATH"] == "/opt/ml/code"


def test_training_env_lists_every_property_of_the_toolkit_environment():
    training_env = json.loads(env()["SM_TRAINING_ENV"])
    expected = {
        "additional_framework_parameters", "channel_input_dirs", "current_host", "current_instance_group",
        "current_instance_group_hosts", "current_instance_type", "distribution_hosts",
        "distribution_instance_groups", "framework_module", "hosts", "hyperparameters", "input_config_dir",
        "input_data_config", "input_dir", "instance_groups", "instance_groups_dict", "is_hetero", "is_master",
        "is_modelparallel_enabled", "is_smddpmprun_installed", "is_smddprun_installed", "job_name", "log_level",
        "master_hostname", "model_dir", "module_dir", "module_name", "network_interface_name", "num_cpus",
        "num_gpus", "num_neurons", "output_data_dir", "output_dir", "output_intermediate_dir", "resource_config",
        "topology", "user_entry_point"}
    assert set(training_env) == expected
    assert training_env["is_master"] is True and training_env["master_hostname"] == "algo-1"
    assert training_env["channel_input_dirs"]["train"] == "/opt/ml/input/data/train"
    assert json.loads(env(current_host="algo-2")["SM_TRAINING_ENV"])["is_master"] is False


def test_distribution_flags_fill_the_distribution_groups():
    e = env(hyperparameters={**SDK_HPS, "sagemaker_torch_distributed_enabled": "true"})
    assert e["SM_DISTRIBUTION_INSTANCE_GROUPS"] == '["homogeneousCluster"]'
    assert json.loads(e["SM_FRAMEWORK_PARAMS"]) == {"sagemaker_torch_distributed_enabled": True}


def test_no_program_gives_the_toolkits_module_name():
    e = env(hyperparameters={"num_round": "10"})
    assert e["SM_MODULE_NAME"] == "None" and e["SM_USER_ENTRY_POINT"] == ""
    assert e["SM_MODULE_DIR"] == "/opt/ml/code"


def test_prepare_training_instance_lays_out_opt_ml(tmp_path):
    toolkit.prepare_training_instance(tmp_path, hyperparameters=SDK_HPS, channels=CHANNELS, current_host="algo-2",
                                      hosts=["algo-1", "algo-2"], instance_type="ml.c5.xlarge")
    for folder in ("code", "model", "input/data/train", "input/data/validation", "output/data", "checkpoints"):
        assert (tmp_path / folder).is_dir(), folder
    config = tmp_path / "input" / "config"
    assert json.loads((config / "hyperparameters.json").read_text()) == SDK_HPS
    assert json.loads((config / "inputdataconfig.json").read_text())["validation"]["ContentType"] == "text/csv"
    resources = json.loads((config / "resourceconfig.json").read_text())
    assert resources["current_host"] == "algo-2" and resources["hosts"] == ["algo-1", "algo-2"]
    assert resources["current_instance_type"] == "ml.c5.xlarge"
    assert resources["instance_groups"][0]["hosts"] == ["algo-1", "algo-2"]


def test_channel_from_the_api_shape():
    channel = toolkit.Channel.from_api({"ChannelName": "train", "DataSource": {"S3DataSource": {
        "S3DataType": "S3Prefix", "S3Uri": "s3://b/k", "S3DataDistributionType": "ShardedByS3Key"}}})
    assert channel.config() == {"TrainingInputMode": "File", "S3DistributionType": "ShardedByS3Key",
                                "RecordWrapperType": "None"}


def test_prepare_processing_instance(tmp_path):
    job = {"ProcessingJobName": "p1", "ProcessingJobArn": "arn:aws:sagemaker:us-east-1:000000000000:processing-job/p1",
           "AppSpecification": {"ImageUri": "python:3.8-slim"},
           "ProcessingInputs": [{"InputName": "input-1", "S3Input": {"LocalPath": "/opt/ml/processing/input"}},
                                {"InputName": "code", "S3Input": {"LocalPath": "/opt/ml/processing/input/code"}}],
           "ProcessingOutputConfig": {"Outputs": [{"OutputName": "out",
                                                   "S3Output": {"LocalPath": "/opt/ml/processing/output"}}]}}
    toolkit.prepare_processing_instance(tmp_path, job=job, current_host="algo-1", hosts=["algo-1"])
    assert json.loads((tmp_path / "config" / "processingjobconfig.json").read_text()) == job
    assert json.loads((tmp_path / "config" / "resourceconfig.json").read_text()) == {
        "current_host": "algo-1", "hosts": ["algo-1"]}
    assert (tmp_path / "processing" / "input" / "code").is_dir()
    assert (tmp_path / "processing" / "output").is_dir()


@pytest.mark.parametrize("path", ["/opt/mlx", "/etc/passwd", "opt/ml/a", "/opt/ml/../etc", "/opt"])
def test_host_path_refuses_paths_outside_opt_ml(tmp_path, path):
    with pytest.raises(ValueError):
        toolkit.host_path(tmp_path, path)


def test_host_path_maps_under_the_instance_folder(tmp_path):
    assert toolkit.host_path(tmp_path, "/opt/ml") == tmp_path
    assert toolkit.host_path(tmp_path, "/opt/ml/processing/input") == tmp_path / "processing" / "input"


def test_thread_variables():
    assert toolkit.thread_environment(3)["OMP_NUM_THREADS"] == "3"
    assert set(toolkit.thread_environment(1)) >= {"OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"}

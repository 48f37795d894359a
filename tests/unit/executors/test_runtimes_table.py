"""Image URIs → runtimes, and the commands a runtime builds."""

from __future__ import annotations

import sys

import pytest

from sagecraft.core.errors import ValidationException
from sagecraft.executors.runtimes import (
    ImageRef,
    Runtime,
    RuntimeRegistry,
    UnknownImage,
    processing_argv,
    training_argv,
)


@pytest.fixture
def registry(tmp_path, monkeypatch):
    monkeypatch.delenv("SAGECRAFT_RUNTIMES", raising=False)
    return RuntimeRegistry.load(home=tmp_path)


@pytest.mark.parametrize(("uri", "expected"), [
    ("python:3.8-slim", ImageRef("", "python", "3.8-slim")),
    ("docker.io/library/python:3.11", ImageRef("docker.io", "python", "3.11")),
    ("public.ecr.aws/docker/library/python:3.10-slim", ImageRef("public.ecr.aws", "python", "3.10-slim")),
    ("683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.3-1",
     ImageRef("683313688378.dkr.ecr.us-east-1.amazonaws.com", "sagemaker-xgboost", "1.3-1")),
    ("localhost:5000/team/img", ImageRef("localhost:5000", "team/img", "latest")),
    ("python@sha256:abc", ImageRef("", "python", "latest")),
])
def test_image_references_parse(uri, expected):
    assert ImageRef.parse(uri) == expected


@pytest.mark.parametrize(("uri", "framework"), [
    ("683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.3-1", "xgboost"),
    ("246618743249.dkr.ecr.us-west-2.amazonaws.com/sagemaker-xgboost:1.7-1", "xgboost"),
    ("683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.0-1-cpu-py3", "xgboost"),
    ("450853457545.dkr.ecr.cn-north-1.amazonaws.com.cn/sagemaker-xgboost:1.5-1", "xgboost"),
    ("811284229777.dkr.ecr.us-east-1.amazonaws.com/xgboost:1", "xgboost"),
    ("683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-scikit-learn:1.2-1-cpu-py3", "sklearn"),
    ("662702820516.dkr.ecr.eu-north-1.amazonaws.com/sagemaker-scikit-learn:0.23-1-cpu-py3", "sklearn"),
    ("763104351884.dkr.ecr.us-east-1.amazonaws.com/pytorch-training:2.1.0-cpu-py310", "pytorch"),
    ("763104351884.dkr.ecr.ap-south-1.amazonaws.com/pytorch-training:1.13.1-gpu-py39-cu117-ubuntu20.04-sagemaker",
     "pytorch"),
    ("python:3.8-slim", None),
    ("python:3.11", None),
    ("docker.io/library/python:3.12-slim-bookworm", None),
    ("public.ecr.aws/docker/library/python:3.10", None),
])
def test_known_images_map_to_the_server_python(registry, uri, framework):
    runtime = registry.resolve(uri)
    assert runtime.python == sys.executable
    assert runtime.framework == framework
    assert runtime.env["PYTHONUNBUFFERED"] == "TRUE"


@pytest.mark.parametrize("uri", ["ubuntu:22.04", "python:2.7", "myregistry.example.com/python:3.8",
                                 "123456789012.dkr.ecr.us-east-1.amazonaws.com/my-own-image:latest"])
def test_unknown_images_name_the_table_to_extend(registry, uri):
    with pytest.raises(UnknownImage) as caught:
        registry.resolve(uri)
    assert isinstance(caught.value, ValidationException)
    assert "runtimes.yaml" in caught.value.message and uri in caught.value.message


def test_an_override_file_adds_runtimes_images_and_algorithms(tmp_path, monkeypatch):
    monkeypatch.delenv("SAGECRAFT_RUNTIMES", raising=False)
    (tmp_path / "runtimes.yaml").write_text(
        "runtimes:\n  py38:\n    python: /opt/py38/bin/python3.8\n"
        "images:\n  - repository: my-team/trainer\n    runtime: py38\n    algorithm: mine\n"
        "  - repository: python\n    tag: '3.8*'\n    runtime: py38\n"
        "algorithms:\n  mine: ['{python}', '-m', 'mine.train']\n")
    registry = RuntimeRegistry.load(home=tmp_path)
    assert registry.resolve("python:3.8-slim").python == "/opt/py38/bin/python3.8"  # overrides come first
    assert registry.resolve("python:3.11").python == sys.executable
    mine = registry.resolve("123456789012.dkr.ecr.us-east-1.amazonaws.com/my-team/trainer:5")
    assert mine.algorithm == ("/opt/py38/bin/python3.8", "-m", "mine.train")


def test_sagecraft_runtimes_names_the_override(tmp_path, monkeypatch):
    table = tmp_path / "elsewhere.yaml"
    table.write_text("images:\n  - repository: ubuntu\n    runtime: server-python\n")
    monkeypatch.setenv("SAGECRAFT_RUNTIMES", str(table))
    assert RuntimeRegistry.load().resolve("ubuntu:22.04").name == "server-python"


def test_a_rule_naming_an_undefined_runtime_is_refused():
    with pytest.raises(ValueError, match="not defined"):
        RuntimeRegistry({"runtimes": {}, "images": [{"repository": "x", "runtime": "nope"}]})


RUNTIME = Runtime(name="t", image_uri="img", python="/env/bin/python")


def test_script_mode_runs_the_program_with_decoded_hyperparameters(tmp_path):
    hps = {"num_round": "100", "objective": "binary:logistic", "sagemaker_program": '"train.py"',
           "sagemaker_submit_directory": '"s3://b/s.tar.gz"', "sagemaker_region": '"us-east-1"'}
    assert training_argv(RUNTIME, hps, tmp_path) == [
        "/env/bin/python", "train.py", "--num_round", "100", "--objective", "binary:logistic"]


def test_a_shell_entry_point_runs_through_sh(tmp_path):
    (tmp_path / "run.sh").write_text("echo hi\n")
    argv = training_argv(RUNTIME, {"sagemaker_program": '"run.sh"', "msg": '"a b"'}, tmp_path)
    assert argv == ["/bin/sh", "-c", "./run.sh --msg 'a b'"]
    assert (tmp_path / "run.sh").stat().st_mode & 0o111


def test_a_package_entry_point_runs_as_a_module(tmp_path):
    (tmp_path / "setup.py").write_text("")
    assert training_argv(RUNTIME, {"sagemaker_program": '"train.py"'}, tmp_path) == ["/env/bin/python", "-m", "train"]


def test_no_program_runs_the_images_algorithm_or_says_what_is_missing(tmp_path):
    algo = Runtime(name="t", image_uri="img", python="/p", algorithm=("/p", "-m", "algo"))
    assert training_argv(algo, {"num_round": "3"}, tmp_path) == ["/p", "-m", "algo"]
    with pytest.raises(ValidationException, match="sagemaker_program"):
        training_argv(RUNTIME, {"num_round": "3"}, tmp_path)


def test_processing_resolves_python3_to_the_runtime():
    assert processing_argv(RUNTIME, ["python3", "/opt/ml/processing/input/code/p.py"], ["--x", "1"]) == [
        "/env/bin/python", "/opt/ml/processing/input/code/p.py", "--x", "1"]
    assert processing_argv(RUNTIME, ["/bin/bash", "run.sh"], None) == ["/bin/bash", "run.sh"]
    with pytest.raises(ValidationException, match="ContainerEntrypoint"):
        processing_argv(RUNTIME, None, ["x"])


def test_runtime_environment_puts_its_interpreter_first_on_path():
    env = Runtime(name="t", image_uri="i", python="/env/bin/python", env={"A": "1"}).environment()
    assert env["PATH"].startswith("/env/bin:") and env["A"] == "1"

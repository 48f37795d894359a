"""The local executor with real subprocesses: the container contract, outcomes, stop and max runtime."""

from __future__ import annotations

import json
import os
import time
import uuid
from pathlib import Path

from executors_support import base_env, script_spec, texts

from sagecraft.executors.base import Outcome, WorkloadSpec
from sagecraft.executors.runtimes import RuntimeRegistry
from sagecraft.executors.workloads import training_spec

REPORT = """
import json, os, socket, sys
report = {
    "argv": sys.argv[1:], "cwd": os.getcwd(), "hostname": socket.gethostname(), "pid": os.getpid(),
    "algo2": socket.gethostbyname("algo-2"),
    "ml": sorted(os.listdir("/opt/ml")), "config": sorted(os.listdir("/opt/ml/input/config")),
    "train": sorted(os.listdir(os.environ["SM_CHANNEL_TRAIN"])),
    "env": {k: v for k, v in os.environ.items() if k.startswith("SM_")},
    "hps": json.load(open("/opt/ml/input/config/hyperparameters.json")),
    "resources": json.load(open("/opt/ml/input/config/resourceconfig.json")),
}
open(os.path.join(os.environ["SM_OUTPUT_DATA_DIR"], "report.json"), "w").write(json.dumps(report))
print("first line")
"""


def processes_with(token: str) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if token.encode() in (entry / "cmdline").read_bytes():
                    found.append(int(entry.name))
            except OSError:
                pass
    return found


def eventually_none(token: str, within: float = 10.0) -> list[int]:
    deadline = time.monotonic() + within
    while (left := processes_with(token)) and time.monotonic() < deadline:
        time.sleep(0.05)
    return left


def test_a_training_script_sees_the_sagemaker_container_contract(executor, tmp_path):
    instance = tmp_path / "job" / "algo-1"
    (instance / "code").mkdir(parents=True)
    (instance / "code" / "train.py").write_text(REPORT)
    (instance / "input" / "data" / "train").mkdir(parents=True)
    (instance / "input" / "data" / "train" / "train.csv").write_text("1,2\n")
    runtime = RuntimeRegistry.load(home=tmp_path).resolve(
        "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.3-1")
    spec = training_spec(
        job_name="contract", instance_dir=instance, runtime=runtime, instance_type="ml.m5.xlarge",
        hyperparameters={"num_round": "100", "objective": "binary:logistic", "sagemaker_program": '"train.py"',
                         "sagemaker_submit_directory": '"s3://b/src.tar.gz"'},
        input_data_config=[{"ChannelName": "train", "ContentType": "text/csv"}], instance_count=2)
    handle = executor.start(spec)
    status = handle.wait(60)
    assert status.outcome is Outcome.COMPLETED, texts(handle)
    report = json.loads((instance / "output" / "data" / "report.json").read_text())
    assert report["argv"] == ["--num_round", "100", "--objective", "binary:logistic"]
    assert report["cwd"] == "/opt/ml/code" and report["hostname"] == "algo-1" and report["algo2"] == "127.0.0.1"
    assert report["pid"] < 10  # its own pid namespace
    assert {"code", "input", "model", "output", "checkpoints"} <= set(report["ml"])
    assert report["config"] == ["hyperparameters.json", "inputdataconfig.json", "resourceconfig.json"]
    assert report["train"] == ["train.csv"]
    assert report["hps"]["sagemaker_program"] == '"train.py"'
    assert report["resources"]["hosts"] == ["algo-1", "algo-2"]
    env = report["env"]
    assert env["SM_MODEL_DIR"] == "/opt/ml/model" and env["SM_HP_NUM_ROUND"] == "100"
    assert env["SM_CHANNELS"] == '["train"]' and env["SM_CURRENT_HOST"] == "algo-1"
    assert texts(handle)[0] == "first line"
    assert all(line.timestamp_ms > 0 for line in handle.read_log()[0])


def test_a_failing_script_reports_its_exit_code_and_stderr(executor, tmp_path):
    code = "import os\nos.makedirs('/opt/ml/output')\nopen('/opt/ml/output/failure', 'w').write('bad input')\n" \
           "raise ValueError('boom')\n"
    handle = executor.start(script_spec(tmp_path / "i", code))
    status = handle.wait(60)
    assert status.outcome is Outcome.FAILED and status.exit_code == 1 and status.signal is None
    assert handle.stderr_tail(1) == ["ValueError: boom"]
    assert (tmp_path / "i" / "output" / "failure").read_text() == "bad input"
    assert status.ended_at >= status.started_at


def test_a_missing_command_fails_with_a_message(executor, tmp_path):
    spec = WorkloadSpec(kind="processing", job_name="p", instance_dir=tmp_path / "i", argv=["no-such-tool"],
                        environment=base_env())
    handle = executor.start(spec)
    status = handle.wait(60)
    assert status.outcome is Outcome.FAILED and status.exit_code == 127
    assert "cannot run 'no-such-tool'" in handle.stderr_tail(1)[0]


def test_stop_kills_the_whole_tree_and_leaves_nothing(executor, tmp_path):
    token = f"sagecraft-test-{uuid.uuid4().hex}"
    code = f"""
import signal, subprocess, sys, time
signal.signal(signal.SIGTERM, lambda *a: print("got SIGTERM"))
stubborn = "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); time.sleep(600)"
subprocess.Popen([sys.executable, "-c", stubborn, "{token}"])
subprocess.Popen(["setsid", sys.executable, "-c", stubborn, "{token}"])
time.sleep(0.2)
print("ready")
time.sleep(600)
"""
    handle = executor.start(script_spec(tmp_path / "i", code))
    while "ready" not in texts(handle):
        assert handle.poll().running, texts(handle)
        time.sleep(0.02)
    assert len(processes_with(token)) == 2
    status = handle.stop(grace_seconds=1)
    assert status.outcome is Outcome.STOPPED and status.signal == 9
    assert "got SIGTERM" in texts(handle)
    assert eventually_none(token) == []
    assert eventually_none(str(handle.run_dir)) == []  # unshare and the supervisor are gone too


def test_max_runtime_kills_and_says_so(executor, tmp_path):
    spec = WorkloadSpec(kind="training", job_name="slow", instance_dir=tmp_path / "i", argv=["sleep", "600"],
                        environment=base_env(), max_runtime_seconds=1, stop_grace_seconds=1)
    status = executor.start(spec).wait(60)
    assert status.outcome is Outcome.MAX_RUNTIME
    assert "MaxRuntimeInSeconds (1 s) exceeded" in status.message


def test_stop_after_exit_changes_nothing(executor, tmp_path):
    handle = executor.start(script_spec(tmp_path / "i", "print('done')"))
    assert handle.wait(60).outcome is Outcome.COMPLETED
    assert handle.stop(1).outcome is Outcome.COMPLETED
    handle.remove()
    assert not handle.run_dir.exists()


def test_environment_is_exactly_the_specs(executor, tmp_path):
    code = "import json, os; print(json.dumps(sorted(os.environ)))"
    handle = executor.start(script_spec(tmp_path / "i", code, environment=base_env(ONLY_THIS="1")))
    assert handle.wait(60).outcome is Outcome.COMPLETED
    names = set(json.loads(texts(handle)[0])) - {"PWD", "LC_CTYPE"}  # what the interpreter adds itself
    assert names == {"PATH", "PYTHONUNBUFFERED", "LANG", "ONLY_THIS"}
    assert os.environ.get("ONLY_THIS") is None

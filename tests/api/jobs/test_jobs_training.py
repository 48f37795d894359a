"""Training jobs really run: status, transitions, logs in CloudWatch, the container contract, the
model uploaded; failures, stops and the max runtime as SageMaker reports them."""

from __future__ import annotations

import json
import time
import uuid

from jobs_support import (
    ROLE,
    log_messages,
    read_tar,
    training_request,
    unique,
    upload_source,
    wait_for_log,
    wait_until,
)

CONTRACT_SCRIPT = """
    import json, os, sys
    print("argv", json.dumps(sys.argv[1:]))
    print("tab\\tseparated")
    print("channel", sorted(os.listdir(os.environ["SM_CHANNEL_TRAIN"])))
    print("hps", os.environ["SM_HPS"])
    print("hosts", os.environ["SM_HOSTS"], os.environ["SM_CURRENT_HOST"])
    config = json.load(open("/opt/ml/input/config/hyperparameters.json"))
    print("config", json.dumps(config, sort_keys=True))
    with open(os.path.join(os.environ["SM_MODEL_DIR"], "model.txt"), "w") as f:
        f.write(open(os.path.join(os.environ["SM_CHANNEL_TRAIN"], "part-1.csv")).read())
    with open(os.path.join(os.environ["SM_OUTPUT_DATA_DIR"], "report.txt"), "w") as f:
        f.write("report")
    print("done", file=sys.stderr)
"""


def test_a_training_job_runs_through_its_life_cycle(sm, s3, logs, bucket):
    s3.put_object(Bucket=bucket, Key="data/train/part-1.csv", Body=b"1,2\n3,4\n")
    s3.put_object(Bucket=bucket, Key="data/train/sub/part-2.csv", Body=b"5,6\n")
    source = upload_source(s3, bucket, CONTRACT_SCRIPT)
    name = unique("life")
    arn = sm.create_training_job(**training_request(
        name, bucket, source, channels={"train": f"s3://{bucket}/data/train"},
        hyperparameters={"epochs": "3", "learning-rate": "0.1"}))["TrainingJobArn"]
    assert arn == f"arn:aws:sagemaker:us-east-1:000000000000:training-job/{name}"

    job = wait_until(sm, name)
    assert job["TrainingJobStatus"] == "Completed", job.get("FailureReason")
    assert job["SecondaryStatus"] == "Completed"
    assert [t["Status"] for t in job["SecondaryStatusTransitions"]] == [
        "Starting", "Downloading", "Training", "Uploading", "Completed"]
    assert all(t["StatusMessage"] for t in job["SecondaryStatusTransitions"])
    assert job["CreationTime"] <= job["TrainingStartTime"] <= job["TrainingEndTime"] <= job["LastModifiedTime"]
    assert job["TrainingTimeInSeconds"] >= 1 and job["BillableTimeInSeconds"] >= 1
    model_uri = f"s3://{bucket}/output/{name}/output/model.tar.gz"
    assert job["ModelArtifacts"]["S3ModelArtifacts"] == model_uri
    # Fields the SDK indexes (attach, log tailing, analytics) are there even when not sent.
    assert job["OutputDataConfig"]["KmsKeyId"] == ""
    assert job["ResourceConfig"]["InstanceCount"] == 1
    assert job["AlgorithmSpecification"]["MetricDefinitions"] == []
    assert job["RoleArn"] == ROLE and job["EnableManagedSpotTraining"] is False

    model = read_tar(s3.get_object(Bucket=bucket, Key=f"output/{name}/output/model.tar.gz")["Body"].read())
    assert model == {"model.txt": b"1,2\n3,4\n"}
    output = read_tar(s3.get_object(Bucket=bucket, Key=f"output/{name}/output/output.tar.gz")["Body"].read())
    assert output == {"report.txt": b"report"}

    (stream, messages), = log_messages(logs, name).items()
    assert stream.startswith(f"{name}/algo-1-")
    lines = dict(m.split(" ", 1) for m in messages if " " in m)
    assert json.loads(lines["argv"]) == ["--epochs", "3", "--learning-rate", "0.1"]
    assert "tab#011separated" in messages  # as SageMaker's CloudWatch shows a TAB
    assert lines["channel"] == "['part-1.csv', 'sub']"
    assert json.loads(lines["hps"]) == {"epochs": 3, "learning-rate": 0.1}
    assert lines["hosts"] == '["algo-1"] algo-1'
    assert json.loads(lines["config"])["epochs"] == "3"
    assert messages[-1] == "done"


def test_a_raising_script_fails_the_job_with_its_exception(sm, s3, bucket):
    source = upload_source(s3, bucket, """
        print("about to fail")
        raise ValueError("the learning rate is not a number")
    """)
    name = unique("fails")
    sm.create_training_job(**training_request(name, bucket, source))
    job = wait_until(sm, name)
    assert job["TrainingJobStatus"] == "Failed"
    assert job["SecondaryStatus"] == "Failed"
    assert "ValueError: the learning rate is not a number" in job["FailureReason"]
    assert job["FailureReason"].startswith("AlgorithmError: ExecuteUserScriptError")


def test_the_failure_file_is_the_failure_reason(sm, s3, bucket):
    source = upload_source(s3, bucket, """
        import sys
        open("/opt/ml/output/failure", "w").write("ClientError: the train channel holds no rows")
        sys.exit(3)
    """)
    name = unique("failure-file")
    sm.create_training_job(**training_request(name, bucket, source))
    job = wait_until(sm, name)
    assert job["TrainingJobStatus"] == "Failed"
    assert job["FailureReason"] == "ClientError: the train channel holds no rows"


def test_stop_ends_the_job_and_its_processes(server, sm, s3, logs, bucket):
    # A sleep no other test runs: jobs of other tests' servers may still be alive on this machine.
    sleeper = f"300.{uuid.uuid4().int % 10**9}"
    source = upload_source(s3, bucket, f"""
        import os, subprocess, time
        child = subprocess.Popen(["sleep", "{sleeper}"])
        open("/opt/ml/model/pids", "w").write(f"{{os.getpid()}} {{child.pid}}")
        print("running", flush=True)
        time.sleep(300)
    """)
    name = unique("stopped")
    sm.create_training_job(**training_request(name, bucket, source))
    wait_for_log(logs, name, "running")
    sm.stop_training_job(TrainingJobName=name)
    assert sm.describe_training_job(TrainingJobName=name)["TrainingJobStatus"] in ("Stopping", "Stopped")
    job = wait_until(sm, name, timeout=30)
    assert (job["TrainingJobStatus"], job["SecondaryStatus"]) == ("Stopped", "Stopped")
    assert "Stopping" in [t["Status"] for t in job["SecondaryStatusTransitions"]]
    # The model folder is still uploaded on a stop, as SageMaker does: the pids prove which ran.
    model = read_tar(s3.get_object(Bucket=bucket, Key=f"output/{name}/output/model.tar.gz")["Body"].read())
    assert model["pids"]
    assert not list((server.home / "executor" / "runs").glob(f"{name}-*"))  # nothing left behind
    # The kernel tears the job's pid namespace down right after its init exits: allow it a moment.
    deadline = time.monotonic() + 10
    while not _no_process_running(f"sleep {sleeper}") and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _no_process_running(f"sleep {sleeper}")


def _no_process_running(command: str) -> bool:
    import pathlib

    for cmdline in pathlib.Path("/proc").glob("[0-9]*/cmdline"):
        try:
            if cmdline.read_bytes().replace(b"\0", b" ").strip() == command.encode():
                return False
        except OSError:
            continue
    return True


def test_max_runtime_stops_the_job(sm, s3, bucket):
    source = upload_source(s3, bucket, """
        import time
        print("sleeping", flush=True)
        time.sleep(120)
    """)
    name = unique("max-runtime")
    sm.create_training_job(**training_request(name, bucket, source, StoppingCondition={"MaxRuntimeInSeconds": 1}))
    job = wait_until(sm, name, timeout=60)
    assert (job["TrainingJobStatus"], job["SecondaryStatus"]) == ("Stopped", "MaxRuntimeExceeded")
    assert "MaxRuntimeInSeconds" in job["FailureReason"]


def test_concurrent_jobs_never_see_each_others_files(sm, s3, bucket):
    script = """
        import os, time
        mine = os.environ["TRAINING_JOB_NAME"]
        open("/opt/ml/model/owner", "w").write(mine)
        time.sleep(1)
        seen = sorted(os.listdir("/opt/ml/model"))
        assert seen == ["owner"], seen
        assert open("/opt/ml/model/owner").read() == mine
        print("isolated", mine)
    """
    source = upload_source(s3, bucket, script)
    names = [unique("twin"), unique("twin")]
    for name in names:
        sm.create_training_job(**training_request(name, bucket, source))
    for name in names:
        job = wait_until(sm, name)
        assert job["TrainingJobStatus"] == "Completed", job.get("FailureReason")
        model = read_tar(s3.get_object(Bucket=bucket, Key=f"output/{name}/output/model.tar.gz")["Body"].read())
        assert model == {"owner": name.encode()}


def test_a_job_reaches_the_server_with_its_role_credentials(sm, s3, bucket):
    source = upload_source(s3, bucket, f"""
        import os, boto3
        assert os.environ["AWS_SESSION_TOKEN"]
        identity = boto3.client("sts").get_caller_identity()
        boto3.client("s3").put_object(Bucket="{bucket}", Key="from-the-job.txt", Body=identity["Arn"].encode())
    """)
    name = unique("credentials")
    sm.create_training_job(**training_request(name, bucket, source))
    job = wait_until(sm, name)
    assert job["TrainingJobStatus"] == "Completed", job.get("FailureReason")
    body = s3.get_object(Bucket=bucket, Key="from-the-job.txt")["Body"].read().decode()
    assert body == "arn:aws:sts::000000000000:assumed-role/SageMakerRole/SageMaker"


def test_network_isolation_leaves_no_way_to_the_server(server, sm, s3, bucket):
    port = server.port
    source = upload_source(s3, bucket, f"""
        import os, socket
        assert "AWS_ENDPOINT_URL" not in os.environ and "AWS_ACCESS_KEY_ID" not in os.environ
        try:
            socket.create_connection(("127.0.0.1", {port}), timeout=2)
        except OSError as exc:
            print("refused", type(exc).__name__)
        else:
            raise SystemExit("reached the server")
    """)
    name = unique("isolated")
    sm.create_training_job(**training_request(name, bucket, source, EnableNetworkIsolation=True))
    job = wait_until(sm, name)
    assert job["TrainingJobStatus"] == "Completed", job.get("FailureReason")
    assert job["EnableNetworkIsolation"] is True


def test_two_instances_run_with_their_hosts_and_sharded_data(sm, s3, logs, bucket):
    for index in range(4):
        s3.put_object(Bucket=bucket, Key=f"shards/part-{index}.csv", Body=b"x")
    source = upload_source(s3, bucket, """
        import os
        files = sorted(os.listdir("/opt/ml/input/data/train"))
        print("host", os.environ["SM_CURRENT_HOST"], os.environ["SM_HOSTS"], files)
        open(os.path.join("/opt/ml/model", os.environ["SM_CURRENT_HOST"]), "w").write("x")
    """)
    name = unique("pair")
    request = training_request(name, bucket, source, channels={"train": f"s3://{bucket}/shards/"})
    request["InputDataConfig"][0]["DataSource"]["S3DataSource"]["S3DataDistributionType"] = "ShardedByS3Key"
    request["ResourceConfig"]["InstanceCount"] = 2
    sm.create_training_job(**request)
    job = wait_until(sm, name)
    assert job["TrainingJobStatus"] == "Completed", job.get("FailureReason")
    streams = log_messages(logs, name)
    assert sorted(s.split("/")[1].rsplit("-", 1)[0] for s in streams) == ["algo-1", "algo-2"]
    hosts = sorted(m for lines in streams.values() for m in lines if m.startswith("host"))
    assert hosts == ["host algo-1 [\"algo-1\",\"algo-2\"] ['part-0.csv', 'part-2.csv']",
                     "host algo-2 [\"algo-1\",\"algo-2\"] ['part-1.csv', 'part-3.csv']"]
    model = read_tar(s3.get_object(Bucket=bucket, Key=f"output/{name}/output/model.tar.gz")["Body"].read())
    assert sorted(model) == ["algo-1", "algo-2"]

"""Jobs queue for executor slots (Starting, "Preparing the instances for training"); managed spot
training resumes from its checkpoints after an interruption (``sagecraft jobs interrupt``)."""

from __future__ import annotations

from jobs_support import read_tar, training_request, unique, upload_source, wait_for_log, wait_until

from tests.support.cli import sagecraft


def test_a_job_waits_for_a_free_slot(fresh_server, tmp_path):
    gate = tmp_path / "gate"
    fresh_server.extra_env["SAGECRAFT_EXECUTOR_SLOTS"] = "1"
    fresh_server.start()
    sm, s3, logs = fresh_server.client("sagemaker"), fresh_server.client("s3"), fresh_server.client("logs")
    bucket = unique("capacity")
    s3.create_bucket(Bucket=bucket)
    holder = upload_source(s3, bucket, f"""
        import os, time
        print("holding the slot", flush=True)
        while not os.path.exists({str(gate)!r}):
            time.sleep(0.05)
    """)
    first, second = unique("first"), unique("second")
    sm.create_training_job(**training_request(first, bucket, holder))
    wait_for_log(logs, first, "holding the slot")
    sm.create_training_job(**training_request(second, bucket, upload_source(s3, bucket, "print('my turn')")))

    waiting = sm.describe_training_job(TrainingJobName=second)
    assert (waiting["TrainingJobStatus"], waiting["SecondaryStatus"]) == ("InProgress", "Starting")
    assert waiting["SecondaryStatusTransitions"][-1]["StatusMessage"] == "Preparing the instances for training"
    assert sm.describe_training_job(TrainingJobName=first)["SecondaryStatus"] == "Training"

    gate.touch()
    for name in (first, second):
        assert wait_until(sm, name)["TrainingJobStatus"] == "Completed"


SPOT_SCRIPT = """
    import os, time
    state = "/opt/ml/checkpoints/state.txt"
    start = int(open(state).read()) if os.path.exists(state) else 0
    print("resumed at", start, flush=True)
    for epoch in range(start, 5):
        with open(state, "w") as f:
            f.write(str(epoch + 1))
        print("epoch", epoch, flush=True)
        while epoch == 2 and start == 0:  # the first attempt waits here to be interrupted
            time.sleep(0.05)
    open("/opt/ml/model/model.txt", "w").write(f"resumed at {start}")
"""


def test_an_interrupted_spot_job_resumes_from_its_checkpoints(server, sm, s3, logs, bucket):
    name = unique("spot")
    request = training_request(name, bucket, upload_source(s3, bucket, SPOT_SCRIPT),
                               EnableManagedSpotTraining=True,
                               CheckpointConfig={"S3Uri": f"s3://{bucket}/checkpoints/{name}"},
                               StoppingCondition={"MaxRuntimeInSeconds": 300, "MaxWaitTimeInSeconds": 600})
    sm.create_training_job(**request)
    wait_for_log(logs, name, "epoch 2")

    interrupted = sagecraft("jobs", "interrupt", name, "--home", server.home, env=server.extra_env)
    assert interrupted.returncode == 0, interrupted.stderr

    job = wait_until(sm, name)
    assert job["TrainingJobStatus"] == "Completed", job.get("FailureReason")
    statuses = [t["Status"] for t in job["SecondaryStatusTransitions"]]
    assert statuses[:3] == ["Starting", "Downloading", "Training"]
    assert statuses[3:5] == ["Interrupted", "Restarting"]
    assert statuses[-2:] == ["Uploading", "Completed"]
    assert job["EnableManagedSpotTraining"] is True
    model = read_tar(s3.get_object(Bucket=bucket, Key=f"output/{name}/output/model.tar.gz")["Body"].read())
    assert model == {"model.txt": b"resumed at 3"}
    checkpoint = s3.get_object(Bucket=bucket, Key=f"checkpoints/{name}/state.txt")["Body"].read()
    assert checkpoint == b"5"


def test_interrupting_a_job_without_spot_is_refused(server, sm, s3, bucket):
    name = unique("on-demand")
    sm.create_training_job(**training_request(name, bucket, upload_source(s3, bucket, "print('done')")))
    refused = sagecraft("jobs", "interrupt", name, "--home", server.home, env=server.extra_env)
    assert refused.returncode == 1 and "spot" in refused.stderr
    wait_until(sm, name)

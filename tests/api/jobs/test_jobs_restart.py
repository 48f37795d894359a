"""Jobs outlive the server: killed while a job runs, a restarted server re-attaches to it, ships the
rest of its log, uploads its model and records how it ended."""

from __future__ import annotations

from jobs_support import log_messages, read_tar, training_request, unique, upload_source, wait_for_log, wait_until


def test_a_job_survives_a_server_crash(fresh_server, tmp_path):
    gate = tmp_path / "gate"
    fresh_server.start()
    sm, s3, logs = fresh_server.client("sagemaker"), fresh_server.client("s3"), fresh_server.client("logs")
    bucket = unique("restart")
    s3.create_bucket(Bucket=bucket)
    source = upload_source(s3, bucket, f"""
        import os, time
        print("before the crash", flush=True)
        while not os.path.exists({str(gate)!r}):
            time.sleep(0.05)
        open("/opt/ml/model/model.txt", "w").write("trained across a restart")
        print("after the crash")
    """)
    name = unique("survivor")
    sm.create_training_job(**training_request(name, bucket, source))
    wait_for_log(logs, name, "before the crash")

    fresh_server.kill()  # kill -9: no clean shutdown
    gate.touch()  # the job goes on (and may even finish) while no server runs
    fresh_server.start()

    sm, s3, logs = fresh_server.client("sagemaker"), fresh_server.client("s3"), fresh_server.client("logs")
    job = wait_until(sm, name)
    assert job["TrainingJobStatus"] == "Completed", job.get("FailureReason")
    model = read_tar(s3.get_object(Bucket=bucket, Key=f"output/{name}/output/model.tar.gz")["Body"].read())
    assert model == {"model.txt": b"trained across a restart"}
    (messages,) = log_messages(logs, name).values()
    assert messages == ["before the crash", "after the crash"]  # each line once


def test_a_stop_requested_before_a_restart_is_carried_out(fresh_server):
    fresh_server.start()
    sm, s3, logs = fresh_server.client("sagemaker"), fresh_server.client("s3"), fresh_server.client("logs")
    bucket = unique("restart-stop")
    s3.create_bucket(Bucket=bucket)
    source = upload_source(s3, bucket, """
        import time
        print("waiting", flush=True)
        time.sleep(300)
    """)
    name = unique("stop-across")
    sm.create_training_job(**training_request(name, bucket, source))
    wait_for_log(logs, name, "waiting")
    fresh_server.stop()  # a clean shutdown leaves the job running too
    fresh_server.start()
    sm = fresh_server.client("sagemaker")
    assert sm.describe_training_job(TrainingJobName=name)["TrainingJobStatus"] == "InProgress"
    sm.stop_training_job(TrainingJobName=name)
    job = wait_until(sm, name, timeout=30)
    assert job["TrainingJobStatus"] == "Stopped"

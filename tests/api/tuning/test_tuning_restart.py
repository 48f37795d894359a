"""A tuning job outlives the server: killed while a trial runs, the restarted server carries on."""

from __future__ import annotations

from tuning_support import children, tuning_request, unique, upload_source, wait_tuning

GATED = """
    import argparse, os, time
    parser = argparse.ArgumentParser()
    parser.add_argument("--xval", type=float)
    parser.add_argument("--gate")
    args, _ = parser.parse_known_args()
    while not os.path.exists(args.gate):
        time.sleep(0.05)
    print(f"objective={args.xval}")
"""


def test_a_tuning_job_survives_a_server_crash(fresh_server, tmp_path):
    gate = tmp_path / "gate"
    fresh_server.start()
    sm, s3 = fresh_server.client("sagemaker"), fresh_server.client("s3")
    bucket = unique("tuning-restart")
    s3.create_bucket(Bucket=bucket)
    source = upload_source(s3, bucket, GATED)
    name = unique("tn-crash")
    request = tuning_request(name, bucket, source, max_jobs=3, parallel=1, ranges={
        "ContinuousParameterRanges": [{"Name": "xval", "MinValue": "0", "MaxValue": "1"}]})
    request["TrainingJobDefinition"]["StaticHyperParameters"]["gate"] = str(gate)
    sm.create_hyper_parameter_tuning_job(**request)
    wait_tuning(sm, name, statuses=("InProgress",), check=lambda d: d["TrainingJobStatusCounters"]["InProgress"])

    fresh_server.kill()  # kill -9: no clean shutdown
    gate.touch()
    fresh_server.start()

    sm = fresh_server.client("sagemaker")
    done = wait_tuning(sm, name)
    trials = children(sm, name)
    assert done["HyperParameterTuningJobStatus"] == "Completed", done.get("FailureReason")
    assert len(trials) == 3 and {t["TrainingJobStatus"] for t in trials} == {"Completed"}
    values = {t["TrainingJobName"]: float(t["TunedHyperParameters"]["xval"]) for t in trials}
    assert done["BestTrainingJob"]["TrainingJobName"] == max(values, key=values.get)

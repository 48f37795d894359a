"""Processing jobs: inputs staged as SageMaker stages them, the command run, outputs uploaded."""

from __future__ import annotations

import gzip
import json

from jobs_support import (
    log_messages,
    processing_request,
    s3_input,
    s3_output,
    unique,
    upload_script,
    wait_for_log,
    wait_until,
)

LIST_SCRIPT = """
    import json, os
    found = {}
    for root, _, files in os.walk("/opt/ml/processing/input"):
        for name in files:
            path = os.path.join(root, name)
            found[os.path.relpath(path, "/opt/ml/processing/input")] = open(path).read()
    config = json.load(open("/opt/ml/config/processingjobconfig.json"))
    print("inputs", json.dumps(found, sort_keys=True))
    print("job", config["ProcessingJobName"], os.environ["GREETING"])
    os.makedirs("/opt/ml/processing/output/sub", exist_ok=True)
    open("/opt/ml/processing/output/result.csv", "w").write("a,b\\n")
    open("/opt/ml/processing/output/sub/more.txt", "w").write("more")
"""


def test_a_processing_job_stages_runs_and_uploads(sm, s3, logs, bucket):
    s3.put_object(Bucket=bucket, Key="raw-data/one.csv", Body=b"1\n")
    s3.put_object(Bucket=bucket, Key="raw-data/deep/two.csv", Body=b"2\n")
    s3.put_object(Bucket=bucket, Key="packed/three.csv.gz", Body=gzip.compress(b"3\n"))
    s3.put_object(Bucket=bucket, Key="listed/a.txt", Body=b"a")
    s3.put_object(Bucket=bucket, Key="listed/b.txt", Body=b"b")
    s3.put_object(Bucket=bucket, Key="manifests/m.json",
                  Body=json.dumps([{"prefix": f"s3://{bucket}/listed/"}, "b.txt"]).encode())
    code = upload_script(s3, bucket, LIST_SCRIPT, "preprocessing.py")
    name = unique("processing")
    arn = sm.create_processing_job(**processing_request(
        name, code,
        inputs=[s3_input("raw", f"s3://{bucket}/raw-data/", "/opt/ml/processing/input/raw"),
                s3_input("packed", f"s3://{bucket}/packed", "/opt/ml/processing/input/packed",
                         S3CompressionType="Gzip"),
                {"InputName": "manifest", "S3Input": {
                    "S3Uri": f"s3://{bucket}/manifests/m.json", "LocalPath": "/opt/ml/processing/input/listed",
                    "S3DataType": "ManifestFile", "S3InputMode": "File"}}],
        outputs=[s3_output("processed-data", "/opt/ml/processing/output", f"s3://{bucket}/processed")],
        Environment={"GREETING": "hello"}))["ProcessingJobArn"]
    assert arn == f"arn:aws:sagemaker:us-east-1:000000000000:processing-job/{name}"

    job = wait_until(sm, name, "processing")
    assert job["ProcessingJobStatus"] == "Completed", job.get("FailureReason")
    assert job["CreationTime"] <= job["ProcessingStartTime"] <= job["ProcessingEndTime"]
    assert job["ProcessingResources"]["ClusterConfig"]["InstanceCount"] == 1
    assert [i["InputName"] for i in job["ProcessingInputs"]] == ["raw", "packed", "manifest", "code"]
    assert job["ProcessingInputs"][0]["S3Input"]["S3DataDistributionType"] == "FullyReplicated"
    assert job["ProcessingOutputConfig"]["Outputs"][0]["S3Output"]["S3Uri"] == f"s3://{bucket}/processed"

    (stream, messages), = log_messages(logs, name, "processing").items()
    assert stream.startswith(f"{name}/algo-1-")
    lines = dict(m.split(" ", 1) for m in messages)
    assert json.loads(lines["inputs"]) == {
        "raw/one.csv": "1\n", "raw/deep/two.csv": "2\n", "packed/three.csv": "3\n", "listed/b.txt": "b",
        "code/preprocessing.py": json.loads(lines["inputs"])["code/preprocessing.py"]}
    assert lines["job"] == f"{name} hello"
    listed = s3.list_objects_v2(Bucket=bucket, Prefix="processed/")["Contents"]
    assert sorted(o["Key"] for o in listed) == ["processed/result.csv", "processed/sub/more.txt"]


def test_a_failing_processing_job_says_why(sm, s3, bucket):
    code = upload_script(s3, bucket, """
        import sys
        print("broken input", file=sys.stderr)
        sys.exit(2)
    """)
    name = unique("processing-fails")
    sm.create_processing_job(**processing_request(name, code))
    job = wait_until(sm, name, "processing")
    assert job["ProcessingJobStatus"] == "Failed"
    assert "broken input" in job["FailureReason"] and "exit code: 2" in job["FailureReason"]
    assert "broken input" in job["ExitMessage"]
    summary = sm.list_processing_jobs(NameContains=name)["ProcessingJobSummaries"]
    assert [(s["ProcessingJobName"], s["ProcessingJobStatus"]) for s in summary] == [(name, "Failed")]


def test_sharded_inputs_across_two_instances(sm, s3, logs, bucket):
    for index in range(3):
        s3.put_object(Bucket=bucket, Key=f"parts/{index}.csv", Body=b"x")
    code = upload_script(s3, bucket, """
        import json, os
        config = json.load(open("/opt/ml/config/resourceconfig.json"))
        print("host", config["current_host"], sorted(os.listdir("/opt/ml/processing/input/parts")))
    """)
    name = unique("processing-pair")
    request = processing_request(name, code, inputs=[s3_input("parts", f"s3://{bucket}/parts/",
                                                              "/opt/ml/processing/input/parts",
                                                              S3DataDistributionType="ShardedByS3Key")])
    request["ProcessingResources"]["ClusterConfig"]["InstanceCount"] = 2
    sm.create_processing_job(**request)
    job = wait_until(sm, name, "processing")
    assert job["ProcessingJobStatus"] == "Completed", job.get("FailureReason")
    hosts = sorted(m for lines in log_messages(logs, name, "processing").values() for m in lines)
    assert hosts == ["host algo-1 ['0.csv', '2.csv']", "host algo-2 ['1.csv']"]


def test_stop_a_processing_job(sm, s3, logs, bucket):
    code = upload_script(s3, bucket, """
        import time
        print("working", flush=True)
        time.sleep(300)
    """)
    name = unique("processing-stop")
    sm.create_processing_job(**processing_request(name, code))
    wait_for_log(logs, name, "working", "processing")
    sm.stop_processing_job(ProcessingJobName=name)
    job = wait_until(sm, name, "processing", timeout=30)
    assert job["ProcessingJobStatus"] == "Stopped"

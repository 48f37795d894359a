"""Batch transform of a built-in-XGBoost model: predictions equal the booster's, output layout, joins."""

from __future__ import annotations

import gzip
import json

import numpy as np
import xgboost
from transform_support import SKLEARN_IMAGE, create_model, csv_rows, read_lines, start, tar_bytes, wait


def local_scores(booster, rows) -> np.ndarray:
    return booster.predict(xgboost.DMatrix(rows))


def test_csv_lines_give_the_boosters_predictions(sm, s3, logs, bucket, trained, builtin_model):
    booster, rows = trained
    s3.put_object(Bucket=bucket, Key="in/basic/part-a.csv", Body=csv_rows(rows[:300]).encode())
    s3.put_object(Bucket=bucket, Key="in/basic/sub/part-b.csv", Body=csv_rows(rows[300:]).encode())
    name = start(
        sm,
        builtin_model,
        f"s3://{bucket}/in/basic/",
        f"s3://{bucket}/out/basic",
        BatchStrategy="MultiRecord",
        MaxPayloadInMB=1,
    )
    described = wait(sm, name)
    assert described["TransformJobStatus"] == "Completed", described.get("FailureReason")
    assert described["TransformStartTime"] <= described["TransformEndTime"]
    assert described["TransformResources"]["InstanceCount"] == 1
    assert described["MaxPayloadInMB"] == 1 and described["ModelName"] == builtin_model
    first = [float(v) for v in read_lines(s3, bucket, "out/basic/part-a.csv.out")]
    second = [float(v) for v in read_lines(s3, bucket, "out/basic/sub/part-b.csv.out")]
    np.testing.assert_allclose(first + second, local_scores(booster, rows), atol=1e-6)
    streams = logs.describe_log_streams(logGroupName="/aws/sagemaker/TransformJobs", logStreamNamePrefix=f"{name}/")
    (stream,) = streams["logStreams"]
    events = logs.get_log_events(logGroupName="/aws/sagemaker/TransformJobs", logStreamName=stream["logStreamName"])
    assert any("Transformed sub/part-b.csv" in e["message"] for e in events["events"])


def test_join_source_input_appends_the_prediction_to_each_row(sm, s3, bucket, trained, builtin_model):
    booster, rows = trained
    ids = np.arange(len(rows)).reshape(-1, 1)
    s3.put_object(Bucket=bucket, Key="in/join/data.csv", Body=csv_rows(np.hstack([ids, rows])).encode())
    name = start(
        sm,
        builtin_model,
        f"s3://{bucket}/in/join/data.csv",
        f"s3://{bucket}/out/join/",
        BatchStrategy="MultiRecord",
        MaxConcurrentTransforms=2,
        DataProcessing={"InputFilter": "$[1:]", "JoinSource": "Input", "OutputFilter": "$[0,-1]"},
    )
    described = wait(sm, name)
    assert described["TransformJobStatus"] == "Completed", described.get("FailureReason")
    assert described["DataProcessing"] == {"InputFilter": "$[1:]", "OutputFilter": "$[0,-1]", "JoinSource": "Input"}
    lines = read_lines(s3, bucket, "out/join/data.csv.out")
    assert [float(line.split(",")[0]) for line in lines] == [float(i) for i in range(len(rows))]
    np.testing.assert_allclose([float(line.split(",")[1]) for line in lines], local_scores(booster, rows), atol=1e-6)


def test_join_keeps_the_whole_input_row(sm, s3, bucket, trained, builtin_model):
    booster, rows = trained
    body = csv_rows(rows[:50])
    s3.put_object(Bucket=bucket, Key="in/whole/rows.csv", Body=body.encode())
    name = start(
        sm,
        builtin_model,
        f"s3://{bucket}/in/whole",
        f"s3://{bucket}/out/whole",
        BatchStrategy="SingleRecord",
        DataProcessing={"JoinSource": "Input"},
    )
    assert wait(sm, name)["TransformJobStatus"] == "Completed"
    lines = read_lines(s3, bucket, "out/whole/rows.csv.out")
    assert [line.rsplit(",", 1)[0] for line in lines] == body.splitlines()
    np.testing.assert_allclose(
        [float(line.rsplit(",", 1)[1]) for line in lines], local_scores(booster, rows[:50]), atol=1e-6
    )


def test_gzip_input_and_json_output(sm, s3, bucket, trained, builtin_model):
    booster, rows = trained
    s3.put_object(Bucket=bucket, Key="in/gz/rows.csv.gz", Body=gzip.compress(csv_rows(rows[:20]).encode()))
    name = start(
        sm,
        builtin_model,
        f"s3://{bucket}/in/gz/",
        f"s3://{bucket}/out/gz",
        transform_input={"CompressionType": "Gzip"},
        transform_output={"Accept": "application/json"},
        BatchStrategy="MultiRecord",
    )
    assert wait(sm, name)["TransformJobStatus"] == "Completed"
    document = json.loads(s3.get_object(Bucket=bucket, Key="out/gz/rows.csv.gz.out")["Body"].read())
    np.testing.assert_allclose(
        [p["score"] for p in document["predictions"]], local_scores(booster, rows[:20]), atol=1e-6
    )


def test_json_lines_with_filters_attach_sagemaker_output(sm, s3, bucket):
    script = (
        b"import json\nimport numpy as np\n\ndef model_fn(d):\n    return 'm'\n\n"
        b"def input_fn(body, ct):\n    return [json.loads(l) for l in body.decode().splitlines()]\n\n"
        b"def predict_fn(data, model):\n    return [sum(r) for r in data]\n\n"
        b"def output_fn(p, accept):\n    return '\\n'.join(json.dumps(v) for v in p)\n"
    )
    s3.put_object(Bucket=bucket, Key="json/model.tar.gz", Body=tar_bytes({"code/inference.py": script}))
    model = create_model(
        sm,
        f"s3://{bucket}/json/model.tar.gz",
        SKLEARN_IMAGE,
        {"SAGEMAKER_PROGRAM": "inference.py", "SAGEMAKER_SUBMIT_DIRECTORY": "/opt/ml/model/code"},
    )
    body = "\n".join(f'{{"id": {i}, "features": [{i}, 1, 2]}}' for i in range(5)) + "\n"
    s3.put_object(Bucket=bucket, Key="in/jsonl/records.jsonl", Body=body.encode())
    name = start(
        sm,
        model,
        f"s3://{bucket}/in/jsonl/",
        f"s3://{bucket}/out/jsonl",
        transform_input={"ContentType": "application/jsonlines"},
        transform_output={"Accept": "application/jsonlines"},
        BatchStrategy="MultiRecord",
        DataProcessing={
            "InputFilter": "$.features",
            "JoinSource": "Input",
            "OutputFilter": "$['id','SageMakerOutput']",
        },
    )
    described = wait(sm, name)
    assert described["TransformJobStatus"] == "Completed", described.get("FailureReason")
    lines = [json.loads(line) for line in read_lines(s3, bucket, "out/jsonl/records.jsonl.out")]
    assert lines == [{"id": i, "SageMakerOutput": i + 3} for i in range(5)]


def test_a_model_made_from_a_model_package_transforms(sm, s3, bucket, trained):
    """CreateModel with Containers[].ModelPackageName (what an approval deploys): the transform runs the
    package's image and model data."""
    from transform_support import ROLE, XGBOOST_IMAGE, unique

    booster, rows = trained
    group = unique("tpg")
    sm.create_model_package_group(ModelPackageGroupName=group)
    package = sm.create_model_package(
        ModelPackageGroupName=group, ModelApprovalStatus="Approved",
        InferenceSpecification={"Containers": [{"Image": XGBOOST_IMAGE,
                                                "ModelDataUrl": f"s3://{bucket}/model/model.tar.gz"}],
                                "SupportedContentTypes": ["text/csv"], "SupportedResponseMIMETypes": ["text/csv"]},
    )["ModelPackageArn"]
    model = unique("tpm")
    sm.create_model(ModelName=model, ExecutionRoleArn=ROLE, Containers=[{"ModelPackageName": package}])
    s3.put_object(Bucket=bucket, Key="in/package/rows.csv", Body=csv_rows(rows[:50]).encode())
    name = start(sm, model, f"s3://{bucket}/in/package/", f"s3://{bucket}/out/package")
    described = wait(sm, name)
    assert described["TransformJobStatus"] == "Completed", described.get("FailureReason")
    scores = [float(v) for v in read_lines(s3, bucket, "out/package/rows.csv.out")]
    np.testing.assert_allclose(scores, local_scores(booster, rows[:50]), atol=1e-6)

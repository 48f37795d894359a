"""InstanceCount > 1 and inputs read in place, on the wire: a multipart input object (read part by
part, Gzip decompressed by the worker), objects shared by instances, and an instance's failure
failing the job with the model's own message and no output."""

from __future__ import annotations

import gzip

import numpy as np
import xgboost
from boto3.s3.transfer import TransferConfig
from transform_support import csv_rows, read_lines, start, wait

MB = 1024 * 1024


def test_a_multipart_gzip_object_on_two_instances(tmp_path, sm, s3, bucket, trained, builtin_model):
    booster, rows = trained
    text = csv_rows(np.tile(rows[:20], (20, 1))).encode()
    # Stored, not deflated (level 0), so that a few hundred rows make an object of two 5 MB parts;
    # gzip members back to back are one stream of `repeats` copies.
    packed = gzip.compress(text, compresslevel=0)
    repeats = (5 * MB) // len(packed) + 2
    body = packed * repeats
    path = tmp_path / "rows.csv.gz"
    path.write_bytes(body)
    s3.upload_file(
        str(path),
        bucket,
        "in/multi/rows.csv.gz",
        Config=TransferConfig(multipart_threshold=5 * MB, multipart_chunksize=5 * MB),
    )
    assert s3.head_object(Bucket=bucket, Key="in/multi/rows.csv.gz")["ETag"].endswith('-2"')
    s3.put_object(Bucket=bucket, Key="in/multi/small.csv.gz", Body=gzip.compress(csv_rows(rows[:7]).encode()))
    name = start(
        sm,
        builtin_model,
        f"s3://{bucket}/in/multi/",
        f"s3://{bucket}/out/multi",
        transform_input={"CompressionType": "Gzip"},
        TransformResources={"InstanceType": "ml.m5.large", "InstanceCount": 2},
    )
    described = wait(sm, name)
    assert described["TransformJobStatus"] == "Completed", described.get("FailureReason")
    assert described["TransformResources"]["InstanceCount"] == 2
    expected = booster.predict(xgboost.DMatrix(np.tile(rows[:20], (20, 1))))
    scores = np.array([float(v) for v in read_lines(s3, bucket, "out/multi/rows.csv.gz.out")])
    np.testing.assert_allclose(scores, np.tile(expected, repeats), atol=1e-6)
    small = [float(v) for v in read_lines(s3, bucket, "out/multi/small.csv.gz.out")]
    np.testing.assert_allclose(small, booster.predict(xgboost.DMatrix(rows[:7])), atol=1e-6)


def test_a_failing_instance_fails_the_job(sm, s3, bucket, trained, builtin_model):
    _, rows = trained
    s3.put_object(Bucket=bucket, Key="in/one-bad/a.csv", Body=csv_rows(rows[:5]).encode())
    s3.put_object(Bucket=bucket, Key="in/one-bad/b.csv", Body=csv_rows(rows[:5, :3]).encode())
    name = start(
        sm,
        builtin_model,
        f"s3://{bucket}/in/one-bad/",
        f"s3://{bucket}/out/one-bad",
        TransformResources={"InstanceType": "ml.m5.large", "InstanceCount": 2},
    )
    described = wait(sm, name)
    assert described["TransformJobStatus"] == "Failed"
    assert described["FailureReason"] == (
        "ClientError: The model answered 400 to a mini-batch: Feature size of csv inference data 3 is not "
        "consistent with feature size of trained model 30."
    )
    assert "Contents" not in s3.list_objects_v2(Bucket=bucket, Prefix="out/one-bad/")


def test_an_input_encrypted_at_rest_is_copied_in_plaintext(sm, s3, bucket, trained, builtin_model):
    # Its stored bytes are ciphertext: the job cannot read them in place, the runner copies the
    # plaintext while the worker reads it (Gzip still decompressed by the worker).
    booster, rows = trained
    body = gzip.compress(csv_rows(rows[:30]).encode())
    s3.put_object(Bucket=bucket, Key="in/sealed/rows.csv.gz", Body=body, ServerSideEncryption="AES256")
    assert s3.head_object(Bucket=bucket, Key="in/sealed/rows.csv.gz")["ServerSideEncryption"] == "AES256"
    name = start(
        sm,
        builtin_model,
        f"s3://{bucket}/in/sealed/",
        f"s3://{bucket}/out/sealed",
        transform_input={"CompressionType": "Gzip"},
    )
    described = wait(sm, name)
    assert described["TransformJobStatus"] == "Completed", described.get("FailureReason")
    scores = [float(v) for v in read_lines(s3, bucket, "out/sealed/rows.csv.gz.out")]
    np.testing.assert_allclose(scores, booster.predict(xgboost.DMatrix(rows[:30])), atol=1e-6)

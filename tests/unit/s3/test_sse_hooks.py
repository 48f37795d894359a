"""The SageMaker writers pass their KmsKeyId to the object store as SSE-KMS: endpoints' data capture
(DataCaptureConfig.KmsKeyId), training and processing outputs (OutputDataConfig /
ProcessingOutputConfig.KmsKeyId) and transform outputs (TransformOutput.KmsKeyId)."""

from __future__ import annotations

import datetime as dt
import time

from sagecraft.executors import toolkit
from sagecraft.services.hosting.capture import Capture, CaptureSettings, CaptureWriter
from sagecraft.services.jobs.models import Job, JobKind, JobStatus
from sagecraft.services.jobs.outputs import upload_training
from sagecraft.services.jobs.staging import S3Uri, upload_file
from sagecraft.services.transform.instance import TRANSFORM_DIR, upload_outputs
from sagecraft.services.transform.models import TransformJob, TransformStatus
from sagecraft.storage.objects.base import ObjectMeta

KEY = "arn:aws:kms:us-east-1:000000000000:key/11111111-2222-3333-4444-555555555555"


class RecordingStore:
    def __init__(self) -> None:
        self.puts: list[tuple[str, str, ObjectMeta]] = []

    def put_object(self, bucket: str, key: str, source: object, meta: ObjectMeta, **options: object) -> None:
        self.puts.append((bucket, key, meta))


def test_capture_files_are_written_with_the_capture_key():
    store = RecordingStore()
    writer = CaptureWriter(store, flush_seconds=0.05)
    writer.start()
    for kms_key in (KEY, None):
        settings = CaptureSettings.of({"DestinationS3Uri": "s3://capture/prefix", "KmsKeyId": kms_key})
        assert settings.kms_key_id == kms_key
        writer.submit(
            Capture(settings, "endpoint", "variant", time.time(), None, "text/csv", b"1,2", "text/csv", b"0.5")
        )
    writer.close()
    written = {meta.sse.get("SSEKMSKeyId"): meta.sse for _, _, meta in store.puts}
    assert written == {KEY: {"ServerSideEncryption": "aws:kms", "SSEKMSKeyId": KEY}, None: {}}


def test_uploaded_outputs_carry_the_output_key(tmp_path):
    store = RecordingStore()
    path = tmp_path / "model.tar.gz"
    path.write_bytes(b"model")
    upload_file(store, path, S3Uri.parse("s3://out/model.tar.gz"), kms_key_id="alias/models")
    upload_file(store, path, S3Uri.parse("s3://out/plain.tar.gz"))
    assert [meta.sse for _, _, meta in store.puts] == [
        {"ServerSideEncryption": "aws:kms", "SSEKMSKeyId": "alias/models"},
        {},
    ]


def _job(kind: JobKind, request: dict) -> Job:
    now = dt.datetime.now(dt.timezone.utc)
    return Job(
        1,
        "000000000000",
        "us-east-1",
        kind,
        "job",
        "arn",
        JobStatus.IN_PROGRESS,
        None,
        None,
        None,
        now,
        now,
        now,
        None,
        None,
        None,
        request,
    )


def test_training_artifacts_are_written_with_the_output_key(tmp_path):
    instance = tmp_path / "algo-1"
    for folder, name in ((toolkit.MODEL_DIR, "model.bin"), (toolkit.OUTPUT_DATA_DIR, "extra.txt")):
        target = toolkit.host_path(instance, folder)
        target.mkdir(parents=True)
        (target / name).write_text("weights")
    store = RecordingStore()
    request = {"OutputDataConfig": {"S3OutputPath": "s3://out/models", "KmsKeyId": KEY}}
    upload_training(store, _job(JobKind.TRAINING, request), [instance])
    assert {key: meta.sse for _, key, meta in store.puts} == {
        "models/job/output/model.tar.gz": {"ServerSideEncryption": "aws:kms", "SSEKMSKeyId": KEY},
        "models/job/output/output.tar.gz": {"ServerSideEncryption": "aws:kms", "SSEKMSKeyId": KEY},
    }
    store.puts.clear()
    uncompressed = {"OutputDataConfig": {"S3OutputPath": "s3://out/m", "KmsKeyId": KEY, "CompressionType": "NONE"}}
    upload_training(store, _job(JobKind.TRAINING, uncompressed), [instance])
    assert store.puts and all(meta.sse.get("SSEKMSKeyId") == KEY for _, _, meta in store.puts)


def test_transform_outputs_are_written_with_the_output_key(tmp_path):
    now = dt.datetime.now(dt.timezone.utc)
    request = {"TransformOutput": {"S3OutputPath": "s3://out/predictions", "KmsKeyId": KEY}}
    job = TransformJob(
        1,
        "000000000000",
        "us-east-1",
        "t",
        "arn",
        TransformStatus.IN_PROGRESS,
        None,
        now,
        now,
        now,
        None,
        request,
        [],
        {},
        "owner",
    )
    output = tmp_path / TRANSFORM_DIR / "output"
    output.mkdir(parents=True)
    (output / "data.csv.out").write_text("0.5\n")
    store = RecordingStore()
    upload_outputs(store, job, tmp_path, ["data.csv"])
    assert [(key, meta.sse) for _, key, meta in store.puts] == [
        ("predictions/data.csv.out", {"ServerSideEncryption": "aws:kms", "SSEKMSKeyId": KEY})
    ]

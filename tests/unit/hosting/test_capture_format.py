"""The data-capture record and object layout (SageMaker's format), and the writer's batching."""

from __future__ import annotations

import base64
import json
import re

from sagecraft.services.hosting.capture import Capture, CaptureSettings, CaptureWriter, object_key, record

CONFIG = {"EnableCapture": True, "InitialSamplingPercentage": 50, "DestinationS3Uri": "s3://bucket/data/capture/",
          "CaptureOptions": [{"CaptureMode": "Input"}, {"CaptureMode": "Output"}],
          "CaptureContentTypeHeader": {"CsvContentTypes": ["text/csv"], "JsonContentTypes": ["application/json"]}}
WHEN = 1_790_000_000.123  # 2026-09-21T14:13:20.123Z


def _capture(settings: CaptureSettings, input_type: str = "text/csv", data: bytes = b"1,2,3") -> Capture:
    return Capture(settings, "ep", "AllTraffic", WHEN, "id-1", input_type, data, "text/csv; charset=utf-8", b"0.5")


def test_settings_from_config():
    settings = CaptureSettings.of(CONFIG)
    assert settings is not None
    assert (settings.bucket, settings.prefix, settings.percentage) == ("bucket", "data/capture", 50.0)
    assert CaptureSettings.of({**CONFIG, "EnableCapture": False}) is None
    assert CaptureSettings.of(None) is None
    assert not CaptureSettings.of({**CONFIG, "InitialSamplingPercentage": 0}).sampled()
    assert CaptureSettings.of({**CONFIG, "InitialSamplingPercentage": 100}).sampled()


def test_record_is_sagemakers_format():
    line = record(_capture(CaptureSettings.of(CONFIG)))
    assert "\n" not in line
    parsed = json.loads(line)
    assert parsed == {
        "captureData": {
            "endpointInput": {"observedContentType": "text/csv", "mode": "INPUT", "data": "1,2,3", "encoding": "CSV"},
            "endpointOutput": {"observedContentType": "text/csv; charset=utf-8", "mode": "OUTPUT", "data": "0.5",
                               "encoding": "CSV"}},
        "eventMetadata": {"eventId": parsed["eventMetadata"]["eventId"], "inferenceId": "id-1",
                          "inferenceTime": "2026-09-21T14:13:20.123Z"},
        "eventVersion": "0"}


def test_unlisted_types_and_binary_are_base64():
    settings = CaptureSettings.of({**CONFIG, "CaptureOptions": [{"CaptureMode": "Input"}]})
    parsed = json.loads(record(_capture(settings, "application/x-npy", b"\x93NUMPY")))
    assert "endpointOutput" not in parsed["captureData"]
    assert parsed["captureData"]["endpointInput"]["encoding"] == "BASE64"
    assert base64.b64decode(parsed["captureData"]["endpointInput"]["data"]) == b"\x93NUMPY"
    parsed = json.loads(record(_capture(settings, "text/csv", b"\xff\xfe")))
    assert parsed["captureData"]["endpointInput"]["encoding"] == "BASE64"


def test_object_key_layout():
    key = object_key("data/capture", "ep", "AllTraffic", WHEN)
    assert re.fullmatch(r"data/capture/ep/AllTraffic/2026/09/21/14/13-20-123-[0-9a-f-]{36}\.jsonl", key)
    assert object_key("", "ep", "v", WHEN).startswith("ep/v/2026/09/21/14/")


class _Store:
    def __init__(self) -> None:
        self.objects: dict[tuple[str, str], bytes] = {}

    def put_object(self, bucket, key, body, meta):
        self.objects[(bucket, key)] = body


def test_writer_batches_and_flushes_everything_on_close():
    store = _Store()
    writer = CaptureWriter(store, flush_seconds=3600)  # type: ignore[arg-type]
    writer.start()
    settings = CaptureSettings.of(CONFIG)
    for _ in range(5):
        writer.submit(_capture(settings))
    writer.submit(Capture(settings, "ep", "Other", WHEN, None, "text/csv", b"1", "text/csv", b"2"))
    assert store.objects == {}
    writer.close()
    files = {key: body.decode().splitlines() for (_, key), body in store.objects.items()}
    assert sorted(len(lines) for lines in files.values()) == [1, 5]
    assert all(key.startswith(("data/capture/ep/AllTraffic/", "data/capture/ep/Other/")) for key in files)

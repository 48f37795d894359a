"""Data capture: sampled request/response pairs as JSON Lines in SageMaker's format and layout,
switched by UpdateEndpoint, flushed on shutdown."""

from __future__ import annotations

import base64
import json
import re
import time
import uuid

import pytest
from hosting_support import ROLE, XGBOOST_IMAGE, csv_rows, train_booster, unique, upload_tar, wait_status

KEY = re.compile(r"^capture/(?P<ep>[^/]+)/AllTraffic/\d{4}/\d{2}/\d{2}/\d{2}/\d{2}-\d{2}-\d{3}-[0-9a-f-]{36}\.jsonl$")
TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")


def _capture(bucket: str, percentage: int = 100, enabled: bool = True) -> dict:
    return {"EnableCapture": enabled, "InitialSamplingPercentage": percentage,
            "DestinationS3Uri": f"s3://{bucket}/capture",
            "CaptureOptions": [{"CaptureMode": "Input"}, {"CaptureMode": "Output"}],
            "CaptureContentTypeHeader": {"CsvContentTypes": ["text/csv"], "JsonContentTypes": ["application/json"]}}


def _config(sm, model: str, capture: dict) -> str:
    name = unique("cfg")
    sm.create_endpoint_config(EndpointConfigName=name, DataCaptureConfig=capture, ProductionVariants=[{
        "VariantName": "AllTraffic", "ModelName": model, "InitialInstanceCount": 1, "InstanceType": "ml.m5.xlarge"}])
    return name


def _records(s3, bucket: str, endpoint: str) -> list[tuple[str, dict]]:
    found = []
    for item in s3.list_objects_v2(Bucket=bucket, Prefix=f"capture/{endpoint}/").get("Contents", []):
        body = s3.get_object(Bucket=bucket, Key=item["Key"])["Body"].read().decode()
        found += [(item["Key"], json.loads(line)) for line in body.splitlines() if line]
    return found


def _wait_records(s3, bucket: str, endpoint: str, until, timeout: float = 30) -> list[tuple[str, dict]]:
    deadline = time.monotonic() + timeout
    while True:
        found = _records(s3, bucket, endpoint)
        if until(found) or time.monotonic() > deadline:
            return found
        time.sleep(0.2)


def _model(sm, s3, bucket: str, trained) -> str:
    name = unique("m")
    sm.create_model(ModelName=name, ExecutionRoleArn=ROLE,
                    PrimaryContainer={"Image": XGBOOST_IMAGE, "ModelDataUrl": trained[2]})
    return name


@pytest.mark.slow
def test_capture_records_format_layout_and_update(sm, s3, runtime, bucket, trained):
    _booster, features, _ = trained
    model = _model(sm, s3, bucket, trained)
    endpoint = unique("cap")
    sm.create_endpoint(EndpointName=endpoint, EndpointConfigName=_config(sm, model, _capture(bucket)))
    described = wait_status(sm, endpoint)
    assert described["EndpointStatus"] == "InService"
    assert described["DataCaptureConfig"] == {"EnableCapture": True, "CaptureStatus": "Started",
                                              "CurrentSamplingPercentage": 100,
                                              "DestinationS3Uri": f"s3://{bucket}/capture"}
    ids = [str(uuid.uuid4()) for _ in range(3)]
    bodies = [csv_rows(features[i:i + 1]) for i in range(3)]
    replies = [runtime.invoke_endpoint(EndpointName=endpoint, ContentType="text/csv", Body=body,
                                       InferenceId=inference_id)["Body"].read().decode()
               for body, inference_id in zip(bodies, ids, strict=True)]
    runtime.invoke_endpoint(EndpointName=endpoint, ContentType="application/json", Accept="application/json",
                            Body=json.dumps(features[:1].tolist()))
    found = _wait_records(s3, bucket, endpoint, lambda r: len(r) >= 4)
    assert len(found) == 4, "one capture record per request"
    by_id = {r["eventMetadata"].get("inferenceId"): (key, r) for key, r in found}
    for body, reply, inference_id in zip(bodies, replies, ids, strict=True):
        key, record = by_id[inference_id]
        assert KEY.match(key) and KEY.match(key)["ep"] == endpoint
        assert record["eventVersion"] == "0"
        assert record["captureData"]["endpointInput"] == {"observedContentType": "text/csv", "mode": "INPUT",
                                                          "data": body, "encoding": "CSV"}
        output = record["captureData"]["endpointOutput"]
        assert (output["mode"], output["encoding"], output["data"]) == ("OUTPUT", "CSV", reply)
        assert output["observedContentType"].startswith("text/csv")
        assert TIME.match(record["eventMetadata"]["inferenceTime"])
        uuid.UUID(record["eventMetadata"]["eventId"])
    json_record = by_id[None][1]["captureData"]
    assert json_record["endpointInput"]["encoding"] == "JSON"
    assert json.loads(json_record["endpointOutput"]["data"])["predictions"][0]["score"] > 0

    # Disabled through UpdateEndpoint: nothing captured; enabled again: captured again.
    sm.update_endpoint(EndpointName=endpoint, EndpointConfigName=_config(sm, model, _capture(bucket, enabled=False)))
    described = wait_status(sm, endpoint)
    assert described["DataCaptureConfig"]["CaptureStatus"] == "Stopped"
    assert described["DataCaptureConfig"]["EnableCapture"] is False
    for body in bodies[:2]:
        runtime.invoke_endpoint(EndpointName=endpoint, ContentType="text/csv", Body=body, InferenceId="off")
    sm.update_endpoint(EndpointName=endpoint, EndpointConfigName=_config(sm, model, _capture(bucket, 100)))
    assert wait_status(sm, endpoint)["DataCaptureConfig"]["CaptureStatus"] == "Started"
    runtime.invoke_endpoint(EndpointName=endpoint, ContentType="text/csv", Body=bodies[0], InferenceId="on-again")
    found = _wait_records(s3, bucket, endpoint, lambda r: any(
        x["eventMetadata"].get("inferenceId") == "on-again" for _, x in r))
    ids_seen = [r["eventMetadata"].get("inferenceId") for _, r in found]
    assert "on-again" in ids_seen and "off" not in ids_seen and len(found) == 5
    sm.delete_endpoint(EndpointName=endpoint)


def test_capture_sampling_zero_and_input_only(sm, s3, runtime, bucket, trained):
    _, features, _ = trained
    model = _model(sm, s3, bucket, trained)
    endpoint = unique("cap0")
    sm.create_endpoint(EndpointName=endpoint, EndpointConfigName=_config(sm, model, _capture(bucket, 0)))
    assert wait_status(sm, endpoint)["DataCaptureConfig"]["CurrentSamplingPercentage"] == 0
    for _ in range(5):
        runtime.invoke_endpoint(EndpointName=endpoint, ContentType="text/csv", Body=csv_rows(features[:1]))
    only_input = {**_capture(bucket), "CaptureOptions": [{"CaptureMode": "Input"}]}
    del only_input["CaptureContentTypeHeader"]  # without it SageMaker base64-encodes the data
    sm.update_endpoint(EndpointName=endpoint, EndpointConfigName=_config(sm, model, only_input))
    wait_status(sm, endpoint)
    body = csv_rows(features[:1])
    runtime.invoke_endpoint(EndpointName=endpoint, ContentType="text/csv", Body=body, InferenceId="in")
    found = _wait_records(s3, bucket, endpoint, lambda r: len(r) >= 1)
    assert len(found) == 1, "0 % sampling captured nothing"
    data = found[0][1]["captureData"]
    assert "endpointOutput" not in data
    assert data["endpointInput"]["encoding"] == "BASE64"
    assert base64.b64decode(data["endpointInput"]["data"]).decode() == body
    sm.delete_endpoint(EndpointName=endpoint)


@pytest.mark.slow
def test_captures_are_written_on_shutdown(fresh_server, tmp_path):
    fresh_server.extra_env["SAGECRAFT_CAPTURE_FLUSH_SECONDS"] = "3600"  # only the shutdown writes them
    server = fresh_server.start()
    sm, s3 = server.client("sagemaker"), server.client("s3")
    bucket = unique("capshut")
    s3.create_bucket(Bucket=bucket)
    _booster, path, features = train_booster(tmp_path)
    trained = (None, features, upload_tar(s3, bucket, "m/model.tar.gz", {"xgboost-model": path.read_bytes()}))
    model = _model(sm, s3, bucket, trained)
    endpoint = unique("cap")
    sm.create_endpoint(EndpointName=endpoint, EndpointConfigName=_config(sm, model, _capture(bucket)))
    assert wait_status(sm, endpoint)["EndpointStatus"] == "InService"
    runtime = server.client("sagemaker-runtime")
    for _ in range(7):
        runtime.invoke_endpoint(EndpointName=endpoint, ContentType="text/csv", Body=csv_rows(features[:1]))
    assert _records(s3, bucket, endpoint) == []
    server.stop()
    server.start()
    assert len(_records(server.client("s3"), bucket, endpoint)) == 7

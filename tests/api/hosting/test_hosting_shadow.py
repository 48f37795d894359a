"""Shadow variants: each request also goes to the shadow variant (off the request path); the client gets
only the production variant's answer; the shadow's answers reach data capture under its own name;
DescribeEndpoint lists ShadowProductionVariants apart from ProductionVariants."""

from __future__ import annotations

import json
import time

import numpy as np
import pytest
import xgboost
from botocore.exceptions import ClientError
from hosting_support import ROLE, XGBOOST_IMAGE, csv_rows, unique, upload_tar, wait_status


def _variant(name: str, model: str) -> dict:
    return {"VariantName": name, "ModelName": model, "InitialInstanceCount": 1, "InstanceType": "ml.m5.xlarge"}


def _captured(s3, bucket: str, prefix: str, expected: int, timeout: float = 30) -> list[dict]:
    deadline = time.monotonic() + timeout
    while True:
        found = []
        for item in s3.list_objects_v2(Bucket=bucket, Prefix=prefix).get("Contents", []):
            body = s3.get_object(Bucket=bucket, Key=item["Key"])["Body"].read().decode()
            found += [json.loads(line) for line in body.splitlines() if line]
        if len(found) >= expected or time.monotonic() > deadline:
            return found
        time.sleep(0.2)


@pytest.mark.slow
def test_shadow_variant_gets_a_copy_and_is_captured(sm, s3, runtime, bucket, trained, tmp_path):
    production_booster, features, production_data = trained
    from sklearn.datasets import load_breast_cancer

    data = load_breast_cancer()
    shadow_booster = xgboost.train({"objective": "binary:logistic", "max_depth": 1},
                                   xgboost.DMatrix(data.data, data.target), num_boost_round=2)
    shadow_booster.save_model(str(tmp_path / "shadow.json"))
    shadow_data = upload_tar(s3, bucket, f"{unique('shadow')}/model.tar.gz",
                             {"xgboost-model": (tmp_path / "shadow.json").read_bytes()})
    name = unique("shadow")
    models = {}
    for role, url in (("prod", production_data), ("shadow", shadow_data)):
        models[role] = f"{name}-{role}"
        sm.create_model(ModelName=models[role], ExecutionRoleArn=ROLE,
                        PrimaryContainer={"Image": XGBOOST_IMAGE, "ModelDataUrl": url})
    capture = {"EnableCapture": True, "InitialSamplingPercentage": 100, "DestinationS3Uri": f"s3://{bucket}/shadowcap",
               "CaptureOptions": [{"CaptureMode": "Input"}, {"CaptureMode": "Output"}],
               "CaptureContentTypeHeader": {"CsvContentTypes": ["text/csv"]}}
    sm.create_endpoint_config(EndpointConfigName=name, ProductionVariants=[_variant("Prod", models["prod"])],
                              ShadowProductionVariants=[_variant("Shadow", models["shadow"])],
                              DataCaptureConfig=capture)
    assert sm.describe_endpoint_config(EndpointConfigName=name)["ShadowProductionVariants"][0]["VariantName"] == \
        "Shadow"
    sm.create_endpoint(EndpointName=name, EndpointConfigName=name)
    described = wait_status(sm, name)
    assert described["EndpointStatus"] == "InService", described.get("FailureReason")
    assert [v["VariantName"] for v in described["ProductionVariants"]] == ["Prod"]
    assert [v["VariantName"] for v in described["ShadowProductionVariants"]] == ["Shadow"]
    assert described["ShadowProductionVariants"][0]["CurrentInstanceCount"] == 1

    rows = features[:2]
    for _ in range(3):
        answer = runtime.invoke_endpoint(EndpointName=name, ContentType="text/csv", Body=csv_rows(rows))
        assert answer["InvokedProductionVariant"] == "Prod"
        scores = [float(v) for v in answer["Body"].read().decode().split()]
        assert np.allclose(scores, production_booster.predict(xgboost.DMatrix(rows)), atol=1e-6)

    shadow_records = _captured(s3, bucket, f"shadowcap/{name}/Shadow/", 3)
    assert len(shadow_records) == 3, "each request's copy answered by the shadow is captured under its name"
    shadow_scores = [float(v) for v in shadow_records[0]["captureData"]["endpointOutput"]["data"].split()]
    assert np.allclose(shadow_scores, shadow_booster.predict(xgboost.DMatrix(rows)), atol=1e-6)
    assert shadow_records[0]["captureData"]["endpointInput"]["data"] == csv_rows(rows)
    assert len(_captured(s3, bucket, f"shadowcap/{name}/Prod/", 3)) == 3

    with pytest.raises(ClientError) as caught:
        runtime.invoke_endpoint(EndpointName=name, ContentType="text/csv", Body=csv_rows(rows), TargetVariant="Shadow")
    assert caught.value.response["Error"]["Code"] == "ValidationError"

    sm.delete_endpoint(EndpointName=name)

"""Multi-model endpoints: TargetModel loads <prefix>/<target> on first use, an LRU cache under a
memory budget in MB per instance evicts and reloads, a missing target is named."""

from __future__ import annotations

import numpy as np
import pytest
import xgboost
from botocore.exceptions import ClientError
from hosting_support import ROLE, XGBOOST_IMAGE, csv_rows, unique, upload_tar, wait_status


@pytest.mark.slow
def test_multi_model_routes_by_target_and_evicts(sm, s3, logs, runtime, bucket, tmp_path):
    from sklearn.datasets import load_breast_cancer

    data = load_breast_cancer()
    rows = data.data[:3].astype(np.float32)
    prefix = f"mme-{unique('p')}"
    expected, sizes = {}, {}
    for rounds in (1, 2, 3):
        booster = xgboost.train({"objective": "binary:logistic", "max_depth": 2},
                                xgboost.DMatrix(data.data, data.target), num_boost_round=rounds)
        booster.save_model(str(tmp_path / f"{rounds}.json"))
        upload_tar(s3, bucket, f"{prefix}/model-{rounds}.tar.gz",
                   {"xgboost-model": (tmp_path / f"{rounds}.json").read_bytes()})
        expected[f"model-{rounds}.tar.gz"] = booster.predict(xgboost.DMatrix(rows))
        sizes[rounds] = (tmp_path / f"{rounds}.json").stat().st_size
    # A cache budget in MB for models 2 and 3 (the two largest) but not all three: room for any two.
    budget_mb = (sizes[2] + sizes[3] + 16) / (1024 * 1024)
    name = unique("mme")
    sm.create_model(ModelName=name, ExecutionRoleArn=ROLE, PrimaryContainer={
        "Image": XGBOOST_IMAGE, "Mode": "MultiModel", "ModelDataUrl": f"s3://{bucket}/{prefix}/",
        "Environment": {"SAGECRAFT_MME_MEMORY_MB": repr(budget_mb)}})
    sm.create_endpoint_config(EndpointConfigName=name, ProductionVariants=[{
        "VariantName": "AllTraffic", "ModelName": name, "InitialInstanceCount": 1, "InstanceType": "ml.m5.xlarge"}])
    sm.create_endpoint(EndpointName=name, EndpointConfigName=name)
    described = wait_status(sm, name)
    assert described["EndpointStatus"] == "InService", described.get("FailureReason")

    for target in ("model-1.tar.gz", "model-2.tar.gz", "model-3.tar.gz", "model-1.tar.gz", "model-3.tar.gz"):
        reply = runtime.invoke_endpoint(EndpointName=name, ContentType="text/csv", Body=csv_rows(rows),
                                        TargetModel=target)["Body"].read().decode()
        assert np.allclose([float(v) for v in reply.split()], expected[target], atol=1e-6), target
    with pytest.raises(ClientError) as excinfo:
        runtime.invoke_endpoint(EndpointName=name, ContentType="text/csv", Body=csv_rows(rows),
                                TargetModel="model-9.tar.gz")
    error = excinfo.value.response["Error"]
    assert error["Code"] == "ValidationError" and f"{prefix}/model-9.tar.gz" in error["Message"]
    with pytest.raises(ClientError) as excinfo:
        runtime.invoke_endpoint(EndpointName=name, ContentType="text/csv", Body=csv_rows(rows))
    assert excinfo.value.response["Error"]["Code"] == "ValidationError"

    sm.delete_endpoint(EndpointName=name)  # its logs are shipped when the workers stop
    group = f"/aws/sagemaker/Endpoints/{name}"
    lines: list[str] = []
    for _ in range(100):
        streams = logs.describe_log_streams(logGroupName=group).get("logStreams", []) if any(
            g["logGroupName"] == group for g in logs.describe_log_groups(logGroupNamePrefix=group)["logGroups"]) \
            else []
        lines = [e["message"] for s in streams
                 for e in logs.get_log_events(logGroupName=group, logStreamName=s["logStreamName"])["events"]]
        if sum("loaded model" in line for line in lines) >= 4:
            break
        __import__("time").sleep(0.2)
    # 1, 2 loaded; 3 evicts 1; 1 evicts 2 (loaded again); 3 is cached.
    assert sum("loaded model" in line for line in lines) == 4
    assert sum("evicted model" in line for line in lines) == 2

"""InService endpoints serve again after a server restart: the reconciler starts their workers."""

from __future__ import annotations

import time

import numpy as np
from botocore.exceptions import ClientError
from hosting_support import csv_rows, deploy, train_booster, unique, upload_tar, wait_status


def test_endpoint_serves_again_after_restart(fresh_server, tmp_path):
    server = fresh_server.start()
    sm, s3 = server.client("sagemaker"), server.client("s3")
    bucket = unique("restart")
    s3.create_bucket(Bucket=bucket)
    _booster, path, features = train_booster(tmp_path)
    name = deploy(sm, upload_tar(s3, bucket, "m/model.tar.gz", {"xgboost-model": path.read_bytes()}))
    assert wait_status(sm, name)["EndpointStatus"] == "InService"
    body = csv_rows(features[:3])
    before = server.client("sagemaker-runtime").invoke_endpoint(EndpointName=name, ContentType="text/csv",
                                                               Body=body)["Body"].read()
    server.stop()
    server.start()
    runtime = server.client("sagemaker-runtime")
    started = time.monotonic()
    while True:
        try:
            after = runtime.invoke_endpoint(EndpointName=name, ContentType="text/csv", Body=body)["Body"].read()
            break
        except ClientError:
            assert time.monotonic() - started < 30, "the endpoint did not serve again after the restart"
            time.sleep(0.2)
    assert np.allclose([float(v) for v in after.split()], [float(v) for v in before.split()], atol=1e-9)
    assert server.client("sagemaker").describe_endpoint(EndpointName=name)["EndpointStatus"] == "InService"
    logs = server.client("logs")
    groups = logs.describe_log_groups(logGroupNamePrefix=f"/aws/sagemaker/Endpoints/{name}")["logGroups"]
    assert groups, "the workers' logs reach CloudWatch Logs"

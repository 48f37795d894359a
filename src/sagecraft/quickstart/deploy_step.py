"""Deploying the trained model as the seed's real-time pattern does: ``Model.deploy()`` with data
capture, ``Predictor.predict()`` on the held-out rows (CSV, label column removed), the seed's
classification metrics from the endpoint's answers, the captured requests in S3. The endpoint
stays up for the monitor step; ``delete_endpoints`` ends the run (and runs on a failure too).
The SDK's own wait sleeps 30 s first: the step polls DescribeEndpoint."""

from __future__ import annotations

import io
import time

from sagecraft.quickstart.context import PREFIX, QuickstartRun
from sagecraft.quickstart.evaluation import THRESHOLD

DEPLOY_SECONDS = 120.0
CAPTURE_SECONDS = 30.0
CAPTURE_URI = "s3://{bucket}/" + PREFIX + "/data-capture"
ROWS_PER_REQUEST = 20  # several requests: one capture record each


def deploy_and_predict(run: QuickstartRun) -> str:
    import numpy as np
    import sagemaker
    from sagemaker.model import Model
    from sagemaker.model_monitor import DataCaptureConfig
    from sagemaker.predictor import Predictor
    from sagemaker.serializers import CSVSerializer

    image = sagemaker.image_uris.retrieve("xgboost", run.sagemaker.boto_region_name, "1.3-1")
    name = f"quickstart-{run.training_job[-23:]}".rstrip("-")
    capture_uri = CAPTURE_URI.format(bucket=run.bucket)
    model = Model(image_uri=image, model_data=run.model_uri, role=run.role, sagemaker_session=run.sagemaker)
    capture = DataCaptureConfig(
        enable_capture=True, sampling_percentage=100, destination_s3_uri=capture_uri, sagemaker_session=run.sagemaker
    )
    run.detail(f"deploying {name} (built-in XGBoost image, data capture to {capture_uri})")
    model.deploy(
        initial_instance_count=1,
        instance_type="ml.m5.xlarge",
        endpoint_name=name,
        data_capture_config=capture,
        wait=False,
    )
    run.endpoint_name = name
    run.endpoints.append(name)
    run.stack.callback(_delete_quietly, run)  # a failing later step still deletes the endpoints
    predictor = Predictor(name, sagemaker_session=run.sagemaker, serializer=CSVSerializer())
    _wait_in_service(run, name)
    labels, features = held_out(run)
    scores: list[float] = []
    for start in range(0, len(features), ROWS_PER_REQUEST):
        run.detail(f"predicting held-out rows {start + 1}-{min(start + ROWS_PER_REQUEST, len(features))}")
        answer = predictor.predict(features[start : start + ROWS_PER_REQUEST]).decode()
        scores += [float(v) for v in answer.split()]
    requests = -(-len(features) // ROWS_PER_REQUEST)
    captured = captured_records(run, name, capture_uri, requests)
    scored = metrics(labels, np.asarray(scores))
    run.facts["Capture endpoint"] = name
    run.facts["Endpoint metrics"] = "  ".join(f"{k} {v:.3f}" for k, v in scored.items())
    run.facts["Data capture"] = f"{capture_uri}/{name}/AllTraffic/ ({captured} records)"
    return (
        f"{name} served {len(labels)} held-out rows in {requests} requests: "
        + ", ".join(f"{k} {v:.3f}" for k, v in scored.items())
        + f"; {captured} requests captured; the endpoint stays up for the monitor step"
    )


def held_out(run: QuickstartRun):
    """The held-out test split: labels, features (the processing job's layout: label first)."""
    import numpy as np
    from sagemaker.s3 import S3Downloader

    text = "".join(
        S3Downloader.read_file(uri, sagemaker_session=run.sagemaker)
        for uri in sorted(S3Downloader.list(run.split_uris["test"], sagemaker_session=run.sagemaker))
    )
    rows = np.loadtxt(io.StringIO(text), delimiter=",", ndmin=2)
    return rows[:, 0].astype(int), rows[:, 1:]


def delete_endpoints(run: QuickstartRun) -> str:
    deleted = _delete_left_over(run)
    run.facts["Endpoints deleted"] = ", ".join(deleted)
    return f"deleted {len(deleted)} endpoint(s) with their configs and models: {', '.join(deleted)}"


def _delete_quietly(run: QuickstartRun) -> None:
    """On a failure: the step's own error is the news, not a cleanup error after it."""
    try:
        _delete_left_over(run)
    except Exception:
        pass


def _delete_left_over(run: QuickstartRun) -> list[str]:
    from sagemaker.predictor import Predictor

    deleted = []
    while run.endpoints:
        name = run.endpoints.pop()
        predictor = Predictor(name, sagemaker_session=run.sagemaker)
        try:
            predictor.delete_model()
        finally:
            predictor.delete_endpoint()  # its config too
        deleted.append(name)
    return deleted[::-1]


def _wait_in_service(run: QuickstartRun, name: str) -> None:
    deadline = time.monotonic() + DEPLOY_SECONDS
    while time.monotonic() < deadline:
        described = run.sagemaker.sagemaker_client.describe_endpoint(EndpointName=name)
        status = described["EndpointStatus"]
        if status == "InService":
            return
        if status not in ("Creating", "Updating"):
            raise RuntimeError(f"endpoint {name} is {status}: {described.get('FailureReason', '')}")
        time.sleep(0.2)
    raise RuntimeError(f"endpoint {name} was not InService within {DEPLOY_SECONDS:.0f} s")


def captured_records(run: QuickstartRun, name: str, capture_uri: str, expected: int) -> int:
    """Capture files are written off the request path about once a second: wait for all records."""
    s3 = run.boto.client("s3")
    prefix = f"{capture_uri.split('/', 3)[3]}/{name}/AllTraffic/"
    deadline = time.monotonic() + CAPTURE_SECONDS
    count = 0
    while time.monotonic() < deadline:
        keys = [o["Key"] for o in s3.list_objects_v2(Bucket=run.bucket, Prefix=prefix).get("Contents", [])]
        count = sum(len(s3.get_object(Bucket=run.bucket, Key=k)["Body"].read().splitlines()) for k in keys)
        if count >= expected:
            break
        time.sleep(0.2)
    return count


def metrics(labels, scores) -> dict[str, float]:
    from sklearn import metrics

    predicted = (scores > THRESHOLD).astype(int)
    return {
        "accuracy": float(metrics.accuracy_score(labels, predicted)),
        "precision": float(metrics.precision_score(labels, predicted, zero_division=0)),
        "recall": float(metrics.recall_score(labels, predicted, zero_division=0)),
        "f1": float(metrics.f1_score(labels, predicted, zero_division=0)),
    }

"""The approval workflow through boto3 against a real server: approving a version deploys it to the
endpoint its group names (a real XGBoost model serving real predictions), approving the next one
updates that endpoint, a rejected version never deploys, a webhook hears every change, and every
change is recorded as an event in CloudWatch Logs."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from botocore.exceptions import ClientError

from tests.api.hosting.hosting_support import XGBOOST_IMAGE, csv_rows, unique, upload_tar

EVENTS_GROUP = "/aws/sagemaker/ModelPackageGroups"


def _booster(tmp_path, rounds: int):
    import xgboost
    from sklearn.datasets import load_breast_cancer

    data = load_breast_cancer()
    booster = xgboost.train({"objective": "binary:logistic", "max_depth": 2}, xgboost.DMatrix(data.data, data.target),
                            num_boost_round=rounds)
    path = tmp_path / f"model-{rounds}.json"
    booster.save_model(str(path))
    return booster, path.read_bytes(), data.data[:3]


def _register(sm, s3, bucket: str, group: str, model: bytes, key: str, **extra) -> str:
    url = upload_tar(s3, bucket, key, {"xgboost-model": model})
    return sm.create_model_package(ModelPackageGroupName=group, InferenceSpecification={
        "Containers": [{"Image": XGBOOST_IMAGE, "ModelDataUrl": url}],
        "SupportedContentTypes": ["text/csv"], "SupportedResponseMIMETypes": ["text/csv"]}, **extra)["ModelPackageArn"]


def _poll(check, timeout: float = 90):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.25)
    raise TimeoutError("condition not reached")


def _in_service(sm, endpoint: str, version: int):
    def check():
        try:
            described = sm.describe_endpoint(EndpointName=endpoint)
        except ClientError:
            return None  # the approval's deployment has not created it yet
        assert described["EndpointStatus"] != "Failed", described.get("FailureReason")
        return described if described["EndpointStatus"] == "InService" and \
            f"-v{version}-" in described["EndpointConfigName"] else None
    return check


def _events(logs, group: str) -> list[dict]:
    found = logs.get_log_events(logGroupName=EVENTS_GROUP, logStreamName=group, startFromHead=True)["events"]
    return [json.loads(e["message"]) for e in found]


def _scores(runtime, endpoint: str, rows) -> list[float]:
    body = runtime.invoke_endpoint(EndpointName=endpoint, ContentType="text/csv", Body=csv_rows(rows))["Body"]
    return [float(v) for v in body.read().decode().split()]


@pytest.mark.slow
def test_approval_deploys_and_updates_the_endpoint_rejected_never_deploys(sm, s3, runtime, logs, tmp_path):
    import xgboost

    bucket = unique("registry-test")
    s3.create_bucket(Bucket=bucket)
    group, endpoint = unique("Churn"), unique("churn-ep")
    sm.create_model_package_group(ModelPackageGroupName=group, Tags=[
        {"Key": "sagecraft:on-approval:deploy-endpoint", "Value": endpoint},
        {"Key": "sagecraft:on-approval:instance-type", "Value": "ml.m5.large"}])
    first_booster, first_model, rows = _booster(tmp_path, 3)
    second_booster, second_model, _ = _booster(tmp_path, 12)
    rejected = _register(sm, s3, bucket, group, first_model, "v0/model.tar.gz")
    sm.update_model_package(ModelPackageArn=rejected, ModelApprovalStatus="Rejected", ApprovalDescription="no")
    assert endpoint not in [e["EndpointName"] for e in sm.list_endpoints(NameContains=endpoint)["Endpoints"]]

    first = _register(sm, s3, bucket, group, first_model, "v1/model.tar.gz")
    assert endpoint not in [e["EndpointName"] for e in sm.list_endpoints(NameContains=endpoint)["Endpoints"]]
    sm.update_model_package(ModelPackageArn=first, ModelApprovalStatus="Approved", ApprovalDescription="auc ok")
    # Approved again while the first deployment is still creating the endpoint: it waits, then updates it.
    second = _register(sm, s3, bucket, group, second_model, "v3/model.tar.gz", ModelApprovalStatus="Approved")
    assert second.endswith("/3")
    described = _poll(_in_service(sm, endpoint, 3))
    variant = described["ProductionVariants"][0]
    assert variant["VariantName"] == "AllTraffic" and variant["CurrentInstanceCount"] == 1
    expected = [float(v) for v in second_booster.predict(xgboost.DMatrix(rows))]
    assert _scores(runtime, endpoint, rows) == pytest.approx(expected, abs=1e-6)
    assert _scores(runtime, endpoint, rows) != pytest.approx([float(v) for v in first_booster.predict(
        xgboost.DMatrix(rows))], abs=1e-6)
    model = sm.describe_model(ModelName=described["EndpointConfigName"])
    assert model["Containers"][0]["ModelPackageName"] == second

    sm.update_model_package(ModelPackageArn=second, ModelApprovalStatus="Rejected")
    assert sm.describe_endpoint(EndpointName=endpoint)["EndpointConfigName"].split("-v")[-1].startswith("3-")
    events = _events(logs, group)
    changes = [(e["detail"]["ModelPackageVersion"], e["detail"]["ModelApprovalStatus"]) for e in events
               if e["detail-type"] == "SageMaker Model Package State Change"]
    assert changes == [(1, "PendingManualApproval"), (1, "Rejected"), (2, "PendingManualApproval"),
                       (2, "Approved"), (3, "Approved"), (3, "Rejected")]
    deployments = [e["detail"] for e in events if e["detail"].get("Action") == "DeployEndpoint"]
    assert [(d["Status"], d["Operation"]) for d in deployments] == [("Succeeded", "CreateEndpoint"),
                                                                  ("Succeeded", "UpdateEndpoint")]
    sm.delete_endpoint(EndpointName=endpoint)


class _Receiver(BaseHTTPRequestHandler):
    received: list[dict] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        type(self).received.append(json.loads(body))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args) -> None:
        pass


def test_webhook_hears_every_approval_change_and_failures_are_recorded(sm, logs):
    receiver = HTTPServer(("127.0.0.1", 0), _Receiver)
    threading.Thread(target=receiver.serve_forever, daemon=True).start()
    try:
        group = unique("Hooked")
        url = f"http://127.0.0.1:{receiver.server_port}/hook"
        group_arn = sm.create_model_package_group(ModelPackageGroupName=group)["ModelPackageGroupArn"]
        sm.add_tags(ResourceArn=group_arn, Tags=[  # actions configured on an existing group
            {"Key": "sagecraft:on-approval:webhook", "Value": url},
            {"Key": "sagecraft:on-approval:deploy-endpoint", "Value": unique("never")}])
        arn = sm.create_model_package(ModelPackageGroupName=group, InferenceSpecification={
            "Containers": [{"Image": "unknown.example/image:1"}], "SupportedContentTypes": ["text/csv"],
            "SupportedResponseMIMETypes": ["text/csv"]})["ModelPackageArn"]
        sm.update_model_package(ModelPackageArn=arn, ModelApprovalStatus="Approved", ApprovalDescription="ship")
        hooked = _poll(lambda: [e["detail"] for e in _Receiver.received if e["resources"] == [arn]][1:], timeout=20)
        created, approved = [e["detail"] for e in _Receiver.received if e["resources"] == [arn]]
        assert (created["ModelApprovalStatus"], created["PreviousModelApprovalStatus"]) == (
            "PendingManualApproval", None)
        assert (approved["ModelApprovalStatus"], approved["PreviousModelApprovalStatus"]) == (
            "Approved", "PendingManualApproval")
        assert approved["ApprovalDescription"] == "ship" and hooked
        # The approval stands although its deployment failed (the image is unknown): the failure is recorded.
        assert sm.describe_model_package(ModelPackageName=arn)["ModelApprovalStatus"] == "Approved"
        def outcomes() -> list[dict] | None:
            found = [e["detail"] for e in _events(logs, group) if e["detail"].get("Action")]
            return found if len(found) == 3 else None

        by_action: dict[str, list[dict]] = {}
        for outcome in _poll(outcomes, 20):
            by_action.setdefault(outcome["Action"], []).append(outcome)
        assert [(o["Status"], o["StatusCode"]) for o in by_action["Webhook"]] == [("Succeeded", 204)] * 2
        [deployment] = by_action["DeployEndpoint"]
        assert deployment["Status"] == "Failed" and "unknown.example/image:1" in deployment["FailureReason"]
    finally:
        receiver.shutdown()

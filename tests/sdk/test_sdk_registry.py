"""The model registry through the official SageMaker SDK v2: ``model.register()`` (which searches
for the group first), listing and approving versions, ``ModelPackage(...).deploy()`` serving real
predictions. (Approvals that deploy by themselves: tests/api/registry.)"""

from __future__ import annotations

import textwrap

import pytest

from tests.sdk.test_sdk_jobs import run_sdk
from tests.support.cli import exports, sagecraft

REGISTER_SCRIPT = textwrap.dedent('''
    import json, os, tarfile, tempfile, time
    import sagemaker
    import xgboost as xgb
    from sagemaker.model import Model, ModelPackage
    from sagemaker.predictor import Predictor
    from sagemaker.serializers import CSVSerializer
    from sklearn.datasets import load_breast_cancer

    ROLE = "arn:aws:iam::000000000000:role/SageMakerRole"
    session = sagemaker.Session()
    client = session.sagemaker_client
    bucket = session.default_bucket()
    suffix = os.environ["PREFIX"][-12:].replace("_", "-").strip("-").lower()
    data = load_breast_cancer()
    rows = data.data[:4]

    def upload(rounds):
        booster = xgb.train({"objective": "binary:logistic"}, xgb.DMatrix(data.data, data.target),
                            num_boost_round=rounds)
        folder = tempfile.mkdtemp()
        booster.save_model(os.path.join(folder, "model.json"))
        with tarfile.open(os.path.join(folder, "model.tar.gz"), "w:gz") as tar:
            tar.add(os.path.join(folder, "model.json"), arcname="xgboost-model")
        url = session.upload_data(os.path.join(folder, "model.tar.gz"), bucket=bucket,
                                  key_prefix=os.environ["PREFIX"] + f"/model-{rounds}")
        return booster, url

    def wait(name):
        while True:
            status = client.describe_endpoint(EndpointName=name)["EndpointStatus"]
            if status not in ("Creating", "Updating"):
                return status
            time.sleep(0.25)

    image = sagemaker.image_uris.retrieve("xgboost", session.boto_region_name, "1.7-1")
    group = "churn-" + suffix
    booster, url = upload(5)
    model = Model(image_uri=image, model_data=url, role=ROLE, sagemaker_session=session)
    package = model.register(content_types=["text/csv"], response_types=["text/csv"],
                             inference_instances=["ml.m5.large"], transform_instances=["ml.m5.large"],
                             model_package_group_name=group, approval_status="PendingManualApproval",
                             description="first", customer_metadata_properties={"auc": "0.97"})
    second = Model(image_uri=image, model_data=url, role=ROLE, sagemaker_session=session).register(
        content_types=["text/csv"], response_types=["text/csv"], model_package_group_name=group)
    versions = client.list_model_packages(ModelPackageGroupName=group, SortBy="CreationTime",
                                          SortOrder="Descending")["ModelPackageSummaryList"]
    package.update_approval_status("Approved", approval_description="good enough")
    described = client.describe_model_package(ModelPackageName=package.model_package_arn)

    endpoint = "registry-" + suffix
    deployable = ModelPackage(role=ROLE, model_package_arn=package.model_package_arn, sagemaker_session=session)
    deployable.deploy(initial_instance_count=1, instance_type="ml.m5.xlarge", endpoint_name=endpoint, wait=False)
    status = wait(endpoint)
    predictor = Predictor(endpoint, sagemaker_session=session, serializer=CSVSerializer())
    scores = [float(v) for v in predictor.predict(rows).decode().split()]
    expected = [float(v) for v in booster.predict(xgb.DMatrix(rows))]
    predictor.delete_endpoint()

    print("RESULT " + json.dumps({
        "arns": [package.model_package_arn, second.model_package_arn], "group": group,
        "listed": [v["ModelPackageArn"] for v in versions], "approval": described["ModelApprovalStatus"],
        "description": described["ApprovalDescription"], "metadata": described["CustomerMetadataProperties"],
        "status": status, "scores": scores, "expected": expected}))
''')


def _close(found: list[float], expected: list[float]) -> bool:
    return all(abs(a - b) < 1e-6 for a, b in zip(found, expected, strict=True))


@pytest.mark.slow
def test_register_approve_and_deploy_through_the_sdk(server, tmp_path):
    result = sagecraft("env", "--home", server.home)
    assert result.returncode == 0, result.stderr
    outcome, _ = run_sdk(REGISTER_SCRIPT, tmp_path, exports(result.stdout), {})
    first, second = outcome["arns"]
    assert first.endswith(f":model-package/{outcome['group']}/1") and second.endswith("/2")
    assert outcome["listed"] == [second, first]
    assert (outcome["approval"], outcome["description"]) == ("Approved", "good enough")
    assert outcome["metadata"] == {"auc": "0.97"}
    assert outcome["status"] == "InService" and _close(outcome["scores"], outcome["expected"])

"""The seed's "Model Registry → model approval → deployment": the quickstart approves the version
the pipeline registered (UpdateModelPackage, as a reviewer would in Studio), and the group's
approval action (tag ``sagecraft:on-approval:deploy-endpoint``, docs/registry.md) deploys it. The
step polls DescribeEndpoint until the endpoint is InService, then predicts the held-out rows."""

from __future__ import annotations

import time

from botocore.exceptions import ClientError

from sagecraft.quickstart.context import QuickstartRun
from sagecraft.quickstart.deploy_step import ROWS_PER_REQUEST, held_out, metrics

DEPLOY_SECONDS = 300.0  # the approval action queues behind other deployments


def approve_and_deploy(run: QuickstartRun) -> str:
    from sagemaker.predictor import Predictor
    from sagemaker.serializers import CSVSerializer

    client = run.sagemaker.sagemaker_client
    client.update_model_package(
        ModelPackageArn=run.model_package_arn,
        ModelApprovalStatus="Approved",
        ApprovalDescription="held-out AUC above the pipeline's threshold",
    )
    run.endpoints.append(run.approved_endpoint)
    described = _wait_deployed(run)
    config = client.describe_endpoint_config(EndpointConfigName=described["EndpointConfigName"])
    run.approved_model_name = config["ProductionVariants"][0]["ModelName"]
    model = client.describe_model(ModelName=run.approved_model_name)
    container = model.get("PrimaryContainer") or model["Containers"][0]
    if container.get("ModelPackageName") != run.model_package_arn:
        raise RuntimeError(f"{run.approved_endpoint} serves {container}, not {run.model_package_arn}")
    predictor = Predictor(run.approved_endpoint, sagemaker_session=run.sagemaker, serializer=CSVSerializer())
    labels, features = held_out(run)
    scores: list[float] = []
    for start in range(0, len(features), ROWS_PER_REQUEST):
        run.detail(f"predicting held-out rows {start + 1}-{min(start + ROWS_PER_REQUEST, len(features))}")
        scores += [float(v) for v in predictor.predict(features[start : start + ROWS_PER_REQUEST]).decode().split()]
    import numpy as np

    scored = metrics(labels, np.asarray(scores))
    run.facts["Approved endpoint"] = f"{run.approved_endpoint} (model {run.approved_model_name}): " + "  ".join(
        f"{k} {v:.3f}" for k, v in scored.items()
    )
    return (
        f"version approved; its group's action deployed it to {run.approved_endpoint} "
        f"(model {run.approved_model_name} = the package); {len(labels)} held-out rows: "
        + ", ".join(f"{k} {v:.3f}" for k, v in scored.items())
    )


def _wait_deployed(run: QuickstartRun) -> dict:
    client = run.sagemaker.sagemaker_client
    deadline = time.monotonic() + DEPLOY_SECONDS
    while time.monotonic() < deadline:
        try:
            described = client.describe_endpoint(EndpointName=run.approved_endpoint)
        except ClientError as error:  # the action has not created it yet
            if "Could not find" not in str(error):
                raise
            run.detail(f"waiting for the approval action to create {run.approved_endpoint}")
        else:
            status = described["EndpointStatus"]
            if status == "InService":
                return described
            if status not in ("Creating", "Updating"):
                raise RuntimeError(
                    f"endpoint {run.approved_endpoint} is {status}: {described.get('FailureReason', '')}"
                )
            run.detail(f"{run.approved_endpoint} {status}")
        time.sleep(0.5)
    raise RuntimeError(
        f"the approval of {run.model_package_arn} did not bring {run.approved_endpoint} InService "
        f"within {DEPLOY_SECONDS:.0f} s; the action's outcome is in CloudWatch Logs: `aws logs "
        f"get-log-events --log-group-name /aws/sagemaker/ModelPackageGroups --log-stream-name "
        f"{run.model_package_group}`"
    )

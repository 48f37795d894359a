"""Approval workflow: every approval status change is recorded as an event, and may trigger the
action its group configures with tags:

- ``sagecraft:on-approval:webhook`` = URL: every change is POSTed there as JSON (the event);
- ``sagecraft:on-approval:deploy-endpoint`` = endpoint name: an Approved version is deployed there
  (CreateModel + CreateEndpointConfig + CreateEndpoint, or UpdateEndpoint when it exists), through
  the ``sagemaker`` control plane as a client would, on a worker thread in approval order.
  ``…:instance-type``, ``…:instance-count``, ``…:variant-name`` and ``…:role-arn`` shape the
  deployment. Rejected never deploys.

Events (and each action's outcome) are appended as JSON lines to the CloudWatch Logs group
``/aws/sagemaker/ModelPackageGroups``, one stream per package group, shaped as EventBridge's
"SageMaker Model Package State Change" events."""

from __future__ import annotations

import asyncio
import datetime as dt
import inspect
import json
import logging
import queue
import threading
import time
import urllib.request
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sagecraft.core.errors import AwsError, ValidationException
from sagecraft.services.logs.models import LogScope
from sagecraft.services.logs.service import LogsService
from sagecraft.services.registry.models import ApprovalStatus, ModelPackage, PackageGroup
from sagecraft.services.registry.service import RegistryService

log = logging.getLogger(__name__)
EVENTS_LOG_GROUP = "/aws/sagemaker/ModelPackageGroups"
TAG_PREFIX = "sagecraft:on-approval:"
STATE_CHANGE = "SageMaker Model Package State Change"
ACTION_RESULT = "Sagecraft Model Package Approval Action"
WEBHOOK_TIMEOUT_S = 10
BUSY = ("Creating", "Updating", "SystemUpdating", "RollingBack", "Deleting")
SETTLE_TIMEOUT_S = 900  # how long a deployment waits for an earlier change of its endpoint to finish
SETTLE_POLL_S = 0.5
WORKER_IDLE_S = 5  # the deployment worker exits after this long without work


@dataclass(frozen=True)
class ApprovalConfig:
    endpoint: str | None
    webhook: str | None
    instance_type: str
    instance_count: int
    variant_name: str
    role_arn: str

    @classmethod
    def of(cls, group: PackageGroup) -> ApprovalConfig:
        def tag(key: str, default: str | None = None) -> str | None:
            return group.tag(TAG_PREFIX + key) or default

        return cls(endpoint=tag("deploy-endpoint"), webhook=tag("webhook"),
                   instance_type=tag("instance-type", "ml.m5.large"),  # type: ignore[arg-type]
                   instance_count=int(tag("instance-count", "1")),  # type: ignore[arg-type]
                   variant_name=tag("variant-name", "AllTraffic"),  # type: ignore[arg-type]
                   role_arn=tag("role-arn", f"arn:aws:iam::{group.account_id}:role/SagecraftModelRegistry"))  # type: ignore[arg-type]


class ApprovalActions:
    """Listens to the registry's approval changes (see RegistryService.approval_listeners)."""

    def __init__(self, registry: RegistryService, logs: LogsService, sagemaker: Callable[[], Any]) -> None:
        self.registry = registry
        self.logs = logs
        self.sagemaker = sagemaker  # the control-plane composite, resolved at call time
        self._webhooks: list[threading.Thread] = []
        self._deployments: queue.Queue = queue.Queue()
        self._worker: threading.Thread | None = None
        self._lock = threading.Lock()

    def __call__(self, context: Any, package: ModelPackage, previous: str | None) -> None:
        event = state_change_event(package, previous)
        self._record(package, event)
        if not package.group_name:
            return
        try:
            group = self.registry.get_group(package.account_id, package.region, package.group_name)
            config = ApprovalConfig.of(group)
        except (AwsError, ValueError) as error:
            self._record(package, action_event(package, "Configuration", "Failed", FailureReason=str(error)))
            return
        if config.webhook:
            thread = threading.Thread(target=self._post, args=(package, config.webhook, event), daemon=True,
                                      name=f"webhook-{package.arn}")
            self._webhooks = [t for t in self._webhooks if t.is_alive()] + [thread]
            thread.start()
        if config.endpoint and package.approval_status == ApprovalStatus.APPROVED.value:
            self._queue_deployment(context, package, config)

    def _queue_deployment(self, context: Any, package: ModelPackage, config: ApprovalConfig) -> None:
        """Deployments run one after another on a worker thread, in approval order: each waits for
        the endpoint to settle (an earlier approval may still be creating it) before updating it."""
        with self._lock:
            self._deployments.put((context, package, config))
            if self._worker is None or not self._worker.is_alive():
                self._worker = threading.Thread(target=self._deploy_queued, name="registry-deployments",
                                                daemon=True)
                self._worker.start()

    def _deploy_queued(self) -> None:
        while True:
            try:
                context, package, config = self._deployments.get(timeout=WORKER_IDLE_S)
            except queue.Empty:
                with self._lock:
                    if self._deployments.empty():
                        self._worker = None
                        return
                continue
            try:
                result = self.deploy(context, package, config)
            except Exception as error:  # the approval stands; the failed deployment is its recorded outcome
                if not isinstance(error, AwsError):
                    log.exception("deploying %s to %s failed", package.arn, config.endpoint)
                self._record(package, action_event(package, "DeployEndpoint", "Failed", EndpointName=config.endpoint,
                                                   FailureReason=str(error)))
            else:
                self._record(package, action_event(package, "DeployEndpoint", "Succeeded", **result))

    def deploy(self, context: Any, package: ModelPackage, config: ApprovalConfig) -> dict[str, str]:
        name = f"{config.endpoint[:40]}-v{package.version}-{uuid.uuid4().hex[:8]}"  # type: ignore[index]
        model = {"ModelName": name, "ExecutionRoleArn": config.role_arn,
                 "Containers": [{"ModelPackageName": package.arn}]}
        try:
            self._call(context, "create_model", model)
        except ValidationException as error:
            if "ModelPackageName" not in error.message:
                raise
            # Hosting cannot resolve packages itself yet: the model runs the package's containers.
            containers = self.registry.containers_for(package.arn)
            model.pop("Containers")
            model.update({"PrimaryContainer": containers[0]} if len(containers) == 1 else {"Containers": containers})
            self._call(context, "create_model", model)
        self._call(context, "create_endpoint_config", {"EndpointConfigName": name, "ProductionVariants": [{
            "VariantName": config.variant_name, "ModelName": name, "InitialInstanceCount": config.instance_count,
            "InstanceType": config.instance_type, "InitialVariantWeight": 1.0}]})
        operation = "create_endpoint" if self._settled(context, config.endpoint) is None else "update_endpoint"
        self._call(context, operation, {"EndpointName": config.endpoint, "EndpointConfigName": name})
        return {"EndpointName": config.endpoint, "ModelName": name, "EndpointConfigName": name,  # type: ignore[dict-item]
                "Operation": "UpdateEndpoint" if operation == "update_endpoint" else "CreateEndpoint"}

    def _settled(self, context: Any, endpoint: str) -> str | None:
        """The endpoint's status once no change is in flight (None: there is no such endpoint)."""
        deadline = time.monotonic() + SETTLE_TIMEOUT_S
        while True:
            try:
                status = self._call(context, "describe_endpoint", {"EndpointName": endpoint})["EndpointStatus"]
            except AwsError:
                return None
            if status not in BUSY or time.monotonic() > deadline:
                return status
            time.sleep(SETTLE_POLL_S)

    def _call(self, context: Any, operation: str, params: dict) -> dict:
        result = getattr(self.sagemaker(), operation)(context, params)
        return asyncio.run(result) if inspect.isawaitable(result) else result

    def _post(self, package: ModelPackage, url: str, event: dict) -> None:
        request = urllib.request.Request(url, data=json.dumps(event, default=str).encode(), method="POST",
                                         headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=WEBHOOK_TIMEOUT_S) as reply:
                outcome = action_event(package, "Webhook", "Succeeded", Url=url, StatusCode=reply.status)
        except Exception as error:  # any failure of the receiver is the action's outcome, not ours
            outcome = action_event(package, "Webhook", "Failed", Url=url, FailureReason=str(error))
        self._record(package, outcome)

    def _record(self, package: ModelPackage, event: dict) -> None:
        try:
            self.logs.append(LogScope(package.account_id, package.region), EVENTS_LOG_GROUP,
                             package.group_name or package.name, [(dt.datetime.now(dt.timezone.utc),
                                                                   json.dumps(event, default=str))])
        except Exception:
            log.exception("could not record the approval event of %s", package.arn)

    def wait_for_webhooks(self, timeout: float = WEBHOOK_TIMEOUT_S) -> None:
        for thread in list(self._webhooks):
            thread.join(timeout)


def _envelope(package: ModelPackage, detail_type: str, detail: dict) -> dict:
    return {
        "version": "0", "id": str(uuid.uuid4()), "detail-type": detail_type, "source": "aws.sagemaker",
        "account": package.account_id, "time": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": package.region, "resources": [package.arn], "detail": detail,
    }


def state_change_event(package: ModelPackage, previous: str | None) -> dict:
    return _envelope(package, STATE_CHANGE, {
        "ModelPackageGroupName": package.group_name, "ModelPackageVersion": package.version,
        "ModelPackageArn": package.arn, "ModelPackageName": package.name,
        "ModelApprovalStatus": package.approval_status, "PreviousModelApprovalStatus": previous,
        "ApprovalDescription": package.details.get("ApprovalDescription"),
        "ModelPackageStatus": package.status, "LastModifiedBy": package.details.get("LastModifiedBy"),
    })


def action_event(package: ModelPackage, action: str, status: str, **detail: Any) -> dict:
    return _envelope(package, ACTION_RESULT, {"ModelPackageArn": package.arn, "Action": action, "Status": status,
                                              "ModelApprovalStatus": package.approval_status, **detail})

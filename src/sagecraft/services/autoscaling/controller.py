"""The controller: every interval, each endpoint variant with a target tracking policy gets the
instance count that brings its invocations per instance back to the policy's TargetValue.

The metric is SageMaker's ``Invocations`` (namespace ``AWS/SageMaker``, dimensions EndpointName and
VariantName) summed over the last ``window`` seconds, as a per-minute rate divided by the variant's
current instance count (SageMakerVariantInvocationsPerInstance). The proposal is
``ceil(current * metric / target)``, bounded by the target's Min/MaxCapacity; with several policies
the largest proposal wins (scale out on any, in only when all agree). A window without datapoints
changes nothing (as AWS: no traffic, no alarm). Changes go through the ``sagemaker`` control plane
(UpdateEndpointWeightsAndCapacities, DesiredInstanceCount) and are recorded as scaling activities;
Scale{In,Out}Cooldown, DisableScaleIn and the target's SuspendedState are honoured."""

from __future__ import annotations

import asyncio
import datetime as dt
import inspect
import logging
import math
import threading
import time
from collections.abc import Callable
from typing import Any

from sagecraft.core.context import Principal, RequestContext
from sagecraft.core.errors import AwsError
from sagecraft.services.autoscaling.models import DEFAULT_COOLDOWN_S, TARGET_TRACKING, ScalableTarget, ScalingPolicy
from sagecraft.services.autoscaling.service import AutoScalingService
from sagecraft.services.cloudwatch.models import Metric, MetricScope
from sagecraft.services.cloudwatch.service import CloudWatchService

log = logging.getLogger(__name__)
UTC = dt.timezone.utc
METRIC_NAMESPACE = "AWS/SageMaker"
RETRY_FAILED_S = 60.0  # a failed change is retried after its cooldown, but not more often than this


def service_context(target: ScalableTarget) -> RequestContext:
    """Application Auto Scaling acts as its service-linked role in the target's account."""
    key = target.key
    principal = Principal(access_key_id="", arn=target.role_arn or "", user_id="application-autoscaling",
                          account_id=key.account_id)
    return RequestContext(principal=principal, region=key.region, account_id=key.account_id)


class AutoScalingController:
    def __init__(self, service: AutoScalingService, cloudwatch: CloudWatchService, sagemaker: Callable[[], Any],
                 interval: float, window: float, clock: Callable[[], float] = time.time) -> None:
        self.service = service
        self.cloudwatch = cloudwatch
        self.sagemaker = sagemaker  # the control-plane composite, resolved at call time
        self.interval = interval
        self.window = window
        self.clock = clock
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="autoscaling-controller", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(10)

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            for target in self.service.all_targets():
                try:
                    self.evaluate(target)
                except Exception:
                    log.exception("could not evaluate the scaling of %s", target.key.resource_id)

    def evaluate(self, target: ScalableTarget) -> None:
        endpoint, variant = target.key.endpoint
        context = service_context(target)
        try:
            described = self._call(context, "describe_endpoint", {"EndpointName": endpoint})
        except AwsError:
            return  # the endpoint is gone: nothing to scale
        if described.get("EndpointStatus") != "InService":
            return  # an update is in flight: evaluate again once it settles
        found = next((v for v in described.get("ProductionVariants", []) if v["VariantName"] == variant), None)
        if found is None:
            return
        current = int(found.get("DesiredInstanceCount") or found.get("CurrentInstanceCount") or 0)
        policies = [p for p in self.service.policies_of(target.key) if p.policy_type == TARGET_TRACKING]
        desired, cause, deciding = self._decide(target, current, policies)
        if desired == current or not self._allowed(target, deciding, desired > current):
            return
        started = dt.datetime.now(UTC)
        description = f"Setting desired instance count to {desired}."
        try:
            self._call(context, "update_endpoint_weights_and_capacities", {
                "EndpointName": endpoint,
                "DesiredWeightsAndCapacities": [{"VariantName": variant, "DesiredInstanceCount": desired}]})
        except (AwsError, AttributeError) as error:
            message = str(error) if isinstance(error, AwsError) else \
                "UpdateEndpointWeightsAndCapacities is not available on this server."
            self.service.record_activity(target.key, description, cause, "Failed", f"Failed to set desired "
                                         f"instance count to {desired}. Reason: {message}", started)
            self._remember(deciding, desired > current, failed=True)
            return
        self.service.record_activity(target.key, description, cause, "Successful",
                                     f"Successfully set desired instance count to {desired}. Change successfully "
                                     "fulfilled by sagemaker.", started)
        self._remember(deciding, desired > current, failed=False)

    def _decide(self, target: ScalableTarget, current: int,
                policies: list[ScalingPolicy]) -> tuple[int, str, ScalingPolicy | None]:
        low, high = target.min_capacity, target.max_capacity
        if current < low:
            return low, f"current capacity {current} is below the minimum capacity {low}", None
        if current > high:
            return high, f"current capacity {current} is above the maximum capacity {high}", None
        per_instance = self.invocations_per_instance(target, current)
        if per_instance is None or not policies:
            return current, "", None
        proposals = []
        for policy in policies:
            wanted = math.ceil(current * per_instance / float(policy.configuration["TargetValue"]) - 1e-9)
            if wanted < current and policy.configuration.get("DisableScaleIn"):
                wanted = current
            proposals.append((min(high, max(low, wanted)), policy))
        desired, deciding = max(proposals, key=lambda p: p[0])
        direction = "AlarmHigh" if desired > current else "AlarmLow"
        cause = (f"monitor alarm TargetTracking-{target.key.resource_id}-{direction} in state ALARM triggered policy "
                 f"{deciding.name} (SageMakerVariantInvocationsPerInstance {per_instance:.2f}, target "
                 f"{deciding.configuration['TargetValue']})")
        return desired, cause, deciding

    def invocations_per_instance(self, target: ScalableTarget, current: int) -> float | None:
        """Invocations per minute per instance over the window; None without datapoints."""
        endpoint, variant = target.key.endpoint
        end = dt.datetime.now(UTC)
        start = end - dt.timedelta(seconds=self.window)
        metric = Metric.of(METRIC_NAMESPACE, "Invocations", {"EndpointName": endpoint, "VariantName": variant})
        points = self.cloudwatch.series(MetricScope(target.key.account_id, target.key.region), metric, start, end,
                                        1, "Sum", None)
        if not points:
            return None
        return sum(value for _, value in points) * 60.0 / self.window / max(current, 1)

    def _allowed(self, target: ScalableTarget, policy: ScalingPolicy | None, scale_out: bool) -> bool:
        suspended = target.suspended_state
        if suspended.get("DynamicScalingOutSuspended" if scale_out else "DynamicScalingInSuspended"):
            return policy is None  # bounds are enforced even while dynamic scaling is suspended
        if policy is None:
            return True
        config, state, now = policy.configuration, policy.state, self.clock()
        cooldown = float(config.get("ScaleOutCooldown" if scale_out else "ScaleInCooldown", DEFAULT_COOLDOWN_S))
        if state.get("failed_at") is not None and now - state["failed_at"] < max(cooldown, RETRY_FAILED_S):
            return False
        if scale_out:
            return now - state.get("scaled_out_at", 0.0) >= cooldown
        # Scaling in waits for the cooldown after any change (a scale-out just added the capacity).
        return now - max(state.get("scaled_in_at", 0.0), state.get("scaled_out_at", 0.0)) >= cooldown

    def _remember(self, policy: ScalingPolicy | None, scale_out: bool, failed: bool) -> None:
        if policy is None:
            return
        state = dict(policy.state)
        if failed:
            state["failed_at"] = self.clock()
        else:
            state.pop("failed_at", None)
            state["scaled_out_at" if scale_out else "scaled_in_at"] = self.clock()
        self.service.remember(policy, state)

    def _call(self, context: RequestContext, operation: str, params: dict) -> dict:
        result = getattr(self.sagemaker(), operation)(context, params)
        return asyncio.run(result) if inspect.isawaitable(result) else result

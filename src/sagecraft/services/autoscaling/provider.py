"""Application Auto Scaling on the wire (``application-autoscaling``, JSON 1.1)."""

from __future__ import annotations

from typing import Any

from sagecraft.core.context import RequestContext
from sagecraft.services.autoscaling.models import Activity, InvalidNextToken, ScalableTarget, ScalingPolicy
from sagecraft.services.autoscaling.service import AutoScalingService, target_key

DEFAULT_MAX_RESULTS = 50


def _drop_none(values: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in values.items() if v is not None}


def _page(items: list[dict[str, Any]], params: dict, key: str) -> dict[str, Any]:
    token = params.get("NextToken")
    try:
        start = int(token) if token else 0
    except ValueError:
        raise InvalidNextToken("Invalid token.") from None
    size = params.get("MaxResults") or DEFAULT_MAX_RESULTS
    more = start + size < len(items)
    return _drop_none({key: items[start:start + size], "NextToken": str(start + size) if more else None})


def describe_target(target: ScalableTarget) -> dict[str, Any]:
    return {"ServiceNamespace": target.key.service_namespace, "ResourceId": target.key.resource_id,
            "ScalableDimension": target.key.scalable_dimension, "MinCapacity": target.min_capacity,
            "MaxCapacity": target.max_capacity, "RoleARN": target.role_arn, "CreationTime": target.created_at,
            "SuspendedState": {"DynamicScalingInSuspended": False, "DynamicScalingOutSuspended": False,
                               "ScheduledScalingSuspended": False, **target.suspended_state},
            "ScalableTargetARN": target.arn}


def describe_policy(policy: ScalingPolicy) -> dict[str, Any]:
    return {"PolicyARN": policy.arn, "PolicyName": policy.name, "ServiceNamespace": policy.key.service_namespace,
            "ResourceId": policy.key.resource_id, "ScalableDimension": policy.key.scalable_dimension,
            "PolicyType": policy.policy_type, "TargetTrackingScalingPolicyConfiguration": policy.configuration,
            "Alarms": [], "CreationTime": policy.created_at}


def describe_activity(activity: Activity) -> dict[str, Any]:
    return _drop_none({
        "ActivityId": activity.activity_id, "ServiceNamespace": activity.key.service_namespace,
        "ResourceId": activity.key.resource_id, "ScalableDimension": activity.key.scalable_dimension,
        "Description": activity.description, "Cause": activity.cause, "StartTime": activity.start_time,
        "EndTime": activity.end_time, "StatusCode": activity.status_code, "StatusMessage": activity.status_message,
    })


class AutoScalingProvider:
    service_name = "application-autoscaling"
    threaded_operations = frozenset({
        "RegisterScalableTarget", "DescribeScalableTargets", "DeregisterScalableTarget", "PutScalingPolicy",
        "DescribeScalingPolicies", "DeleteScalingPolicy", "DescribeScalingActivities",
    })

    def __init__(self, service: AutoScalingService) -> None:
        self.service = service

    def register_scalable_target(self, context: RequestContext, params: dict) -> dict:
        target = self.service.register(target_key(context.account_id, context.region, params), params)
        return {"ScalableTargetARN": target.arn}

    def describe_scalable_targets(self, context: RequestContext, params: dict) -> dict:
        found = self.service.targets(context.account_id, context.region, params["ServiceNamespace"],
                                     params.get("ScalableDimension"))
        wanted = params.get("ResourceIds")
        if wanted:
            found = [t for t in found if t.key.resource_id in wanted]
        return _page([describe_target(t) for t in found], params, "ScalableTargets")

    def deregister_scalable_target(self, context: RequestContext, params: dict) -> dict:
        self.service.deregister(target_key(context.account_id, context.region, params))
        return {}

    def put_scaling_policy(self, context: RequestContext, params: dict) -> dict:
        policy = self.service.put_policy(target_key(context.account_id, context.region, params),
                                         params["PolicyName"], params)
        return {"PolicyARN": policy.arn, "Alarms": []}

    def describe_scaling_policies(self, context: RequestContext, params: dict) -> dict:
        found = self.service.policies(context.account_id, context.region, params["ServiceNamespace"],
                                      params.get("ResourceId"), params.get("ScalableDimension"))
        names = params.get("PolicyNames")
        if names:
            found = [p for p in found if p.name in names]
        return _page([describe_policy(p) for p in found], params, "ScalingPolicies")

    def delete_scaling_policy(self, context: RequestContext, params: dict) -> dict:
        self.service.delete_policy(target_key(context.account_id, context.region, params), params["PolicyName"])
        return {}

    def describe_scaling_activities(self, context: RequestContext, params: dict) -> dict:
        found = self.service.activities(context.account_id, context.region, params["ServiceNamespace"],
                                        params.get("ResourceId"), params.get("ScalableDimension"))
        return _page([describe_activity(a) for a in found], params, "ScalingActivities")

"""Wiring of Application Auto Scaling: its service, and the controller thread that scales endpoint
variants through the ``sagemaker`` composite, reading invocations from CloudWatch.

``SAGECRAFT_AUTOSCALING_INTERVAL`` (seconds between evaluations, default 15) and
``SAGECRAFT_AUTOSCALING_WINDOW`` (seconds of invocations the metric covers, default 60) tune it."""

from __future__ import annotations

import asyncio
import inspect
import os
from collections.abc import Callable
from typing import Any

from sagecraft.core.context import Principal, RequestContext
from sagecraft.core.errors import AwsError, ValidationException
from sagecraft.services.autoscaling.controller import AutoScalingController
from sagecraft.services.autoscaling.models import Key
from sagecraft.services.autoscaling.provider import AutoScalingProvider
from sagecraft.services.autoscaling.service import AutoScalingService
from sagecraft.services.cloudwatch.service import CloudWatchService
from sagecraft.storage.metadata import MetadataStore

INTERVAL_ENV = "SAGECRAFT_AUTOSCALING_INTERVAL"
WINDOW_ENV = "SAGECRAFT_AUTOSCALING_WINDOW"


def autoscaling_provider(metadata: MetadataStore, cloudwatch: CloudWatchService, sagemaker: Callable[[], Any],
                         closers: list) -> AutoScalingProvider:
    """``sagemaker`` returns the control-plane composite (built before the first request)."""

    def check_variant(key: Key) -> None:
        endpoint, variant = key.endpoint
        context = RequestContext(principal=Principal("", "", "application-autoscaling", key.account_id),
                                 region=key.region, account_id=key.account_id)
        try:
            described = sagemaker().describe_endpoint(context, {"EndpointName": endpoint})
            if inspect.isawaitable(described):
                described = asyncio.run(described)
        except AwsError:
            raise ValidationException(f"Endpoint {endpoint} does not exist.") from None
        if variant not in [v["VariantName"] for v in described.get("ProductionVariants", [])]:
            raise ValidationException(f"The variant {variant} does not exist in endpoint {endpoint}.")

    service = AutoScalingService(metadata, check_variant)
    controller = AutoScalingController(service, cloudwatch, sagemaker,
                                       interval=float(os.environ.get(INTERVAL_ENV) or 15),
                                       window=float(os.environ.get(WINDOW_ENV) or 60))
    controller.start()
    closers.append(controller.stop)
    return AutoScalingProvider(service)

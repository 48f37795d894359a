"""The routing table InvokeEndpoint reads: immutable snapshots the reconciler publishes whenever a
fleet changes (built, scaled, a worker restarted), so the request path takes no lock."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sagecraft.services.hosting.capture import CaptureSettings


@dataclass(frozen=True)
class InstanceRoute:
    ports: tuple[int, ...]  # one worker per container, in pipeline order
    hostnames: tuple[str, ...]
    stream: str  # the CloudWatch log stream
    folder: str  # the instance's folder (multi-model endpoints keep their models under it)
    sockets: tuple[str, ...] = ()  # each worker's Unix socket address for framed invocations, as ports


@dataclass(frozen=True)
class VariantRoute:
    name: str
    weight: float
    instances: tuple[InstanceRoute, ...]
    accepts: tuple[str | None, ...]  # each container's SAGEMAKER_DEFAULT_INVOCATIONS_ACCEPT (pipelines)
    serverless: dict[str, Any] | None = None  # ServerlessConfig
    model_prefix: str | None = None  # the S3 prefix of a multi-model endpoint


@dataclass(frozen=True)
class Route:
    """Where InvokeEndpoint sends a request: variants, weights and their workers' ports."""

    name: str
    account_id: str
    region: str
    endpoint_id: int
    variants: tuple[VariantRoute, ...]
    capture: CaptureSettings | None = None
    direct: bool = False  # InferenceExecutionConfig Mode Direct: TargetContainerHostname picks a container
    async_inference: dict[str, Any] | None = None  # the config's AsyncInferenceConfig
    shadows: tuple[VariantRoute, ...] = ()  # ShadowProductionVariants: get a copy of each request

    def variant(self, name: str) -> VariantRoute | None:
        return next((v for v in self.variants if v.name == name), None)

"""What a capability's provider looks like to the gateway.

A provider serves one botocore service. For an operation ``CreateTrainingJob`` the gateway calls
the provider's method ``create_training_job(context, params)``, where ``params`` are the parsed and
validated input members, and serializes the dict it returns as the operation's output."""

from __future__ import annotations

from typing import Protocol


class Provider(Protocol):
    service_name: str  # the botocore service name, e.g. "s3", "sagemaker-runtime"

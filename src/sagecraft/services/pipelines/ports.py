"""What the pipelines engine needs from the rest of Sagecraft, as small protocols implemented at
composition (server/pipelines.py): the SageMaker control plane as a client calls it, and S3 reads."""

from __future__ import annotations

from typing import Any, Protocol


class SageMakerApi(Protocol):
    def call(self, account_id: str, region: str, operation_name: str, params: dict[str, Any]) -> dict[str, Any]:
        """Run a ``sagemaker`` operation as the account's root principal; raises core.errors.AwsError."""
        ...


class ObjectReader(Protocol):
    def read(self, uri: str) -> bytes:
        """The bytes of the object at an ``s3://bucket/key`` URI; raises core.errors.AwsError."""
        ...

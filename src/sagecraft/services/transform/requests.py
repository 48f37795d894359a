"""CreateTransformJob's rules beyond the botocore shapes the gateway already checks: what Sagecraft
runs, what it refuses (named, never faked), and the defaults SageMaker fills in."""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from typing import Any

from sagecraft.core.errors import ValidationException
from sagecraft.executors.transform.filters import JsonPathError, parse_path
from sagecraft.services.transform.models import DEFAULT_MAX_PAYLOAD_MB

SUPPORTED_SPLIT = ("None", "Line")
MAX_PAYLOAD_MB = 100


def check(request: Mapping[str, Any], bucket_exists: Callable[[str], bool]) -> None:
    source = request["TransformInput"]["DataSource"]
    if "S3DataSource" not in source:
        raise ValidationException(
            "TransformInput.DataSource needs an S3DataSource: other data sources are not supported by Sagecraft yet."
        )
    s3 = source["S3DataSource"]
    if s3["S3DataType"] not in ("S3Prefix", "ManifestFile"):
        raise ValidationException(
            f"S3DataType {s3['S3DataType']} is not supported by Sagecraft yet: use S3Prefix or ManifestFile."
        )
    _bucket(s3["S3Uri"], "TransformInput.DataSource.S3DataSource.S3Uri", bucket_exists)
    _bucket(request["TransformOutput"]["S3OutputPath"], "TransformOutput.S3OutputPath", bucket_exists)
    split = request["TransformInput"].get("SplitType") or "None"
    if split not in SUPPORTED_SPLIT:
        raise ValidationException(f"SplitType {split} is not supported by Sagecraft yet: use None or Line.")
    payload = request.get("MaxPayloadInMB")
    if payload is not None and payload > MAX_PAYLOAD_MB:
        raise ValidationException(f"MaxPayloadInMB must be at most {MAX_PAYLOAD_MB}.")
    if payload == 0 and request.get("BatchStrategy") == "SingleRecord":
        raise ValidationException("MaxPayloadInMB 0 (no limit) is only valid with BatchStrategy MultiRecord.")
    processing = request.get("DataProcessing") or {}
    for key in ("InputFilter", "OutputFilter"):
        if processing.get(key):
            try:
                parse_path(processing[key])
            except JsonPathError as error:
                raise ValidationException(
                    f"DataProcessing.{key} {processing[key]!r} is not a JSONPath Sagecraft supports: {error}"
                ) from None
    for key in ("DataCaptureConfig", "ModelClientConfig"):
        if request.get(key):
            raise ValidationException(f"{key} is not supported by Sagecraft yet.")


def _bucket(uri: str, field: str, bucket_exists: Callable[[str], bool]) -> None:
    if not uri.startswith("s3://") or not uri[5:].split("/", 1)[0]:
        raise ValidationException(f"{field} {uri!r} is not an S3 URI (s3://bucket/prefix).")
    bucket = uri[5:].split("/", 1)[0]
    if not bucket_exists(bucket):
        raise ValidationException(f"{field}: the bucket {bucket} does not exist.")


def containers_of(model: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The model's containers in order: one, or a serial inference pipeline's (each one's output is the
    next one's input, as on an endpoint). Direct invocation has no meaning for a batch."""
    containers = [model["PrimaryContainer"]] if model.get("PrimaryContainer") else list(model.get("Containers") or [])
    if not containers:
        raise ValidationException("The model has no container to run.")
    if len(containers) > 1 and (model.get("InferenceExecutionConfig") or {}).get("Mode") == "Direct":
        raise ValidationException(
            "Batch transform of a model with InferenceExecutionConfig Mode Direct is not supported by "
            "Sagecraft yet: use a model whose containers run in Serial."
        )
    return [dict(container) for container in containers]


def with_defaults(request: Mapping[str, Any]) -> dict[str, Any]:
    """The request as DescribeTransformJob reports it (without Tags), SageMaker's defaults filled in."""
    stored = copy.deepcopy({k: v for k, v in request.items() if k != "Tags"})
    transform_input = stored["TransformInput"]
    transform_input.setdefault("CompressionType", "None")
    transform_input.setdefault("SplitType", "None")
    stored["TransformOutput"].setdefault("AssembleWith", "None")
    stored.setdefault("MaxPayloadInMB", DEFAULT_MAX_PAYLOAD_MB)
    if "DataProcessing" in stored:
        processing = stored["DataProcessing"]
        processing.setdefault("InputFilter", "$")
        processing.setdefault("OutputFilter", "$")
        processing.setdefault("JoinSource", "None")
    return stored

"""Which AWS service a request is for, decided before anything is parsed.

All four SageMaker APIs sign as ``sagemaker``: the control plane is told apart by its
``X-Amz-Target``, the runtimes by their paths. Other services by signing name, target prefix or
the query protocol's ``Action``."""

from __future__ import annotations

import functools
import re

from botocore.exceptions import UnknownServiceError

from sagecraft.api.models import ServiceInfo, service_info, service_info_as
from sagecraft.api.protocols.http import HttpRequest

# The services Sagecraft routes (served or not yet); boto names.
KNOWN_SERVICES = (
    "s3", "sts", "iam", "logs", "sagemaker", "sagemaker-runtime", "sagemaker-featurestore-runtime",
    "sagemaker-metrics", "cloudwatch", "athena", "glue", "kms", "application-autoscaling", "cloudtrail",
)
SUPPORTED_PROTOCOLS = ("json", "rest-json", "rest-xml", "query")
_SAGEMAKER_PATHS = (
    ("/endpoints/", "sagemaker-runtime"),
    ("/FeatureGroup/", "sagemaker-featurestore-runtime"),
    ("/BatchGetRecord", "sagemaker-featurestore-runtime"),
    ("/BatchWriteRecord", "sagemaker-featurestore-runtime"),
    ("/BatchPutMetrics", "sagemaker-metrics"),
    ("/BatchGetMetrics", "sagemaker-metrics"),
)
_SCOPE_RE = re.compile(r"Credential=[^/]+/\d{8}/([^/]+)/([^/]+)/aws4_request")
_QUERY_SCOPE_RE = re.compile(r"X-Amz-Credential=[^&]*?(?:/|%2F)\d{8}(?:/|%2F)([^/&%]+)(?:/|%2F)([^/&%]+)", re.I)


@functools.cache
def _by_target_prefix() -> dict[str, str]:
    return {info.target_prefix: name for name in KNOWN_SERVICES
            if (info := service_info(name)).target_prefix}


@functools.cache
def _by_signing_name() -> dict[str, list[str]]:
    table: dict[str, list[str]] = {}
    for name in KNOWN_SERVICES:
        table.setdefault(service_info(name).signing_name, []).append(name)
    return table


@functools.cache
def _other_service(signing_name: str) -> ServiceInfo | None:
    """A service botocore knows and Sagecraft does not route yet (ECR, Lambda, ...), so the client
    hears "not served" in its own protocol. None when botocore does not know it either."""
    try:
        info = service_info(signing_name)
    except UnknownServiceError:
        return None
    return info if info.protocol in SUPPORTED_PROTOCOLS else None


def is_known_signing_name(name: str) -> bool:
    return name in _by_signing_name() or _other_service(name) is not None


def credential_scope(request: HttpRequest) -> tuple[str, str] | None:
    """(region, signing name) from the Authorization header or a presigned query string."""
    match = _SCOPE_RE.search(request.headers.get("authorization", ""))
    if match is None:
        match = _QUERY_SCOPE_RE.search(request.query_string)
    return (match.group(1), match.group(2)) if match else None


def route(request: HttpRequest) -> ServiceInfo:
    target = request.headers.get("x-amz-target")
    if target:
        name = _by_target_prefix().get(target.rpartition(".")[0])
        if name:
            return service_info(name)
    scope = credential_scope(request)
    signing_name = scope[1] if scope else None
    if signing_name == "sagemaker":
        for prefix, name in _SAGEMAKER_PATHS:
            if request.raw_path.startswith(prefix):
                return service_info(name)
        return service_info("sagemaker")
    if signing_name:
        candidates = _by_signing_name().get(signing_name)
        if candidates:
            return _as_sent(service_info(candidates[0]), request)
        other = _other_service(signing_name)
        if other is not None:
            return other
    if request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
        return service_info("sts")  # an unsigned query-protocol call (AssumeRoleWithWebIdentity)
    return service_info("s3")  # unsigned or unknown: answer in S3's words (browsers, curl)


def _as_sent(info: ServiceInfo, request: HttpRequest) -> ServiceInfo:
    """A json service whose model also lists query (CloudWatch) answers a form post without
    X-Amz-Target in query: clients older than botocore 1.4x speak query to it."""
    if (info.protocol == "json" and not request.headers.get("x-amz-target")
            and request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded")
            and "query" in (info.model.metadata.get("protocols") or ())):
        return service_info_as(info.name, "query")
    return info

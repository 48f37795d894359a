"""What a request asks IAM for: the actions, resources and request context keys of each operation,
as the Service Authorization Reference lists them.

An operation may need several checks: CreateTrainingJob needs ``sagemaker:CreateTrainingJob`` on the
job and ``iam:PassRole`` on its RoleArn; CopyObject needs ``s3:GetObject`` on the source and
``s3:PutObject`` on the destination."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from sagecraft.services.iam.kms_actions import kms_checks

# SageMaker's name parameters → ARN resource types (resource names are lower-cased in ARNs).
SAGEMAKER_RESOURCES = {
    "TrainingJobName": "training-job", "ProcessingJobName": "processing-job", "TransformJobName": "transform-job",
    "HyperParameterTuningJobName": "hyper-parameter-tuning-job", "ModelName": "model",
    "EndpointConfigName": "endpoint-config", "EndpointName": "endpoint", "PipelineName": "pipeline",
    "ModelPackageGroupName": "model-package-group", "FeatureGroupName": "feature-group",
    "ExperimentName": "experiment", "TrialName": "experiment-trial",
    "TrialComponentName": "experiment-trial-component", "MonitoringScheduleName": "monitoring-schedule",
    "ArtifactName": "artifact", "ActionName": "action", "ContextName": "context",
}
_VERBS = re.compile(r"^(Create|Describe|Delete|Update|Stop|Start|List|Retry|Send|Put|Get|Batch\w*?|Invoke|Add|"
                    r"Associate|Disassociate|Search|Query)")
SERVICE_PRINCIPALS = {"sagemaker": "sagemaker.amazonaws.com", "glue": "glue.amazonaws.com",
                      "athena": "athena.amazonaws.com"}
_SAGEMAKER_FAMILY = ("sagemaker", "sagemaker-runtime", "sagemaker-featurestore-runtime", "sagemaker-metrics")
SAGEMAKER_FAMILY = _SAGEMAKER_FAMILY  # services whose resources carry SageMaker tags
_PREFIXES = {"application-autoscaling": "application-autoscaling", "cloudtrail": "cloudtrail"}


@dataclass(frozen=True)
class Check:
    action: str
    resource: str
    context: dict[str, list[str]] = field(default_factory=dict)


def _get(params: Any, *path: str) -> Any:
    for part in path:
        if not isinstance(params, dict):
            return None
        params = params.get(part)
    return params


def _strings(*values: Any) -> list[str]:
    out: list[str] = []
    for value in values:
        if value is None:
            continue
        if isinstance(value, list):
            out += [str(v) for v in value if v is not None]
        elif isinstance(value, bool):
            out.append("true" if value else "false")
        else:
            out.append(str(value))
    return out


def _sagemaker_context(params: dict) -> dict[str, list[str]]:
    """SageMaker's condition keys, read from wherever each operation carries them."""
    definition = params.get("TrainingJobDefinition") or {}
    resources = params.get("ResourceConfig") or definition.get("ResourceConfig") or {}
    cluster = _get(params, "ProcessingResources", "ClusterConfig") or {}
    transform = params.get("TransformResources") or {}
    network = params.get("NetworkConfig") or {}
    vpc = params.get("VpcConfig") or network.get("VpcConfig") or definition.get("VpcConfig") or {}
    variants = params.get("ProductionVariants") or []
    keys = {
        "sagemaker:volumekmskey": _strings(resources.get("VolumeKmsKeyId"), cluster.get("VolumeKmsKeyId"),
                                           transform.get("VolumeKmsKeyId"), params.get("KmsKeyId")
                                           if "ProductionVariants" in params else None),
        "sagemaker:outputkmskey": _strings(_get(params, "OutputDataConfig", "KmsKeyId"),
                                           _get(params, "ProcessingOutputConfig", "KmsKeyId"),
                                           _get(params, "TransformOutput", "KmsKeyId"),
                                           _get(definition, "OutputDataConfig", "KmsKeyId")),
        "sagemaker:instancetypes": _strings(resources.get("InstanceType"), cluster.get("InstanceType"),
                                            transform.get("InstanceType"),
                                            [g.get("InstanceType") for g in resources.get("InstanceGroups", [])],
                                            [v.get("InstanceType") for v in variants]),
        "sagemaker:networkisolation": _strings(params.get("EnableNetworkIsolation"),
                                               network.get("EnableNetworkIsolation")),
        "sagemaker:intercontainertrafficencryption": _strings(
            params.get("EnableInterContainerTrafficEncryption"), network.get("EnableInterContainerTrafficEncryption")),
        "sagemaker:vpcsubnets": _strings(vpc.get("Subnets")),
        "sagemaker:vpcsecuritygroupids": _strings(vpc.get("SecurityGroupIds")),
        "sagemaker:maxruntimeinseconds": _strings(_get(params, "StoppingCondition", "MaxRuntimeInSeconds")),
    }
    return {key: values for key, values in keys.items() if values}


def _tag_context(params: dict) -> dict[str, list[str]]:
    tags = params.get("Tags")
    if not isinstance(tags, list) or not tags or not isinstance(tags[0], dict) or "Key" not in tags[0]:
        return {}
    context = {f"aws:requesttag/{t['Key'].lower()}": [str(t.get("Value", ""))] for t in tags}
    context["aws:tagkeys"] = [t["Key"] for t in tags]
    return context


def _sagemaker_resource(operation: str, params: dict, region: str, account: str) -> str:
    for arn_param in ("ResourceArn", "PipelineExecutionArn", "ModelPackageArn"):
        if isinstance(params.get(arn_param), str) and params[arn_param].startswith("arn:"):
            return params[arn_param]
    noun = _VERBS.sub("", operation)
    candidates = [f"{noun}Name", *list(SAGEMAKER_RESOURCES)]
    for name_param in candidates:
        kind = SAGEMAKER_RESOURCES.get(name_param)
        value = params.get(name_param)
        if kind and isinstance(value, str) and value:
            if value.startswith("arn:"):
                return value
            return f"arn:aws:sagemaker:{region}:{account}:{kind}/{value.lower()}"
    return "*"


def _role_arns(params: Any, found: list[str]) -> list[str]:
    """Every RoleArn / ExecutionRoleArn a request passes, at any depth (job definitions nest them)."""
    if isinstance(params, dict):
        for key, value in params.items():
            if key in ("RoleArn", "ExecutionRoleArn") and isinstance(value, str):
                found.append(value)
            else:
                _role_arns(value, found)
    elif isinstance(params, list):
        for item in params:
            _role_arns(item, found)
    return found


def _s3_checks(operation: str, params: dict) -> list[Check]:
    bucket, key = params.get("Bucket"), params.get("Key")
    bucket_arn = f"arn:aws:s3:::{bucket}" if bucket else "*"
    object_arn = f"{bucket_arn}/{key}" if bucket and key is not None else bucket_arn
    bucket_actions = {
        "ListBuckets": ("s3:ListAllMyBuckets", "*"), "HeadBucket": ("s3:ListBucket", bucket_arn),
        "ListObjects": ("s3:ListBucket", bucket_arn), "ListObjectsV2": ("s3:ListBucket", bucket_arn),
        "ListMultipartUploads": ("s3:ListBucketMultipartUploads", bucket_arn),
        "ListObjectVersions": ("s3:ListBucketVersions", bucket_arn),
        "DeleteObjects": ("s3:DeleteObject", f"{bucket_arn}/*"),
        "PutBucketEncryption": ("s3:PutEncryptionConfiguration", bucket_arn),
        "GetBucketEncryption": ("s3:GetEncryptionConfiguration", bucket_arn),
        "DeleteBucketEncryption": ("s3:PutEncryptionConfiguration", bucket_arn),  # AWS has no Delete action
    }
    object_actions = {
        "GetObject": "s3:GetObject", "HeadObject": "s3:GetObject", "GetObjectAttributes": "s3:GetObject",
        "PutObject": "s3:PutObject", "CopyObject": "s3:PutObject", "CreateMultipartUpload": "s3:PutObject",
        "UploadPart": "s3:PutObject", "UploadPartCopy": "s3:PutObject", "CompleteMultipartUpload": "s3:PutObject",
        "AbortMultipartUpload": "s3:AbortMultipartUpload", "ListParts": "s3:ListMultipartUploadParts",
        "DeleteObject": "s3:DeleteObject",
    }
    if operation in bucket_actions:
        action, resource = bucket_actions[operation]
        context = {k: _strings(params.get(p)) for k, p in (("s3:prefix", "Prefix"), ("s3:delimiter", "Delimiter"),
                                                            ("s3:max-keys", "MaxKeys")) if params.get(p) is not None}
        checks = [Check(action, resource, context)]
    elif operation in object_actions:
        checks = [Check(object_actions[operation], object_arn)]
    else:
        checks = [Check(f"s3:{operation}", bucket_arn)]
    source = params.get("CopySource")
    if operation in ("CopyObject", "UploadPartCopy") and source:
        text = source if isinstance(source, str) else f"{source.get('Bucket')}/{source.get('Key')}"
        checks.append(Check("s3:GetObject", "arn:aws:s3:::" + text.lstrip("/").split("?", 1)[0]))
    return checks


def _iam_resource(params: dict, account: str) -> str:
    for param, kind in (("UserName", "user"), ("RoleName", "role"), ("GroupName", "group")):
        if params.get(param):
            return f"arn:aws:iam::{account}:{kind}/{params[param]}"
    return params.get("PolicyArn") or params.get("PolicySourceArn") or "*"


def checks_for(service: str, operation: str, params: dict, region: str, account: str) -> list[Check]:
    """The authorization checks of one request (an empty list: the operation needs no permission)."""
    if service in _SAGEMAKER_FAMILY:
        context = {**_sagemaker_context(params), **_tag_context(params)}
        checks = [Check(f"sagemaker:{operation}", _sagemaker_resource(operation, params, region, account), context)]
        for role_arn in _role_arns(params, []):
            checks.append(Check("iam:PassRole", role_arn,
                                {"iam:passedtoservice": [SERVICE_PRINCIPALS["sagemaker"]]}))
        return checks
    if service == "s3":
        return _s3_checks(operation, params)
    if service == "sts":
        if operation == "GetCallerIdentity":
            return []  # AWS answers it for every valid credential
        return [Check(f"sts:{operation}", params.get("RoleArn", "*"))]
    if service == "iam":
        return [Check(f"iam:{operation}", _iam_resource(params, account), _tag_context(params))]
    if service == "logs":
        group = params.get("logGroupName")
        resource = f"arn:aws:logs:{region}:{account}:log-group:{group}" if group else "*"
        return [Check(f"logs:{operation}", resource)]
    if service == "kms":
        return [Check(action, resource, context) for action, resource, context in
                kms_checks(operation, params, region, account)]
    prefix = _PREFIXES.get(service, service)
    checks = [Check(f"{prefix}:{operation}", "*", _tag_context(params))]
    for role_arn in _role_arns(params, []):
        checks.append(Check("iam:PassRole", role_arn,
                            {"iam:passedtoservice": [SERVICE_PRINCIPALS.get(service, f"{service}.amazonaws.com")]}))
    return checks

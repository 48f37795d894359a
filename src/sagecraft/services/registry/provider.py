"""Model package groups and model packages on the wire (the ``sagemaker`` control plane, JSON 1.1)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sagecraft.core.context import RequestContext
from sagecraft.core.errors import AwsError, ValidationException
from sagecraft.services.registry.models import ModelPackage, PackageGroup
from sagecraft.services.registry.service import RegistryService

DEFAULT_MAX_RESULTS = 10
PACKAGE_TYPES = ("Versioned", "Unversioned", "Both")


def _drop_none(values: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in values.items() if v is not None}


def user_context(context: RequestContext) -> dict[str, Any]:
    """Who made or changed a resource (SageMaker's UserContext; no Studio profile here)."""
    return {"IamIdentity": {"Arn": context.principal.arn, "PrincipalId": context.principal.user_id}}


def describe_group(group: PackageGroup) -> dict[str, Any]:
    return _drop_none({
        "ModelPackageGroupName": group.name, "ModelPackageGroupArn": group.arn,
        "ModelPackageGroupDescription": group.description, "CreationTime": group.created_at,
        "CreatedBy": group.created_by, "ModelPackageGroupStatus": group.status,
    })


def group_summary(group: PackageGroup) -> dict[str, Any]:
    return _drop_none({
        "ModelPackageGroupName": group.name, "ModelPackageGroupArn": group.arn,
        "ModelPackageGroupDescription": group.description, "CreationTime": group.created_at,
        "ModelPackageGroupStatus": group.status,
    })


def describe_package(package: ModelPackage) -> dict[str, Any]:
    request = {k: v for k, v in package.request.items() if k not in ("ModelPackageName", "ModelPackageGroupName")}
    return _drop_none({
        **request,
        "ModelPackageName": package.name, "ModelPackageGroupName": package.group_name,
        "ModelPackageVersion": package.version, "ModelPackageArn": package.arn,
        "CreationTime": package.created_at, "ModelPackageStatus": package.status,
        "ModelPackageStatusDetails": {"ValidationStatuses": [], "ImageScanStatuses": []},
        "CertifyForMarketplace": bool(request.get("CertifyForMarketplace", False)),
        "ModelApprovalStatus": package.approval_status,
        "CreatedBy": package.details.get("CreatedBy"), "LastModifiedTime": package.last_modified,
        "LastModifiedBy": package.details.get("LastModifiedBy"),
        "ApprovalDescription": package.details.get("ApprovalDescription"),
    })


def package_summary(package: ModelPackage) -> dict[str, Any]:
    return _drop_none({
        "ModelPackageName": package.name, "ModelPackageGroupName": package.group_name,
        "ModelPackageVersion": package.version, "ModelPackageArn": package.arn,
        "ModelPackageDescription": package.request.get("ModelPackageDescription"),
        "CreationTime": package.created_at, "ModelPackageStatus": package.status,
        "ModelApprovalStatus": package.approval_status, "ModelLifeCycle": package.request.get("ModelLifeCycle"),
        "ModelPackageRegistrationType": package.request.get("ModelPackageRegistrationType"),
    })


def page(items: list[dict[str, Any]], params: dict, key: str, default_size: int = DEFAULT_MAX_RESULTS) -> dict:
    token = params.get("NextToken")
    try:
        start = int(token) if token else 0
    except ValueError:
        raise ValidationException("Invalid pagination token.") from None
    size = params.get("MaxResults") or default_size
    more = start + size < len(items)
    return _drop_none({key: items[start:start + size], "NextToken": str(start + size) if more else None})


def _filtered(found: list, params: dict, name: Callable[[Any], str]) -> list:
    needle = (params.get("NameContains") or "").lower()
    found = [r for r in found if needle in name(r).lower()]
    after, before = params.get("CreationTimeAfter"), params.get("CreationTimeBefore")
    found = [r for r in found if (after is None or r.created_at > after) and (before is None or r.created_at < before)]
    sort_by = params.get("SortBy") or "CreationTime"
    if sort_by not in ("Name", "CreationTime"):
        raise ValidationException(f"Value '{sort_by}' at 'sortBy' failed to satisfy constraint: Member must "
                                  "satisfy enum value set: [Name, CreationTime]")
    key = (lambda r: (name(r), r.version or 0, r.id)) if sort_by == "Name" else (lambda r: (r.created_at, r.id))
    return sorted(found, key=key, reverse=(params.get("SortOrder") or "Ascending") == "Descending")


class RegistryProvider:
    service_name = "sagemaker"
    threaded_operations = frozenset({
        "CreateModelPackageGroup", "DescribeModelPackageGroup", "ListModelPackageGroups", "DeleteModelPackageGroup",
        "PutModelPackageGroupPolicy", "GetModelPackageGroupPolicy", "DeleteModelPackageGroupPolicy",
        "CreateModelPackage", "DescribeModelPackage", "ListModelPackages", "UpdateModelPackage",
        "DeleteModelPackage", "BatchDescribeModelPackage", "AddTags", "ListTags", "DeleteTags",
    })
    tagged_resource_types = frozenset({"model-package-group", "model-package"})  # see server/sagemaker.py

    def __init__(self, service: RegistryService) -> None:
        self.service = service

    # -- groups -----------------------------------------------------------------------------------

    def create_model_package_group(self, context: RequestContext, params: dict) -> dict:
        group = self.service.create_group(context.account_id, context.region, params, user_context(context))
        return {"ModelPackageGroupArn": group.arn}

    def describe_model_package_group(self, context: RequestContext, params: dict) -> dict:
        return describe_group(self.service.get_group(context.account_id, context.region,
                                                     params["ModelPackageGroupName"]))

    def list_model_package_groups(self, context: RequestContext, params: dict) -> dict:
        found = _filtered(self.service.list_groups(context.account_id, context.region), params, lambda g: g.name)
        return page([group_summary(g) for g in found], params, "ModelPackageGroupSummaryList")

    def delete_model_package_group(self, context: RequestContext, params: dict) -> dict:
        self.service.delete_group(context.account_id, context.region, params["ModelPackageGroupName"])
        return {}

    def put_model_package_group_policy(self, context: RequestContext, params: dict) -> dict:
        group = self.service.put_policy(context.account_id, context.region, params["ModelPackageGroupName"],
                                        params["ResourcePolicy"])
        return {"ModelPackageGroupArn": group.arn}

    def get_model_package_group_policy(self, context: RequestContext, params: dict) -> dict:
        return {"ResourcePolicy": self.service.get_policy(context.account_id, context.region,
                                                          params["ModelPackageGroupName"])}

    def delete_model_package_group_policy(self, context: RequestContext, params: dict) -> dict:
        self.service.delete_policy(context.account_id, context.region, params["ModelPackageGroupName"])
        return {}

    # -- packages ---------------------------------------------------------------------------------

    def create_model_package(self, context: RequestContext, params: dict) -> dict:
        return {"ModelPackageArn": self.service.create_package(context, params, user_context(context)).arn}

    def describe_model_package(self, context: RequestContext, params: dict) -> dict:
        return describe_package(self.service.get_package(context.account_id, context.region,
                                                         params["ModelPackageName"]))

    def list_model_packages(self, context: RequestContext, params: dict) -> dict:
        group = params.get("ModelPackageGroupName")
        kind = params.get("ModelPackageType") or ("Versioned" if group else "Unversioned")
        if kind not in PACKAGE_TYPES:
            raise ValidationException(f"Value '{kind}' at 'modelPackageType' failed to satisfy constraint: Member "
                                      "must satisfy enum value set: [Versioned, Unversioned, Both]")
        if group:
            self.service.get_group(context.account_id, context.region, group)
        found = self.service.list_packages(context.account_id, context.region, group)
        if kind != "Both":
            found = [p for p in found if p.versioned == (kind == "Versioned")]
        status = params.get("ModelApprovalStatus")
        if status:
            found = [p for p in found if p.approval_status == status]
        found = _filtered(found, params, lambda p: p.name)
        return page([package_summary(p) for p in found], params, "ModelPackageSummaryList")

    def update_model_package(self, context: RequestContext, params: dict) -> dict:
        return {"ModelPackageArn": self.service.update_package(context, params, user_context(context)).arn}

    def delete_model_package(self, context: RequestContext, params: dict) -> dict:
        self.service.delete_package(context.account_id, context.region, params["ModelPackageName"])
        return {}

    def batch_describe_model_package(self, context: RequestContext, params: dict) -> dict:
        summaries, errors = {}, {}
        for arn in params["ModelPackageArnList"]:
            try:
                package = self.service.get_package(context.account_id, context.region, arn)
            except AwsError as error:
                errors[arn] = {"ErrorCode": error.code, "ErrorResponse": error.message}
                continue
            summaries[arn] = _drop_none({
                "ModelPackageGroupName": package.group_name or package.name, "ModelPackageVersion": package.version,
                "ModelPackageArn": package.arn,
                "ModelPackageDescription": package.request.get("ModelPackageDescription"),
                "CreationTime": package.created_at,
                "InferenceSpecification": package.request.get("InferenceSpecification") or {"Containers": []},
                "ModelPackageStatus": package.status, "ModelApprovalStatus": package.approval_status,
                "ModelPackageRegistrationType": package.request.get("ModelPackageRegistrationType"),
            })
        return {"ModelPackageSummaries": summaries, "BatchDescribeModelPackageErrorMap": errors}

    # -- tags -------------------------------------------------------------------------------------

    def add_tags(self, context: RequestContext, params: dict) -> dict:
        return {"Tags": self.service.change_tags(params["ResourceArn"], add=params["Tags"])}

    def list_tags(self, context: RequestContext, params: dict) -> dict:
        return page(self.service.tags(params["ResourceArn"]), params, "Tags", default_size=50)

    def delete_tags(self, context: RequestContext, params: dict) -> dict:
        self.service.change_tags(params["ResourceArn"], remove=params["TagKeys"])
        return {}

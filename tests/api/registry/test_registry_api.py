"""Model package groups, versioned and unversioned model packages, approvals and Search through
boto3 against a real server: SageMaker's shapes, ordering, pagination and error wording."""

from __future__ import annotations

import json
import uuid

import pytest
from botocore.exceptions import ClientError

IMAGE = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1"
INFERENCE = {"Containers": [{"Image": IMAGE, "ModelDataUrl": "s3://bucket/model.tar.gz",
                             "Environment": {"A": "1"}}],
             "SupportedContentTypes": ["text/csv"], "SupportedResponseMIMETypes": ["text/csv"]}


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def _error(excinfo) -> tuple[str, str]:
    return excinfo.value.response["Error"]["Code"], excinfo.value.response["Error"]["Message"]


def _register(sm, group: str, **extra) -> str:
    return sm.create_model_package(ModelPackageGroupName=group, InferenceSpecification=INFERENCE,
                                   **extra)["ModelPackageArn"]


def test_group_life_cycle_policy_and_errors(sm):
    name = unique("Group")
    arn = sm.create_model_package_group(ModelPackageGroupName=name, ModelPackageGroupDescription="d",
                                        Tags=[{"Key": "team", "Value": "ml"}])["ModelPackageGroupArn"]
    assert arn.endswith(f":model-package-group/{name.lower()}")
    described = sm.describe_model_package_group(ModelPackageGroupName=name)
    assert described["ModelPackageGroupStatus"] == "Completed" and described["ModelPackageGroupDescription"] == "d"
    assert sm.describe_model_package_group(ModelPackageGroupName=arn)["ModelPackageGroupName"] == name
    with pytest.raises(ClientError) as excinfo:
        sm.create_model_package_group(ModelPackageGroupName=name)
    assert _error(excinfo)[0] == "ValidationException" and "already exists" in _error(excinfo)[1]
    with pytest.raises(ClientError) as excinfo:
        sm.describe_model_package_group(ModelPackageGroupName="no-such-group")
    assert _error(excinfo)[0] == "ValidationException" and "does not exist" in _error(excinfo)[1]

    policy = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": "*"},
                                                                  "Action": "sagemaker:DescribeModelPackage",
                                                                  "Resource": "*"}]})
    assert sm.put_model_package_group_policy(ModelPackageGroupName=name, ResourcePolicy=policy)[
        "ModelPackageGroupArn"] == arn
    assert json.loads(sm.get_model_package_group_policy(ModelPackageGroupName=name)["ResourcePolicy"]) == \
        json.loads(policy)
    sm.delete_model_package_group_policy(ModelPackageGroupName=name)
    with pytest.raises(ClientError):
        sm.get_model_package_group_policy(ModelPackageGroupName=name)
    with pytest.raises(ClientError) as excinfo:
        sm.put_model_package_group_policy(ModelPackageGroupName=name, ResourcePolicy="{not json")
    assert _error(excinfo)[0] == "ValidationException"

    sm.add_tags(ResourceArn=arn, Tags=[{"Key": "stage", "Value": "dev"}, {"Key": "team", "Value": "data"}])
    assert sm.list_tags(ResourceArn=arn)["Tags"] == [{"Key": "team", "Value": "data"}, {"Key": "stage", "Value": "dev"}]
    sm.delete_tags(ResourceArn=arn, TagKeys=["team"])
    assert sm.list_tags(ResourceArn=arn)["Tags"] == [{"Key": "stage", "Value": "dev"}]
    listed = sm.list_model_package_groups(NameContains=name.lower())["ModelPackageGroupSummaryList"]
    assert [g["ModelPackageGroupName"] for g in listed] == [name]
    version = _register(sm, name)
    sm.add_tags(ResourceArn=version, Tags=[{"Key": "k", "Value": "v"}])
    assert sm.list_tags(ResourceArn=version)["Tags"] == [{"Key": "k", "Value": "v"}]
    with pytest.raises(ClientError) as excinfo:
        sm.delete_model_package_group(ModelPackageGroupName=name)
    assert _error(excinfo)[0] == "ConflictException"
    sm.delete_model_package(ModelPackageName=version)
    sm.delete_model_package_group(ModelPackageGroupName=name)
    with pytest.raises(ClientError):
        sm.describe_model_package_group(ModelPackageGroupName=name)


def test_versions_are_numbered_within_their_group_and_never_reused(sm):
    group = unique("Versions")
    sm.create_model_package_group(ModelPackageGroupName=group)
    arns = [_register(sm, group, ModelPackageDescription=f"v{i}") for i in range(1, 4)]
    assert arns == [arns[0].rsplit("/", 1)[0] + f"/{n}" for n in (1, 2, 3)]
    assert f":model-package/{group.lower()}/1" in arns[0]
    described = sm.describe_model_package(ModelPackageName=arns[1])
    assert described["ModelPackageVersion"] == 2 and described["ModelPackageGroupName"] == group
    assert described["ModelApprovalStatus"] == "PendingManualApproval"
    assert described["ModelPackageStatus"] == "Completed"
    assert described["InferenceSpecification"]["Containers"][0]["Environment"] == {"A": "1"}
    sm.delete_model_package(ModelPackageName=arns[2])
    assert _register(sm, group).endswith("/4")
    with pytest.raises(ClientError) as excinfo:
        sm.create_model_package(ModelPackageGroupName="missing-group", InferenceSpecification=INFERENCE)
    assert _error(excinfo)[0] == "ValidationException" and "does not exist" in _error(excinfo)[1]
    with pytest.raises(ClientError) as excinfo:
        sm.describe_model_package(ModelPackageName=arns[2])
    assert _error(excinfo)[0] == "ValidationException" and "Could not find" in _error(excinfo)[1]
    token = unique("token")
    first = _register(sm, group, ClientToken=token)
    assert _register(sm, group, ClientToken=token) == first


def test_unversioned_package_and_duplicate_wording(sm):
    name = unique("plain")
    arn = sm.create_model_package(ModelPackageName=name, InferenceSpecification=INFERENCE)["ModelPackageArn"]
    assert arn.endswith(f":model-package/{name}")
    with pytest.raises(ClientError) as excinfo:
        sm.create_model_package(ModelPackageName=name, InferenceSpecification=INFERENCE)
    assert _error(excinfo)[0] == "ValidationException" and "ModelPackage already exists" in _error(excinfo)[1]
    assert sm.describe_model_package(ModelPackageName=name)["ModelPackageArn"] == arn
    listed = sm.list_model_packages(NameContains=name)["ModelPackageSummaryList"]
    assert [p["ModelPackageArn"] for p in listed] == [arn]
    assert sm.list_model_packages(NameContains=name, ModelPackageType="Versioned")["ModelPackageSummaryList"] == []
    # CreateModel runs the package's containers, named by the package's name or ARN.
    for reference in (name, arn):
        model = unique("from-package")
        sm.create_model(ModelName=model, ExecutionRoleArn="arn:aws:iam::000000000000:role/R",
                        Containers=[{"ModelPackageName": reference}])
        assert sm.describe_model(ModelName=model)["Containers"] == [{"ModelPackageName": reference}]
    with pytest.raises(ClientError) as excinfo:
        sm.create_model(ModelName=unique("m"), ExecutionRoleArn="arn:aws:iam::000000000000:role/R",
                        Containers=[{"ModelPackageName": arn + "-missing"}])
    assert _error(excinfo)[0] == "ValidationException" and "Could not find" in _error(excinfo)[1]


def test_update_approval_metadata_and_listing_filters(sm):
    group = unique("Approvals")
    sm.create_model_package_group(ModelPackageGroupName=group)
    first = _register(sm, group, CustomerMetadataProperties={"a": "1", "b": "2"},
                      ModelMetrics={"ModelQuality": {"Statistics": {"ContentType": "application/json",
                                                                    "S3Uri": "s3://b/eval.json"}}},
                      DriftCheckBaselines={"ModelQuality": {"Statistics": {"ContentType": "application/json",
                                                                           "S3Uri": "s3://b/base.json"}}},
                      SkipModelValidation="None", SourceUri="s3://b/source", Domain="MACHINE_LEARNING")
    second = _register(sm, group, ModelApprovalStatus="Rejected")
    sm.update_model_package(ModelPackageArn=first, ModelApprovalStatus="Approved", ApprovalDescription="good auc",
                            CustomerMetadataProperties={"c": "3"}, CustomerMetadataPropertiesToRemove=["a"])
    described = sm.describe_model_package(ModelPackageName=first)
    assert described["ModelApprovalStatus"] == "Approved" and described["ApprovalDescription"] == "good auc"
    assert described["CustomerMetadataProperties"] == {"b": "2", "c": "3"}
    assert described["ModelMetrics"]["ModelQuality"]["Statistics"]["S3Uri"] == "s3://b/eval.json"
    assert described["DriftCheckBaselines"]["ModelQuality"]["Statistics"]["S3Uri"] == "s3://b/base.json"
    assert described["SourceUri"] == "s3://b/source" and described["SkipModelValidation"] == "None"
    assert described["LastModifiedTime"] >= described["CreationTime"]
    with pytest.raises(ClientError) as excinfo:
        sm.update_model_package(ModelPackageArn=first, ModelApprovalStatus="Maybe")
    assert _error(excinfo)[0] == "ValidationException"
    assert sm.describe_model_package(ModelPackageName=first)["ModelApprovalStatus"] == "Approved"

    def arns(**params) -> list[str]:
        return [p["ModelPackageArn"] for p in sm.list_model_packages(ModelPackageGroupName=group, **params)[
            "ModelPackageSummaryList"]]

    assert arns() == [first, second]
    assert arns(SortBy="CreationTime", SortOrder="Descending") == [second, first]
    assert arns(ModelApprovalStatus="Approved") == [first]
    page = sm.list_model_packages(ModelPackageGroupName=group, MaxResults=1)
    assert len(page["ModelPackageSummaryList"]) == 1
    rest = sm.list_model_packages(ModelPackageGroupName=group, MaxResults=1, NextToken=page["NextToken"])
    assert rest["ModelPackageSummaryList"][0]["ModelPackageArn"] == second and "NextToken" not in rest
    batch = sm.batch_describe_model_package(ModelPackageArnList=[first, first[:-1] + "9"])
    assert batch["ModelPackageSummaries"][first]["ModelApprovalStatus"] == "Approved"
    assert list(batch["BatchDescribeModelPackageErrorMap"]) == [first[:-1] + "9"]


def test_search_model_package_groups_and_packages(sm):
    group = unique("Searched")
    sm.create_model_package_group(ModelPackageGroupName=group, Tags=[{"Key": "stage", "Value": "dev"}])
    first = _register(sm, group, CustomerMetadataProperties={"auc": "0.91"})
    second = _register(sm, group, ModelApprovalStatus="Approved")

    def search(resource: str, *filters, **params) -> list[dict]:
        expression = {"Filters": [dict(zip(("Name", "Operator", "Value"), f, strict=False)) for f in filters]}
        return [r[resource] for r in sm.search(Resource=resource, SearchExpression=expression, **params)["Results"]]

    found = search("ModelPackageGroup", ("ModelPackageGroupName", "Equals", group))
    assert [g["ModelPackageGroupArn"] for g in found] == [sm.describe_model_package_group(
        ModelPackageGroupName=group)["ModelPackageGroupArn"]]
    assert found[0]["Tags"] == [{"Key": "stage", "Value": "dev"}]
    assert search("ModelPackageGroup", ("ModelPackageGroupName", "Equals", group + "x")) == []
    assert len(search("ModelPackageGroup", ("Tags.stage", "Equals", "dev"),
                      ("ModelPackageGroupName", "Contains", group[-8:]))) == 1
    versions = search("ModelPackage", ("ModelPackageGroupName", "Equals", group), SortBy="ModelPackageVersion",
                      SortOrder="Ascending")
    assert [v["ModelPackageArn"] for v in versions] == [first, second]
    approved = search("ModelPackage", ("ModelPackageGroupName", "Equals", group),
                      ("ModelApprovalStatus", "NotEquals", "Approved"))
    assert [v["ModelPackageArn"] for v in approved] == [first]
    assert [v["ModelPackageVersion"] for v in search("ModelPackage", ("ModelPackageGroupName", "Equals", group),
                                                     ("ModelPackageVersion", "GreaterThan", "1"))] == [2]
    assert [v["ModelPackageArn"] for v in search("ModelPackage", ("CustomerMetadataProperties.auc",
                                                                  "GreaterThanOrEqualTo", "0.9"))] == [first]
    page = sm.search(Resource="ModelPackage", MaxResults=1, SearchExpression={"Filters": [
        {"Name": "ModelPackageGroupName", "Operator": "Equals", "Value": group}]})
    assert len(page["Results"]) == 1 and page["NextToken"]
    with pytest.raises(ClientError) as excinfo:
        sm.search(Resource="Image")
    assert _error(excinfo)[0] == "ValidationException" and "not supported by Sagecraft yet" in _error(excinfo)[1]

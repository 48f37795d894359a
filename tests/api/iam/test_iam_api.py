"""IAM's API through boto3: users, keys, groups, roles, policies and versions, attachments, limits."""

from __future__ import annotations

import json
import uuid

import pytest
from botocore.exceptions import ClientError

ALLOW_S3_READ = {"Version": "2012-10-17",
                 "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"}]}
TRUST_SAGEMAKER = {"Version": "2012-10-17", "Statement": [{
    "Effect": "Allow", "Principal": {"Service": "sagemaker.amazonaws.com"}, "Action": "sts:AssumeRole"}]}


@pytest.fixture(scope="module")
def iam(server):
    return server.client("iam")


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def code(excinfo) -> str:
    return excinfo.value.response["Error"]["Code"]


def test_user_life_cycle(iam):
    name = unique("alice")
    user = iam.create_user(UserName=name, Path="/team/", Tags=[{"Key": "team", "Value": "ml"}])["User"]
    assert user["Arn"].endswith(f":user/team/{name}") and user["UserId"].startswith("AIDA")
    assert iam.get_user(UserName=name)["User"]["UserId"] == user["UserId"]
    assert name in [u["UserName"] for u in iam.list_users(PathPrefix="/team/")["Users"]]
    with pytest.raises(ClientError) as excinfo:
        iam.create_user(UserName=name.upper())  # names are unique regardless of case
    assert code(excinfo) == "EntityAlreadyExists"
    iam.delete_user(UserName=name)
    with pytest.raises(ClientError) as excinfo:
        iam.get_user(UserName=name)
    assert code(excinfo) == "NoSuchEntity"
    assert "cannot be found" in excinfo.value.response["Error"]["Message"]


def test_access_keys_quota_and_status(iam):
    name = unique("keys")
    iam.create_user(UserName=name)
    first = iam.create_access_key(UserName=name)["AccessKey"]
    assert first["SecretAccessKey"] and first["Status"] == "Active"
    iam.create_access_key(UserName=name)
    with pytest.raises(ClientError) as excinfo:
        iam.create_access_key(UserName=name)
    assert code(excinfo) == "LimitExceeded"
    iam.update_access_key(UserName=name, AccessKeyId=first["AccessKeyId"], Status="Inactive")
    listed = {k["AccessKeyId"]: k["Status"] for k in iam.list_access_keys(UserName=name)["AccessKeyMetadata"]}
    assert listed[first["AccessKeyId"]] == "Inactive" and len(listed) == 2
    with pytest.raises(ClientError) as excinfo:
        iam.delete_user(UserName=name)
    assert code(excinfo) == "DeleteConflict"
    for key_id in listed:
        iam.delete_access_key(UserName=name, AccessKeyId=key_id)
    iam.delete_user(UserName=name)


def test_managed_policy_versions_and_attachments(iam):
    name, user = unique("read"), unique("bob")
    policy = iam.create_policy(PolicyName=name, PolicyDocument=json.dumps(ALLOW_S3_READ))["Policy"]
    arn = policy["Arn"]
    assert policy["DefaultVersionId"] == "v1"
    for _ in range(4):
        iam.create_policy_version(PolicyArn=arn, PolicyDocument=json.dumps(ALLOW_S3_READ))
    with pytest.raises(ClientError) as excinfo:
        iam.create_policy_version(PolicyArn=arn, PolicyDocument=json.dumps(ALLOW_S3_READ))
    assert code(excinfo) == "LimitExceeded"
    iam.set_default_policy_version(PolicyArn=arn, VersionId="v3")
    assert iam.get_policy(PolicyArn=arn)["Policy"]["DefaultVersionId"] == "v3"
    with pytest.raises(ClientError) as excinfo:
        iam.delete_policy_version(PolicyArn=arn, VersionId="v3")
    assert code(excinfo) == "DeleteConflict"
    document = iam.get_policy_version(PolicyArn=arn, VersionId="v2")["PolicyVersion"]["Document"]
    assert document == ALLOW_S3_READ  # URL-encoded on the wire, decoded by boto3
    iam.create_user(UserName=user)
    iam.attach_user_policy(UserName=user, PolicyArn=arn)
    attached = iam.list_attached_user_policies(UserName=user)["AttachedPolicies"]
    assert attached == [{"PolicyName": name, "PolicyArn": arn}]
    assert iam.get_policy(PolicyArn=arn)["Policy"]["AttachmentCount"] == 1
    assert [u["UserName"] for u in iam.list_entities_for_policy(PolicyArn=arn)["PolicyUsers"]] == [user]
    with pytest.raises(ClientError) as excinfo:
        iam.delete_policy(PolicyArn=arn)
    assert code(excinfo) == "DeleteConflict"
    iam.detach_user_policy(UserName=user, PolicyArn=arn)
    iam.delete_user(UserName=user)


def test_inline_policies_groups_and_roles(iam):
    user, group, role = unique("carol"), unique("analysts"), unique("Trainer")
    iam.create_user(UserName=user)
    iam.create_group(GroupName=group)
    iam.add_user_to_group(GroupName=group, UserName=user)
    assert [u["UserName"] for u in iam.get_group(GroupName=group)["Users"]] == [user]
    assert [g["GroupName"] for g in iam.list_groups_for_user(UserName=user)["Groups"]] == [group]
    iam.put_group_policy(GroupName=group, PolicyName="read", PolicyDocument=json.dumps(ALLOW_S3_READ))
    assert iam.get_group_policy(GroupName=group, PolicyName="read")["PolicyDocument"] == ALLOW_S3_READ
    assert iam.list_group_policies(GroupName=group)["PolicyNames"] == ["read"]
    created = iam.create_role(RoleName=role, AssumeRolePolicyDocument=json.dumps(TRUST_SAGEMAKER))["Role"]
    assert created["RoleId"].startswith("AROA")
    assert iam.get_role(RoleName=role)["Role"]["AssumeRolePolicyDocument"] == TRUST_SAGEMAKER
    iam.attach_role_policy(RoleName=role, PolicyArn="arn:aws:iam::aws:policy/AmazonSageMakerFullAccess")
    assert iam.list_attached_role_policies(RoleName=role)["AttachedPolicies"][0]["PolicyName"] == \
        "AmazonSageMakerFullAccess"
    with pytest.raises(ClientError) as excinfo:
        iam.delete_group(GroupName=group)
    assert code(excinfo) == "DeleteConflict"


@pytest.mark.parametrize(("document", "fragment"), [
    ("not json", "Syntax errors in policy"),
    (json.dumps({"Version": "2012-10-17"}), "Missing required field Statement"),
    (json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Permit", "Action": "s3:*", "Resource": "*"}]}),
     "Invalid effect"),
    (json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "getobject", "Resource": "*"}]}),
     "prefaced by a vendor"),
    (json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*"}]}),
     "must contain resources"),
    (json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*",
                                                         "Principal": "*"}]}), "should not specify a principal"),
    (json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*",
                                                         "Condition": {"StringEqualz": {"a:b": "c"}}}]}),
     "Invalid Condition type"),
    (json.dumps({"Version": "2099-01-01", "Statement": []}), "valid version"),
])
def test_malformed_documents_are_refused_and_change_nothing(iam, document, fragment):
    name = unique("bad")
    with pytest.raises(ClientError) as excinfo:
        iam.create_policy(PolicyName=name, PolicyDocument=document)
    assert code(excinfo) == "MalformedPolicyDocument"
    assert fragment in excinfo.value.response["Error"]["Message"]
    names = [p["PolicyName"] for p in iam.list_policies(Scope="Local")["Policies"]]
    assert name not in names


def test_trust_policy_must_name_a_principal(iam):
    with pytest.raises(ClientError) as excinfo:
        iam.create_role(RoleName=unique("r"), AssumeRolePolicyDocument=json.dumps(ALLOW_S3_READ))
    assert code(excinfo) == "MalformedPolicyDocument"


def test_pagination(iam):
    prefix = f"/page{uuid.uuid4().hex[:6]}/"
    for index in range(5):
        iam.create_group(GroupName=unique(f"g{index}"), Path=prefix)
    first = iam.list_groups(PathPrefix=prefix, MaxItems=2)
    assert first["IsTruncated"] and len(first["Groups"]) == 2
    names = [g["GroupName"] for page in iam.get_paginator("list_groups").paginate(PathPrefix=prefix,
                                                                                  PaginationConfig={"PageSize": 2})
             for g in page["Groups"]]
    assert len(names) == 5 == len(set(names))

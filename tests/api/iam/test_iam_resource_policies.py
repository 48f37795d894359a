"""Resource-based policies and resource tags of SageMaker resources: a model package group's policy
grants the principals it names; aws:ResourceTag/… and sagemaker:ResourceTag/… conditions read the
resource's tags."""

from __future__ import annotations

import json
import uuid

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from tests.support.server import REGION


def code(excinfo) -> str:
    return excinfo.value.response["Error"]["Code"]


@pytest.fixture(scope="module")
def iam(server):
    return server.client("iam")


def user(iam, *statements: dict) -> tuple[str, dict]:
    name = f"rp-{uuid.uuid4().hex[:8]}"
    arn = iam.create_user(UserName=name)["User"]["Arn"]
    if statements:
        iam.put_user_policy(
            UserName=name,
            PolicyName="p",
            PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": list(statements)}),
        )
    return arn, iam.create_access_key(UserName=name)["AccessKey"]


def sagemaker_as(server, key: dict):
    return boto3.client(
        "sagemaker",
        endpoint_url=server.endpoint_url,
        region_name=REGION,
        aws_access_key_id=key["AccessKeyId"],
        aws_secret_access_key=key["SecretAccessKey"],
        config=Config(retries={"max_attempts": 1}),
    )


def test_model_package_group_policy_grants_the_named_principal(server, sm, iam):
    group = f"shared-{uuid.uuid4().hex[:8]}"
    group_arn = sm.create_model_package_group(ModelPackageGroupName=group)["ModelPackageGroupArn"]
    reader_arn, reader = user(iam)
    with pytest.raises(ClientError) as excinfo:
        sagemaker_as(server, reader).describe_model_package_group(ModelPackageGroupName=group)
    assert code(excinfo) == "AccessDeniedException"
    sm.put_model_package_group_policy(
        ModelPackageGroupName=group,
        ResourcePolicy=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": {"AWS": reader_arn},
                        "Action": ["sagemaker:DescribeModelPackageGroup", "sagemaker:DescribeModelPackage"],
                        "Resource": [group_arn, group_arn.replace(":model-package-group/", ":model-package/") + "/*"],
                    }
                ],
            }
        ),
    )
    described = sagemaker_as(server, reader).describe_model_package_group(ModelPackageGroupName=group)
    assert described["ModelPackageGroupArn"] == group_arn
    with pytest.raises(ClientError) as excinfo:  # only what the policy names
        sagemaker_as(server, reader).delete_model_package_group(ModelPackageGroupName=group)
    assert code(excinfo) == "AccessDeniedException"
    sm.delete_model_package_group_policy(ModelPackageGroupName=group)
    with pytest.raises(ClientError) as excinfo:
        sagemaker_as(server, reader).describe_model_package_group(ModelPackageGroupName=group)
    assert code(excinfo) == "AccessDeniedException"


def test_malformed_group_policy_is_refused(sm):
    group = f"bad-{uuid.uuid4().hex[:8]}"
    sm.create_model_package_group(ModelPackageGroupName=group)
    with pytest.raises(ClientError) as excinfo:
        sm.put_model_package_group_policy(
            ModelPackageGroupName=group,
            ResourcePolicy=json.dumps(
                {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sagemaker:*", "Resource": "*"}]}
            ),
        )
    assert code(excinfo) == "ValidationException"  # a resource policy must name its Principal


@pytest.mark.parametrize("prefix", ["aws", "sagemaker"])
def test_resource_tag_conditions_read_the_resource_tags(server, sm, iam, prefix):
    red = f"red-{uuid.uuid4().hex[:8]}"
    blue = f"blue-{uuid.uuid4().hex[:8]}"
    sm.create_model_package_group(ModelPackageGroupName=red, Tags=[{"Key": "Team", "Value": "red"}])
    sm.create_model_package_group(ModelPackageGroupName=blue, Tags=[{"Key": "Team", "Value": "blue"}])
    _, member = user(
        iam,
        {
            "Effect": "Allow",
            "Action": "sagemaker:DescribeModelPackageGroup",
            "Resource": "*",
            "Condition": {"StringEquals": {f"{prefix}:ResourceTag/Team": "red"}},
        },
    )
    client = sagemaker_as(server, member)
    assert client.describe_model_package_group(ModelPackageGroupName=red)["ModelPackageGroupName"] == red
    with pytest.raises(ClientError) as excinfo:
        client.describe_model_package_group(ModelPackageGroupName=blue)
    assert code(excinfo) == "AccessDeniedException"
    # Retagging changes the decision on the next request.
    sm.add_tags(
        ResourceArn=sm.describe_model_package_group(ModelPackageGroupName=blue)["ModelPackageGroupArn"],
        Tags=[{"Key": "Team", "Value": "red"}],
    )
    assert client.describe_model_package_group(ModelPackageGroupName=blue)["ModelPackageGroupName"] == blue

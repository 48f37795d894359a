"""AddTags / ListTags / DeleteTags on model, endpoint-config and endpoint ARNs (routed to hosting
by the sagemaker composite, beside the jobs' tags)."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError
from hosting_support import ROLE, XGBOOST_IMAGE, unique


def test_tags_on_hosting_arns(sm, trained):
    name = unique("tags")
    model_arn = sm.create_model(ModelName=name, ExecutionRoleArn=ROLE, Tags=[{"Key": "team", "Value": "a"}],
                                PrimaryContainer={"Image": XGBOOST_IMAGE, "ModelDataUrl": trained[2]})["ModelArn"]
    config_arn = sm.create_endpoint_config(EndpointConfigName=name, ProductionVariants=[{
        "VariantName": "AllTraffic", "ModelName": name, "InitialInstanceCount": 1,
        "InstanceType": "ml.m5.xlarge"}])["EndpointConfigArn"]
    assert sm.list_tags(ResourceArn=model_arn)["Tags"] == [{"Key": "team", "Value": "a"}]
    assert sm.list_tags(ResourceArn=config_arn)["Tags"] == []
    sm.add_tags(ResourceArn=config_arn, Tags=[{"Key": "k1", "Value": "v1"}, {"Key": "k2", "Value": "v2"}])
    sm.add_tags(ResourceArn=config_arn, Tags=[{"Key": "k1", "Value": "new"}])
    assert sm.list_tags(ResourceArn=config_arn)["Tags"] == [{"Key": "k1", "Value": "new"}, {"Key": "k2", "Value": "v2"}]
    page = sm.list_tags(ResourceArn=config_arn, MaxResults=50)
    assert len(page["Tags"]) == 2 and "NextToken" not in page
    sm.delete_tags(ResourceArn=config_arn, TagKeys=["k1"])
    assert sm.list_tags(ResourceArn=config_arn)["Tags"] == [{"Key": "k2", "Value": "v2"}]
    with pytest.raises(ClientError) as excinfo:
        sm.add_tags(ResourceArn=config_arn, Tags=[{"Key": "aws:reserved", "Value": "x"}])
    assert excinfo.value.response["Error"]["Code"] == "ValidationException"
    assert sm.list_tags(ResourceArn=config_arn)["Tags"] == [{"Key": "k2", "Value": "v2"}], "nothing changed"
    missing = model_arn.replace(name, "no-such-model")
    with pytest.raises(ClientError) as excinfo:
        sm.list_tags(ResourceArn=missing)
    assert excinfo.value.response["Error"]["Code"] == "ValidationException"
    sm.delete_endpoint_config(EndpointConfigName=name)
    sm.delete_model(ModelName=name)

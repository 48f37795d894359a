"""Feature groups through boto3: create (validated as SageMaker does), describe, list, update,
feature metadata, delete; the Glue table each group gets."""

from __future__ import annotations

import time

import pytest
from botocore.exceptions import ClientError

from tests.api.featurestore.support import ROLE, create_group, definitions, unique, wait_status


def _error(call, **kwargs) -> tuple[str, str]:
    with pytest.raises(ClientError) as caught:
        call(**kwargs)
    return caught.value.response["Error"]["Code"], caught.value.response["Error"]["Message"]


def test_create_describes_resolved_offline_store_and_glue_table(sm, glue, offline_bucket):
    name = unique("orders")
    described = create_group(sm, name, offline_bucket=offline_bucket, Description="orders features")
    assert described["FeatureGroupStatus"] == "Created"
    assert described["OfflineStoreStatus"] == {"Status": "Active"}
    assert described["OnlineStoreTotalSizeBytes"] == 0
    assert described["Description"] == "orders features"
    epoch = int(described["CreationTime"].timestamp())
    offline = described["OfflineStoreConfig"]
    assert offline["S3StorageConfig"]["ResolvedOutputS3Uri"] == (
        f"s3://{offline_bucket}/offline/000000000000/sagemaker/us-east-1/offline-store/{name}-{epoch}/data"
    )
    table_name = f"{name.replace('-', '_')}_{epoch}"
    assert offline["DataCatalogConfig"] == {
        "TableName": table_name,
        "Catalog": "AwsDataCatalog",
        "Database": "sagemaker_featurestore",
    }
    table = glue.get_table(DatabaseName="sagemaker_featurestore", Name=table_name)["Table"]
    assert [c["Name"] for c in table["StorageDescriptor"]["Columns"]] == [
        "id",
        "et",
        "n",
        "x",
        "s",
        "write_time",
        "api_invocation_time",
        "is_deleted",
    ]
    assert [c["Type"] for c in table["StorageDescriptor"]["Columns"]][:5] == [
        "string",
        "double",
        "bigint",
        "double",
        "string",
    ]
    assert [k["Name"] for k in table["PartitionKeys"]] == ["year", "month", "day", "hour"]
    assert glue.get_database(Name="sagemaker_featurestore")["Database"]["Name"] == "sagemaker_featurestore"


def test_glue_table_creation_can_be_disabled(sm, glue, offline_bucket):
    name = unique("noglue")
    sm.create_feature_group(
        FeatureGroupName=name,
        RecordIdentifierFeatureName="id",
        EventTimeFeatureName="et",
        RoleArn=ROLE,
        FeatureDefinitions=definitions(id="Integral", et="String"),
        OfflineStoreConfig={"S3StorageConfig": {"S3Uri": f"s3://{offline_bucket}/x"}, "DisableGlueTableCreation": True},
    )
    described = wait_status(sm, name)
    table = described["OfflineStoreConfig"]["DataCatalogConfig"]["TableName"]
    assert "OnlineStoreConfig" not in described
    code, _ = _error(glue.get_table, DatabaseName="sagemaker_featurestore", Name=table)
    assert code == "EntityNotFoundException"


@pytest.mark.parametrize(
    ("change", "needle"),
    [
        ({"FeatureGroupName": "bad_name"}, "featureGroupName"),
        ({"RecordIdentifierFeatureName": "missing"}, "RecordIdentifierFeatureName 'missing'"),
        ({"EventTimeFeatureName": "missing"}, "EventTimeFeatureName 'missing'"),
        ({"EventTimeFeatureName": "n"}, "must be of FeatureType Fractional or String"),
        ({"FeatureDefinitions": definitions(id="String", et="Fractional", write_time="String")}, "reserved"),
        ({"FeatureDefinitions": definitions(id="String", et="Fractional", x="Float")}, "featureType"),
        ({"OnlineStoreConfig": {"EnableOnlineStore": True, "StorageType": "Disk"}}, "storageType"),
        ({"OnlineStoreConfig": None}, "At least one of OnlineStoreConfig and OfflineStoreConfig"),
        (
            {
                "FeatureDefinitions": [
                    *definitions(id="String", et="Fractional"),
                    {"FeatureName": "v", "FeatureType": "Fractional", "CollectionType": "Vector"},
                ]
            },
            "Dimension",
        ),
    ],
)
def test_invalid_create_requests_are_refused_and_create_nothing(sm, change, needle):
    name = change.get("FeatureGroupName") or unique("invalid")
    request = {
        "FeatureGroupName": name,
        "RecordIdentifierFeatureName": "id",
        "EventTimeFeatureName": "et",
        "FeatureDefinitions": definitions(id="String", et="Fractional", n="Integral"),
        "RoleArn": ROLE,
        "OnlineStoreConfig": {"EnableOnlineStore": True},
        **change,
    }
    request = {k: v for k, v in request.items() if v is not None}
    code, message = _error(sm.create_feature_group, **request)
    assert code == "ValidationException" and needle in message
    code, _ = _error(sm.describe_feature_group, FeatureGroupName=name)
    assert code == "ResourceNotFound"


def test_duplicate_name_and_missing_bucket(sm):
    name = unique("dup")
    create_group(sm, name)
    code, message = _error(
        sm.create_feature_group,
        FeatureGroupName=name,
        RecordIdentifierFeatureName="id",
        EventTimeFeatureName="et",
        RoleArn=ROLE,
        OnlineStoreConfig={"EnableOnlineStore": True},
        FeatureDefinitions=definitions(id="String", et="Fractional"),
    )
    assert code == "ResourceInUse" and "already exists" in message
    failed = create_group(sm, unique("nobucket"), offline_bucket=unique("no-such-bucket"))
    assert failed["FeatureGroupStatus"] == "CreateFailed" and "does not exist" in failed["FailureReason"]


def test_list_filters_sorts_and_paginates(sm):
    stem = unique("listing")
    names = [f"{stem}-{i}" for i in range(3)]
    for name in names:
        create_group(sm, name)
    found = sm.list_feature_groups(NameContains=stem, SortBy="Name", SortOrder="Ascending")
    assert [s["FeatureGroupName"] for s in found["FeatureGroupSummaries"]] == names
    first = sm.list_feature_groups(NameContains=stem, SortBy="Name", SortOrder="Descending", MaxResults=2)
    second = sm.list_feature_groups(
        NameContains=stem, SortBy="Name", SortOrder="Descending", MaxResults=2, NextToken=first["NextToken"]
    )
    assert [s["FeatureGroupName"] for s in first["FeatureGroupSummaries"] + second["FeatureGroupSummaries"]] == names[
        ::-1
    ]
    assert "NextToken" not in second
    created = sm.list_feature_groups(NameContains=stem, FeatureGroupStatusEquals="Created")["FeatureGroupSummaries"]
    assert len(created) == 3


def test_update_adds_features_and_ttl_and_metadata(sm, featurestore):
    name = unique("evolve")
    create_group(sm, name)
    featurestore.put_record(
        FeatureGroupName=name,
        Record=[{"FeatureName": "id", "ValueAsString": "a"}, {"FeatureName": "et", "ValueAsString": "10"}],
    )
    sm.update_feature_group(
        FeatureGroupName=name,
        FeatureAdditions=definitions(extra="Integral"),
        OnlineStoreConfig={"TtlDuration": {"Unit": "Days", "Value": 3}},
    )
    described = sm.describe_feature_group(FeatureGroupName=name)
    assert described["FeatureDefinitions"][-1] == {"FeatureName": "extra", "FeatureType": "Integral"}
    assert described["OnlineStoreConfig"]["TtlDuration"] == {"Unit": "Days", "Value": 3}
    assert described["LastUpdateStatus"]["Status"] == "Successful"
    old = featurestore.get_record(
        FeatureGroupName=name, RecordIdentifierValueAsString="a", FeatureNames=["id", "extra"]
    )
    assert old["Record"] == [{"FeatureName": "id", "ValueAsString": "a"}]  # the new feature reads as absent
    code, _ = _error(sm.update_feature_group, FeatureGroupName=name, FeatureAdditions=definitions(extra="String"))
    assert code == "ValidationException"

    sm.update_feature_metadata(
        FeatureGroupName=name,
        FeatureName="extra",
        Description="how many",
        ParameterAdditions=[{"Key": "owner", "Value": "ml"}, {"Key": "tmp", "Value": "1"}],
    )
    sm.update_feature_metadata(FeatureGroupName=name, FeatureName="extra", ParameterRemovals=["tmp"])
    metadata = sm.describe_feature_metadata(FeatureGroupName=name, FeatureName="extra")
    assert metadata["Description"] == "how many" and metadata["FeatureType"] == "Integral"
    assert metadata["Parameters"] == [{"Key": "owner", "Value": "ml"}]
    code, _ = _error(sm.describe_feature_metadata, FeatureGroupName=name, FeatureName="nope")
    assert code == "ResourceNotFound"


def test_delete_goes_through_deleting_and_drops_records(sm, featurestore, glue, offline_bucket):
    name = unique("gone")
    described = create_group(sm, name, offline_bucket=offline_bucket)
    table = described["OfflineStoreConfig"]["DataCatalogConfig"]["TableName"]
    sm.delete_feature_group(FeatureGroupName=name)
    assert _gone(sm, name)
    code, _ = _error(sm.describe_feature_group, FeatureGroupName=name)
    assert code == "ResourceNotFound"
    assert _error(glue.get_table, DatabaseName="sagemaker_featurestore", Name=table)[0] == "EntityNotFoundException"
    assert _error(sm.delete_feature_group, FeatureGroupName=name)[0] == "ResourceNotFound"
    create_group(sm, name)  # the name is free again, and the new group starts empty
    assert featurestore.get_record(FeatureGroupName=name, RecordIdentifierValueAsString="a").get("Record") is None


def _gone(sm, name: str) -> bool:
    for _ in range(200):
        try:
            status = sm.describe_feature_group(FeatureGroupName=name)["FeatureGroupStatus"]
        except ClientError:
            return True
        assert status == "Deleting"
        time.sleep(0.05)
    return False


def test_search_finds_feature_groups_and_feature_metadata(sm):
    name = unique("searched")
    create_group(sm, name, Description="findable")
    found = sm.search(
        Resource="FeatureGroup",
        SearchExpression={"Filters": [{"Name": "FeatureGroupName", "Operator": "Equals", "Value": name}]},
    )["Results"]
    assert [r["FeatureGroup"]["FeatureGroupName"] for r in found] == [name]
    assert found[0]["FeatureGroup"]["Description"] == "findable"
    features = sm.search(
        Resource="FeatureMetadata",
        SearchExpression={"Filters": [{"Name": "FeatureGroupName", "Operator": "Equals", "Value": name}]},
        MaxResults=100,
    )["Results"]
    assert sorted(r["FeatureMetadata"]["FeatureName"] for r in features) == ["et", "id", "n", "s", "x"]

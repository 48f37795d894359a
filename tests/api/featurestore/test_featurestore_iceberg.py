"""OfflineStoreConfig.TableFormat Iceberg through boto3: the Iceberg table at SageMaker's location
(data/ and metadata/ objects in S3), its Glue entry (table_type ICEBERG, metadata_location), Athena
reading the current snapshot, schema evolution, deletion, and the requests that are refused."""

from __future__ import annotations

import io
import json
import time

import pyarrow.parquet as pq
import pytest
from botocore.exceptions import ClientError

from tests.api.featurestore.support import ROLE, definitions, record, unique, wait_status

DATABASE = "sagemaker_featurestore"


def _error(call, **kwargs) -> tuple[str, str]:
    with pytest.raises(ClientError) as caught:
        call(**kwargs)
    return caught.value.response["Error"]["Code"], caught.value.response["Error"]["Message"]


def _create(sm, name: str, bucket: str, **offline) -> dict:
    sm.create_feature_group(
        FeatureGroupName=name,
        RecordIdentifierFeatureName="id",
        EventTimeFeatureName="EventTime",
        FeatureDefinitions=definitions(id="String", EventTime="String", n="Integral", x="Fractional"),
        OnlineStoreConfig={"EnableOnlineStore": True},
        OfflineStoreConfig={"S3StorageConfig": {"S3Uri": f"s3://{bucket}/ice"}, "TableFormat": "Iceberg", **offline},
        RoleArn=ROLE,
    )
    return wait_status(sm, name)


def _run(athena, sql: str, bucket: str) -> dict:
    started = athena.start_query_execution(
        QueryString=sql,
        QueryExecutionContext={"Database": DATABASE},
        ResultConfiguration={"OutputLocation": f"s3://{bucket}/athena"},
    )
    for _ in range(2400):
        execution = athena.get_query_execution(QueryExecutionId=started["QueryExecutionId"])["QueryExecution"]
        if execution["Status"]["State"] not in ("QUEUED", "RUNNING"):
            return execution
        time.sleep(0.05)
    raise AssertionError(f"query {sql!r} did not finish")


def _rows(athena, sql: str, bucket: str) -> list[list[str | None]]:
    execution = _run(athena, sql, bucket)
    assert execution["Status"]["State"] == "SUCCEEDED", execution["Status"]
    rows = athena.get_query_results(QueryExecutionId=execution["QueryExecutionId"])["ResultSet"]["Rows"]
    return [[d.get("VarCharValue") for d in r["Data"]] for r in rows]


def _keys(s3, bucket: str, prefix: str) -> list[str]:
    pages = s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
    return [o["Key"] for page in pages for o in page.get("Contents", [])]


def test_iceberg_group_writes_an_iceberg_table_athena_reads(sm, featurestore, athena, glue, s3, offline_bucket):
    name = unique("ice")
    described = _create(sm, name, offline_bucket)
    assert described["FeatureGroupStatus"] == "Created", described.get("FailureReason")
    offline = described["OfflineStoreConfig"]
    assert offline["TableFormat"] == "Iceberg"
    epoch = int(described["CreationTime"].timestamp())
    root = f"ice/000000000000/sagemaker/us-east-1/offline-store/{name}-{epoch}"
    assert offline["S3StorageConfig"]["ResolvedOutputS3Uri"] == f"s3://{offline_bucket}/{root}/data"
    table_name = offline["DataCatalogConfig"]["TableName"]
    table = glue.get_table(DatabaseName=DATABASE, Name=table_name)["Table"]
    assert table["Parameters"]["table_type"] == "ICEBERG"
    first_metadata = table["Parameters"]["metadata_location"]
    assert first_metadata.startswith(f"s3://{offline_bucket}/{root}/metadata/00000-")
    assert table["StorageDescriptor"]["Location"] == f"s3://{offline_bucket}/{root}"
    assert [(c["Name"], c["Type"]) for c in table["StorageDescriptor"]["Columns"]] == [
        ("id", "string"),
        ("eventtime", "string"),
        ("n", "bigint"),
        ("x", "double"),
        ("write_time", "timestamp"),
        ("api_invocation_time", "timestamp"),
        ("is_deleted", "boolean"),
    ]
    assert not table.get("PartitionKeys")

    featurestore.put_record(FeatureGroupName=name, Record=record(id="a", EventTime="2024-03-04T05:06:07Z", n="1"))
    featurestore.put_record(FeatureGroupName=name, Record=record(id="a", EventTime="2024-03-04T23:00:00Z", n="2"))
    featurestore.put_record(FeatureGroupName=name, Record=record(id="b", EventTime="2024-03-05T00:00:00Z", x="0.5"))
    featurestore.put_record(
        FeatureGroupName=name, Record=record(id="c", EventTime="2024-03-05T01:00:00Z"), TargetStores=["OnlineStore"]
    )  # online only: never in the offline store
    featurestore.delete_record(
        FeatureGroupName=name, RecordIdentifierValueAsString="b", EventTime="2024-03-06T00:00:00Z"
    )

    assert _rows(
        athena, f'SELECT id, eventtime, n, x, is_deleted FROM "{table_name}" ORDER BY eventtime', offline_bucket
    ) == [
        ["id", "eventtime", "n", "x", "is_deleted"],
        ["a", "2024-03-04T05:06:07Z", "1", None, "false"],
        ["a", "2024-03-04T23:00:00Z", "2", None, "false"],
        ["b", "2024-03-05T00:00:00Z", None, "0.5", "false"],
        ["b", "2024-03-06T00:00:00Z", None, None, "true"],
    ]
    columns = _rows(athena, f'SELECT * FROM "{table_name}" LIMIT 1', offline_bucket)[0]
    assert columns == ["id", "eventtime", "n", "x", "write_time", "api_invocation_time", "is_deleted"]

    # The table is objects in S3: daily partitions of the event time under data/, metadata under metadata/.
    data = _keys(s3, offline_bucket, f"{root}/data/")
    assert sorted({key.split("/")[-2] for key in data}) == [
        "EventTime_trunc=2024-03-04",
        "EventTime_trunc=2024-03-05",
        "EventTime_trunc=2024-03-06",
    ]
    body = s3.get_object(Bucket=offline_bucket, Key=data[0])["Body"].read()
    assert pq.read_schema(io.BytesIO(body)).names[:4] == ["id", "EventTime", "n", "x"]
    metadata = _keys(s3, offline_bucket, f"{root}/metadata/")
    current = glue.get_table(DatabaseName=DATABASE, Name=table_name)["Table"]["Parameters"]
    assert current["metadata_location"] != first_metadata
    assert current["metadata_location"].removeprefix(f"s3://{offline_bucket}/") in metadata
    assert any(key.endswith(".avro") for key in metadata)
    document = json.loads(
        s3.get_object(Bucket=offline_bucket, Key=current["metadata_location"].removeprefix(f"s3://{offline_bucket}/"))[
            "Body"
        ].read()
    )
    assert document["format-version"] == 2 and document["current-snapshot-id"] > 0
    assert document["partition-specs"][0]["fields"][0]["transform"] == "truncate[10]"


def test_added_features_evolve_the_iceberg_schema(sm, featurestore, athena, glue, offline_bucket):
    name = unique("iceevolve")
    table_name = _create(sm, name, offline_bucket)["OfflineStoreConfig"]["DataCatalogConfig"]["TableName"]
    featurestore.put_record(FeatureGroupName=name, Record=record(id="a", EventTime="2024-03-04T05:06:07Z", n="1"))
    assert len(_rows(athena, f'SELECT id FROM "{table_name}"', offline_bucket)) == 2  # flushed: an older file
    sm.update_feature_group(FeatureGroupName=name, FeatureAdditions=definitions(Color="String"))
    featurestore.put_record(
        FeatureGroupName=name, Record=record(id="b", EventTime="2024-03-04T06:00:00Z", n="2", Color="red")
    )
    assert _rows(athena, f'SELECT id, color FROM "{table_name}" ORDER BY id', offline_bucket) == [
        ["id", "color"],
        ["a", None],
        ["b", "red"],
    ]
    columns = glue.get_table(DatabaseName=DATABASE, Name=table_name)["Table"]["StorageDescriptor"]["Columns"]
    assert columns[-1] == {"Name": "color", "Type": "string"}


def test_delete_drops_the_glue_table_and_keeps_the_files(sm, glue, s3, offline_bucket):
    name = unique("icegone")
    described = _create(sm, name, offline_bucket)
    table_name = described["OfflineStoreConfig"]["DataCatalogConfig"]["TableName"]
    root = described["OfflineStoreConfig"]["S3StorageConfig"]["ResolvedOutputS3Uri"].removesuffix("/data")
    sm.delete_feature_group(FeatureGroupName=name)
    for _ in range(200):
        try:
            sm.describe_feature_group(FeatureGroupName=name)
        except ClientError:
            break
        time.sleep(0.05)
    assert _error(glue.get_table, DatabaseName=DATABASE, Name=table_name)[0] == "EntityNotFoundException"
    assert _keys(s3, offline_bucket, f"{root.removeprefix(f's3://{offline_bucket}/')}/metadata/")


@pytest.mark.parametrize(
    ("event_type", "offline", "needle"),
    [
        ("Fractional", {}, "must be of FeatureType String when OfflineStoreConfig.TableFormat is Iceberg"),
        ("String", {"DisableGlueTableCreation": True}, "is not supported by Sagecraft yet"),
        ("String", {"TableFormat": "Delta"}, "tableFormat' failed to satisfy constraint"),
    ],
)
def test_refused_iceberg_requests_create_nothing(sm, offline_bucket, event_type, offline, needle):
    name = unique("icebad")
    code, message = _error(
        sm.create_feature_group,
        FeatureGroupName=name,
        RecordIdentifierFeatureName="id",
        EventTimeFeatureName="et",
        FeatureDefinitions=definitions(id="String", et=event_type),
        RoleArn=ROLE,
        OfflineStoreConfig={
            "S3StorageConfig": {"S3Uri": f"s3://{offline_bucket}/bad"},
            "TableFormat": "Iceberg",
            **offline,
        },
    )
    assert code == "ValidationException" and needle in message, message
    assert _error(sm.describe_feature_group, FeatureGroupName=name)[0] == "ResourceNotFound"


def test_an_iceberg_table_whose_metadata_is_gone_fails_the_query(athena, glue, offline_bucket):
    database, table_name = unique("icebroken").replace("-", "_"), "t"
    glue.create_database(DatabaseInput={"Name": database})
    glue.create_table(
        DatabaseName=database,
        TableInput={
            "Name": table_name,
            "TableType": "EXTERNAL_TABLE",
            "Parameters": {
                "table_type": "ICEBERG",
                "metadata_location": f"s3://{offline_bucket}/nowhere/metadata/00000-x.metadata.json",
            },
            "StorageDescriptor": {"Columns": [{"Name": "a", "Type": "string"}], "Location": f"s3://{offline_bucket}/"},
        },
    )
    execution = _run(athena, f'SELECT * FROM "{database}"."{table_name}"', offline_bucket)
    assert execution["Status"]["State"] == "FAILED"
    reason = execution["Status"]["StateChangeReason"]
    assert reason.startswith("GENERIC_INTERNAL_ERROR: Iceberg table") and "cannot be read" in reason, reason

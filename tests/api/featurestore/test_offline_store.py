"""The offline store: Parquet in SageMaker's layout with the system columns, deletes as is_deleted
rows, read back through Athena (Trino SQL with ISO-8601 event times) and Glue's partitions."""

from __future__ import annotations

import io
import time

import pyarrow.parquet as pq

from tests.api.featurestore.support import create_group, record, unique


def _query(athena, sql: str, bucket: str) -> list[list[str | None]]:
    started = athena.start_query_execution(
        QueryString=sql,
        QueryExecutionContext={"Database": "sagemaker_featurestore"},
        ResultConfiguration={"OutputLocation": f"s3://{bucket}/athena"},
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        status = athena.get_query_execution(QueryExecutionId=started["QueryExecutionId"])["QueryExecution"]["Status"]
        if status["State"] not in ("QUEUED", "RUNNING"):
            break
        time.sleep(0.05)
    assert status["State"] == "SUCCEEDED", status
    rows = athena.get_query_results(QueryExecutionId=started["QueryExecutionId"])["ResultSet"]["Rows"]
    return [[d.get("VarCharValue") for d in r["Data"]] for r in rows]


def test_records_reach_parquet_in_sagemaker_layout(sm, featurestore, athena, glue, s3, offline_bucket):
    name = unique("offline")
    described = create_group(sm, name, offline_bucket=offline_bucket, event_type="String")
    table = described["OfflineStoreConfig"]["DataCatalogConfig"]["TableName"]
    featurestore.put_record(FeatureGroupName=name, Record=record(id="a", et="2024-03-04T05:06:07Z", n="1"))
    featurestore.put_record(FeatureGroupName=name, Record=record(id="a", et="2024-03-04T06:00:00.500Z", n="2"))
    featurestore.put_record(FeatureGroupName=name, Record=record(id="b", et="2024-03-05T00:00:00Z", x="0.25"))
    featurestore.put_record(
        FeatureGroupName=name, Record=record(id="c", et="2024-03-05T00:00:00Z"), TargetStores=["OnlineStore"]
    )  # online only: never in the offline store
    featurestore.delete_record(
        FeatureGroupName=name, RecordIdentifierValueAsString="b", EventTime="2024-03-06T00:00:00Z"
    )

    rows = _query(
        athena,
        f'SELECT id, et, n, x, is_deleted, year, month, day, hour FROM "{table}" '
        "WHERE from_iso8601_timestamp(et) >= from_iso8601_timestamp('2024-03-04T06:00:00Z') "
        "ORDER BY et",
        offline_bucket,
    )
    assert rows == [
        ["id", "et", "n", "x", "is_deleted", "year", "month", "day", "hour"],
        ["a", "2024-03-04T06:00:00.500Z", "2", None, "false", "2024", "03", "04", "06"],
        ["b", "2024-03-05T00:00:00Z", None, "0.25", "false", "2024", "03", "05", "00"],
        ["b", "2024-03-06T00:00:00Z", None, None, "true", "2024", "03", "06", "00"],
    ]
    prefix = described["OfflineStoreConfig"]["S3StorageConfig"]["ResolvedOutputS3Uri"].removeprefix(
        f"s3://{offline_bucket}/"
    )
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=offline_bucket, Prefix=prefix)["Contents"]]
    assert all(k.startswith(f"{prefix}/year=2024/month=03/day=0") and k.endswith(".parquet") for k in keys)
    body = s3.get_object(Bucket=offline_bucket, Key=keys[0])["Body"].read()
    assert pq.read_schema(io.BytesIO(body)).names == [
        "id",
        "et",
        "n",
        "x",
        "s",
        "write_time",
        "api_invocation_time",
        "is_deleted",
    ]
    partitions = glue.get_partitions(DatabaseName="sagemaker_featurestore", TableName=table)["Partitions"]
    assert [p["Values"] for p in partitions] == [
        ["2024", "03", "04", "05"],
        ["2024", "03", "04", "06"],
        ["2024", "03", "05", "00"],
        ["2024", "03", "06", "00"],
    ]

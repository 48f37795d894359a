"""Feature store encryption with KMS keys: offline Parquet written SSE-KMS with
S3StorageConfig.KmsKeyId, online records sealed at rest with a data key of SecurityConfig.KmsKeyId."""

from __future__ import annotations

import time

import pytest
from botocore.exceptions import ClientError

from tests.api.featurestore.support import as_dict, create_group, record, redis_server, unique


@pytest.fixture(scope="module")
def kms(server):
    return server.client("kms")


def _online_store_bytes(server) -> bytes:
    folder = server.home / "featurestore"
    return b"".join(path.read_bytes() for path in folder.glob("online.sqlite3*"))


def _flush_offline(athena, bucket: str) -> None:
    """An Athena query drains the offline journal first."""
    started = athena.start_query_execution(
        QueryString="SELECT 1", ResultConfiguration={"OutputLocation": f"s3://{bucket}/athena"}
    )
    for _ in range(600):
        state = athena.get_query_execution(QueryExecutionId=started["QueryExecutionId"])["QueryExecution"]["Status"]
        if state["State"] not in ("QUEUED", "RUNNING"):
            assert state["State"] == "SUCCEEDED", state
            return
        time.sleep(0.05)
    raise AssertionError("query did not finish")


def test_offline_parquet_is_written_sse_kms(sm, featurestore, athena, s3, kms, offline_bucket):
    key = kms.create_key()["KeyMetadata"]
    name = unique("kms-offline")
    described = create_group(
        sm,
        name,
        extra={
            "OfflineStoreConfig": {"S3StorageConfig": {"S3Uri": f"s3://{offline_bucket}/enc", "KmsKeyId": key["KeyId"]}}
        },
    )
    assert described["FeatureGroupStatus"] == "Created"
    featurestore.put_record(FeatureGroupName=name, Record=record(id="a", et="1700000000", s="offline-secret"))
    _flush_offline(athena, offline_bucket)
    prefix = described["OfflineStoreConfig"]["S3StorageConfig"]["ResolvedOutputS3Uri"].removeprefix(
        f"s3://{offline_bucket}/"
    )
    objects = s3.list_objects_v2(Bucket=offline_bucket, Prefix=prefix).get("Contents", [])
    parquet = [o["Key"] for o in objects if o["Key"].endswith(".parquet")]
    assert parquet
    for object_key in parquet:
        head = s3.head_object(Bucket=offline_bucket, Key=object_key)
        assert head["ServerSideEncryption"] == "aws:kms"
        assert head["SSEKMSKeyId"] == key["Arn"]
        body = s3.get_object(Bucket=offline_bucket, Key=object_key)["Body"].read()
        assert body.startswith(b"PAR1")  # readers get the plaintext Parquet back


def test_online_values_are_sealed_at_rest(server, sm, featurestore, kms):
    key = kms.create_key()["KeyMetadata"]
    sealed, plain = unique("kms-online"), unique("plain-online")
    create_group(sm, sealed, online={"EnableOnlineStore": True, "SecurityConfig": {"KmsKeyId": key["Arn"]}})
    create_group(sm, plain)
    secret, control = f"secret-{unique('v')}", f"visible-{unique('v')}"
    featurestore.put_record(FeatureGroupName=sealed, Record=record(id="r1", et="10", s=secret, n="7"))
    featurestore.put_record(FeatureGroupName=plain, Record=record(id="r1", et="10", s=control))

    found = featurestore.get_record(FeatureGroupName=sealed, RecordIdentifierValueAsString="r1")
    assert as_dict(found["Record"]) == {"id": "r1", "et": "10", "s": secret, "n": "7"}
    batch = featurestore.batch_get_record(
        Identifiers=[{"FeatureGroupName": sealed, "RecordIdentifiersValueAsString": ["r1"]}]
    )
    assert as_dict(batch["Records"][0]["Record"])["s"] == secret
    stored = _online_store_bytes(server)
    assert control.encode() in stored  # the check can see plaintext where it is stored as such
    assert secret.encode() not in stored
    described = sm.describe_feature_group(FeatureGroupName=sealed)
    assert described["OnlineStoreConfig"]["SecurityConfig"] == {"KmsKeyId": key["Arn"]}
    assert "SagecraftOnlineDataKey" not in described


def test_disabled_or_deleting_key_stops_records(sm, featurestore, kms):
    key = kms.create_key()["KeyMetadata"]["KeyId"]
    name = unique("kms-disabled")
    create_group(sm, name, online={"EnableOnlineStore": True, "SecurityConfig": {"KmsKeyId": key}})
    featurestore.put_record(FeatureGroupName=name, Record=record(id="a", et="1", s="before"))

    kms.disable_key(KeyId=key)
    for call in (
        lambda: featurestore.put_record(FeatureGroupName=name, Record=record(id="a", et="2", s="during")),
        lambda: featurestore.get_record(FeatureGroupName=name, RecordIdentifierValueAsString="a"),
        lambda: featurestore.delete_record(FeatureGroupName=name, RecordIdentifierValueAsString="a", EventTime="3"),
    ):
        with pytest.raises(ClientError) as raised:
            call()
        assert raised.value.response["Error"]["Code"] == "AccessForbidden"
        assert "is disabled" in raised.value.response["Error"]["Message"]
    batch = featurestore.batch_get_record(
        Identifiers=[{"FeatureGroupName": name, "RecordIdentifiersValueAsString": ["a"]}]
    )
    assert batch["Records"] == [] and batch["Errors"][0]["ErrorCode"] == "AccessForbidden"

    kms.enable_key(KeyId=key)  # nothing was written while disabled
    found = featurestore.get_record(FeatureGroupName=name, RecordIdentifierValueAsString="a")
    assert as_dict(found["Record"])["s"] == "before"

    kms.schedule_key_deletion(KeyId=key, PendingWindowInDays=7)
    with pytest.raises(ClientError) as raised:
        featurestore.get_record(FeatureGroupName=name, RecordIdentifierValueAsString="a")
    assert raised.value.response["Error"]["Code"] == "AccessForbidden"
    assert "pending deletion" in raised.value.response["Error"]["Message"]


@pytest.mark.parametrize("store", ["online", "offline"])
def test_create_with_a_missing_key_fails(sm, offline_bucket, store):
    name = unique("kms-missing")
    missing = "arn:aws:kms:us-east-1:000000000000:key/00000000-0000-4000-8000-000000000000"
    request = {
        "FeatureGroupName": name,
        "RecordIdentifierFeatureName": "id",
        "EventTimeFeatureName": "et",
        "FeatureDefinitions": [
            {"FeatureName": "id", "FeatureType": "String"},
            {"FeatureName": "et", "FeatureType": "Fractional"},
        ],
        "RoleArn": "arn:aws:iam::000000000000:role/FeatureStoreRole",
    }
    if store == "online":
        request["OnlineStoreConfig"] = {"EnableOnlineStore": True, "SecurityConfig": {"KmsKeyId": missing}}
    else:
        request["OfflineStoreConfig"] = {"S3StorageConfig": {"S3Uri": f"s3://{offline_bucket}/x", "KmsKeyId": missing}}
    with pytest.raises(ClientError) as raised:
        sm.create_feature_group(**request)
    assert raised.value.response["Error"]["Code"] == "ValidationException"
    assert missing in raised.value.response["Error"]["Message"]
    with pytest.raises(ClientError) as raised:
        sm.describe_feature_group(FeatureGroupName=name)
    assert raised.value.response["Error"]["Code"] == "ResourceNotFound"


@pytest.mark.slow
def test_redis_online_store_holds_sealed_values(fresh_server, tmp_path):
    import redis

    with redis_server(tmp_path) as url:
        fresh_server.extra_env["SAGECRAFT_FEATURESTORE_ONLINE_URL"] = url
        fresh_server.start()
        sm, runtime = fresh_server.client("sagemaker"), fresh_server.client("sagemaker-featurestore-runtime")
        key = fresh_server.client("kms").create_key()["KeyMetadata"]["Arn"]
        name = unique("kms-redis")
        create_group(sm, name, online={"EnableOnlineStore": True, "SecurityConfig": {"KmsKeyId": key}})
        secret = f"secret-{unique('v')}"
        runtime.put_record(FeatureGroupName=name, Record=record(id="a", et="20", s=secret))
        found = runtime.get_record(FeatureGroupName=name, RecordIdentifierValueAsString="a")
        assert as_dict(found["Record"]) == {"id": "a", "et": "20", "s": secret}
        client = redis.Redis.from_url(url)
        stored = [client.hget(k, "record") for k in client.scan_iter("sagecraft:fs:*:r:a")]
        assert stored and all(value and secret.encode() not in value for value in stored)

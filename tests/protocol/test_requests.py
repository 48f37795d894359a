"""botocore's serializer → our router and parser: what a real client sends comes out as the
members it was given, for a sample of operations in each protocol."""

from __future__ import annotations

import datetime as dt
import hashlib

from tests.support.wire import assert_contains, capture, make_client, parse

WHEN = dt.datetime(2026, 3, 4, 5, 6, 7, 123000, tzinfo=dt.UTC)

CREATE_TRAINING_JOB = {
    "TrainingJobName": "xgb-2026-03-04-05-06-07-123",
    "HyperParameters": {"objective": "binary:logistic", "num_round": "100", "eta": "0.2"},
    "AlgorithmSpecification": {
        "TrainingImage": "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1",
        "TrainingInputMode": "File",
        "MetricDefinitions": [{"Name": "validation:auc", "Regex": r"validation-auc:([0-9\.]+)"}],
        "EnableSageMakerMetricsTimeSeries": True,
    },
    "RoleArn": "arn:aws:iam::000000000000:role/SageMakerRole",
    "InputDataConfig": [
        {
            "ChannelName": "train",
            "DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": "s3://bucket/train/",
                                            "S3DataDistributionType": "FullyReplicated"}},
            "ContentType": "text/csv",
        },
        {
            "ChannelName": "validation",
            "DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": "s3://bucket/validation/"}},
        },
    ],
    "OutputDataConfig": {"S3OutputPath": "s3://bucket/output/", "KmsKeyId": ""},
    "ResourceConfig": {"InstanceType": "ml.m5.xlarge", "InstanceCount": 1, "VolumeSizeInGB": 30},
    "StoppingCondition": {"MaxRuntimeInSeconds": 86400},
    "Tags": [{"Key": "project", "Value": "sagecraft"}],
    "Environment": {"A": "1", "B": "two words"},
    "EnableNetworkIsolation": False,
    "RetryStrategy": {"MaximumRetryAttempts": 2},
}


def roundtrip(service: str, operation: str, params: dict, **config):
    request = capture(make_client(service, **config), operation, params)
    parsed = parse(request)
    assert (parsed.service, parsed.operation) == (service, operation)
    return request, parsed.params


def test_sagemaker_create_training_job():
    _, params = roundtrip("sagemaker", "CreateTrainingJob", CREATE_TRAINING_JOB)
    assert params == CREATE_TRAINING_JOB


def test_sagemaker_timestamps_and_enums():
    given = {"CreationTimeAfter": WHEN, "StatusEquals": "Completed", "SortBy": "CreationTime", "MaxResults": 10}
    _, params = roundtrip("sagemaker", "ListTrainingJobs", given)
    assert_contains(given, params)
    assert params["CreationTimeAfter"] == WHEN


def test_sagemaker_blob_and_document_members():
    given = {"PipelineName": "p", "PipelineDefinition": '{"Version": "2020-12-01", "Steps": []}',
             "RoleArn": "arn:aws:iam::000000000000:role/R", "ClientRequestToken": "t" * 40,
             "ParallelismConfiguration": {"MaxParallelExecutionSteps": 4}}
    _, params = roundtrip("sagemaker", "CreatePipeline", given)
    assert params == given


def test_s3_put_object_headers_metadata_and_body():
    body = b"a,b\n1,2\n" * 1000
    given = {"Bucket": "bucket", "Key": "dir/a file+plus&amp?.csv", "Body": body, "ContentType": "text/csv",
             "Metadata": {"origin": "test", "Mixed-Case": "Value"}, "ServerSideEncryption": "aws:kms",
             "ExpectedBucketOwner": "000000000000", "CacheControl": "no-cache", "Expires": WHEN.replace(microsecond=0)}
    request, params = roundtrip("s3", "PutObject", given)
    assert params["Body"].read() == body
    assert params["Key"] == given["Key"]
    assert params["Metadata"] == {"origin": "test", "mixed-case": "Value"}  # HTTP headers are case-insensitive
    assert params["Expires"] == given["Expires"]
    del given["Metadata"]
    assert_contains(given, params)
    assert "ChecksumCRC32" in params or "ContentMD5" in params, request.headers


def test_s3_list_objects_v2_query():
    given = {"Bucket": "bucket", "Prefix": "a/b c/", "Delimiter": "/", "MaxKeys": 7, "StartAfter": "a/b c/0",
             "ContinuationToken": "tok+en/=", "EncodingType": "url", "FetchOwner": True}
    _, params = roundtrip("s3", "ListObjectsV2", given)
    assert_contains(given, params)


def test_s3_list_objects_v1_is_not_v2():
    _, params = roundtrip("s3", "ListObjects", {"Bucket": "bucket", "Marker": "m", "Prefix": "p"})
    assert_contains({"Bucket": "bucket", "Marker": "m", "Prefix": "p"}, params)  # botocore adds EncodingType


def test_s3_complete_multipart_upload_xml_body():
    parts = [{"PartNumber": n, "ETag": f'"{hashlib.md5(bytes([n])).hexdigest()}"'} for n in range(1, 4)]
    given = {"Bucket": "bucket", "Key": "big/object.bin", "UploadId": "upload-1",
             "MultipartUpload": {"Parts": parts}}
    _, params = roundtrip("s3", "CompleteMultipartUpload", given)
    assert_contains(given, params)


def test_s3_delete_objects_flattened_list():
    objects = [{"Key": f"k/{i}&<>.txt"} for i in range(5)] + [{"Key": "versioned", "VersionId": "v1"}]
    given = {"Bucket": "bucket", "Delete": {"Objects": objects, "Quiet": True}}
    _, params = roundtrip("s3", "DeleteObjects", given)
    assert_contains(given, params)


def test_s3_copy_object_source_header():
    given = {"Bucket": "bucket", "Key": "copy", "CopySource": {"Bucket": "src", "Key": "a b/c+d"},
             "MetadataDirective": "REPLACE", "Metadata": {"k": "v"}}
    _, params = roundtrip("s3", "CopyObject", given)
    assert params["CopySource"] in ("src/a%20b/c%2Bd", "src/a b/c+d")
    assert params["MetadataDirective"] == "REPLACE"


def test_s3_upload_part_and_range_get():
    _, params = roundtrip("s3", "UploadPart", {"Bucket": "bucket", "Key": "k", "UploadId": "u", "PartNumber": 3,
                                              "Body": b"x" * 100})
    assert params["PartNumber"] == 3 and params["UploadId"] == "u"
    _, params = roundtrip("s3", "GetObject", {"Bucket": "bucket", "Key": "k", "Range": "bytes=0-9",
                                              "IfMatch": '"etag"', "IfModifiedSince": WHEN.replace(microsecond=0)})
    assert_contains({"Range": "bytes=0-9", "IfMatch": '"etag"', "IfModifiedSince": WHEN.replace(microsecond=0)},
                    params)


def test_s3_virtual_hosted_addressing():
    from sagecraft.gateway.virtual_host import bucket_from_host

    # botocore keeps path style for an IP endpoint, whatever the setting
    client = make_client("s3", endpoint_url="http://localhost:8642", s3={"addressing_style": "virtual"})
    request = capture(client, "GetObject", {"Bucket": "my-bucket", "Key": "a/b.txt"})
    bucket = bucket_from_host(request.headers["host"])
    assert bucket == "my-bucket"
    request.path_prefix = "/" + bucket
    parsed = parse(request)
    assert parsed.operation == "GetObject"
    assert_contains({"Bucket": "my-bucket", "Key": "a/b.txt"}, parsed.params)


def test_sts_assume_role_query():
    given = {"RoleArn": "arn:aws:iam::000000000000:role/R", "RoleSessionName": "s1", "DurationSeconds": 900,
             "PolicyArns": [{"arn": "arn:aws:iam::aws:policy/ReadOnlyAccess"}, {"arn": "arn:aws:iam::1:policy/p"}],
             "Tags": [{"Key": "team", "Value": "ml ops"}], "TransitiveTagKeys": ["team"],
             "Policy": '{"Version":"2012-10-17","Statement":[]}'}
    _, params = roundtrip("sts", "AssumeRole", given)
    assert params == given


def test_sts_get_caller_identity_empty_input():
    _, params = roundtrip("sts", "GetCallerIdentity", {})
    assert params == {}


def test_logs_put_log_events():
    events = [{"timestamp": 1_767_225_600_000 + i, "message": f"line {i} ünïcode"} for i in range(3)]
    given = {"logGroupName": "/aws/sagemaker/TrainingJobs", "logStreamName": "job/algo-1-1767225600",
             "logEvents": events}
    _, params = roundtrip("logs", "PutLogEvents", given)
    assert params == given


def test_sagemaker_runtime_invoke_endpoint():
    given = {"EndpointName": "my-endpoint", "Body": b"1.0,2.0,3.0\n", "ContentType": "text/csv",
             "Accept": "application/json", "CustomAttributes": "c=1", "TargetModel": "model-a.tar.gz"}
    _, params = roundtrip("sagemaker-runtime", "InvokeEndpoint", given)
    assert_contains(given, params)


def test_featurestore_put_and_get_record():
    record = [{"FeatureName": "id", "ValueAsString": "42"}, {"FeatureName": "tags", "ValueAsStringList": ["a", "b"]}]
    _, params = roundtrip("sagemaker-featurestore-runtime", "PutRecord",
                          {"FeatureGroupName": "customers", "Record": record, "TargetStores": ["OnlineStore"]})
    assert params == {"FeatureGroupName": "customers", "Record": record, "TargetStores": ["OnlineStore"]}
    given = {"FeatureGroupName": "customers", "RecordIdentifierValueAsString": "42 &x",
             "FeatureNames": ["id", "tags"], "ExpirationTimeResponse": "Enabled"}
    _, params = roundtrip("sagemaker-featurestore-runtime", "GetRecord", given)
    assert params == given


def test_featurestore_batch_get_and_metrics():
    _, params = roundtrip("sagemaker-featurestore-runtime", "BatchGetRecord", {"Identifiers": [
        {"FeatureGroupName": "g", "RecordIdentifiersValueAsString": ["1", "2"]}]})
    assert params["Identifiers"][0]["RecordIdentifiersValueAsString"] == ["1", "2"]
    metric = {"MetricName": "loss", "Timestamp": WHEN, "Step": 3, "Value": 0.25}
    _, params = roundtrip("sagemaker-metrics", "BatchPutMetrics",
                          {"TrialComponentName": "tc", "MetricData": [metric]})
    assert params["MetricData"][0]["Value"] == 0.25
    assert params["MetricData"][0]["Timestamp"].replace(microsecond=0) == WHEN.replace(microsecond=0)

"""Our serializer → botocore's parser: outputs and errors as a real client reads them (a full
client round trip, and botocore.parsers directly for the shapes clients treat specially)."""

from __future__ import annotations

import datetime as dt

import pytest
from botocore.exceptions import ClientError
from botocore.parsers import create_parser

from sagecraft.api.models import service_info
from sagecraft.core.errors import AwsError, ResourceNotFound, ValidationException
from tests.support.wire import assert_contains, call, make_client, serialize

WHEN = dt.datetime(2026, 3, 4, 5, 6, 7, 123000, tzinfo=dt.UTC)
SECOND = WHEN.replace(microsecond=0)


def answer(service: str, operation: str, output: dict):
    return call(make_client(service), operation, _request_for(service, operation),
                lambda parsed: serialize(parsed.service, parsed.operation, output))


def _request_for(service: str, operation: str) -> dict:
    return REQUESTS[(service, operation)]


REQUESTS = {
    ("sagemaker", "DescribeTrainingJob"): {"TrainingJobName": "job"},
    ("s3", "ListObjectsV2"): {"Bucket": "bucket", "Prefix": "p/", "Delimiter": "/"},
    ("s3", "ListObjects"): {"Bucket": "bucket"},
    ("s3", "HeadObject"): {"Bucket": "bucket", "Key": "k"},
    ("s3", "GetObject"): {"Bucket": "bucket", "Key": "k"},
    ("s3", "ListBuckets"): {},
    ("s3", "DeleteObjects"): {"Bucket": "bucket", "Delete": {"Objects": [{"Key": "a"}, {"Key": "b"}]}},
    ("s3", "CreateMultipartUpload"): {"Bucket": "bucket", "Key": "k"},
    ("s3", "CompleteMultipartUpload"): {"Bucket": "bucket", "Key": "k", "UploadId": "u",
                                        "MultipartUpload": {"Parts": [{"PartNumber": 1, "ETag": '"e"'}]}},
    ("s3", "PutObject"): {"Bucket": "bucket", "Key": "k", "Body": b"data"},
    ("sts", "AssumeRole"): {"RoleArn": "arn:aws:iam::000000000000:role/R", "RoleSessionName": "sess"},
    ("sts", "GetCallerIdentity"): {},
    ("logs", "GetLogEvents"): {"logGroupName": "g", "logStreamName": "s", "startFromHead": True},
    ("logs", "DescribeLogStreams"): {"logGroupName": "g", "orderBy": "LogStreamName"},
    ("sagemaker-runtime", "InvokeEndpoint"): {"EndpointName": "e", "Body": b"1,2", "ContentType": "text/csv"},
    ("sagemaker-featurestore-runtime", "GetRecord"): {"FeatureGroupName": "g", "RecordIdentifierValueAsString": "1"},
}


def test_sagemaker_describe_training_job():
    output = {
        "TrainingJobName": "job", "TrainingJobArn": "arn:aws:sagemaker:us-east-1:000000000000:training-job/job",
        "TrainingJobStatus": "Completed", "SecondaryStatus": "Completed",
        "HyperParameters": {"num_round": "10", "objective": "binary:logistic"},
        "AlgorithmSpecification": {"TrainingImage": "img", "TrainingInputMode": "File",
                                   "MetricDefinitions": [{"Name": "auc", "Regex": "auc:(.*)"}]},
        "ResourceConfig": {"InstanceType": "ml.m5.xlarge", "InstanceCount": 1, "VolumeSizeInGB": 30},
        "StoppingCondition": {"MaxRuntimeInSeconds": 3600},
        "OutputDataConfig": {"S3OutputPath": "s3://b/out", "KmsKeyId": ""},
        "ModelArtifacts": {"S3ModelArtifacts": "s3://b/out/job/output/model.tar.gz"},
        "CreationTime": WHEN, "TrainingStartTime": WHEN, "TrainingEndTime": WHEN + dt.timedelta(minutes=2),
        "LastModifiedTime": WHEN,
        "SecondaryStatusTransitions": [{"Status": "Starting", "StartTime": WHEN, "StatusMessage": "Starting"},
                                       {"Status": "Completed", "StartTime": WHEN, "EndTime": WHEN}],
        "FinalMetricDataList": [{"MetricName": "auc", "Value": 0.97, "Timestamp": WHEN}],
        "BillableTimeInSeconds": 120, "EnableNetworkIsolation": False,
    }
    assert_contains(output, answer("sagemaker", "DescribeTrainingJob", output))


def test_s3_list_objects_v2_flattened_lists_and_timestamps():
    output = {
        "IsTruncated": True, "Name": "bucket", "Prefix": "p/", "Delimiter": "/", "MaxKeys": 1000, "KeyCount": 3,
        "NextContinuationToken": "next&<token>",
        "Contents": [{"Key": f"p/{name}", "LastModified": SECOND, "ETag": '"abc"', "Size": size,
                      "StorageClass": "STANDARD"} for name, size in (("a & b.txt", 0), ("c<d>.csv", 12))],
        "CommonPrefixes": [{"Prefix": "p/dir/"}],
    }
    assert_contains(output, answer("s3", "ListObjectsV2", output))


def test_s3_list_objects_v1():
    output = {"IsTruncated": False, "Name": "bucket", "Marker": "", "Contents": [
        {"Key": "a", "LastModified": SECOND, "ETag": '"e"', "Size": 1, "StorageClass": "STANDARD"}]}
    assert_contains(output, answer("s3", "ListObjects", output))


def test_s3_head_object_headers():
    output = {"ContentLength": 12, "ContentType": "text/csv", "ETag": '"9b2cf535f27731c974343645a3985328"',
              "LastModified": SECOND, "Metadata": {"origin": "test", "two": "2"}, "ServerSideEncryption": "aws:kms",
              "AcceptRanges": "bytes"}
    result = answer("s3", "HeadObject", output)
    assert_contains(output, result)


def test_s3_get_object_streaming_body():
    output = {"Body": b"hello world\n", "ContentLength": 12, "ContentType": "text/plain", "ETag": '"e"',
              "LastModified": SECOND, "ContentRange": "bytes 0-11/12"}
    result = answer("s3", "GetObject", output)
    assert result["Body"].read() == b"hello world\n"
    del output["Body"]
    assert_contains(output, result)


def test_s3_list_buckets():
    output = {"Buckets": [{"Name": "a", "CreationDate": SECOND}, {"Name": "b", "CreationDate": SECOND}],
              "Owner": {"ID": "000000000000", "DisplayName": "sagecraft"}}
    assert_contains(output, answer("s3", "ListBuckets", output))


def test_s3_delete_objects_output_flattened():
    output = {"Deleted": [{"Key": "a"}], "Errors": [{"Key": "b", "Code": "AccessDenied", "Message": "no"}]}
    assert_contains(output, answer("s3", "DeleteObjects", output))


def test_s3_multipart_outputs():
    output = {"Bucket": "bucket", "Key": "k", "UploadId": "u-1"}
    assert_contains(output, answer("s3", "CreateMultipartUpload", output))
    output = {"Bucket": "bucket", "Key": "k", "ETag": '"abc-1"', "Location": "http://127.0.0.1:8642/bucket/k"}
    assert_contains(output, answer("s3", "CompleteMultipartUpload", output))


def test_s3_put_object_output_headers():
    output = {"ETag": '"8d777f385d3dfec8815d20f7496026dc"', "ServerSideEncryption": "AES256",
              "ChecksumCRC32": "rfPzYw=="}
    assert_contains(output, answer("s3", "PutObject", output))


def test_sts_assume_role_nested_and_timestamp():
    output = {"Credentials": {"AccessKeyId": "ASIA1234567890", "SecretAccessKey": "s/+=", "SessionToken": "tok",
                              "Expiration": SECOND},
              "AssumedRoleUser": {"AssumedRoleId": "AROA123:sess",
                                  "Arn": "arn:aws:sts::000000000000:assumed-role/R/sess"},
              "PackedPolicySize": 6}
    assert_contains(output, answer("sts", "AssumeRole", output))


def test_sts_get_caller_identity():
    output = {"UserId": "AIDA1", "Account": "000000000000", "Arn": "arn:aws:iam::000000000000:root"}
    assert_contains(output, answer("sts", "GetCallerIdentity", output))


def test_logs_get_log_events_longs():
    output = {"events": [{"timestamp": 1_767_225_600_123, "message": "epoch 1 ✓", "ingestionTime": 1_767_225_600_200}],
              "nextForwardToken": "f/00000000000000000000000000000000000000000000000000000001",
              "nextBackwardToken": "b/00000000000000000000000000000000000000000000000000000000"}
    assert_contains(output, answer("logs", "GetLogEvents", output))


def test_logs_describe_log_streams_without_token():
    output = {"logStreams": [{"logStreamName": "job/algo-1", "creationTime": 1, "firstEventTimestamp": 2,
                              "lastEventTimestamp": 3, "lastIngestionTime": 4, "storedBytes": 0,
                              "arn": "arn:aws:logs:us-east-1:000000000000:log-group:g:log-stream:job/algo-1"}]}
    result = answer("logs", "DescribeLogStreams", output)
    assert_contains(output, result)
    assert "nextToken" not in result  # the SDK loops while it is present


def test_sagemaker_runtime_invoke_endpoint_blob_and_headers():
    output = {"Body": b'{"predictions": [0.9]}', "ContentType": "application/json", "CustomAttributes": "x=1",
              "InvokedProductionVariant": "AllTraffic"}
    result = answer("sagemaker-runtime", "InvokeEndpoint", output)
    assert result["Body"].read() == output.pop("Body")
    assert_contains(output, result)


def test_featurestore_get_record():
    output = {"Record": [{"FeatureName": "id", "ValueAsString": "1"},
                         {"FeatureName": "vec", "ValueAsStringList": ["0.1", "0.2"]}]}
    assert_contains(output, answer("sagemaker-featurestore-runtime", "GetRecord", output))


def raise_(error: AwsError):
    def respond(parsed):
        return serialize(parsed.service, parsed.operation, error=error)
    return respond


@pytest.mark.parametrize(("service", "operation", "error", "code", "status"), [
    ("sagemaker", "DescribeTrainingJob", ResourceNotFound("Requested resource not found."), "ResourceNotFound", 400),
    ("sagemaker", "DescribeTrainingJob", ValidationException("Requested resource not found."),
     "ValidationException", 400),
    ("logs", "GetLogEvents", AwsError("The specified log group does not exist.",
                                      code="ResourceNotFoundException", status=400),
     "ResourceNotFoundException", 400),
    ("sagemaker-featurestore-runtime", "GetRecord", AwsError("Feature group not found.",
                                                             code="ResourceNotFound", status=404),
     "ResourceNotFound", 404),
    ("sagemaker-runtime", "InvokeEndpoint", AwsError("Received client error (400) from primary.",
                                                     code="ModelError", status=424), "ModelError", 424),
    ("s3", "GetObject", AwsError("The specified key does not exist.", code="NoSuchKey", status=404,
                                 fields={"Key": "k"}), "NoSuchKey", 404),
    ("s3", "ListObjectsV2", AwsError("The specified bucket does not exist", code="NoSuchBucket", status=404),
     "NoSuchBucket", 404),
    ("sts", "AssumeRole", AwsError("Not authorized to perform sts:AssumeRole", code="AccessDenied", status=403),
     "AccessDenied", 403),
])
def test_errors_reach_the_client(service, operation, error, code, status):
    client = make_client(service)
    with pytest.raises(ClientError) as raised:
        call(client, operation, _request_for(service, operation), raise_(error))
    response = raised.value.response
    assert response["Error"]["Code"] == code
    assert response["Error"]["Message"] == error.message
    assert response["ResponseMetadata"]["HTTPStatusCode"] == status
    modeled = getattr(client.exceptions, code, None)
    if modeled is not None:  # botocore raises the modelled exception class
        assert isinstance(raised.value, modeled)


def test_head_error_without_body():
    from sagecraft.api.protocols.rest_xml import RestXmlProtocol

    protocol = RestXmlProtocol(service_info("s3"))
    response = protocol.serialize_error(AwsError("Not Found", code="NoSuchKey", status=404), "r", head=True)
    assert response.body == b""
    with pytest.raises(ClientError) as raised:
        call(make_client("s3"), "HeadObject", REQUESTS[("s3", "HeadObject")], lambda parsed: response)
    assert raised.value.response["Error"]["Code"] == "404"  # what the SDK's default_bucket() checks
    assert raised.value.response["Error"]["Message"] == "Not Found"


@pytest.mark.parametrize(("service", "operation"), [("sts", "GetCallerIdentity"), ("s3", "ListBuckets"),
                                                    ("logs", "DescribeLogStreams"), ("sagemaker", "ListModels")])
def test_request_id_reaches_response_metadata(service, operation):
    info = service_info(service)
    response = serialize(service, operation, {})
    parser = create_parser(info.protocol)
    parsed = parser.parse({"status_code": response.status, "headers": response.headers, "body": response.body},
                          info.model.operation_model(operation).output_shape)
    assert parsed["ResponseMetadata"]["RequestId"] == "req-1"

"""What a client gets for a bad request: server-side validation naming the parameter, a clear
error for what we do not serve, and never a 500 carrying a Python traceback."""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError

from tests.support.signing import json_call, send

TRAINING_JOB = {
    "TrainingJobName": "job-1",
    "AlgorithmSpecification": {"TrainingImage": "img", "TrainingInputMode": "File"},
    "RoleArn": "arn:aws:iam::000000000000:role/SageMakerRole",
    "OutputDataConfig": {"S3OutputPath": "s3://bucket/out"},
    "ResourceConfig": {"InstanceType": "ml.m5.xlarge", "InstanceCount": 1, "VolumeSizeInGB": 30},
    "StoppingCondition": {"MaxRuntimeInSeconds": 3600},
}


def _unvalidated(server, service: str):
    return server.client(service, parameter_validation=False)


@pytest.mark.parametrize(("change", "named"), [
    ({"TrainingJobName": "not a valid name!"}, "trainingJobName"),
    ({"TrainingJobName": "x" * 64}, "trainingJobName"),
    ({"RoleArn": None}, "roleArn"),
    ({"StoppingCondition": {"MaxRuntimeInSeconds": 0}}, "stoppingCondition.maxRuntimeInSeconds"),
    ({"ResourceConfig": {"InstanceType": "ml.nonexistent", "InstanceCount": 1, "VolumeSizeInGB": 30}},
     "resourceConfig.instanceType"),
    ({"AlgorithmSpecification": {"TrainingImage": "img", "TrainingInputMode": "Sideways"}},
     "algorithmSpecification.trainingInputMode"),
])
def test_invalid_parameters_get_validation_exception(server, change, named):
    params = {**TRAINING_JOB, **change}
    params = {k: v for k, v in params.items() if v is not None}
    with pytest.raises(ClientError) as raised:
        _unvalidated(server, "sagemaker").create_training_job(**params)
    error = raised.value.response
    assert error["Error"]["Code"] == "ValidationException"
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert named in error["Error"]["Message"]


def test_wrong_types_are_refused_not_crashed(server):
    params = {**TRAINING_JOB, "ResourceConfig": {"InstanceType": "ml.m5.xlarge", "InstanceCount": "one",
                                                 "VolumeSizeInGB": 30}}
    with pytest.raises(ClientError) as raised:
        _unvalidated(server, "sagemaker").create_training_job(**params)
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert raised.value.response["Error"]["Code"] in ("ValidationException", "SerializationException")


def test_query_validation_names_the_parameter(server):
    with pytest.raises(ClientError) as raised:
        _unvalidated(server, "sts").assume_role(RoleArn="arn:aws:iam::000000000000:role/R", RoleSessionName="x",
                                                DurationSeconds=10)
    error = raised.value.response["Error"]
    assert error["Code"] == "ValidationError"  # what query services (STS, IAM) call it
    assert "roleSessionName" in error["Message"] and "durationSeconds" in error["Message"]


@pytest.mark.parametrize(("service", "operation", "params", "code"), [
    ("sagemaker", "CreateEdgePackagingJob", {"EdgePackagingJobName": "e", "CompilationJobName": "c",
                                             "ModelName": "m", "ModelVersion": "1",
                                             "RoleArn": "arn:aws:iam::000000000000:role/R",
                                             "OutputConfig": {"S3OutputLocation": "s3://b/o"}},
     "UnknownOperationException"),
    ("logs", "PutDestination", {"destinationName": "d", "targetArn": "arn:aws:kinesis:us-east-1:0:stream/s",
                                "roleArn": "arn:aws:iam::000000000000:role/R"}, "UnknownOperationException"),
    ("sts", "GetFederationToken", {"Name": "federated"}, "InvalidAction"),
    ("s3", "GetBucketWebsite", {"Bucket": "any-bucket"}, "NotImplemented"),
])
def test_operations_not_served_are_named(server, service, operation, params, code):
    from botocore import xform_name

    with pytest.raises(ClientError) as raised:
        getattr(server.client(service), xform_name(operation))(**params)
    error = raised.value.response
    assert error["Error"]["Code"] == code
    assert operation in error["Error"]["Message"]
    assert error["ResponseMetadata"]["HTTPStatusCode"] in (400, 501)


def test_unknown_json_target_is_named(server):
    reply = json_call(server.endpoint_url, "SageMaker.MakeItSo", b"{}", server.keys)
    assert reply.status == 400
    body = json.loads(reply.body)
    assert body["__type"] == "UnknownOperationException"
    assert "MakeItSo" in body["message"]


def test_service_we_do_not_route_is_named(server):
    reply = json_call(server.endpoint_url, "AmazonEC2ContainerRegistry_V20150921.GetAuthorizationToken", b"{}",
                      server.keys, service="ecr")
    assert reply.status == 400, reply.text
    body = json.loads(reply.body)
    assert body["__type"] == "UnknownOperationException"
    assert "ecr GetAuthorizationToken" in body["message"]


def test_service_nobody_knows_is_named(server):
    reply = json_call(server.endpoint_url, "Nope.Nothing", b"{}", server.keys, service="no-such-api")
    assert reply.status == 400, reply.text
    assert "no-such-api" in reply.text


def test_credential_scoped_to_another_service(server):
    reply = json_call(server.endpoint_url, "SageMaker.ListModels", b"{}", server.keys, service="s3")
    assert reply.status == 403, reply.text
    assert "scoped to correct service" in reply.text


def _assert_clean(reply) -> None:
    assert reply.status < 500 or reply.status == 501, reply.text
    assert "Traceback" not in reply.text and 'File "' not in reply.text, reply.text


GARBAGE_JSON = [b"{", b"[]", b"null", b"\xff\xfe\x00", b"[" * 50_000, b'{"TrainingJobName": 42}',
                b'{"TrainingJobName": {"a": 1}}', b'{"TrainingJobName": "x", "HyperParameters": []}',
                b'{"CreationTime": "yesterday"}', b'{"MaxResults": 1e400}', b"0" * 100]


@pytest.mark.parametrize("body", GARBAGE_JSON, ids=range(len(GARBAGE_JSON)))
@pytest.mark.parametrize("target", ["SageMaker.DescribeTrainingJob", "SageMaker.CreateTrainingJob",
                                    "SageMaker.ListTrainingJobs"])
def test_garbage_json_is_a_client_error(server, target, body):
    _assert_clean(json_call(server.endpoint_url, target, body, server.keys))


@pytest.mark.parametrize("body", [b"{", b'{"logGroupName": 7}', b'{"logGroupName": "g", "limit": "ten"}',
                                  b'{"logGroupName": "g", "logStreamName": "s", "logEvents": [{"timestamp": "t"}]}'])
def test_garbage_logs_requests(server, body):
    for target in ("Logs_20140328.DescribeLogStreams", "Logs_20140328.PutLogEvents"):
        _assert_clean(json_call(server.endpoint_url, target, body, server.keys, service="logs"))


@pytest.mark.parametrize("form", [b"Action=AssumeRole&Version=2011-06-15&DurationSeconds=soon", b"Action=",
                                  b"\xff\xfe", b"Action=GetCallerIdentity&Version=2011-06-15&" + b"a=b&" * 2000])
def test_garbage_query_requests(server, form):
    headers = {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"}
    _assert_clean(send(server.endpoint_url, "POST", "/", service="sts", keys=server.keys, body=form, headers=headers))


@pytest.mark.parametrize(("method", "path", "body"), [
    ("POST", "/garbage-bucket?delete", b"<Delete><Object><Key>"),
    ("POST", "/garbage-bucket?delete", b"not xml at all"),
    ("GET", "/garbage-bucket?list-type=2&max-keys=many", b""),
    ("PUT", "/garbage-bucket/key?partNumber=x&uploadId=y", b"data"),
    ("POST", "/garbage-bucket/key?uploadId=u", b"<CompleteMultipartUpload><Part><PartNumber>one"),
    ("GET", "/%ZZ/%", b""),
    ("DELETE", "/", b""),
])
def test_garbage_s3_requests(server, method, path, body):
    _assert_clean(send(server.endpoint_url, method, path, service="s3", keys=server.keys, body=body))


def test_errors_carry_a_request_id(server):
    reply = json_call(server.endpoint_url, "SageMaker.DescribeTrainingJob", b"{", server.keys)
    assert reply.headers.get("x-amzn-requestid")

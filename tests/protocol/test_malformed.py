"""Whatever a client sends, parsing and validation end in an AWS error (a 4xx the client can
read), never in a Python exception that would become an internal failure."""

from __future__ import annotations

import json
from urllib.parse import quote

import pytest

from sagecraft.api.protocols.http import BytesBody, HttpRequest
from sagecraft.core.errors import AwsError
from tests.protocol.test_requests import CREATE_TRAINING_JOB, WHEN
from tests.support.wire import capture, make_client, parse

WRONG_VALUES = [None, True, 0, -1, 1.5, 10**40, -1e300, "", "x" * 5000, "not-a-date", [], [None], {}, {"": None}]


def _leaves(document, path=()):
    """Paths to every value in a JSON document (containers included)."""
    yield path
    if isinstance(document, dict):
        for key, value in document.items():
            yield from _leaves(value, (*path, key))
    elif isinstance(document, list):
        for index, value in enumerate(document):
            yield from _leaves(value, (*path, index))


def _replace(document, path, value):
    if not path:
        return value
    copy = json.loads(json.dumps(document))
    target = copy
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = value
    return copy


def _outcome(request: HttpRequest) -> str:
    try:
        parse(request)
    except AwsError as error:
        assert 400 <= error.status < 500, error
        return error.code
    return "ok"


JSON_SAMPLES = [
    ("sagemaker", "CreateTrainingJob", CREATE_TRAINING_JOB),
    ("sagemaker", "ListTrainingJobs", {"CreationTimeAfter": WHEN, "MaxResults": 10, "StatusEquals": "Completed"}),
    ("logs", "PutLogEvents", {"logGroupName": "g", "logStreamName": "s",
                              "logEvents": [{"timestamp": 1, "message": "m"}]}),
    ("sagemaker-featurestore-runtime", "PutRecord",
     {"FeatureGroupName": "g", "Record": [{"FeatureName": "id", "ValueAsString": "1"}]}),
    ("sagemaker-metrics", "BatchPutMetrics",
     {"TrialComponentName": "tc", "MetricData": [{"MetricName": "m", "Timestamp": WHEN, "Value": 1.0}]}),
]


@pytest.mark.parametrize(("service", "operation", "params"), JSON_SAMPLES, ids=[s[1] for s in JSON_SAMPLES])
def test_json_members_of_the_wrong_type(service, operation, params):
    request = capture(make_client(service), operation, params)
    document = json.loads(request.body.read())
    outcomes = set()
    for path in _leaves(document):
        for value in WRONG_VALUES:
            request.body = BytesBody(json.dumps(_replace(document, path, value)).encode())
            outcomes.add(_outcome(request))
    assert "ValidationException" in outcomes or "SerializationException" in outcomes


@pytest.mark.parametrize("raw", [
    b"", b"null", b"[]", b"\"text\"", b"{", b"{\"a\":", b"\xff\xfe", b"[" * 100_000, b"{\"TrainingJobName\": NaN}",
    json.dumps({"TrainingJobName": {"nested": "object"}}).encode(), b"0" * 10_000,
])
def test_garbage_json_bodies(raw):
    request = capture(make_client("sagemaker"), "DescribeTrainingJob", {"TrainingJobName": "j"})
    request.body = BytesBody(raw)
    assert _outcome(request) != "ok" or raw in (b"",)


@pytest.mark.parametrize("form", [
    "Action=AssumeRole&Version=2011-06-15",
    "Action=AssumeRole&Version=2011-06-15&RoleArn=a&RoleSessionName=ss&DurationSeconds=abc",
    "Action=AssumeRole&Version=2011-06-15&RoleArn=a&RoleSessionName=ss&DurationSeconds=99999999999999999999999",
    "Action=AssumeRole&Version=2011-06-15&RoleArn=a&RoleSessionName=ss&PolicyArns.member.1.arn=",
    "Action=AssumeRole&Version=2011-06-15&RoleArn=a&RoleSessionName=ss&Tags.member.1.Key=k",
    "Action=AssumeRole&RoleArn=%ZZ&RoleSessionName=%",
    "Action=NoSuchAction&Version=2011-06-15",
    "Action=&&&==&",
    "%FF%FE=%FF",
])
def test_malformed_query_forms(form):
    request = capture(make_client("sts"), "GetCallerIdentity", {})
    request.body = BytesBody(form.encode())
    _outcome(request)


def test_non_utf8_query_form():
    request = capture(make_client("sts"), "GetCallerIdentity", {})
    request.body = BytesBody(b"Action=AssumeRole&RoleArn=\xff\xfe")
    _outcome(request)


@pytest.mark.parametrize("xml", [
    b"", b"not xml", b"<Delete>", b"<Delete><Object><Key>k</Key></Object><Quiet>maybe</Quiet></Delete>",
    b"<Delete><Object>text only</Object></Delete>", b"<Other/>",
    b"<?xml version='1.0'?><!DOCTYPE d [<!ENTITY e SYSTEM 'file:///etc/passwd'>]><Delete><Object><Key>&e;</Key>"
    b"</Object></Delete>",
    b"<Delete>" + b"<Object><Key>k</Key></Object>" * 1001 + b"</Delete>",
])
def test_malformed_xml_bodies(xml):
    request = capture(make_client("s3"), "DeleteObjects", {"Bucket": "bucket", "Delete": {"Objects": [{"Key": "k"}]}})
    request.body = BytesBody(xml)
    _outcome(request)


@pytest.mark.parametrize("query", ["max-keys=abc", "max-keys=-1", "fetch-owner=maybe", "list-type=2&max-keys=1e3",
                                   "list-type=2&continuation-token=%", "list-type=2&prefix=" + quote("é\x00")])
def test_malformed_s3_query_values(query):
    request = capture(make_client("s3"), "ListObjectsV2", {"Bucket": "bucket"})
    request.query_string = "list-type=2&" + query
    _outcome(request)


@pytest.mark.parametrize(("header", "value"), [("range", "bytes=abc"), ("if-modified-since", "yesterday"),
                                               ("x-amz-expected-bucket-owner", "x" * 300),
                                               ("x-amz-checksum-mode", "SOMETIMES")])
def test_malformed_s3_headers(header, value):
    request = capture(make_client("s3"), "GetObject", {"Bucket": "bucket", "Key": "k"})
    request.headers[header] = value
    _outcome(request)

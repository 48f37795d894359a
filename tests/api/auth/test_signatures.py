"""Every request is SigV4-verified: each way of failing gets its AWS code, per protocol family."""

from __future__ import annotations

import datetime as dt
import uuid

import boto3
import pytest
from botocore import UNSIGNED, xform_name
from botocore.config import Config
from botocore.exceptions import ClientError

from tests.support.server import REGION
from tests.support.signing import clock, fetch

SKEW = dt.timedelta(minutes=20)

# (service, operation, params) answered in each protocol family's words.
CALLS = {
    "s3": ("ListBuckets", {}),
    "sagemaker": ("ListModels", {}),
    "logs": ("DescribeLogGroups", {}),
    "sts": ("GetCallerIdentity", {}),
}
EXPECTED = {  # service -> failure -> AWS error code (all HTTP 403)
    "s3": {"unknown_key": "InvalidAccessKeyId", "bad_signature": "SignatureDoesNotMatch",
           "skewed": "RequestTimeTooSkewed", "unsigned": "AccessDenied"},
    "sagemaker": {"unknown_key": "UnrecognizedClientException", "bad_signature": "InvalidSignatureException",
                  "skewed": "RequestTimeTooSkewed", "unsigned": "MissingAuthenticationTokenException"},
    "logs": {"unknown_key": "UnrecognizedClientException", "bad_signature": "InvalidSignatureException",
             "skewed": "RequestTimeTooSkewed", "unsigned": "MissingAuthenticationTokenException"},
    "sts": {"unknown_key": "InvalidClientTokenId", "bad_signature": "SignatureDoesNotMatch",
            "skewed": "RequestTimeTooSkewed"},
}
CASES = [(service, failure) for service, failures in EXPECTED.items() for failure in failures]


def _client(server, service: str, failure: str):
    key_id, secret = server.keys
    retries = {"total_max_attempts": 1}
    if failure == "unsigned":
        return server.session().client(service, endpoint_url=server.endpoint_url,
                                        config=Config(signature_version=UNSIGNED, retries=retries))
    if failure == "unknown_key":
        key_id = "AKIA" + uuid.uuid4().hex[:16].upper()
    elif failure == "bad_signature":
        secret = secret[::-1]
    session = boto3.Session(aws_access_key_id=key_id, aws_secret_access_key=secret, region_name=REGION)
    return session.client(service, endpoint_url=server.endpoint_url, config=Config(retries=retries))


@pytest.mark.parametrize(("service", "failure"), CASES, ids=[f"{s}-{f}" for s, f in CASES])
def test_auth_failure_codes(server, service, failure):
    operation, params = CALLS[service]
    client = _client(server, service, failure)
    method = getattr(client, xform_name(operation))
    with pytest.raises(ClientError) as raised, clock(SKEW if failure == "skewed" else dt.timedelta(0)):
        method(**params)
    error = raised.value.response
    assert error["Error"]["Code"] == EXPECTED[service][failure], error
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 403
    assert server.keys[1] not in str(error)


def test_skew_in_the_future_is_refused_too(server):
    with pytest.raises(ClientError) as raised, clock(-SKEW):
        server.client("sagemaker").list_models()
    assert raised.value.response["Error"]["Code"] == "RequestTimeTooSkewed"


def test_small_skew_is_accepted(server):
    with clock(dt.timedelta(minutes=10)):
        server.client("s3").list_buckets()


@pytest.fixture(scope="module")
def object_url(server):
    s3 = server.client("s3", signature_version="s3v4")  # boto3 presigns with SigV2 by default
    bucket = f"presign-{uuid.uuid4().hex[:12]}"
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="dir/hello world.txt", Body=b"hello, presigned\n")
    return s3, bucket, "dir/hello world.txt"


def test_presigned_get_works(server, object_url):
    s3, bucket, key = object_url
    url = s3.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": key}, ExpiresIn=300)
    reply = fetch("GET", url)
    assert reply.status == 200, reply.text
    assert reply.body == b"hello, presigned\n"


def test_expired_presigned_url_is_refused(server, object_url):
    s3, bucket, key = object_url
    with clock(-dt.timedelta(hours=2)):
        url = s3.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": key}, ExpiresIn=60)
    reply = fetch("GET", url)
    assert reply.status == 403
    assert "<Code>AccessDenied</Code>" in reply.text
    assert "expired" in reply.text.lower()


def test_tampered_presigned_url_is_refused(server, object_url):
    s3, bucket, key = object_url
    url = s3.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": key}, ExpiresIn=300)
    reply = fetch("GET", url.replace("hello%20world", "hello%20there"))
    assert reply.status == 403
    assert "<Code>SignatureDoesNotMatch</Code>" in reply.text


def test_presigned_url_with_unknown_key_is_refused(server, object_url):
    _, bucket, key = object_url
    stranger = boto3.Session(aws_access_key_id="AKIANOTAKEY000000000", aws_secret_access_key="x" * 40,
                             region_name=REGION).client("s3", endpoint_url=server.endpoint_url,
                                                        config=Config(signature_version="s3v4"))
    reply = fetch("GET", stranger.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": key}))
    assert reply.status == 403
    assert "<Code>InvalidAccessKeyId</Code>" in reply.text


def test_sigv2_presigned_url_gets_a_clear_error(server, object_url):
    _, bucket, key = object_url
    url = server.client("s3").generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": key})
    assert "AWSAccessKeyId=" in url  # boto3's default for S3 presigning
    reply = fetch("GET", url)
    assert reply.status == 400
    assert "<Code>InvalidRequest</Code>" in reply.text
    assert "signature_version=&apos;s3v4&apos;" in reply.text or "signature_version='s3v4'" in reply.text


def test_presigned_query_call_outside_s3(server):
    # Presigned STS calls (the way EKS tokens prove an identity) sign the empty payload's hash.
    url = server.client("sts").generate_presigned_url("get_caller_identity", Params={}, ExpiresIn=60,
                                                      HttpMethod="GET")
    reply = fetch("GET", url)
    assert reply.status == 200, reply.text
    assert "<Account>000000000000</Account>" in reply.text


def test_health_needs_no_signature(server):
    reply = fetch("GET", server.endpoint_url + "/_sagecraft/health")
    assert reply.status == 200
    assert b'"status": "ok"' in reply.body or b'"status":"ok"' in reply.body

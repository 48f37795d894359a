"""Bucket life cycle through boto3 against a real server."""

from __future__ import annotations

import socket

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from tests.api.s3.conftest import unique_bucket


def error_of(excinfo) -> tuple[str, int]:
    response = excinfo.value.response
    return response["Error"]["Code"], response["ResponseMetadata"]["HTTPStatusCode"]


def test_bucket_life_cycle(s3):
    name = unique_bucket()
    with pytest.raises(ClientError) as missing:
        s3.head_bucket(Bucket=name)
    assert error_of(missing) == ("404", 404)  # HEAD: no body, botocore names the status
    created = s3.create_bucket(Bucket=name)
    assert created["Location"] == f"/{name}"
    head = s3.head_bucket(Bucket=name)
    assert head["BucketRegion"] == "us-east-1"
    listed = s3.list_buckets()
    assert name in [b["Name"] for b in listed["Buckets"]]
    assert len(listed["Owner"]["ID"]) == 64
    assert s3.get_bucket_location(Bucket=name)["LocationConstraint"] is None
    s3.put_object(Bucket=name, Key="k", Body=b"x")
    with pytest.raises(ClientError) as not_empty:
        s3.delete_bucket(Bucket=name)
    assert error_of(not_empty) == ("BucketNotEmpty", 409)
    assert not_empty.value.response["Error"]["BucketName"] == name
    s3.delete_object(Bucket=name, Key="k")
    assert s3.delete_bucket(Bucket=name)["ResponseMetadata"]["HTTPStatusCode"] == 204
    assert name not in [b["Name"] for b in s3.list_buckets()["Buckets"]]
    with pytest.raises(ClientError) as gone:
        s3.delete_bucket(Bucket=name)
    assert error_of(gone) == ("NoSuchBucket", 404)
    assert gone.value.response["Error"]["BucketName"] == name


def test_recreating_an_owned_bucket(server, s3):
    name = unique_bucket()
    s3.create_bucket(Bucket=name)
    # S3 keeps a legacy exception for us-east-1: re-creating your own bucket there succeeds.
    assert s3.create_bucket(Bucket=name)["ResponseMetadata"]["HTTPStatusCode"] == 200
    europe = server.session().client("s3", region_name="eu-west-1", endpoint_url=server.endpoint_url,
                                     config=Config(retries={"max_attempts": 1}))
    regional = unique_bucket()
    europe.create_bucket(Bucket=regional, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    with pytest.raises(europe.exceptions.BucketAlreadyOwnedByYou) as again:
        europe.create_bucket(Bucket=regional, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    assert error_of(again) == ("BucketAlreadyOwnedByYou", 409)
    assert europe.get_bucket_location(Bucket=regional)["LocationConstraint"] == "eu-west-1"
    assert europe.head_bucket(Bucket=regional)["BucketRegion"] == "eu-west-1"
    with pytest.raises(ClientError) as unspecified:
        europe.create_bucket(Bucket=unique_bucket())
    assert error_of(unspecified) == ("IllegalLocationConstraintException", 400)
    with pytest.raises(ClientError) as explicit_default:  # not in the model's enum: us-east-1 goes unnamed
        s3.create_bucket(Bucket=unique_bucket(), CreateBucketConfiguration={"LocationConstraint": "us-east-1"})
    assert error_of(explicit_default) == ("InvalidArgument", 400)


@pytest.mark.parametrize("name", ["ab", "a" * 64, "Upper-case", "under_score", "-leading", "trailing-",
                                  "two..dots", "192.168.1.1", "xn--reserved", "bucket-s3alias", "dot.-dash"])
def test_invalid_bucket_names_are_refused(s3, name):
    with pytest.raises(ClientError) as refused:
        s3.create_bucket(Bucket=name)
    assert error_of(refused) == ("InvalidBucketName", 400)
    assert refused.value.response["Error"]["BucketName"] == name
    assert name not in [b["Name"] for b in s3.list_buckets()["Buckets"]]


def test_expected_bucket_owner(server, s3, bucket):
    account = "000000000000"
    s3.head_bucket(Bucket=bucket, ExpectedBucketOwner=account)
    s3.put_object(Bucket=bucket, Key="k", Body=b"x", ExpectedBucketOwner=account)
    assert s3.get_object(Bucket=bucket, Key="k", ExpectedBucketOwner=account)["Body"].read() == b"x"
    with pytest.raises(ClientError) as wrong:
        s3.head_bucket(Bucket=bucket, ExpectedBucketOwner="111111111111")
    assert error_of(wrong) == ("403", 403)
    with pytest.raises(ClientError) as wrong_put:
        s3.put_object(Bucket=bucket, Key="other", Body=b"x", ExpectedBucketOwner="111111111111")
    assert error_of(wrong_put) == ("AccessDenied", 403)
    assert "Contents" not in s3.list_objects_v2(Bucket=bucket, Prefix="other")


def test_list_buckets_pagination_and_prefix(s3):
    names = sorted(unique_bucket("paged") for _ in range(3))
    for name in names:
        s3.create_bucket(Bucket=name)
    page = s3.list_buckets(Prefix="paged-", MaxBuckets=2)
    assert len(page["Buckets"]) == 2 and "ContinuationToken" in page and page["Prefix"] == "paged-"
    seen = [b["Name"] for b in page["Buckets"]]
    while "ContinuationToken" in page:
        page = s3.list_buckets(Prefix="paged-", MaxBuckets=2, ContinuationToken=page["ContinuationToken"])
        seen += [b["Name"] for b in page["Buckets"]]
    assert set(names) <= set(seen) and seen == sorted(seen)


def test_virtual_hosted_addressing(server, monkeypatch):
    resolve = socket.getaddrinfo

    def loopback_for_localhost(host, *args, **kwargs):  # RFC 6761; not every resolver here does it
        return resolve("127.0.0.1" if str(host).endswith(".localhost") else host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", loopback_for_localhost)
    virtual = server.session().client("s3", endpoint_url=f"http://localhost:{server.port}",
                                      config=Config(s3={"addressing_style": "virtual"}, retries={"max_attempts": 1}))
    name = unique_bucket("virtual")
    virtual.create_bucket(Bucket=name)
    virtual.put_object(Bucket=name, Key="dir/key name", Body=b"virtual")
    assert virtual.get_object(Bucket=name, Key="dir/key name")["Body"].read() == b"virtual"
    assert [o["Key"] for o in virtual.list_objects_v2(Bucket=name)["Contents"]] == ["dir/key name"]
    path_style = server.client("s3")
    assert path_style.get_object(Bucket=name, Key="dir/key name")["Body"].read() == b"virtual"

"""Listing through boto3: 1,000+ keys paginated (v1 and v2), delimiters, markers, URL encoding."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from botocore.exceptions import ClientError

from tests.api.s3.conftest import unique_bucket
from tests.unit.storage.store_contract import s3_listing

KEYS = sorted([*(f"data/part-{i:04d}.csv" for i in range(1000)),
               *(f"logs/{day}/run-{i}.log" for day in ("2024-01-01", "2024-01-02") for i in range(30)),
               *(f"models/{name}/model.tar.gz" for name in ("a", "b", "c")),
               "README", "top level", "unicode/é/日本.txt", "unicode/z", "special/a+b%c d", "special/?x"],
              key=lambda k: k.encode())


@pytest.fixture(scope="module")
def listed_bucket(s3) -> str:
    name = unique_bucket("listing")
    s3.create_bucket(Bucket=name)
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda key: s3.put_object(Bucket=name, Key=key, Body=key.encode()), KEYS))
    return name


def test_more_than_1000_keys_paginate_v2(s3, listed_bucket):
    assert len(KEYS) > 1000
    first = s3.list_objects_v2(Bucket=listed_bucket)
    assert first["KeyCount"] == 1000 and first["IsTruncated"] and "NextContinuationToken" in first
    pages = list(s3.get_paginator("list_objects_v2").paginate(Bucket=listed_bucket, PaginationConfig={"PageSize": 250}))
    keys = [o["Key"] for page in pages for o in page.get("Contents", [])]
    assert keys == KEYS
    assert len(pages) == -(-len(KEYS) // 250)
    assert all(o["Size"] == len(o["Key"].encode()) for page in pages for o in page.get("Contents", []))


def test_more_than_1000_keys_paginate_v1(s3, listed_bucket):
    first = s3.list_objects(Bucket=listed_bucket)
    assert len(first["Contents"]) == 1000 and first["IsTruncated"]
    assert "NextMarker" not in first  # only with a delimiter; clients continue after the last key
    keys = [o["Key"] for page in s3.get_paginator("list_objects").paginate(Bucket=listed_bucket)
            for o in page.get("Contents", [])]
    assert keys == KEYS
    assert first["Contents"][0]["Owner"]["ID"]  # v1 always names the owner


@pytest.mark.parametrize(("prefix", "delimiter"), [("", "/"), ("logs/", "/"), ("logs/2024-01-01/", "/"), ("", "-"),
                                                   ("unicode/", "/"), ("data/part-09", "")])
@pytest.mark.parametrize("version", ["list_objects", "list_objects_v2"])
def test_delimiters_and_prefixes(s3, listed_bucket, prefix, delimiter, version):
    expected = s3_listing(KEYS, prefix, delimiter)
    seen = []
    for page in s3.get_paginator(version).paginate(Bucket=listed_bucket, Prefix=prefix, Delimiter=delimiter,
                                                   PaginationConfig={"PageSize": 7}):
        if delimiter and page.get("IsTruncated"):
            assert "NextMarker" in page or "NextContinuationToken" in page
        seen += [("key", o["Key"]) for o in page.get("Contents", [])]
        seen += [("prefix", p["Prefix"]) for p in page.get("CommonPrefixes", [])]
    assert sorted(seen, key=lambda item: item[1].encode()) == expected


def test_top_level_folders(s3, listed_bucket):
    page = s3.list_objects_v2(Bucket=listed_bucket, Delimiter="/")
    assert [p["Prefix"] for p in page["CommonPrefixes"]] == ["data/", "logs/", "models/", "special/", "unicode/"]
    assert [o["Key"] for o in page["Contents"]] == ["README", "top level"]
    assert page["KeyCount"] == 7 and not page["IsTruncated"] and page["Delimiter"] == "/"


def test_start_after_max_keys_and_fetch_owner(s3, listed_bucket):
    page = s3.list_objects_v2(Bucket=listed_bucket, StartAfter="models/a/model.tar.gz", MaxKeys=3, FetchOwner=True)
    assert [o["Key"] for o in page["Contents"]] == ["models/b/model.tar.gz", "models/c/model.tar.gz", "special/?x"]
    assert page["StartAfter"] == "models/a/model.tar.gz" and page["MaxKeys"] == 3 and page["IsTruncated"]
    assert all(len(o["Owner"]["ID"]) == 64 for o in page["Contents"])
    assert "Owner" not in s3.list_objects_v2(Bucket=listed_bucket, MaxKeys=1)["Contents"][0]
    again = s3.list_objects_v2(Bucket=listed_bucket, StartAfter="models/a/model.tar.gz", MaxKeys=3,
                               ContinuationToken=page["NextContinuationToken"])
    assert again["Contents"][0]["Key"] == "special/a+b%c d"  # the token wins over StartAfter
    marker = s3.list_objects(Bucket=listed_bucket, Marker="unicode/", MaxKeys=5)
    assert [o["Key"] for o in marker["Contents"]] == ["unicode/z", "unicode/é/日本.txt"]
    empty = s3.list_objects_v2(Bucket=listed_bucket, MaxKeys=0)
    assert empty["KeyCount"] == 0 and "Contents" not in empty


def test_keys_come_back_exactly_with_and_without_url_encoding(s3, listed_bucket):
    # botocore asks for encoding-type=url by default and decodes; a raw request gets XML-escaped keys.
    encoded = s3.list_objects_v2(Bucket=listed_bucket, Prefix="special/")
    assert [o["Key"] for o in encoded["Contents"]] == ["special/?x", "special/a+b%c d"]
    plain = s3.list_objects_v2(Bucket=listed_bucket, Prefix="special/", EncodingType="url")
    assert [o["Key"] for o in plain["Contents"]] == ["special/%3Fx", "special/a%2Bb%25c+d"]


def test_listing_errors(s3, listed_bucket):
    with pytest.raises(s3.exceptions.NoSuchBucket):
        s3.list_objects_v2(Bucket="no-such-bucket-here")
    with pytest.raises(ClientError) as bad_token:
        s3.list_objects_v2(Bucket=listed_bucket, ContinuationToken="%%%not-a-token")
    assert bad_token.value.response["Error"]["Code"] == "InvalidArgument"
    with pytest.raises(ClientError) as negative:
        s3.list_objects_v2(Bucket=listed_bucket, MaxKeys=-1)
    assert negative.value.response["Error"]["Code"] == "InvalidArgument"

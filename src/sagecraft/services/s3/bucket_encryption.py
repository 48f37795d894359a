"""Buckets' default encryption (PutBucketEncryption): the encryption a write gets when it asks for
none. Every bucket reports SSE-S3 until configured, as S3 does; objects are stored sealed once the
bucket is configured (explicitly, with AES256 or aws:kms) or the write asks for encryption."""

from __future__ import annotations

import datetime as dt
import json
import threading
import time

from sqlalchemy import delete, insert, select

from sagecraft.core.errors import AwsError
from sagecraft.storage.metadata import MetadataStore
from sagecraft.storage.metadata.schema import s3_bucket_encryption

CACHE_SECONDS = 5.0
ALGORITHMS = ("AES256", "aws:kms", "aws:kms:dsse")
DEFAULT_CONFIGURATION = {
    "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}, "BucketKeyEnabled": False}]
}


def _malformed(
    message: str = "The XML you provided was not well-formed or did not validate against our published schema",
) -> AwsError:
    return AwsError(message, code="MalformedXML", status=400)


def validated(configuration: dict) -> dict:
    rules = configuration.get("Rules") or []
    if len(rules) != 1:
        raise _malformed()
    default = rules[0].get("ApplyServerSideEncryptionByDefault") or {}
    algorithm = default.get("SSEAlgorithm")
    if algorithm not in ALGORITHMS:
        raise _malformed()
    if default.get("KMSMasterKeyID") and algorithm == "AES256":
        raise AwsError(
            "a KMSMasterKeyID is not applicable if the default sse algorithm is not aws:kms or aws:kms:dsse",
            code="InvalidArgument",
            status=400,
        )
    rule: dict = {
        "ApplyServerSideEncryptionByDefault": {
            k: v for k, v in default.items() if k in ("SSEAlgorithm", "KMSMasterKeyID") and v
        }
    }
    rule["BucketKeyEnabled"] = bool(rules[0].get("BucketKeyEnabled"))
    return {"Rules": [rule]}


class BucketEncryption:
    def __init__(self, store: MetadataStore) -> None:
        self.store = store
        self._cache: dict[str, tuple[float, dict | None]] = {}
        self._lock = threading.Lock()

    def put(self, bucket: str, configuration: dict) -> None:
        text = json.dumps(validated(configuration))
        with self.store.write() as db:
            db.execute(delete(s3_bucket_encryption).where(s3_bucket_encryption.c.bucket == bucket))
            db.execute(
                insert(s3_bucket_encryption).values(
                    bucket=bucket, configuration=text, updated_at=dt.datetime.now(dt.timezone.utc)
                )
            )
        self._forget(bucket)

    def configured(self, bucket: str) -> dict | None:
        with self._lock:
            cached = self._cache.get(bucket)
        if cached is not None and time.monotonic() - cached[0] < CACHE_SECONDS:
            return cached[1]
        with self.store.read() as db:
            row = db.execute(
                select(s3_bucket_encryption.c.configuration).where(s3_bucket_encryption.c.bucket == bucket)
            ).first()
        configuration = json.loads(row.configuration) if row else None
        with self._lock:
            self._cache[bucket] = (time.monotonic(), configuration)
        return configuration

    def get(self, bucket: str) -> dict:
        return self.configured(bucket) or DEFAULT_CONFIGURATION

    def delete(self, bucket: str) -> None:
        with self.store.write() as db:
            db.execute(delete(s3_bucket_encryption).where(s3_bucket_encryption.c.bucket == bucket))
        self._forget(bucket)

    def default_sse(self, bucket: str) -> dict[str, str] | None:
        """The sse members a write to ``bucket`` gets when it names none (None: stored as sent)."""
        configuration = self.configured(bucket)
        if configuration is None:
            return None
        default = configuration["Rules"][0]["ApplyServerSideEncryptionByDefault"]
        sse = {"ServerSideEncryption": default["SSEAlgorithm"]}
        if default.get("KMSMasterKeyID"):
            sse["SSEKMSKeyId"] = default["KMSMasterKeyID"]
        return sse

    def _forget(self, bucket: str) -> None:
        with self._lock:
            self._cache.pop(bucket, None)

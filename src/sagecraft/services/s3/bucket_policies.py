"""Bucket policies: resource-based policies stored per bucket, validated as S3 validates them, and
handed to the authorizer (cached; dropped on change here and after a few seconds for changes made by
another server on the same database)."""

from __future__ import annotations

import datetime as dt
import threading
import time

from sqlalchemy import delete, insert, select

from sagecraft.core.errors import AwsError
from sagecraft.security.policy import MalformedPolicyDocument, NamedPolicy, parse_policy
from sagecraft.storage.metadata import MetadataStore
from sagecraft.storage.metadata.schema import s3_bucket_policies

CACHE_SECONDS = 5.0
MAX_POLICY_BYTES = 20 * 1024


def _error(code: str, status: int, message: str) -> AwsError:
    return AwsError(message, code=code, status=status)


class BucketPolicies:
    def __init__(self, store: MetadataStore) -> None:
        self.store = store
        self._cache: dict[str, tuple[float, NamedPolicy | None]] = {}
        self._lock = threading.Lock()

    def put(self, bucket: str, text: str) -> None:
        if len(text.encode()) > MAX_POLICY_BYTES:
            raise _error("PolicyTooLarge", 400, "Policies must be less than 20 KB.")
        try:
            document = parse_policy(text, "resource")
        except MalformedPolicyDocument as error:
            raise _error("MalformedPolicy", 400, error.message) from None
        for statement in document.statements:
            for resource in statement.resources or ():
                if resource != "*" and not resource.startswith(f"arn:aws:s3:::{bucket}"):
                    raise _error("MalformedPolicy", 400, "Policy has invalid resource")
        with self.store.write() as db:
            db.execute(delete(s3_bucket_policies).where(s3_bucket_policies.c.bucket == bucket))
            db.execute(insert(s3_bucket_policies).values(bucket=bucket, policy=text,
                                                         updated_at=dt.datetime.now(dt.timezone.utc)))
        self._forget(bucket)

    def get(self, bucket: str) -> str | None:
        with self.store.read() as db:
            row = db.execute(select(s3_bucket_policies.c.policy).where(s3_bucket_policies.c.bucket == bucket)).first()
        return row.policy if row else None

    def delete(self, bucket: str) -> None:
        with self.store.write() as db:
            db.execute(delete(s3_bucket_policies).where(s3_bucket_policies.c.bucket == bucket))
        self._forget(bucket)

    def for_resource(self, resource: str) -> NamedPolicy | None:
        """The policy of the bucket an S3 resource ARN names (``arn:aws:s3:::bucket[/key]``)."""
        if not resource.startswith("arn:aws:s3:::"):
            return None
        bucket = resource.removeprefix("arn:aws:s3:::").split("/", 1)[0]
        with self._lock:
            cached = self._cache.get(bucket)
        if cached is not None and time.monotonic() - cached[0] < CACHE_SECONDS:
            return cached[1]
        text = self.get(bucket)
        named = NamedPolicy(f"arn:aws:s3:::{bucket}/policy", parse_policy(text, "resource"), "resource") \
            if text else None
        with self._lock:
            self._cache[bucket] = (time.monotonic(), named)
        return named

    def _forget(self, bucket: str) -> None:
        with self._lock:
            self._cache.pop(bucket, None)

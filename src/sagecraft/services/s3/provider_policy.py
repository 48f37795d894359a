"""Bucket policy operations of the S3 provider (mixed into ``S3Provider``)."""

from __future__ import annotations

from sagecraft.core.context import RequestContext
from sagecraft.core.errors import AwsError
from sagecraft.services.s3.bucket_policies import BucketPolicies
from sagecraft.services.s3.service import S3Service


class PolicyOperations:
    service: S3Service
    bucket_policies: BucketPolicies

    def put_bucket_policy(self, context: RequestContext, params: dict) -> dict:
        self.service.get_bucket(params["Bucket"], params.get("ExpectedBucketOwner"))
        policy = params["Policy"]
        self.bucket_policies.put(params["Bucket"], policy if isinstance(policy, str) else policy.decode())
        return {}

    def get_bucket_policy(self, context: RequestContext, params: dict) -> dict:
        self.service.get_bucket(params["Bucket"], params.get("ExpectedBucketOwner"))
        text = self.bucket_policies.get(params["Bucket"])
        if text is None:
            raise AwsError("The bucket policy does not exist", code="NoSuchBucketPolicy", status=404,
                           fields={"BucketName": params["Bucket"]})
        return {"Policy": text}

    def delete_bucket_policy(self, context: RequestContext, params: dict) -> dict:
        self.service.get_bucket(params["Bucket"], params.get("ExpectedBucketOwner"))
        self.bucket_policies.delete(params["Bucket"])
        return {}

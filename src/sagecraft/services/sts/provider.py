"""STS on the wire (query protocol): GetCallerIdentity and AssumeRole."""

from __future__ import annotations

from sagecraft.core.context import RequestContext
from sagecraft.services.sts.service import StsService


class StsProvider:
    service_name = "sts"
    threaded_operations = frozenset({"AssumeRole"})  # writes to the metadata store

    def __init__(self, service: StsService) -> None:
        self.service = service

    def get_caller_identity(self, context: RequestContext, params: dict) -> dict:
        identity = self.service.caller_identity(context.principal)
        return {"UserId": identity.user_id, "Account": identity.account_id, "Arn": identity.arn}

    def assume_role(self, context: RequestContext, params: dict) -> dict:
        # ExternalId, SerialNumber/TokenCode and ProvidedContexts are accepted and not checked:
        # they constrain trust policies, which arrive with IAM.
        issued = self.service.assume_role(
            context.principal,
            params["RoleArn"],
            params["RoleSessionName"],
            duration_seconds=params.get("DurationSeconds"),
            policy=params.get("Policy"),
            policy_arns=[p["arn"] for p in params.get("PolicyArns", []) if p.get("arn")],
            tags={t["Key"]: t["Value"] for t in params.get("Tags", [])},
            source_identity=params.get("SourceIdentity"),
        )
        output = {
            "Credentials": {
                "AccessKeyId": issued.access_key_id,
                "SecretAccessKey": issued.secret_access_key,
                "SessionToken": issued.session_token,
                "Expiration": issued.expiration,
            },
            "AssumedRoleUser": {"AssumedRoleId": issued.assumed_role_id, "Arn": issued.arn},
        }
        if issued.source_identity:
            output["SourceIdentity"] = issued.source_identity
        return output

"""Grants on the wire (mixed into ``KmsProvider``): CreateGrant, ListGrants, RevokeGrant,
RetireGrant, ListRetirableGrants. The authorizer enforces what grants allow (services/kms/grants.py)."""

from __future__ import annotations

from collections.abc import Callable

from sagecraft.core.context import RequestContext
from sagecraft.core.errors import ValidationException
from sagecraft.services.kms.errors import DryRunOperationException
from sagecraft.services.kms.grants import Grant
from sagecraft.services.kms.models import Key
from sagecraft.services.kms.service import KmsService

DRY_RUN = "The request would have succeeded, but the DryRun option is set."


def grant_entry(grant: Grant) -> dict:
    entry = {
        "KeyId": grant.key_arn,
        "GrantId": grant.grant_id,
        "Name": grant.name,
        "CreationDate": grant.created_at,
        "GranteePrincipal": grant.grantee,
        "IssuingAccount": f"arn:aws:iam::{grant.account_id}:root",
        "Operations": list(grant.operations),
    }
    if grant.retiring:
        entry["RetiringPrincipal"] = grant.retiring
    if grant.constraints:
        entry["Constraints"] = grant.constraints
    return entry


class GrantOperations:
    service: KmsService
    _key: Callable[..., Key]
    _page: Callable[[list, dict, str], dict]

    def create_grant(self, context: RequestContext, params: dict) -> dict:
        key = self._key(context, params)
        if not params.get("GranteePrincipal"):
            raise ValidationException(
                "GranteePrincipal is required (GranteeServicePrincipal is not supported by Sagecraft yet)."
            )
        if params.get("DryRun"):
            raise DryRunOperationException(DRY_RUN)
        grant_id, token = self.service.grants.create(
            key,
            params["GranteePrincipal"],
            params["Operations"],
            name=params.get("Name"),
            retiring=params.get("RetiringPrincipal"),
            constraints=params.get("Constraints"),
        )
        return {"GrantId": grant_id, "GrantToken": token}

    def list_grants(self, context: RequestContext, params: dict) -> dict:
        key = self._key(context, params)
        grants = [
            grant_entry(g)
            for g in self.service.grants.of_key(key)
            if params.get("GrantId") in (None, g.grant_id) and params.get("GranteePrincipal") in (None, g.grantee)
        ]
        return self._page(grants, params, "Grants")

    def revoke_grant(self, context: RequestContext, params: dict) -> dict:
        key = self._key(context, params)
        if params.get("DryRun"):
            self.service.grants.find(key.key_id, params["GrantId"])
            raise DryRunOperationException(DRY_RUN)
        self.service.grants.revoke(key, params["GrantId"])
        return {}

    def retire_grant(self, context: RequestContext, params: dict) -> dict:
        if params.get("GrantToken"):
            grant = self.service.grants.from_token(params["GrantToken"])
        elif params.get("KeyId") and params.get("GrantId"):
            key_ref = params["KeyId"]
            if not key_ref.startswith("arn:"):  # a grant is retired by its key's ARN, or with its token
                raise ValidationException("KeyId must be the key's ARN when retiring a grant by its GrantId.")
            key = self.service.resolve(key_ref.split(":")[4], key_ref.split(":")[3], key_ref)
            grant = self.service.grants.find(key.key_id, params["GrantId"])
        else:
            raise ValidationException("Specify either GrantToken, or both KeyId and GrantId.")
        if params.get("DryRun"):
            raise DryRunOperationException(DRY_RUN)
        self.service.grants.retire(grant, context.principal.arn, context.account_id)
        return {}

    def list_retirable_grants(self, context: RequestContext, params: dict) -> dict:
        principal = params.get("RetiringPrincipal")
        if not principal:
            raise ValidationException(
                "RetiringPrincipal is required (RetiringServicePrincipal is not supported by Sagecraft yet)."
            )
        grants = [grant_entry(g) for g in self.service.grants.retirable(context.account_id, principal)]
        return self._page(grants, params, "Grants")

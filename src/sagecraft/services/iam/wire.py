"""IAM's output shapes and list pagination (Marker / MaxItems / IsTruncated)."""

from __future__ import annotations

from urllib.parse import quote

from sagecraft.services.iam.errors import ValidationError
from sagecraft.services.iam.models import AccessKey, IamPrincipal, ManagedPolicy, PolicyVersion

DEFAULT_MAX_ITEMS = 100


def encoded(document: str) -> str:
    """IAM returns policy documents URL-encoded (boto3 decodes them back to dicts)."""
    return quote(document, safe="")


def tags(pairs) -> list[dict]:
    return [{"Key": key, "Value": value} for key, value in pairs]


def _boundary(principal: IamPrincipal) -> dict:
    if not principal.permissions_boundary:
        return {}
    return {"PermissionsBoundary": {"PermissionsBoundaryType": "Policy",
                                    "PermissionsBoundaryArn": principal.permissions_boundary}}


def user(principal: IamPrincipal) -> dict:
    out = {"Path": principal.path, "UserName": principal.name, "UserId": principal.unique_id, "Arn": principal.arn,
           "CreateDate": principal.created_at, **_boundary(principal)}
    if principal.tags:
        out["Tags"] = tags(principal.tags)
    return out


def group(principal: IamPrincipal) -> dict:
    return {"Path": principal.path, "GroupName": principal.name, "GroupId": principal.unique_id,
            "Arn": principal.arn, "CreateDate": principal.created_at}


def role(principal: IamPrincipal) -> dict:
    out = {"Path": principal.path, "RoleName": principal.name, "RoleId": principal.unique_id, "Arn": principal.arn,
           "CreateDate": principal.created_at, "AssumeRolePolicyDocument": encoded(principal.assume_role_policy or ""),
           "MaxSessionDuration": principal.max_session_duration or 3600, "RoleLastUsed": {}, **_boundary(principal)}
    if principal.description:
        out["Description"] = principal.description
    if principal.tags:
        out["Tags"] = tags(principal.tags)
    return out


def policy(p: ManagedPolicy) -> dict:
    out = {"PolicyName": p.name, "PolicyId": p.policy_id, "Arn": p.arn, "Path": p.path,
           "DefaultVersionId": p.default_version, "AttachmentCount": p.attachment_count,
           "PermissionsBoundaryUsageCount": 0, "IsAttachable": True, "CreateDate": p.created_at,
           "UpdateDate": p.updated_at}
    if p.description:
        out["Description"] = p.description
    if p.tags:
        out["Tags"] = tags(p.tags)
    return out


def policy_version(version: PolicyVersion) -> dict:
    return {"Document": encoded(version.document), "VersionId": version.version_id,
            "IsDefaultVersion": version.is_default, "CreateDate": version.created_at}


def access_key(key: AccessKey, with_secret: bool = False) -> dict:
    out = {"UserName": key.user_name, "AccessKeyId": key.access_key_id, "Status": key.status,
           "CreateDate": key.created_at}
    if with_secret:
        out["SecretAccessKey"] = key.secret_access_key
    return out


def page(items: list, params: dict, member: str) -> dict:
    """One page of ``items`` under ``member``; the Marker is the next item's position."""
    max_items = params.get("MaxItems", DEFAULT_MAX_ITEMS)
    marker = params.get("Marker")
    try:
        start = int(marker) if marker else 0
    except ValueError:
        raise ValidationError(f"Invalid Marker: {marker}") from None
    chunk = items[start:start + max_items]
    out = {member: chunk, "IsTruncated": start + max_items < len(items)}
    if out["IsTruncated"]:
        out["Marker"] = str(start + max_items)
    return out

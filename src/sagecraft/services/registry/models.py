"""Model registry records: package groups and (versioned or unversioned) model packages."""

from __future__ import annotations

import datetime as dt
import enum
import re
from dataclasses import dataclass
from typing import Any

from sagecraft.core.arns import arn


class ApprovalStatus(enum.StrEnum):
    PENDING = "PendingManualApproval"
    APPROVED = "Approved"
    REJECTED = "Rejected"


GROUP_STATUS = "Completed"  # creation is synchronous: the group is usable on return
PACKAGE_STATUS = "Completed"  # the package is stored and checked before CreateModelPackage returns
NAME_RE = re.compile(r"^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$")
VERSION_ARN_RE = re.compile(r"^arn:aws[a-z\-]*:sagemaker:([a-z0-9\-]*):(\d{12}):model-package/([^/]+)/(\d+)$")
UNVERSIONED_ARN_RE = re.compile(r"^arn:aws[a-z\-]*:sagemaker:([a-z0-9\-]*):(\d{12}):model-package/([^/]+)$")
GROUP_ARN_RE = re.compile(r"^arn:aws[a-z\-]*:sagemaker:([a-z0-9\-]*):(\d{12}):model-package-group/([^/]+)$")


def group_arn(region: str, account_id: str, name: str) -> str:
    return arn("sagemaker", region, account_id, f"model-package-group/{name.lower()}")


def package_arn(region: str, account_id: str, name: str, version: int | None = None) -> str:
    """Versioned: ``model-package/<group lower-cased>/<N>``; unversioned: ``model-package/<name>``."""
    suffix = f"/{version}" if version is not None else ""
    return arn("sagemaker", region, account_id, f"model-package/{name.lower()}{suffix}")


@dataclass(frozen=True)
class PackageGroup:
    id: int
    account_id: str
    region: str
    name: str
    arn: str
    description: str | None
    status: str
    created_at: dt.datetime
    created_by: dict[str, Any]
    tags: list[dict[str, str]]
    policy: str | None
    last_version: int

    @classmethod
    def from_row(cls, row: Any) -> PackageGroup:
        return cls(row.id, row.account_id, row.region, row.name, row.arn, row.description, row.status,
                   row.created_at, row.created_by or {}, list(row.tags or []), row.policy,
                   row.last_version)

    def tag(self, key: str) -> str | None:
        return next((t["Value"] for t in self.tags if t["Key"] == key), None)


@dataclass(frozen=True)
class ModelPackage:
    id: int
    account_id: str
    region: str
    name: str
    group_name: str | None
    version: int | None
    arn: str
    status: str
    approval_status: str | None
    created_at: dt.datetime
    last_modified: dt.datetime
    request: dict[str, Any]  # the create request as sent (without Tags), with updates applied
    details: dict[str, Any]  # ApprovalDescription, LastModifiedBy, CreatedBy
    tags: list[dict[str, str]]

    @classmethod
    def from_row(cls, row: Any) -> ModelPackage:
        return cls(row.id, row.account_id, row.region, row.name, row.group_name, row.version, row.arn, row.status,
                   row.approval_status, row.created_at, row.last_modified, dict(row.request), dict(row.details or {}),
                   list(row.tags or []))

    @property
    def versioned(self) -> bool:
        return self.version is not None

    def containers(self) -> list[dict[str, Any]]:
        return list((self.request.get("InferenceSpecification") or {}).get("Containers") or [])

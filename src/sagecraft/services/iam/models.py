"""IAM's domain objects."""

from __future__ import annotations

import datetime as dt
import secrets
import string
from dataclasses import dataclass
from typing import Literal

Kind = Literal["user", "group", "role"]
ID_PREFIXES = {"user": "AIDA", "group": "AGPA", "role": "AROA", "policy": "ANPA"}
ARN_TYPES = {"user": "user", "group": "group", "role": "role", "policy": "policy"}
AWS_MANAGED_PREFIX = "arn:aws:iam::aws:policy/"


def new_unique_id(kind: str) -> str:
    return ID_PREFIXES[kind] + "".join(secrets.choice(string.ascii_uppercase + string.digits) for _ in range(17))


def iam_arn(account_id: str, kind: str, path: str, name: str) -> str:
    return f"arn:aws:iam::{account_id}:{ARN_TYPES[kind]}{path}{name}"


@dataclass(frozen=True)
class IamPrincipal:
    """A user, group or role."""

    id: int
    account_id: str
    kind: Kind
    name: str
    unique_id: str
    path: str
    arn: str
    created_at: dt.datetime
    description: str | None = None
    assume_role_policy: str | None = None
    max_session_duration: int | None = None
    permissions_boundary: str | None = None
    tags: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class ManagedPolicy:
    id: int | None  # None: an AWS-managed policy (bundled, not stored)
    account_id: str
    name: str
    policy_id: str
    path: str
    arn: str
    default_version: str
    created_at: dt.datetime
    updated_at: dt.datetime
    description: str | None = None
    attachment_count: int = 0
    tags: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class PolicyVersion:
    version_id: str
    document: str
    is_default: bool
    created_at: dt.datetime


@dataclass(frozen=True)
class AccessKey:
    access_key_id: str
    secret_access_key: str
    user_name: str
    status: Literal["Active", "Inactive"]
    created_at: dt.datetime

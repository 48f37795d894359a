"""STS domain objects: role ARNs, assumed-role sessions, temporary credentials."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import re
from dataclasses import dataclass

from sagecraft.services.sts.errors import ValidationError

# arn:PARTITION:iam::ACCOUNT:role/[PATH/]NAME, with IAM's path and role-name alphabets.
_ROLE_ARN = re.compile(
    r"arn:(?P<partition>aws|aws-cn|aws-us-gov):iam::(?P<account>\d{12}):role"
    r"(?P<path>/(?:[\x21-\x7e]*/)?)(?P<name>[\w+=,.@-]{1,64})"
)


@dataclass(frozen=True)
class RoleArn:
    arn: str
    partition: str
    account_id: str
    path: str
    name: str

    @classmethod
    def parse(cls, value: str) -> RoleArn:
        match = _ROLE_ARN.fullmatch(value)
        if match is None:
            raise ValidationError("Request ARN is invalid")  # as STS words it for a non-role ARN
        return cls(value, match["partition"], match["account"], match["path"], match["name"])

    @property
    def role_id(self) -> str:
        """A stable, IAM-shaped role id (AROA + 17 characters) until IAM roles exist."""
        digest = base64.b32encode(hashlib.sha256(self.arn.encode()).digest()).decode()
        return "AROA" + digest[:17]

    def session_arn(self, session_name: str) -> str:
        # AWS drops the role's path in assumed-role ARNs.
        return f"arn:{self.partition}:sts::{self.account_id}:assumed-role/{self.name}/{session_name}"


@dataclass(frozen=True)
class CallerIdentity:
    account_id: str
    arn: str
    user_id: str


@dataclass(frozen=True)
class TemporaryCredentials:
    access_key_id: str
    secret_access_key: str
    session_token: str
    expiration: dt.datetime
    account_id: str
    arn: str  # the assumed-role session ARN
    assumed_role_id: str  # ROLEID:SESSION, the session's UserId
    role_arn: str
    session_name: str
    source_identity: str | None = None
    session_policy: dict | None = None  # AssumeRole's Policy: the session gets at most what it allows
    policy_arns: tuple[str, ...] = ()  # AssumeRole's PolicyArns, likewise

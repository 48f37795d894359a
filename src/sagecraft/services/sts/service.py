"""STS use-cases: the caller's identity, and assuming a role for temporary credentials.

Temporary credentials live in the metadata store so that every server process (and a restarted
one) accepts them until they expire; see credentials.py for the gateway's side."""

from __future__ import annotations

import base64
import datetime as dt
import json
import secrets
from collections.abc import Callable, Mapping, Sequence

from sqlalchemy import delete, insert, select

from sagecraft.core.context import Principal
from sagecraft.security.credentials import new_access_key_id, new_secret_access_key
from sagecraft.security.policy import MalformedPolicyDocument as PolicyError
from sagecraft.security.policy import parse_policy
from sagecraft.services.sts.errors import AccessDenied, MalformedPolicyDocument, ValidationError
from sagecraft.services.sts.models import CallerIdentity, RoleArn, TemporaryCredentials
from sagecraft.storage.metadata import MetadataStore
from sagecraft.storage.metadata.schema import sts_credentials

MIN_DURATION = 900
MAX_DURATION = 43200
DEFAULT_DURATION = 3600
CHAINED_MAX_DURATION = 3600  # AWS caps role chaining at one hour
# Expired credentials are kept a while so their users hear ExpiredToken, not "unknown key".
KEEP_EXPIRED = dt.timedelta(days=7)


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def _session_token() -> str:
    # Opaque to clients, as long as the ones AWS issues; compared verbatim by the gateway.
    return "IQoJb3JpZ2luX2Vj" + base64.b64encode(secrets.token_bytes(288)).decode()


class StsService:
    def __init__(self, store: MetadataStore, account_id: str, clock: Callable[[], dt.datetime] = _utcnow) -> None:
        self.store = store
        self.account_id = account_id
        self.clock = clock
        # Set by the composition root once IAM exists: may ``caller`` assume ``role_arn`` (its trust
        # policy)? None from the check: IAM does not define the role.
        self.trust: Callable[[Principal, str], bool | None] | None = None

    def caller_identity(self, principal: Principal) -> CallerIdentity:
        return CallerIdentity(principal.account_id, principal.arn, principal.user_id)

    def assume_role(
        self,
        caller: Principal,
        role_arn: str,
        session_name: str,
        *,
        duration_seconds: int | None = None,
        policy: str | None = None,
        policy_arns: Sequence[str] = (),
        tags: Mapping[str, str] | None = None,
        source_identity: str | None = None,
    ) -> TemporaryCredentials:
        role = RoleArn.parse(role_arn)
        # A role IAM defines is assumed only if its trust policy allows the caller; a role ARN IAM does
        # not define (the SDK's examples pass any) can be assumed, for compatibility (docs/security.md).
        trusted = self.trust(caller, role_arn) if self.trust is not None else None
        if role.account_id != self.account_id or trusted is False:
            raise AccessDenied(
                f"User: {caller.arn} is not authorized to perform: sts:AssumeRole on resource: {role_arn}")
        duration = DEFAULT_DURATION if duration_seconds is None else duration_seconds
        _check_duration(duration)
        if caller.session_token is not None and ":assumed-role/" in caller.arn and duration > CHAINED_MAX_DURATION:
            raise ValidationError("The requested DurationSeconds exceeds the 1 hour session limit for roles "
                                  "assumed by role chaining.")
        session_policy = _parse_policy(policy) if policy is not None else None
        # Note: AWS refuses AssumeRole to the account root; Sagecraft's admin key *is* the root
        # until IAM users exist, so it may assume roles.
        now = self.clock().replace(microsecond=0)
        credentials = TemporaryCredentials(
            access_key_id=new_access_key_id("ASIA"),
            secret_access_key=new_secret_access_key(),
            session_token=_session_token(),
            expiration=now + dt.timedelta(seconds=duration),
            account_id=role.account_id,
            arn=role.session_arn(session_name),
            assumed_role_id=f"{role.role_id}:{session_name}",
            role_arn=role_arn,
            session_name=session_name,
            source_identity=source_identity,
        )
        with self.store.write() as db:
            db.execute(delete(sts_credentials).where(sts_credentials.c.expires_at < now - KEEP_EXPIRED))
            db.execute(insert(sts_credentials).values(
                access_key_id=credentials.access_key_id,
                secret_access_key=credentials.secret_access_key,
                session_token=credentials.session_token,
                account_id=credentials.account_id,
                arn=credentials.arn,
                user_id=credentials.assumed_role_id,
                role_arn=role_arn,
                role_session_name=session_name,
                source_identity=source_identity,
                issuer_arn=caller.arn,
                session_policy=session_policy,
                policy_arns=list(policy_arns) or None,
                session_tags=dict(tags) if tags else None,
                created_at=now,
                expires_at=credentials.expiration,
            ))
        return credentials

    def find(self, access_key_id: str) -> TemporaryCredentials | None:
        """Issued credentials by access key id, expired or not (the gateway tells them apart)."""
        with self.store.read() as db:
            row = db.execute(select(sts_credentials).where(sts_credentials.c.access_key_id == access_key_id)).first()
        if row is None:
            return None
        return TemporaryCredentials(
            access_key_id=row.access_key_id,
            secret_access_key=row.secret_access_key,
            session_token=row.session_token,
            expiration=row.expires_at,
            account_id=row.account_id,
            arn=row.arn,
            assumed_role_id=row.user_id,
            role_arn=row.role_arn,
            session_name=row.role_session_name,
            source_identity=row.source_identity,
            session_policy=row.session_policy,
            policy_arns=tuple(row.policy_arns or ()),
        )


def _check_duration(duration: int) -> None:
    if duration < MIN_DURATION:
        raise ValidationError(f"1 validation error detected: Value '{duration}' at 'durationSeconds' failed to "
                              f"satisfy constraint: Member must have value greater than or equal to {MIN_DURATION}")
    if duration > MAX_DURATION:
        raise ValidationError(f"1 validation error detected: Value '{duration}' at 'durationSeconds' failed to "
                              f"satisfy constraint: Member must have value less than or equal to {MAX_DURATION}")


def _parse_policy(policy: str) -> dict:
    """A session policy, validated as IAM validates identity policies."""
    try:
        parse_policy(policy, "identity")
    except PolicyError as error:
        raise MalformedPolicyDocument(error.message) from None
    return json.loads(policy)

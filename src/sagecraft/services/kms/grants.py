"""KMS grants: stored with their constraints, and consulted by the authorizer when neither the key
policy nor IAM allows a request. A grant lets its grantee principal (a user, a role and its
sessions, or an account — then IAM must allow as well) perform its operations on its key; its
encryption context constraints hold only for the cryptographic operations, which carry a context.

The table keeps ``operations`` as JSON: a list for older rows, else ``{"Operations": [...],
"Constraints": {...}}`` (the grant's constraints need no column of their own)."""

from __future__ import annotations

import base64
import datetime as dt
import secrets
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from sqlalchemy import delete, insert, select

from sagecraft.core.errors import AccessDenied, ValidationException
from sagecraft.services.kms.errors import (
    DisabledException,
    InvalidGrantIdException,
    InvalidGrantTokenException,
    KMSInvalidStateException,
    LimitExceededException,
    NotFoundException,
)
from sagecraft.services.kms.models import Key
from sagecraft.storage.metadata import MetadataStore
from sagecraft.storage.metadata.schema import kms_grants, kms_keys

# The grant operations a symmetric encryption key supports; the others need asymmetric or HMAC keys.
SYMMETRIC_OPERATIONS = frozenset(
    {
        "Decrypt",
        "Encrypt",
        "GenerateDataKey",
        "GenerateDataKeyWithoutPlaintext",
        "ReEncryptFrom",
        "ReEncryptTo",
        "CreateGrant",
        "RetireGrant",
        "DescribeKey",
        "GenerateDataKeyPair",
        "GenerateDataKeyPairWithoutPlaintext",
    }
)
NOT_CRYPTOGRAPHIC = frozenset({"CreateGrant", "RetireGrant", "DescribeKey"})  # constraints do not apply
CONSTRAINTS = ("EncryptionContextEquals", "EncryptionContextSubset")
MAX_CONSTRAINT_PAIRS = 8
MAX_GRANTS_PER_KEY = 50000


@dataclass(frozen=True)
class Grant:
    grant_id: str
    key_id: str
    key_arn: str
    name: str
    grantee: str
    retiring: str | None
    operations: tuple[str, ...]
    constraints: dict[str, dict[str, str]] = field(default_factory=dict)
    created_at: dt.datetime | None = None

    @property
    def account_id(self) -> str:
        return self.key_arn.split(":")[4]


@dataclass(frozen=True)
class GrantRequest:
    """What the authorizer asks: may ``principal_arn`` (a session of ``role_arn``) run ``operation``?
    ``context`` holds the request's lower-cased condition keys (kms:encryptioncontext:…, kms:grant…)."""

    principal_arn: str
    role_arn: str | None
    account_id: str
    operation: str
    context: Mapping[str, Sequence[str]]


def role_of(principal_arn: str) -> str | None:
    """arn:aws:sts::ACCOUNT:assumed-role/NAME/SESSION → arn:aws:iam::ACCOUNT:role/NAME."""
    if ":assumed-role/" not in principal_arn:
        return None
    head, rest = principal_arn.split(":assumed-role/", 1)
    return f"arn:aws:iam::{head.rsplit(':', 1)[-1]}:role/{rest.split('/', 1)[0]}"


def _request_context(context: Mapping[str, Sequence[str]]) -> dict[str, str]:
    prefix = "kms:encryptioncontext:"
    return {name[len(prefix) :]: values[0] for name, values in context.items() if name.startswith(prefix) and values}


def constraints_hold(constraints: Mapping[str, Mapping[str, str]], context: Mapping[str, Sequence[str]]) -> bool:
    """KMS's rule: constraint keys are matched case-insensitively, values exactly."""
    given = _request_context(context)
    keys = {k.lower() for k in context.get("kms:encryptioncontextkeys", ())}
    equals = constraints.get("EncryptionContextEquals")
    if equals is not None and ({k.lower(): v for k, v in equals.items()} != given or keys != set(given)):
        return False
    subset = constraints.get("EncryptionContextSubset")
    return subset is None or all(given.get(k.lower()) == v for k, v in subset.items())


def _at_least_as_strict(constraints: Mapping[str, Mapping[str, str]], context: Mapping[str, Sequence[str]]) -> bool:
    """A grant made through a grant with CreateGrant must be as constrained as that grant, or more."""
    if not constraints:
        return True
    kind = (context.get("kms:grantconstrainttype") or [None])[0]
    asked = _request_context(context)
    if "EncryptionContextEquals" in constraints:
        wanted = {k.lower(): v for k, v in constraints["EncryptionContextEquals"].items()}
        return kind == "EncryptionContextEquals" and asked == wanted
    subset = {k.lower(): v for k, v in constraints.get("EncryptionContextSubset", {}).items()}
    return kind in CONSTRAINTS and all(asked.get(k) == v for k, v in subset.items())


def _row_grant(row, key_arn: str) -> Grant:
    stored = row.operations
    operations, constraints = (
        (stored, {}) if isinstance(stored, list) else (stored.get("Operations", []), stored.get("Constraints") or {})
    )
    return Grant(
        row.grant_id,
        row.key_id,
        key_arn,
        row.name or "",
        row.grantee_principal,
        row.retiring_principal,
        tuple(operations),
        constraints,
        row.created_at,
    )


def _validated(operations: list[str], constraints: dict | None) -> dict[str, dict[str, str]]:
    if not operations:
        raise ValidationException(
            "1 validation error detected: Value at 'operations' failed to satisfy "
            "constraint: Member must have length greater than or equal to 1"
        )
    unsupported = sorted(set(operations) - SYMMETRIC_OPERATIONS)
    if unsupported:
        raise ValidationException(
            f"Grant operations {unsupported} are not valid for a symmetric encryption "
            "KMS key (KeySpec SYMMETRIC_DEFAULT)."
        )
    kept = {name: dict(pairs) for name, pairs in (constraints or {}).items() if name in CONSTRAINTS and pairs}
    for pairs in kept.values():
        if len(pairs) > MAX_CONSTRAINT_PAIRS:
            raise ValidationException(
                f"A grant constraint may hold at most {MAX_CONSTRAINT_PAIRS} encryption context pairs."
            )
    return kept


class KeyGrants:
    def __init__(self, store: MetadataStore, clock: Callable[[], dt.datetime]) -> None:
        self.store = store
        self.clock = clock

    # --- life cycle ------------------------------------------------------------------------------

    def create(
        self,
        key: Key,
        grantee: str,
        operations: list[str],
        *,
        name: str | None = None,
        retiring: str | None = None,
        constraints: dict | None = None,
    ) -> tuple[str, str]:
        if key.state == "Disabled":
            raise DisabledException(f"{key.arn} is disabled.")
        if key.state == "PendingDeletion":
            raise KMSInvalidStateException(f"{key.arn} is pending deletion.")
        kept = _validated(operations, constraints)
        wanted = (name, grantee, retiring, sorted(set(operations)), kept)
        existing = self.of_key(key)
        for grant in existing if name else ():  # idempotent for the same name and parameters
            if (grant.name, grant.grantee, grant.retiring, sorted(grant.operations), grant.constraints) == wanted:
                return grant.grant_id, self._token(grant.key_id, grant.grant_id)
        if len(existing) >= MAX_GRANTS_PER_KEY:
            raise LimitExceededException(f"The key {key.arn} already has {MAX_GRANTS_PER_KEY} grants.")
        ops = wanted[3]
        grant_id = secrets.token_hex(32)
        with self.store.write() as db:
            db.execute(
                insert(kms_grants).values(
                    grant_id=grant_id,
                    key_id=key.key_id,
                    name=name,
                    grantee_principal=grantee,
                    retiring_principal=retiring,
                    operations={"Operations": ops, "Constraints": kept},
                    created_at=self.clock(),
                )
            )
        return grant_id, self._token(key.key_id, grant_id)

    @staticmethod
    def _token(key_id: str, grant_id: str) -> str:
        """A grant token names its grant (RetireGrant accepts it in place of KeyId + GrantId)."""
        return base64.urlsafe_b64encode(f"{key_id}:{grant_id}:{secrets.token_hex(16)}".encode()).decode()

    def from_token(self, token: str) -> Grant:
        try:
            key_id, grant_id, _ = base64.urlsafe_b64decode(token.encode()).decode().split(":")
        except (ValueError, UnicodeDecodeError):
            raise InvalidGrantTokenException("The grant token is invalid.") from None
        return self.find(key_id, grant_id)

    def of_key(self, key: Key) -> list[Grant]:
        with self.store.read() as db:
            rows = db.execute(
                select(kms_grants)
                .where(kms_grants.c.key_id == key.key_id)
                .order_by(kms_grants.c.created_at, kms_grants.c.grant_id)
            )
            return [_row_grant(row, key.arn) for row in rows]

    def find(self, key_id: str, grant_id: str) -> Grant:
        with self.store.read() as db:
            row = db.execute(
                select(kms_grants, kms_keys.c.arn)
                .join(kms_keys, kms_keys.c.key_id == kms_grants.c.key_id)
                .where(kms_grants.c.key_id == key_id, kms_grants.c.grant_id == grant_id)
            ).first()
        if row is None:
            raise NotFoundException(f"Grant ID {grant_id} not found")
        return _row_grant(row, row.arn)

    def retirable(self, account_id: str, retiring_principal: str) -> list[Grant]:
        with self.store.read() as db:
            rows = db.execute(
                select(kms_grants, kms_keys.c.arn)
                .join(kms_keys, kms_keys.c.key_id == kms_grants.c.key_id)
                .where(kms_keys.c.account_id == account_id, kms_grants.c.retiring_principal == retiring_principal)
                .order_by(kms_grants.c.created_at, kms_grants.c.grant_id)
            )
            return [_row_grant(row, row.arn) for row in rows]

    def revoke(self, key: Key, grant_id: str) -> None:
        if not grant_id or len(grant_id) > 128:
            raise InvalidGrantIdException(f"Invalid grant ID {grant_id!r}")
        self._delete(key.key_id, grant_id)

    def retire(self, grant: Grant, caller_arn: str, caller_account: str) -> None:
        """The account that owns the grant, its retiring principal, or its grantee when the grant
        includes RetireGrant may retire it (the grant decides, not a policy)."""
        callers = {caller_arn, role_of(caller_arn) or ""}
        if not (
            (caller_arn == f"arn:aws:iam::{grant.account_id}:root" and caller_account == grant.account_id)
            or grant.retiring in callers
            or ("RetireGrant" in grant.operations and grant.grantee in callers)
        ):
            raise AccessDenied(
                f"User: {caller_arn} is not authorized to perform: kms:RetireGrant on resource: "
                f"{grant.key_arn} because the grant does not name it as its retiring principal"
            )
        self._delete(grant.key_id, grant.grant_id)

    def _delete(self, key_id: str, grant_id: str) -> None:
        with self.store.write() as db:
            gone = db.execute(
                delete(kms_grants).where(kms_grants.c.key_id == key_id, kms_grants.c.grant_id == grant_id)
            ).rowcount
        if not gone:
            raise NotFoundException(f"Grant ID {grant_id} not found")

    # --- enforcement -----------------------------------------------------------------------------

    def allowing(self, key: Key, request: GrantRequest) -> list[Grant]:
        """The grants that allow ``request`` on ``key``: a grantee naming the account (its root ARN)
        still needs IAM's allow — the caller decides that with the grant's ``grantee``."""
        account_root = f"arn:aws:iam::{request.account_id}:root"
        names = {request.principal_arn, request.role_arn or "", account_root}
        found = []
        for grant in self.of_key(key):
            if grant.grantee not in names or request.operation not in grant.operations:
                continue
            if request.operation == "CreateGrant" and not self._within(grant, request.context):
                continue
            if request.operation not in NOT_CRYPTOGRAPHIC and not constraints_hold(grant.constraints, request.context):
                continue
            found.append(grant)
        return found

    @staticmethod
    def _within(grant: Grant, context: Mapping[str, Sequence[str]]) -> bool:
        """No escalation through a grant: the new grant's operations are among this one's, and its
        constraints at least as strict."""
        asked = set(context.get("kms:grantoperations", ()))
        return asked <= set(grant.operations) and _at_least_as_strict(grant.constraints, context)
